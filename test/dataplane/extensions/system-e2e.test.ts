import { accessFields, ask, askClaude, chatStreamText, clients, type E2eGateway, messageStreamText, messageText, startE2e, thrown, untilLogged } from './e2e-gateway';
import { UpstreamSimulator } from '../../../src/testing';

/**
 * Issue #15 §5: each system extension end to end: declared with the constructs on a Dedicated gateway, run by
 * `startTestGateway` on the simulator, called with the official `openai` and `@anthropic-ai/sdk` clients, streamed
 * and not. What reached the upstream is read from the simulator's record of requests.
 */
let sim: UpstreamSimulator;
beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'e2e' });
});
afterAll(() => sim?.close());
beforeEach(() => sim.reset());

type Body = Record<string, unknown> & { messages?: { role: string; content: unknown }[] };
const sentBody = (i = 0) => sim.requests[i].body as Body;

describe('ip-restriction', () => {
  let allowed: E2eGateway;
  let denied: E2eGateway;
  let proxied: E2eGateway;
  beforeAll(async () => {
    allowed = await startE2e(sim, (g) => g.addExtension('ip', { name: 'ip-restriction', source: 'system', config: { allow: ['127.0.0.0/8'] } }));
    denied = await startE2e(sim, (g) => g.addExtension('ip', { name: 'ip-restriction', source: 'system', config: { deny: ['127.0.0.1'] } }));
    // The test client is the gateway's peer: listed as a trusted proxy, the client is read from its X-Forwarded-For.
    proxied = await startE2e(sim, (g) =>
      g.addExtension('ip', {
        name: 'ip-restriction',
        source: 'system',
        config: { allow: ['198.51.100.0/24'], deny: ['198.51.100.66'], trustedProxies: ['127.0.0.1'] },
      }),
    );
  });
  afterAll(async () => {
    await allowed?.close();
    await denied?.close();
    await proxied?.close();
  });

  test('allow 127.0.0.0/8 serves the test client; deny 127.0.0.1 refuses it: a 403 ip_not_allowed from each SDK, streamed or not, nothing upstream', async () => {
    await expect(allowed.openai.chat.completions.create(ask('hello'))).resolves.toMatchObject({ object: 'chat.completion' });
    expect(await chatStreamText(await allowed.openai.chat.completions.create({ ...ask('hello'), stream: true }))).toContain('hello');
    expect(messageText(await allowed.anthropic.messages.create(askClaude('hello')))).toContain('hello');
    expect(sim.requests).toHaveLength(3);

    sim.reset();
    const chat = await thrown(denied.openai.chat.completions.create(ask('hello')));
    expect(chat).toMatchObject({ status: 403, error: { code: 'ip_not_allowed', type: 'permission_error' } });
    expect(chat.message).toContain('not allowed on this route (ip-restriction)');
    const streamed = await thrown(denied.openai.chat.completions.create({ ...ask('hello'), stream: true }));
    expect(streamed).toMatchObject({ status: 403, error: { code: 'ip_not_allowed' } });
    const messages = await thrown(denied.anthropic.messages.create({ ...askClaude('hello'), stream: true }));
    expect(messages).toMatchObject({ status: 403, error: { type: 'error', error: { type: 'permission_error' } } });
    expect(sim.requests).toHaveLength(0);
  });

  test('behind a trusted proxy the client is read from X-Forwarded-For, right to left; an address a client wrote itself is not believed', async () => {
    const via = (forwardedFor: string) => clients(proxied.gw, { defaultHeaders: { 'x-forwarded-for': forwardedFor } });
    await expect(via('198.51.100.7').openai.chat.completions.create(ask('hello'))).resolves.toMatchObject({ object: 'chat.completion' });
    expect(messageText(await via('198.51.100.7').anthropic.messages.create(askClaude('hello')))).toContain('hello');
    // Not in allow, in deny, and no X-Forwarded-For (the peer itself, 127.0.0.1, is not in allow).
    for (const forwardedFor of ['192.0.2.1', '198.51.100.66', '198.51.100.7, 198.51.100.66']) {
      await expect(via(forwardedFor).openai.chat.completions.create(ask('hello'))).rejects.toMatchObject({ status: 403, error: { code: 'ip_not_allowed' } });
    }
    await expect(proxied.openai.chat.completions.create(ask('hello'))).rejects.toMatchObject({ status: 403 });
    // The client's own left-most entry is skipped over: the entry the proxy added is the one read.
    expect(await chatStreamText(await via('198.51.100.66, 198.51.100.7').openai.chat.completions.create({ ...ask('hello'), stream: true }))).toBe('[sim:e2e] gpt-4o: hello');
    expect(sim.requests).toHaveLength(3);
  });
});

