import type { ServerResponse } from 'http';
import { sleep } from '../../../src/dataplane/resilience';
import { GATEWAY_CONFIG_DEFAULTS } from '../../../src/specs';
import type { TestGateway } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { agentUpstream, type AgentUpstream } from '../agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from '../harness';

/**
 * Native agent calls retried as model attempts are, through a real gateway against a local agent
 * stand-in: a call that reads and has no body (GET, HEAD, OPTIONS) goes again after a connection
 * error or a status of the retry policy, each failure charged to the agent's breaker; a POST (a run)
 * and a DELETE go once; a client that leaves during the backoff is never charged.
 */
// The backoff's sleep, as it is, but one test can place the client's leaving inside it (mockImplementationOnce).
jest.mock('../../../src/dataplane/resilience', () => {
  const actual = jest.requireActual<typeof import('../../../src/dataplane/resilience')>('../../../src/dataplane/resilience');
  return { ...actual, sleep: jest.fn(actual.sleep) };
});
const backoffSleep = jest.mocked(sleep);
const realSleep = jest.requireActual<typeof import('../../../src/dataplane/resilience')>('../../../src/dataplane/resilience').sleep;

let up: AgentUpstream;
let gw: TestGateway;
const ATTEMPTS = 1 + GATEWAY_CONFIG_DEFAULTS.retries.attempts;

type Answer = (res: ServerResponse) => void;
const status =
  (code: number, body = () => `{"error":"agent says ${code}"}`): Answer =>
    (res) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(body());
    };
const ok = status(200, () => '{"answer":"ok"}');
/** Drops the connection without an answer: a transport failure before the head. */
const drop: Answer = (res) => res.socket?.destroy();

/** What the agent answers, by the request path's last segment: the nth request gets `script[n]`, then `then`. */
const scripts: Record<string, { script: Answer[]; then: Answer }> = {
  'once-503': { script: [status(503)], then: ok },
  'once-dropped': { script: [drop], then: ok },
  'parameters': { script: [status(503)], then: status(200, () => '{"user_input_form":[]}') },
  // Says which attempt it answers: the client must see the last one's.
  'always-502': { script: [], then: status(502, () => `{"error":"attempt ${seenAt('always-502').length}"}`) },
  'failing': { script: [], then: status(503) },
  // A 503 whose body starts and then stalls (never ends): the retry must not wait for it.
  'stalled-503': {
    script: [
      (res) => {
        res.writeHead(503, { 'content-type': 'application/json', 'content-length': '100000' });
        res.write('{"error":"busy');
      },
    ],
    then: ok,
  },
};
const segment = (url: string) => url.split('?')[0].split('/').pop()!;
const seenAt = (last: string) => up.seen.filter((r) => segment(r.url) === last);

beforeAll(async () => {
  up = await agentUpstream((req, res) => {
    const entry = scripts[segment(req.url)];
    if (!entry) return ok(res);
    const n = seenAt(segment(req.url)).length - 1;
    return (entry.script[n] ?? entry.then)(res);
  });
  const gateway = gatewayStack();
  const key = { secretName: 'llm-keys', key: 'openai' };
  // One route per test: each agent has its own breaker, so no test's failures count in another's.
  const routes = [
    gateway.addAgentRoute('recovers', { kind: 'custom', pathPrefix: '/recovers', baseUrl: up.url, apiKey: key }),
    gateway.addAgentRoute('exhausted', { kind: 'custom', pathPrefix: '/exhausted', baseUrl: up.url, apiKey: key }),
    gateway.addAgentRoute('single', { kind: 'custom', pathPrefix: '/single', baseUrl: up.url, apiKey: key }),
    gateway.addAgentRoute('leaving', { kind: 'custom', pathPrefix: '/leaving', baseUrl: up.url, apiKey: key }),
    gateway.addAgentRoute('tripping', { kind: 'custom', pathPrefix: '/tripping', baseUrl: up.url, apiKey: key }),
    gateway.addAgentRoute('dify', { kind: 'dify', pathPrefix: '/dify', baseUrl: `${up.url}/v1`, apiKey: key }),
  ];
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes } });
  gw = await start(gateway);
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

beforeEach(() => {
  up.seen.length = 0;
});

const call = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
const breakerOf = (route: string) => gw.plane.snapshot.upstreams.get(`agent:${route}`)!.breaker;
/** The access line of the next request to `route` after `before` lines. */
async function accessLine(route: string, before: number): Promise<Record<string, unknown>> {
  const lines = () => gw.logs.filter((l) => l.msg === 'access' && l.route === route).slice(before);
  await eventually(() => lines().length > 0);
  return lines()[0];
}
const accessCount = (route: string) => gw.logs.filter((l) => l.msg === 'access' && l.route === route).length;

