import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { agentUpstream } from '../agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from '../harness';

/**
 * A Model Studio route (a DashScope application) through a real gateway, against the bundled DashScope
 * simulator: blocking and SSE answers, sessions, streams always incremental upstream and re-accumulated
 * for a client that did not ask for increments, usage from the last event, errors recorded and in
 * DashScope's shape, token limits settled from its usage.
 */
let sim: UpstreamSimulator;
let gw: TestGateway;
const KEY = { secretName: 'llm-keys', key: 'openai' };
const APP = 'app-42';

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ streamChunks: 4 });
  const gateway = gatewayStack();
  const baseUrl = `${sim.url}/api/v1`;
  const routes = [
    gateway.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio', baseUrl, appId: APP, apiKey: KEY }),
    gateway.addAgentRoute('studio-tokens', {
      kind: 'model-studio',
      pathPrefix: '/studio-tokens',
      baseUrl,
      appId: APP,
      apiKey: KEY,
      policies: { rateLimits: [{ kind: 'tokens', limit: 50, window: 'day', scope: 'consumer-route' }] },
    }),
  ];
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes } });
  // The limits' counters in this process (no `redis` block): the local store, exact and immediate.
  gw = await start(gateway, ({ redis: _cluster, ...config }) => config);
});

afterAll(async () => {
  await gw.close();
  await sim.close();
});

beforeEach(() => sim.reset());