describe('content-guard', () => {
  let guard: E2eGateway;
  let answersMasked: E2eGateway;
  let answersBlocked: E2eGateway;
  beforeAll(async () => {
    guard = await startE2e(sim, (g) => g.addExtension('guard', { name: 'content-guard', source: 'system', config: { denyWords: ['launch code'], denyPatterns: ['sk-[A-Za-z0-9]{20,}'] } }));
    // Prompts not inspected, so that the simulator echoes the word back and the answer is what the guard sees.
    answersMasked = await startE2e(sim, (g) =>
      g.addExtension('guard', { name: 'content-guard', source: 'system', config: { denyWords: ['launch code'], action: 'mask', inspect: { prompts: false } } }),
    );
    answersBlocked = await startE2e(sim, (g) => g.addExtension('guard', { name: 'content-guard', source: 'system', config: { denyWords: ['launch code'], inspect: { prompts: false } } }));
  });
  afterAll(async () => {
    await guard?.close();
    await answersMasked?.close();
    await answersBlocked?.close();
  });

  test('a prompt with a denied word or pattern: 400 content_blocked naming the rule, in each API, and the upstream is not called', async () => {
    const chat = await thrown(guard.openai.chat.completions.create(ask('what is the LAUNCH CODE?')));
    expect(chat).toMatchObject({ status: 400, error: { code: 'content_blocked', type: 'invalid_request_error' } });
    expect(chat.message).toContain('blocked by content-guard (rule denyWords[0])');
    expect(chat.message).not.toMatch(/launch code/i);
    const pattern = await thrown(guard.openai.chat.completions.create({ ...ask('my key is sk-abcdefghijklmnopqrstuvwxyz'), stream: true }));
    expect(pattern).toMatchObject({ status: 400, error: { code: 'content_blocked' } });
    expect(pattern.message).toContain('rule denyPatterns[0]');
    const messages = await thrown(guard.anthropic.messages.create(askClaude('the launch code is 0000')));
    expect(messages).toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error', message: expect.stringContaining('rule denyWords[0]') } } });
    const responses = await thrown(guard.openai.responses.create({ model: 'gpt-4o', input: 'the launch code please' }));
    expect(responses).toMatchObject({ status: 400, error: { code: 'content_blocked' } });
    expect(sim.requests).toHaveLength(0);
    // A word is matched whole: "launch codes" is another word.
    await expect(guard.openai.chat.completions.create(ask('launch codes'))).resolves.toMatchObject({ object: 'chat.completion' });
  });

  test('mask: the word in the completion is masked, non-streamed and streamed, in each API', async () => {
    const chat = await answersMasked.openai.chat.completions.create(ask('repeat: the launch code'));
    expect(chat.choices[0].message.content).toBe('[sim:e2e] gpt-4o: repeat: the ***');
    // The prompt was not inspected: the upstream got it as sent.
    expect(sentBody().messages?.[0].content).toBe('repeat: the launch code');
    expect(messageText(await answersMasked.anthropic.messages.create(askClaude('repeat: the launch code')))).toBe('[sim:e2e] claude-sonnet-4: repeat: the ***');
    expect((await answersMasked.openai.responses.create({ model: 'gpt-4o', input: 'repeat: the launch code' })).output_text).toBe('[sim:e2e] gpt-4o: repeat: the ***');
    // Streamed, the simulator splits the phrase across events: "launch" went out before " code" made it a match, so
    // only the part in the event that completed it is masked (as content-guard documents); the phrase never goes out whole.
    const streamed = await chatStreamText(await answersMasked.openai.chat.completions.create({ ...ask('repeat: the launch code'), stream: true }));
    expect(streamed).toBe('[sim:e2e] gpt-4o: repeat: the launch***');
    const claudeStreamed = await messageStreamText(await answersMasked.anthropic.messages.create({ ...askClaude('repeat: the launch code'), stream: true }));
    expect(claudeStreamed).toBe('[sim:e2e] claude-sonnet-4: repeat: the launch***');
    let responsesStreamed = '';
    for await (const event of await answersMasked.openai.responses.create({ model: 'deepseek-chat', input: 'repeat: the launch code', stream: true })) {
      if (event.type === 'response.output_text.delta') responsesStreamed += event.delta;
    }
    expect(responsesStreamed).toBe('[sim:e2e] deepseek-chat: repeat: the launch***');
  });

  test('block: a completion with the word becomes a 400; a streamed one ends with the error event, which each SDK throws', async () => {
    await expect(answersBlocked.openai.chat.completions.create(ask('repeat: the launch code'))).rejects.toMatchObject({ status: 400, error: { code: 'content_blocked' } });
    const stream = await answersBlocked.openai.chat.completions.create({ ...ask('repeat: the launch code'), stream: true });
    const failed = await thrown(chatStreamText(stream));
    expect(failed.message).toContain("The model's answer was blocked by content-guard (rule denyWords[0])");
    const claude = await answersBlocked.anthropic.messages.create({ ...askClaude('repeat: the launch code'), stream: true });
    const claudeFailed = await thrown(messageStreamText(claude));
    expect(claudeFailed.message).toContain('rule denyWords[0]');
    // A Responses stream reports it as its `error` event (the SDK yields it) and ends there: no completed event.
    const events: { type: string; code?: string | null; delta?: string }[] = [];
    for await (const event of await answersBlocked.openai.responses.create({ model: 'gpt-4o', input: 'repeat: the launch code', stream: true })) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'content_blocked' });
    expect(events.map((e) => e.delta ?? '').join('')).not.toContain('launch code');
    expect(events.some((e) => e.type === 'response.completed')).toBe(false);
    // An answer without the word passes.
    expect(await chatStreamText(await answersBlocked.openai.chat.completions.create({ ...ask('repeat: hello'), stream: true }))).toBe('[sim:e2e] gpt-4o: repeat: hello');
  });
});

