import { request } from 'http';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from '../harness';

/**
 * A Dify route through a real gateway, against the bundled Dify simulator: the endpoints clients need
 * and no other, the `user` the gateway's on every call, blocking and streaming answers read for usage
 * and errors, token limits settled from Dify's usage, errors in Dify's own shape.
 */
let sim: UpstreamSimulator;
let gw: TestGateway;
const KEY = { secretName: 'llm-keys', key: 'openai' };
const ALICE = 'aigw:consumer:alice';
const BOB = 'aigw:consumer:bob';

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ streamChunks: 4 });
  const gateway = gatewayStack();
  const baseUrl = `${sim.url}/v1`;
  const routes = [
    gateway.addAgentRoute('dify', { kind: 'dify', pathPrefix: '/dify', baseUrl, apiKey: KEY }),
    gateway.addAgentRoute('dify-client', { kind: 'dify', pathPrefix: '/dify-client', baseUrl, apiKey: KEY, userMapping: 'client' }),
    gateway.addAgentRoute('dify-tokens', {
      kind: 'dify',
      pathPrefix: '/dify-tokens',
      baseUrl,
      apiKey: KEY,
      policies: { rateLimits: [{ kind: 'tokens', limit: 60, window: 'day', scope: 'consumer-route' }] },
    }),
    gateway.addAgentRoute('dify-abort', {
      kind: 'dify',
      pathPrefix: '/dify-abort',
      baseUrl,
      apiKey: KEY,
      policies: { rateLimits: [{ kind: 'tokens', limit: 1000, window: 'day', scope: 'consumer-route' }] },
    }),
  ];
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes } });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes } });
  // The limits' counters in this process (no `redis` block): the local store, exact and immediate.
  gw = await start(gateway, ({ redis: _cluster, ...config }) => config);
});

afterAll(async () => {
  await gw.close();
  await sim.close();
});

beforeEach(() => sim.reset());

type Who = keyof typeof CONSUMER_KEYS;

interface CallInit {
  method?: string;
  who?: Who;
  json?: unknown;
  headers?: Record<string, string>;
  body?: string | FormData;
}