function post(path: string, body: unknown, stream = false): Promise<Response> {
  const headers: Record<string, string> = { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' };
  if (stream) headers['x-dashscope-sse'] = 'enable';
  return fetch(`${gw.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

interface Result {
  output: { text: string; session_id: string; finish_reason: string };
  usage: { models: { input_tokens: number; output_tokens: number }[] };
}

/** Each event of a DashScope stream: its `event:` name and its data. */
function events(text: string): { event: string; data: Result & { code?: string } }[] {
  return text
    .split('\n\n')
    .filter((e) => e.trim() !== '')
    .map((e) => ({ event: /^event:(.*)$/m.exec(e)![1], data: JSON.parse(/^data:(.*)$/m.exec(e)![1]) as Result & { code?: string } }));
}

async function accessLine(path: string, from: number): Promise<Record<string, unknown>> {
  const lines = () => gw.logs.slice(from).filter((l) => l.msg === 'access' && l.path === path);
  await eventually(() => lines().length > 0);
  return lines().at(-1)!;
}

describe('blocking and streamed answers of the pinned application', () => {
  test('blocking: the app path, the key, the body as sent; usage recorded; the session continues', async () => {
    const before = gw.logs.length;
    const body = { input: { prompt: 'hello app', biz_params: { city: 'Hangzhou' } }, parameters: {} };
    const res = await post('/studio', body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Result;
    expect(answer.output.text).toBe(`App ${APP} heard "hello app" (turn 1) with biz_params {"city":"Hangzhou"}`);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: `/api/v1/apps/${APP}/completion`, body });
    expect(sim.requests[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    const usage = answer.usage.models[0];
    expect(await accessLine('/studio', before)).toMatchObject({ status: 200, stream: false, inputTokens: usage.input_tokens, outputTokens: usage.output_tokens });

    const next = await post('/studio/completion', { input: { prompt: 'again', session_id: answer.output.session_id } });
    expect(((await next.json()) as Result).output.text).toBe(`App ${APP} heard "again" (turn 2)`);
  });

  test('streamed without incremental_output: incremental upstream, whole text so far in every event for the client', async () => {
    const before = gw.logs.length;
    const res = await post('/studio', { input: { messages: [{ role: 'user', content: 'stream please' }] } }, true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const all = events(await res.text());
    const texts = all.map((e) => e.data.output.text);
    const whole = `App ${APP} heard "stream please" (turn 1, 1 messages)`;
    // Each event is the text so far; the last is the whole answer, as DashScope sends without incremental output.
    for (let i = 1; i < texts.length; i++) expect(texts[i].startsWith(texts[i - 1])).toBe(true);
    expect(texts.at(-1)).toBe(whole);
    expect(texts.length).toBeGreaterThan(2);
    expect(all.at(-1)!.data.output.finish_reason).toBe('stop');
    expect((sim.requests[0].body as { parameters: unknown }).parameters).toEqual({ incremental_output: true });
    const usage = all.at(-1)!.data.usage.models[0];
    expect(await accessLine('/studio', before)).toMatchObject({ stream: true, inputTokens: usage.input_tokens, outputTokens: usage.output_tokens });
  });

  test('streamed with incremental_output: the pieces as the app sent them', async () => {
    const res = await post('/studio', { input: { prompt: 'pieces' }, parameters: { incremental_output: true } }, true);
    const texts = events(await res.text()).map((e) => e.data.output.text);
    expect(texts.join('')).toBe(`App ${APP} heard "pieces" (turn 1)`);
    expect(texts.at(-1)).toBe('');
  });

  test('an error event mid-stream is relayed, and recorded as an error though HTTP stays 200', async () => {
    const before = gw.logs.length;
    const res = await post('/studio', { input: { prompt: 'fail [[error]]' } }, true);
    expect(res.status).toBe(200);
    const all = events(await res.text());
    expect(all.at(-1)).toMatchObject({ event: 'error', data: { code: 'InvalidParameter' } });
    const line = await accessLine('/studio', before);
    expect(line).toMatchObject({ status: 200, error: 'agent_stream_failed' });
    expect(String(line.errorDetail)).toContain('InvalidParameter (400)');
  });
});

describe('re-accumulation, whatever the chunk boundaries', () => {
  test('events split anywhere (inside a character, between CR and LF) are re-accumulated exactly', async () => {
    const pieces = ['Hé', 'llo ', '世界', '!'];
    const frame = (id: number, text: string, finish: string, eol: string) =>
      [`id:${id}`, 'event:result', ':HTTP_STATUS/200', `data:${JSON.stringify({ output: { text, finish_reason: finish, session_id: 's1' }, usage: { models: [{ input_tokens: 3, output_tokens: id }] } })}`, '', ''].join(eol);
    const stream = Buffer.from([...pieces.map((p, i) => frame(i + 1, p, 'null', i % 2 ? '\r\n' : '\n')), frame(5, '', 'stop', '\r\n')].join(''));
    const up = await agentUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // One byte a write: every boundary is a chunk boundary somewhere on the way.
      let i = 0;
      const next = () => (i < stream.length ? res.write(stream.subarray(i, ++i), () => setImmediate(next)) : res.end());
      next();
    });
    const gateway = gatewayStack();
    gateway.addAgentRoute('split', { kind: 'model-studio', pathPrefix: '/split', baseUrl: `${up.url}/api/v1`, appId: 'a', apiKey: KEY, policies: { keyAuth: false } });
    const split = await start(gateway);
    try {
      const res = await fetch(`${split.url}/split`, { method: 'POST', headers: { 'x-dashscope-sse': 'enable' }, body: '{"input":{"prompt":"p"}}' });
      const text = await res.text();
      const texts = text
        .split(/\r?\n\r?\n/)
        .filter((e) => e !== '')
        .map((e) => (JSON.parse(/^data:(.*)$/m.exec(e)![1]) as Result).output.text);
      expect(texts).toEqual(['Hé', 'Héllo ', 'Héllo 世界', 'Héllo 世界!', 'Héllo 世界!']);
      // The other lines of each event are kept, and its line endings.
      expect(text.startsWith('id:1\nevent:result\n:HTTP_STATUS/200\ndata:')).toBe(true);
      expect(text).toContain('id:2\r\nevent:result\r\n');
      expect(JSON.parse(up.seen[0].body)).toEqual({ input: { prompt: 'p' }, parameters: { incremental_output: true } });
    } finally {
      await split.close();
      await up.close();
    }
  });
});

describe('errors in DashScope\'s shape', () => {
  test('a method other than POST, a path beside the app, no key, a bad parameters object', async () => {
    const get = await fetch(`${gw.url}/studio`, { headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ code: 'InvalidParameter', request_id: '' });
    const beside = await post('/studio/sessions', { input: { prompt: 'x' } });
    expect(beside.status).toBe(400);
    expect(((await beside.json()) as { code: string; message: string }).message).toContain("reached only at '/studio' or '/studio/completion'");
    const noKey = await fetch(`${gw.url}/studio`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ code: 'InvalidApiKey' });
    const badParameters = await post('/studio', { input: { prompt: 'x' }, parameters: 'fast' }, true);
    expect(badParameters.status).toBe(400);
    expect(((await badParameters.json()) as { message: string }).message).toContain("'parameters' must be a JSON object");
    expect(sim.requests).toEqual([]);
    // The application's own error status and body, as it sent them.
    const appError = await post('/studio', { input: { prompt: '[[error]]' } });
    expect(appError.status).toBe(400);
    expect(await appError.json()).toMatchObject({ code: 'InvalidParameter' });
  });
});

describe('token limits on a Model Studio route', () => {
  test('pre-charged from the prompt, settled to the app\'s usage, refused in DashScope\'s shape once spent', async () => {
    const first = await post('/studio-tokens', { input: { prompt: 'count me' } }, true);
    const all = events(await first.text());
    const usage = all.at(-1)!.data.usage.models[0];
    const used = usage.input_tokens + usage.output_tokens;
    // Settled as the answer ended: the next admission sees it, plus its own estimate (4 + ceil(1/4) = 5). Local store: no lag.
    const next = await post('/studio-tokens', { input: { prompt: 'x' } });
    expect(Number(next.headers.get('x-ratelimit-remaining-tokens'))).toBe(50 - used - 5);
    await next.text();
    let refused: Response | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const res = await post('/studio-tokens', { input: { prompt: 'spend the rest of the budget now' } });
      if (res.status === 429) refused = res;
      else await res.text();
    }
    expect(refused).toBeDefined();
    expect(await refused!.json()).toMatchObject({ code: 'Throttling', request_id: '' });
  });
});