describe('ai-statistics', () => {
  let stats: E2eGateway;
  beforeAll(async () => {
    stats = await startE2e(sim, (g) => {
      g.addExtension('stats', {
        name: 'ai-statistics',
        source: 'system',
        config: {
          attributes: [
            { key: 'end_user', from: 'request-body', path: 'user' },
            { key: 'asked_model', from: 'request-body', path: 'model' },
            { key: 'team', from: 'request-header', path: 'X-Team' },
            { key: 'total_tokens', from: 'response-body', path: 'usage.total_tokens' },
          ],
        },
      });
      // Runs after ai-statistics (stats phase before default): the access line keeps the model the client asked for.
      g.addExtension('mapper', { name: 'model-mapper', source: 'system', config: { mappings: { 'gpt-4': 'gpt-4o' } } });
    });
  });
  afterAll(() => stats?.close());

  test('attributes from the request body, a request header and the answer show in the access line', async () => {
    const fields = await accessFields(stats.gw, 'ai-statistics', () =>
      stats.openai.chat.completions.create({ ...ask('hello', 'gpt-4'), user: 'end-user-42' }, { headers: { 'x-team': 'blue' } }),
    );
    expect(fields).toEqual({ end_user: 'end-user-42', asked_model: 'gpt-4', team: 'blue', total_tokens: expect.any(Number) });
    expect(sentBody().model).toBe('gpt-4o');
  });

  test('streamed: the answer attribute is read from its events (the usage chunk); Anthropic Messages too', async () => {
    const fields = await accessFields(stats.gw, 'ai-statistics', async () =>
      chatStreamText(await stats.openai.chat.completions.create({ ...ask('hello'), stream: true, stream_options: { include_usage: true } }, { headers: { 'x-team': 'red' } })),
    );
    expect(fields).toEqual({ asked_model: 'gpt-4o', team: 'red', total_tokens: expect.any(Number) });
    const claude = await accessFields(stats.gw, 'ai-statistics', () => stats.anthropic.messages.create(askClaude('hello'), { headers: { 'x-team': 'green' } }));
    // An Anthropic answer has no usage.total_tokens: an absent attribute is left out.
    expect(claude).toEqual({ asked_model: 'claude-sonnet-4', team: 'green' });
  });
});