/** Dify's token usage block. */
interface DifyUsage {
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function call(path: string, init: CallInit = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${CONSUMER_KEYS[init.who ?? 'alice']}`, ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  return fetch(`${gw.url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
}

/** Sends `path` exactly as given (fetch would resolve dot-segments and re-encode). */
function raw(path: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' };
    const req = request(`${gw.url}/`, { method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The data of each `data:` event of a Dify stream (the `ping` has none). */
function events(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .map((e) => /^data: (.*)$/m.exec(e)?.[1])
    .filter((d): d is string => d !== undefined)
    .map((d) => JSON.parse(d) as Record<string, unknown>);
}

/** The access line of the request to `path` (written as the response closes). */
async function accessLine(path: string, from = 0): Promise<Record<string, unknown>> {
  const lines = () => gw.logs.slice(from).filter((l) => l.msg === 'access' && l.path === path);
  await eventually(() => lines().length > 0);
  return lines().at(-1)!;
}

const chat = (query: string, extra: Record<string, unknown> = {}) => ({ inputs: {}, query, response_mode: 'blocking', ...extra });

describe('blocking and streaming chat, conversations continued', () => {
  test('a blocking answer: the agent gets its key and the consumer\'s user; usage reaches the access log', async () => {
    const before = gw.logs.length;
    const res = await call('/dify/chat-messages', { json: chat('hello there') });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { answer: string; conversation_id: string; metadata: DifyUsage };
    expect(answer.answer).toBe(`Dify heard "hello there" (turn 1 of conversation, user ${ALICE})`);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat-messages' });
    expect(sim.requests[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    const line = await accessLine('/dify/chat-messages', before);
    const { usage } = answer.metadata;
    expect(line).toMatchObject({ status: 200, stream: false, inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });

    // The conversation continues: the same consumer, its conversation_id.
    const next = await call('/dify/chat-messages', { json: chat('and again', { conversation_id: answer.conversation_id }) });
    expect(((await next.json()) as { answer: string }).answer).toBe(`Dify heard "and again" (turn 2 of conversation, user ${ALICE})`);
  });

  test('a streamed answer reaches the client as Dify sent it; its message_end usage is recorded', async () => {
    const before = gw.logs.length;
    const res = await call('/dify/chat-messages', { json: chat('stream it', { response_mode: 'streaming' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text.startsWith('event: ping\n\n')).toBe(true);
    const all = events(text);
    const answer = all.filter((e) => e.event === 'message').map((e) => e.answer).join('');
    expect(answer).toBe(`Dify heard "stream it" (turn 1 of conversation, user ${ALICE})`);
    const end = all.at(-1) as { event: string; conversation_id: string; metadata: DifyUsage };
    expect(end.event).toBe('message_end');
    const line = await accessLine('/dify/chat-messages', before);
    const { usage } = end.metadata;
    expect(line).toMatchObject({ status: 200, stream: true, inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens });
    expect(line.error).toBeUndefined();

    const next = await call('/dify/chat-messages', { json: chat('more', { response_mode: 'streaming', conversation_id: end.conversation_id }) });
    expect(events(await next.text()).filter((e) => e.event === 'message').map((e) => e.answer).join('')).toContain('(turn 2 of conversation');
  });

  test('a workflow, blocking and streamed: total_tokens is the usage', async () => {
    const before = gw.logs.length;
    const blocking = await call('/dify/workflows/run', { json: { inputs: { topic: 'cats' }, response_mode: 'blocking' } });
    const run = (await blocking.json()) as { data: { total_tokens: number; outputs: { text: string } } };
    expect(run.data.outputs.text).toContain(`(user ${ALICE})`);
    expect(await accessLine('/dify/workflows/run', before)).toMatchObject({ inputTokens: 0, outputTokens: run.data.total_tokens });

    const mark = gw.logs.length;
    const streamed = await call('/dify/workflows/run', { json: { inputs: { topic: 'dogs' }, response_mode: 'streaming' } });
    const finished = events(await streamed.text()).find((e) => e.event === 'workflow_finished') as { data: { total_tokens: number } };
    expect(await accessLine('/dify/workflows/run', mark)).toMatchObject({ stream: true, outputTokens: finished.data.total_tokens });
  });
});

describe('an agent failure inside a 200 is recorded as an error', () => {
  test('an `error` event mid-stream: the client gets Dify\'s stream as sent, the access log and metrics an agent_stream_failed', async () => {
    const before = gw.logs.length;
    const res = await call('/dify/chat-messages', { json: chat('please [[error]]', { response_mode: 'streaming' }) });
    expect(res.status).toBe(200);
    const all = events(await res.text());
    expect(all.filter((e) => e.event === 'message').length).toBeGreaterThan(0);
    expect(all.at(-1)).toMatchObject({ event: 'error', code: 'invalid_param', status: 400 });
    const line = await accessLine('/dify/chat-messages', before);
    expect(line).toMatchObject({ status: 200, error: 'agent_stream_failed' });
    expect(String(line.errorDetail)).toContain('invalid_param');
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/aigw_request_errors_total\{[^}]*route="dify"[^}]*error_type="agent_stream_failed"[^}]*\} [1-9]/);
  });

  test('a workflow that finishes failed, streamed or blocking, is recorded as an error too', async () => {
    let before = gw.logs.length;
    const streamed = await call('/dify/workflows/run', { json: { inputs: { q: '[[workflow-fail]]' }, response_mode: 'streaming' } });
    expect(streamed.status).toBe(200);
    await streamed.text();
    expect(await accessLine('/dify/workflows/run', before)).toMatchObject({ status: 200, error: 'agent_stream_failed' });
    before = gw.logs.length;
    const blocking = await call('/dify/workflows/run', { json: { inputs: { q: '[[workflow-fail]]' }, response_mode: 'blocking' } });
    expect(((await blocking.json()) as { data: { status: string } }).data.status).toBe('failed');
    expect(await accessLine('/dify/workflows/run', before)).toMatchObject({ status: 200, error: 'agent_stream_failed' });
  });
});

describe('one consumer never reaches another\'s conversations, messages or files', () => {
  let aliceConversation: string;
  beforeAll(async () => {
    const res = await call('/dify/chat-messages', { json: chat('alice secret') });
    aliceConversation = ((await res.json()) as { conversation_id: string }).conversation_id;
  });

  const listOf = async (res: Response) => {
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { id: string }[] }).data.map((c) => c.id);
  };

  test('the owner lists and reads her conversation', async () => {
    expect(await listOf(await call('/dify/conversations'))).toContain(aliceConversation);
    const messages = await call(`/dify/messages?conversation_id=${aliceConversation}`);
    expect(((await messages.json()) as { data: { query: string }[] }).data.map((m) => m.query)).toEqual(['alice secret']);
  });

  test.each([
    ['the user query parameter', `user=${encodeURIComponent(ALICE)}`],
    ['two user parameters', `user=${encodeURIComponent(ALICE)}&user=${encodeURIComponent(ALICE)}`],
    ['an encoded parameter name', `us%65r=${encodeURIComponent(ALICE)}`],
    ['a user after a semicolon', `x=1;user=${encodeURIComponent(ALICE)}`],
    ['a plus-encoded name', `user+=${encodeURIComponent(ALICE)}&user=${encodeURIComponent(ALICE)}`],
  ])('bob naming alice in %s lists his own conversations only, and cannot read hers', async (_name, query) => {
    expect(await listOf(await call(`/dify/conversations?${query}`, { who: 'bob' }))).not.toContain(aliceConversation);
    const read = await call(`/dify/messages?conversation_id=${aliceConversation}&${query}`, { who: 'bob' });
    expect(read.status).toBe(404);
    expect(await read.json()).toEqual({ code: 'not_found', message: 'Conversation Not Exists.', status: 404 });
    // What reached Dify: exactly one user, bob's.
    for (const r of sim.requests) expect(r.query.user).toBe(BOB);
  });

  test('bob naming alice in the JSON body (twice, too) cannot continue her conversation; his runs are his', async () => {
    const body = `{"inputs":{},"query":"steal","response_mode":"blocking","conversation_id":"${aliceConversation}","user":"${ALICE}","user":"${ALICE}"}`;
    const res = await call('/dify/chat-messages', { who: 'bob', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(404);
    expect((sim.requests[0].body as { user: string }).user).toBe(BOB);
    const own = await call('/dify/chat-messages', { who: 'bob', json: { ...chat('mine'), user: ALICE } });
    expect(((await own.json()) as { answer: string }).answer).toContain(`user ${BOB})`);
  });

  test('bob cannot rename or delete her conversation: the gateway\'s user goes in body and query', async () => {
    const rename = await call(`/dify/conversations/${aliceConversation}/name`, { who: 'bob', json: { name: 'x', user: ALICE } });
    await rename.text();
    expect(sim.requests[0]).toMatchObject({ path: `/v1/conversations/${aliceConversation}/name`, body: { name: 'x', user: BOB } });
    const del = await call(`/dify/conversations/${aliceConversation}?user=${encodeURIComponent(ALICE)}`, { who: 'bob', method: 'DELETE' });
    await del.text();
    expect(sim.requests[1]).toMatchObject({ method: 'DELETE', query: { user: BOB }, body: { user: BOB } });
  });

  test('an upload is the uploader\'s: a user form field naming alice is replaced by bob\'s', async () => {
    const upload = async (who: Who, user?: string) => {
      const form = new FormData();
      if (user !== undefined) form.append('user', user);
      form.append('file', new Blob(['GIF89a'], { type: 'image/gif' }), 'a.gif');
      if (user !== undefined) form.append('user', user);
      const res = await call('/dify/files/upload', { who, body: form });
      expect(res.status).toBe(201);
      return (await res.json()) as { created_by: string; name: string; size: number };
    };
    const alice = await upload('alice');
    const bob = await upload('bob');
    const forged = await upload('bob', ALICE);
    expect(forged).toMatchObject({ name: 'a.gif', size: 6 });
    expect(alice.created_by).not.toBe(bob.created_by);
    expect(forged.created_by).toBe(bob.created_by);
  });

  test('userMapping client: the client\'s user is kept inside its consumer\'s namespace', async () => {
    const res = await call('/dify-client/chat-messages', { who: 'bob', json: { ...chat('hi'), user: 'end-user-7' } });
    expect(((await res.json()) as { answer: string }).answer).toContain(`user ${BOB}:end-user-7)`);
    const forged = await call(`/dify-client/conversations?user=${encodeURIComponent(ALICE)}`, { who: 'bob' });
    expect(await listOf(forged)).not.toContain(aliceConversation);
    expect(sim.requests[1].query.user).toBe(`${BOB}:${ALICE}`);
  });
});

describe('only the Dify endpoints clients need are reachable', () => {
  test.each([
    // Not an endpoint the route serves: 404.
    ['GET', '/dify/datasets', 404],
    ['POST', '/dify/apps', 404],
    ['GET', '/dify/chat-messages', 404],
    ['PUT', '/dify/conversations/abc', 404],
    ['GET', '/dify/', 404],
    ['GET', '/dify', 404],
    ['GET', '/dify/conversations/', 404],
    ['GET', '/dify/messages/a.b/suggested', 404],
    ['GET', '/dify/messages/%61bc/suggested', 404],
    ['POST', '/dify/chat-messages/x/y/stop', 404],
    ['GET', '/dify/console/api/apps', 404],
    // Leaving the route's prefix, or an encoded slash: 400, before any endpoint is looked up.
    ['GET', '/dify/conversations/../../console/api/apps', 400],
    ['GET', '/dify/conversations/%2e%2e/%2e%2e/console/api', 400],
    ['GET', '/dify/conversations%2f..%2f..%2fconsole', 400],
  ])('%s %s is refused in Dify\'s shape and never reaches Dify', async (method, path, status) => {
    const res = await raw(path, method, method === 'GET' ? undefined : '{}');
    expect(res.status).toBe(status);
    const body = JSON.parse(res.body) as { code: string; message: string; status: number };
    expect(body).toMatchObject({ code: status === 404 ? 'endpoint_not_found' : 'path_not_allowed', status });
    expect(sim.requests).toEqual([]);
  });

  test('the refusal names the path and what is served', async () => {
    const body = JSON.parse((await raw('/dify/datasets')).body) as { message: string };
    expect(body.message).toContain("'/dify/datasets'");
    expect(body.message).toContain('POST chat-messages, completion-messages, workflows/run');
    expect(body.message).toContain('GET conversations, messages');
  });

  test.each([
    ['GET', '/dify/parameters'],
    ['GET', '/dify/conversations?limit=5'],
    ['POST', '/dify/chat-messages/task-1/stop'],
    ['POST', '/dify/workflows/tasks/task-1/stop'],
  ])('%s %s is served, with the user', async (method, path) => {
    const res = await raw(path, method, method === 'GET' ? undefined : '{}');
    expect(res.status).toBe(200);
    expect(sim.requests).toHaveLength(1);
    const seen = sim.requests[0];
    expect(method === 'GET' ? seen.query.user : (seen.body as { user: string }).user).toBe(ALICE);
  });
});

describe('errors come back in Dify\'s shape', () => {
  test('no key, a bad body, the agent\'s own error status', async () => {
    const noKey = await fetch(`${gw.url}/dify/chat-messages`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ code: 'missing_api_key', status: 401 });
    const badJson = await call('/dify/chat-messages', { body: '{"query":', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 'invalid_json', status: 400 });
    const blockingError = await call('/dify/chat-messages', { json: chat('[[error]]') });
    expect(blockingError.status).toBe(400);
    expect(await blockingError.json()).toMatchObject({ code: 'invalid_param', status: 400 });
  });
});

describe('token limits on a Dify route', () => {
  test('the prompt is pre-charged, Dify\'s usage settles it, and the consumer\'s budget runs out in Dify\'s shape', async () => {
    const first = await call('/dify-tokens/chat-messages', { who: 'bob', json: chat('count these tokens') });
    expect(first.status).toBe(200);
    const usage = ((await first.json()) as { metadata: DifyUsage }).metadata.usage.total_tokens;
    // The next request is admitted against the settled usage plus its own estimate (4 + ceil(1/4) = 5).
    let remaining = Number.NaN;
    await eventually(async () => {
      const probe = await call('/dify-tokens/conversations', { who: 'bob' });
      await probe.text();
      // The probe runs nothing: it is charged one token, refunded once it is answered.
      remaining = Number(probe.headers.get('x-ratelimit-remaining-tokens'));
      return remaining === 60 - usage - 1;
    }, 3000, { describe: () => `remaining ${remaining}, usage ${usage}` });
    const next = await call('/dify-tokens/chat-messages', { who: 'bob', json: chat('x') });
    expect(Number(next.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThanOrEqual(60 - usage - 5);
    await next.text();
    // Spend the rest: the budget runs out, and the refusal is Dify's shape.
    let refused: Response | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await call('/dify-tokens/chat-messages', { who: 'bob', json: chat('a longer query that costs a few more tokens each time') });
      if (res.status === 429) refused = res;
      else await res.text();
    }
    expect(refused).toBeDefined();
    expect(await refused!.json()).toMatchObject({ code: 'rate_limit_exceeded', status: 429 });
    // Alice's budget is her own.
    const alice = await call('/dify-tokens/chat-messages', { json: chat('x') });
    expect(alice.status).toBe(200);
    await alice.text();
  });

  test('a client that leaves mid-stream is charged what was relayed: the prompt estimate plus the answer text so far', async () => {
    const before = gw.logs.length;
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/dify-abort/chat-messages`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat('slowly [[slow:300]]', { response_mode: 'streaming' })),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    // The ping, then the first answer piece: then the client is gone.
    let seen = '';
    while (!seen.includes('"answer"')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(await accessLine('/dify-abort/chat-messages', before)).toMatchObject({ aborted: true, stream: true });
    // Pre-charged 4 framing tokens + ceil(19 / 4) for the query = 9; settled to that plus the answer relayed (at least a token).
    // A probe that runs nothing costs 1 token while it is admitted.
    let remaining = Number.NaN;
    await eventually(
      async () => {
        const probe = await call('/dify-abort/conversations');
        await probe.text();
        remaining = Number(probe.headers.get('x-ratelimit-remaining-tokens'));
        return remaining < 1000 - 9 - 1;
      },
      15_000,
      { describe: () => `remaining ${remaining}` },
    );
  });
});