describe('native agent calls that read are retried', () => {
  test.each(['GET', 'HEAD', 'OPTIONS'])('a %s answered 503 goes again, and the client sees the 200 once', async (method) => {
    const before = accessCount('recovers');
    const res = await call('/recovers/once-503', { method });
    expect(res.status).toBe(200);
    if (method !== 'HEAD') expect(await res.json()).toEqual({ answer: 'ok' });
    expect(seenAt('once-503').map((r) => r.method)).toEqual([method, method]);
    expect(await accessLine('recovers', before)).toMatchObject({ status: 200, retries: 1 });
    expect(breakerOf('recovers').state).toBe('closed');
  });

  test('a GET whose connection drops before the answer goes again', async () => {
    const res = await call('/recovers/once-dropped');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ answer: 'ok' });
    expect(seenAt('once-dropped')).toHaveLength(2);
  });

  test("a Dify read endpoint (GET parameters) goes again, the gateway's user on each attempt", async () => {
    const res = await call('/dify/parameters');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user_input_form: [] });
    const seen = seenAt('parameters');
    expect(seen).toHaveLength(2);
    expect(seen[1].url).toBe(seen[0].url);
    expect(seen[0].url).toContain('user=');
  });

  test('the body of a retried answer is not waited for: a 503 that stalls mid-body is dropped and the GET goes again at once', async () => {
    // The route's total time is the default 600 s: were the stalled body read, this test would time out.
    const res = await call('/recovers/stalled-503');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"answer":"ok"}');
    expect(seenAt('stalled-503')).toHaveLength(2);
  });

  test("a GET that keeps failing gets the agent's last answer, relayed as it is, after 1 + retries.attempts requests", async () => {
    const before = accessCount('exhausted');
    const res = await call('/exhausted/always-502');
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: `attempt ${ATTEMPTS}` });
    expect(seenAt('always-502')).toHaveLength(ATTEMPTS);
    expect(await accessLine('exhausted', before)).toMatchObject({ status: 502, retries: ATTEMPTS - 1 });
  });
});

describe('native agent calls that change something go once', () => {
  test.each(['POST', 'DELETE'])('a %s answered 503 is relayed after one request', async (method) => {
    const before = accessCount('single');
    const res = await call('/single/failing', { method, ...(method === 'POST' && { body: '{}' }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'agent says 503' });
    expect(seenAt('failing')).toHaveLength(1);
    expect((await accessLine('single', before)).retries).toBeUndefined();
  });
});

describe("the agent's breaker", () => {
  test('a client that leaves during the backoff ends the retries, and its leaving is not charged', async () => {
    const client = new AbortController();
    // The client leaves as the gateway starts its backoff, which lasts until the gateway notices (sleep ends on the abort).
    backoffSleep.mockImplementationOnce((_ms, signal) => {
      client.abort();
      return realSleep(60_000, signal);
    });
    const before = accessCount('leaving');
    await call('/leaving/failing', { signal: client.signal }).catch(() => undefined);
    expect(await accessLine('leaving', before)).toMatchObject({ status: 499, retries: 1 });
    expect(seenAt('failing')).toHaveLength(1);
    // One failure charged (the agent's 503): 3 more (POSTs, one attempt each) leave the circuit closed, a 4th opens it.
    for (let i = 0; i < 3; i++) expect((await call('/leaving/failing', { method: 'POST', body: '{}' })).status).toBe(503);
    expect(breakerOf('leaving').state).toBe('closed');
    expect((await call('/leaving/failing', { method: 'POST', body: '{}' })).status).toBe(503);
    expect(breakerOf('leaving').state).toBe('open');
  });

  test('every failed attempt is charged: the circuit opens mid-request, which then relays its last answer, and the next is refused', async () => {
    const threshold = GATEWAY_CONFIG_DEFAULTS.circuitBreaker.failureThreshold;
    let charged = 0;
    while (charged < threshold) {
      const seenBefore = seenAt('failing').length;
      const res = await call('/tripping/failing');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'agent says 503' });
      const attempts = seenAt('failing').length - seenBefore;
      // Each request makes every attempt it may, and none once the circuit has opened.
      expect(attempts).toBe(Math.min(ATTEMPTS, threshold - charged));
      charged += attempts;
    }
    expect(breakerOf('tripping').state).toBe('open');
    const refused = await call('/tripping/failing');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'backends_cooling_down' } });
    expect(seenAt('failing')).toHaveLength(threshold);
  });
});