describe('model-mapper', () => {
  let mapper: E2eGateway;
  beforeAll(async () => {
    mapper = await startE2e(sim, (g) =>
      g.addExtension('mapper', {
        name: 'model-mapper',
        source: 'system',
        config: {
          mappings: { 'gpt-4': 'gpt-4o', 'claude-3-*': 'claude-sonnet-4', 'cheap': 'deepseek-chat' },
          parameters: { 'gpt-4o': { set: { temperature: 0.2 }, remove: ['logit_bias'] }, 'claude-*': { set: { max_tokens: 32 } } },
        },
      }),
    );
  });
  afterAll(() => mapper?.close());

  test('a client model name no entry has is mapped to the route model; the overrides reach the upstream body', async () => {
    const answer = await mapper.openai.chat.completions.create({ ...ask('hello', 'gpt-4'), temperature: 1.5, logit_bias: { 50256: -100 } });
    expect(answer.choices[0].message.content).toBe('[sim:e2e] gpt-4o: hello');
    expect(sentBody()).toMatchObject({ model: 'gpt-4o', temperature: 0.2 });
    expect(sentBody()).not.toHaveProperty('logit_bias');
    expect(await chatStreamText(await mapper.openai.chat.completions.create({ ...ask('hello', 'gpt-4'), stream: true }))).toBe('[sim:e2e] gpt-4o: hello');
    expect(sentBody(1)).toMatchObject({ model: 'gpt-4o', temperature: 0.2, stream: true });
    // A name neither the route nor a mapping has is still a 404.
    await expect(mapper.openai.chat.completions.create(ask('hello', 'gpt-5'))).rejects.toMatchObject({ status: 404 });
    expect(sim.requests).toHaveLength(2);
  });

  test('a prefix mapping on Anthropic Messages, streamed and not', async () => {
    expect(messageText(await mapper.anthropic.messages.create({ ...askClaude('hello'), model: 'claude-3-opus' }))).toBe('[sim:e2e] claude-sonnet-4: hello');
    const streamed = await messageStreamText(await mapper.anthropic.messages.create({ ...askClaude('hello'), model: 'claude-3-haiku', stream: true }));
    expect(streamed).toBe('[sim:e2e] claude-sonnet-4: hello');
    expect(sim.requests.map((r) => [r.path, (r.body as Body).model, (r.body as Body).max_tokens])).toEqual([
      ['/v1/messages', 'claude-sonnet-4', 32],
      ['/v1/messages', 'claude-sonnet-4', 32],
    ]);
  });

  test('mapped onto a backend of another API: the request is translated for the model it was mapped to', async () => {
    // Responses API to a chat-only backend, Anthropic Messages to an OpenAI-compatible one.
    expect((await mapper.openai.responses.create({ model: 'cheap', input: 'hello' })).output_text).toBe('[sim:e2e] deepseek-chat: hello');
    expect(await messageStreamText(await mapper.anthropic.messages.create({ ...askClaude('hello'), model: 'cheap', stream: true }))).toBe('[sim:e2e] deepseek-chat: hello');
    expect(sim.requests.map((r) => [r.path, (r.body as Body).model])).toEqual([
      ['/v1/chat/completions', 'deepseek-chat'],
      ['/v1/chat/completions', 'deepseek-chat'],
    ]);
  });
});

describe('prompt-decorator', () => {
  let decorator: E2eGateway;
  const SYSTEM = 'Answer in French.';
  beforeAll(async () => {
    decorator = await startE2e(sim, (g) => g.addExtension('decorator', { name: 'prompt-decorator', source: 'system', config: { prepend: [{ role: 'system', content: SYSTEM }] } }));
  });
  afterAll(() => decorator?.close());

  test('chat completions, streamed and not: the system message comes first in what the upstream gets', async () => {
    await decorator.openai.chat.completions.create(ask('hello'));
    await expect(chatStreamText(await decorator.openai.chat.completions.create({ ...ask('hello'), stream: true }))).resolves.toBe('[sim:e2e] gpt-4o: hello');
    for (const r of sim.requests) expect((r.body as Body).messages).toEqual([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'hello' }]);
    expect(sim.requests).toHaveLength(2);
  });

  test("Anthropic Messages: the text joins the client's own system prompt, streamed and not", async () => {
    await decorator.anthropic.messages.create({ ...askClaude('hello'), system: 'Be brief.' });
    await messageStreamText(await decorator.anthropic.messages.create({ ...askClaude('hello'), stream: true }));
    expect(sim.requests.map((r) => [r.path, (r.body as Body).system])).toEqual([
      ['/v1/messages', `${SYSTEM}\n\nBe brief.`],
      ['/v1/messages', SYSTEM],
    ]);
  });

  test('an OpenAI chat request to the Anthropic backend: decorated, then translated into Anthropic system', async () => {
    await decorator.openai.chat.completions.create(ask('hello', 'claude-sonnet-4'));
    expect(sim.requests[0].path).toBe('/v1/messages');
    expect(sentBody()).toMatchObject({ system: SYSTEM, messages: [{ role: 'user', content: 'hello' }] });
  });

  test('Responses API: native (OpenAI) gets it in input; translated (DeepSeek, chat only) as the first chat message', async () => {
    const native = await decorator.openai.responses.create({ model: 'gpt-4o', input: 'hello' });
    expect(native.output_text).toContain('hello');
    expect(sim.requests[0].path).toBe('/v1/responses');
    expect(sentBody().input).toEqual([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'hello' }]);
    const translated = await decorator.openai.responses.create({ model: 'deepseek-chat', input: 'hello', stream: true });
    let text = '';
    for await (const event of translated) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toContain('hello');
    expect(sim.requests[1].path).toBe('/v1/chat/completions');
    expect((sim.requests[1].body as Body).messages?.[0]).toEqual({ role: 'system', content: SYSTEM });
  });
});

