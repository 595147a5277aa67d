import { createHash, createHmac } from 'crypto';
import { accessFields, ask, askClaude, chatStreamText, clients, dedicatedGateway, type E2eGateway, KEY, messageStreamText, messageText, ROUTE, startE2e, thrown } from './e2e-gateway';
import { startTestGateway, UpstreamSimulator } from '../../../src/testing';

/**
 * Issue #15 §5: each marketplace extension end to end: declared with the constructs on a Dedicated gateway, run by
 * `startTestGateway` on the simulator, called with the official `openai` and `@anthropic-ai/sdk` clients, streamed
 * and not.
 */
let sim: UpstreamSimulator;
beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'e2e' });
});
afterAll(() => sim?.close());
beforeEach(() => sim.reset());

type Body = Record<string, unknown> & { messages?: { role: string; content: unknown }[] };
const sentBody = (i = 0) => sim.requests[i].body as Body;

/** The JSON body as the SDK sends it (a string: both SDKs serialize JSON themselves). */
function bodyText(init: RequestInit | undefined): string {
  if (init?.body === undefined || init.body === null) return '';
  if (typeof init.body !== 'string') throw new Error(`the SDK sent a ${typeof init.body} body: this test signs and hashes string bodies only`);
  return init.body;
}

describe('json-schema-guard', () => {
  let guard: E2eGateway;
  beforeAll(async () => {
    guard = await startE2e(sim, (g) =>
      g.addExtension('schema', {
        name: 'json-schema-guard',
        source: 'marketplace',
        config: { schema: { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } }, additionalProperties: false } },
      }),
    );
  });
  afterAll(() => guard?.close());

  test('a conforming JSON answer passes; one that violates the schema is a 502 output_schema_violation naming where, in each API', async () => {
    // The simulator answers JSON mode with {"answer": "<its reply>"}.
    const answer = await guard.openai.chat.completions.create({ ...ask('hello'), response_format: { type: 'json_object' } });
    expect(JSON.parse(answer.choices[0].message.content!)).toEqual({ answer: '[sim:e2e] gpt-4o: hello' });

    sim.reset();
    // The simulator answers a json_schema request with a sample of that schema: here a number where the guard wants a string.
    const wrongType = await thrown(
      guard.openai.chat.completions.create({
        ...ask('hello'),
        response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'] } } },
      }),
    );
    expect(wrongType).toMatchObject({ status: 502, error: { code: 'output_schema_violation', type: 'api_error' } });
    expect(wrongType.message).toContain("output schema of extension 'json-schema-guard': choices[0].message.content $.answer");
    const notJson = await thrown(guard.openai.chat.completions.create(ask('hello')));
    expect(notJson).toMatchObject({ status: 502, error: { code: 'output_schema_violation' } });
    expect(notJson.message).toContain('the answer is not JSON');
    const claude = await thrown(guard.anthropic.messages.create(askClaude('hello')));
    expect(claude).toMatchObject({ status: 502, error: { type: 'error', error: { type: 'api_error', message: expect.stringContaining('content $: the answer is not JSON') } } });
    await expect(guard.openai.responses.create({ model: 'deepseek-chat', input: 'hello' })).rejects.toMatchObject({ status: 502, error: { code: 'output_schema_violation' } });
    // The upstream was called each time: it is its answer that is refused.
    expect(sim.requests).toHaveLength(4);
    // A streamed answer is not checked (it has left before it is whole): it passes.
    expect(await chatStreamText(await guard.openai.chat.completions.create({ ...ask('hello'), stream: true }))).toBe('[sim:e2e] gpt-4o: hello');
  });
});