describe('header-transform', () => {
  let transform: E2eGateway;
  beforeAll(async () => {
    transform = await startE2e(sim, (g) =>
      g.addExtension('headers', {
        name: 'header-transform',
        source: 'system',
        config: {
          request: { set: { 'X-Tenant': 'acme' }, add: { 'x-trace-tags': 'gateway' }, remove: ['anthropic-beta'] },
          response: { set: { 'x-served-by': 'aigw-e2e' }, add: { 'cache-control': 'no-store' } },
        },
      }),
    );
  });
  afterAll(() => transform?.close());

  test('request headers set, added and removed reach the upstream so; response headers set and added are seen by the client, streamed and not', async () => {
    const { response } = await transform.openai.chat.completions.create(ask('hello'), { headers: { 'x-trace-tags': 'client' } }).withResponse();
    expect(response.headers.get('x-served-by')).toBe('aigw-e2e');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(sim.requests[0].headers).toMatchObject({ 'x-tenant': 'acme', 'x-trace-tags': 'client, gateway' });

    const streamed = await transform.openai.chat.completions.create({ ...ask('hello'), stream: true }).withResponse();
    expect(streamed.response.headers.get('x-served-by')).toBe('aigw-e2e');
    // Added to the gateway's own value for a stream.
    expect(streamed.response.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(await chatStreamText(streamed.data)).toBe('[sim:e2e] gpt-4o: hello');
    expect(sim.requests[1].headers).toMatchObject({ 'x-tenant': 'acme', 'x-trace-tags': 'gateway' });

    // A protocol header the gateway forwards (anthropic-beta) is removed from what the upstream gets.
    const claude = await transform.anthropic.messages.create({ ...askClaude('hello'), stream: true }, { headers: { 'anthropic-beta': 'tools-2024' } }).withResponse();
    expect(claude.response.headers.get('x-served-by')).toBe('aigw-e2e');
    expect(await messageStreamText(claude.data)).toBe('[sim:e2e] claude-sonnet-4: hello');
    expect(sim.requests[2].headers['x-tenant']).toBe('acme');
    expect(sim.requests[2].headers['anthropic-beta']).toBeUndefined();
    expect(sim.requests[2].headers['anthropic-version']).toBeDefined();
  });
});

describe('ai-cache, streamed', () => {
  let cache: E2eGateway;
  beforeAll(async () => {
    cache = await startE2e(sim, (g) => g.addExtension('cache', { name: 'ai-cache', source: 'system', config: { ttlSeconds: 60 } }));
  });
  afterAll(() => cache?.close());

  test('two identical streamed chat requests: the upstream once; the replay is a stream the SDK reads to the same text', async () => {
    const first = await cache.openai.chat.completions.create({ ...ask('cache me'), stream: true }).withResponse();
    let firstText = '';
    // The entry is stored once the stream went out whole (onStreamEnd): the next request waits for the first's end.
    await untilLogged(cache.gw, async () => (firstText = await chatStreamText(first.data)));
    const second = await cache.openai.chat.completions.create({ ...ask('cache me'), stream: true }).withResponse();
    const chunks: string[] = [];
    for await (const chunk of second.data) chunks.push(chunk.choices[0]?.delta?.content ?? '');
    expect(firstText).toBe('[sim:e2e] gpt-4o: cache me');
    expect(chunks.join('')).toBe(firstText);
    expect(chunks.length).toBeGreaterThan(1);
    expect(first.response.headers.get('x-aigw-cache')).toBe('miss');
    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
    expect(second.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(sim.requests).toHaveLength(1);
    // A non-streamed request of the same prompt is another entry: it reaches the upstream.
    await cache.openai.chat.completions.create(ask('cache me'));
    expect(sim.requests).toHaveLength(2);
  });

  test('Anthropic Messages streamed: replayed with every event, read by the SDK to the same message', async () => {
    const read = async () => {
      const stream = cache.anthropic.messages.stream(askClaude('cache me too'));
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      return { types, text: messageText(await stream.finalMessage()) };
    };
    let first: Awaited<ReturnType<typeof read>> | undefined;
    await untilLogged(cache.gw, async () => (first = await read()));
    const second = await read();
    expect(second).toEqual(first);
    expect(second.types[0]).toBe('message_start');
    expect(second.types.at(-1)).toBe('message_stop');
    expect(sim.requests).toHaveLength(1);
  });
});