describe('hmac-auth', () => {
  const SECRET = 'e2e-shared-secret-0123456789abcdef';
  let v100: E2eGateway;
  let v110: E2eGateway;
  beforeAll(async () => {
    v100 = await startE2e(sim, (g) => g.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', version: '1.0.0', config: { secret: SECRET } }));
    v110 = await startE2e(sim, (g) => g.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', version: '1.1.0', config: { secret: SECRET } }));
  });
  afterAll(async () => {
    await v100?.close();
    await v110?.close();
  });

  /** `x-aigw-signature` for a request: HMAC-SHA256 of "t.METHOD.path+query.body" (the body's bytes as sent). */
  function signature(method: string, url: string, body: string, secret = SECRET): string {
    const t = Math.floor(Date.now() / 1000);
    const { pathname, search } = new URL(url);
    return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${method.toUpperCase()}.${pathname}${search}.${body}`).digest('hex')}`;
  }

  /** An SDK fetch that signs each request it sends (with `secret`); `tamper` changes the body after signing. */
  function signingFetch(secret = SECRET, tamper: (body: string) => string = (b) => b): typeof fetch {
    return (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const body = bodyText(init);
      const headers = new Headers(init?.headers);
      headers.set('x-aigw-signature', signature(init?.method ?? 'GET', url, body, secret));
      return fetch(url, { ...init, headers, body: tamper(body) });
    };
  }

  test('1.0.0: a correctly signed request passes, from each SDK, streamed or not; an unsigned one is refused', async () => {
    const signed = clients(v100.gw, { fetch: signingFetch() });
    await expect(signed.openai.chat.completions.create(ask('hello'))).resolves.toMatchObject({ object: 'chat.completion' });
    expect(await chatStreamText(await signed.openai.chat.completions.create({ ...ask('hello'), stream: true }))).toBe('[sim:e2e] gpt-4o: hello');
    expect(messageText(await signed.anthropic.messages.create(askClaude('hello')))).toBe('[sim:e2e] claude-sonnet-4: hello');
    expect(await messageStreamText(await signed.anthropic.messages.create({ ...askClaude('hello'), stream: true }))).toBe('[sim:e2e] claude-sonnet-4: hello');
    expect(sim.requests).toHaveLength(4);
    // Unsigned: refused.
    await expect(v100.openai.chat.completions.create(ask('hello'))).rejects.toMatchObject({ status: 401, error: { code: 'missing_signature' } });
    // 1.0.0 does not refuse a signature seen before.
    await expect(signed.openai.chat.completions.create(ask('hello'))).resolves.toMatchObject({ object: 'chat.completion' });
  });

  test('1.0.0: a wrong secret, a body changed after signing, or no signature: 401, in the client API, and nothing upstream', async () => {
    const wrongSecret = clients(v100.gw, { fetch: signingFetch('another-secret-of-32-characters-x') });
    await expect(wrongSecret.openai.chat.completions.create(ask('hello'))).rejects.toMatchObject({ status: 401, error: { code: 'invalid_signature', type: 'authentication_error' } });
    await expect(wrongSecret.anthropic.messages.create(askClaude('hello'))).rejects.toMatchObject({ status: 401, error: { type: 'error', error: { type: 'authentication_error' } } });
    const tampered = clients(v100.gw, { fetch: signingFetch(SECRET, (b) => b.replace('hello', 'HELLO')) });
    await expect(tampered.openai.chat.completions.create({ ...ask('hello'), stream: true })).rejects.toMatchObject({ status: 401, error: { code: 'invalid_signature' } });
    await expect(v100.openai.chat.completions.create(ask('hello'))).rejects.toMatchObject({ status: 401, error: { code: 'missing_signature' } });
    expect(sim.requests).toHaveLength(0);
  });

  test('1.1.0 with its secret as a Secret key (secrets: { secret }): the value read at load signs, the config holds only the reference', async () => {
    const fromSecret = await startTestGateway(
      dedicatedGateway((g) => g.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', secrets: { secret: { secretName: 'hmac', key: 'v1' } } })),
      { upstream: sim, consumers: { alice: KEY }, secrets: { 'hmac/v1': SECRET } },
    );
    try {
      expect(fromSecret.config.extensions[0]).toMatchObject({ config: {}, secrets: { secret: { secretName: 'hmac', key: 'v1' } } });
      expect(JSON.stringify(fromSecret.config)).not.toContain(SECRET);
      const signed = clients(fromSecret, { fetch: signingFetch() });
      await expect(signed.openai.chat.completions.create(ask('hello'))).resolves.toMatchObject({ object: 'chat.completion' });
      const wrong = clients(fromSecret, { fetch: signingFetch('another-secret-of-32-characters-x') });
      await expect(wrong.openai.chat.completions.create(ask('hello'))).rejects.toMatchObject({ status: 401, error: { code: 'invalid_signature' } });
    } finally {
      await fromSecret.close();
    }
  });

  test('1.1.0: the same signed request sent again is refused as a replay (the KV in memory: a gateway without Redis)', async () => {
    const body = JSON.stringify(ask('hello'));
    const url = `${v110.gw.url}/v1/chat/completions`;
    const headers = { 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json', 'x-aigw-signature': signature('POST', url, body) };
    const first = await fetch(url, { method: 'POST', headers, body });
    expect(first.status).toBe(200);
    const replayed = await fetch(url, { method: 'POST', headers, body });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: { code: 'replayed_signature' } });
    expect(sim.requests).toHaveLength(1);
    // Each request signed anew (another body, or another second) passes.
    const signed = clients(v110.gw, { fetch: signingFetch() });
    await expect(signed.openai.chat.completions.create(ask('hello again'))).resolves.toMatchObject({ object: 'chat.completion' });
    expect(messageText(await signed.anthropic.messages.create(askClaude('hello again')))).toBe('[sim:e2e] claude-sonnet-4: hello again');
  });
});

describe('audit-log', () => {
  let audit: E2eGateway;
  /** The bodies the SDKs sent, in order. */
  const sent: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    sent.push(bodyText(init));
    return fetch(input, init);
  };
  beforeAll(async () => {
    audit = await startE2e(
      sim,
      (g) => {
        g.addExtension('audit', { name: 'audit-log', source: 'marketplace' });
        // Rewrites the body before the upstream (authz, before audit-log's stats phase): the hash must still be of the bytes sent.
        g.addExtension('pii', { name: 'pii-redaction', source: 'marketplace' });
      },
      { fetch: recordingFetch },
    );
  });
  afterAll(() => audit?.close());
  beforeEach(() => void sent.splice(0));

  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  test("its record is in the access line: consumer, route, model, status, the body's sha256 as sent, the answer's size", async () => {
    let bytes = 0;
    const fields = await accessFields(audit.gw, 'audit-log', async () => {
      const response = await audit.openai.chat.completions.create(ask('mail jane.doe@example.com')).asResponse();
      bytes = Buffer.byteLength(await response.text());
    });
    expect(fields).toEqual({ audit: true, consumer: 'alice', route: ROUTE, model: 'gpt-4o', status: 200, requestSha256: sha256(sent[0]), responseBytes: bytes });
    // The client's bytes are hashed, not the body pii-redaction rewrote for the upstream.
    expect(sent[0]).toContain('jane.doe@example.com');
    expect(sentBody().messages?.[0].content).toBe('mail [REDACTED:email]');
  });

  test('streamed, and from the Anthropic SDK: the same record, the size of the events sent', async () => {
    const streamed = await accessFields(audit.gw, 'audit-log', async () => chatStreamText(await audit.openai.chat.completions.create({ ...ask('hello'), stream: true })));
    expect(streamed).toEqual({ audit: true, consumer: 'alice', route: ROUTE, model: 'gpt-4o', status: 200, requestSha256: sha256(sent[0]), responseBytes: expect.any(Number) });
    expect(streamed?.responseBytes).toBeGreaterThan('[sim:e2e] gpt-4o: hello'.length);
    const claude = await accessFields(audit.gw, 'audit-log', async () => messageStreamText(await audit.anthropic.messages.create({ ...askClaude('hello'), stream: true })));
    expect(claude).toMatchObject({ audit: true, consumer: 'alice', model: 'claude-sonnet-4', status: 200, requestSha256: sha256(sent[1]) });
  });

  test('a refused request is recorded with its status', async () => {
    const fields = await accessFields(audit.gw, 'audit-log', () => thrown(audit.openai.chat.completions.create(ask('hello', 'no-such-model'))));
    expect(fields).toMatchObject({ audit: true, consumer: 'alice', status: 404, requestSha256: sha256(sent[0]) });
  });
});

describe('pii-redaction', () => {
  let pii: E2eGateway;
  beforeAll(async () => {
    pii = await startE2e(sim, (g) => g.addExtension('pii', { name: 'pii-redaction', source: 'marketplace' }));
  });
  afterAll(() => pii?.close());

  const PROMPT = 'Write to jane.doe@example.com about the invoice';
  const MASKED = 'Write to [REDACTED:email] about the invoice';

  test('a streamed chat request: the email reaches the upstream masked; the answer echoes the masked text', async () => {
    const text = await chatStreamText(await pii.openai.chat.completions.create({ ...ask(PROMPT), stream: true }));
    expect(sentBody().messages?.[0].content).toBe(MASKED);
    expect(text).toBe(`[sim:e2e] gpt-4o: ${MASKED}`);
  });

  test('Anthropic Messages, streamed and not, string and block content: masked before the upstream', async () => {
    await pii.anthropic.messages.create({ ...askClaude(PROMPT), system: 'Reply to jane.doe@example.com' });
    await messageStreamText(
      await pii.anthropic.messages.create({ ...askClaude(PROMPT), messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }], stream: true }),
    );
    expect(sentBody()).toMatchObject({ system: 'Reply to [REDACTED:email]', messages: [{ role: 'user', content: MASKED }] });
    expect(sentBody(1).messages).toEqual([{ role: 'user', content: [{ type: 'text', text: MASKED }] }]);
  });

  test('Responses API, native and translated: masked before the upstream', async () => {
    await pii.openai.responses.create({ model: 'gpt-4o', input: PROMPT });
    await pii.openai.responses.create({ model: 'deepseek-chat', input: PROMPT });
    expect(JSON.stringify(sim.requests.map((r) => r.body))).not.toContain('jane.doe@example.com');
    expect(JSON.stringify(sentBody().input)).toContain(MASKED);
    expect(sentBody(1).messages?.at(-1)?.content).toBe(MASKED);
  });
});
