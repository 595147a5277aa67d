import type { ServerResponse } from 'http';
import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from './harness';
import { RawClient, rawRequest } from './raw-http';
import type { TestGateway } from '../../src/testing';
import { eventually } from '../support/eventually';

/**
 * Agent routes on the model proxy's upstream call: a total deadline (the route policy's override
 * first), a breaker that the agent's own failures trip and the client's never do.
 */
let up: AgentUpstream;
let gw: TestGateway;
/** What the agent does for the next requests, by the path's last segment. */
const behaviours: Record<string, (res: ServerResponse) => void> = {
  // Headers, then a byte every 50 ms for ever: never silent long enough for a silence timeout.
  trickle: (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write(':\n'), 50);
    res.on('close', () => clearInterval(timer));
  },
  // Never answers.
  silent: () => undefined,
  // Says gzip, sends bytes that are not: the decoder fails after the head went out.
  corrupt: (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(Buffer.from('this is not gzip at all, not even close'));
  },
  missing: (res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"no such conversation"}');
  },
  failing: (res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"error":"agent overloaded"}');
  },
};

beforeAll(async () => {
  up = await agentUpstream((req, res) => {
    const behaviour = behaviours[req.url.split('/').pop()!];
    if (behaviour) return behaviour(res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"answer":"ok"}');
  });
  const gateway = gatewayStack();
  const key = { secretName: 'llm-keys', key: 'openai' };
  const routes = [
    // The route's own total, 400 ms.
    gateway.addAgentRoute('timed', { kind: 'custom', pathPrefix: '/timed', baseUrl: up.url, apiKey: key, timeouts: { totalMs: 400 } }),
    // A long route total, overridden to 300 ms by the route policy: the policy wins, as on model routes.
    gateway.addAgentRoute('policy', { kind: 'custom', pathPrefix: '/policy', baseUrl: up.url, apiKey: key, timeouts: { totalMs: 60_000 }, policies: { timeouts: { totalMs: 300 } } }),
    gateway.addAgentRoute('flaky', { kind: 'custom', pathPrefix: '/flaky', baseUrl: up.url, apiKey: key }),
  ];
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes } });
  gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, bodyTimeoutMs: 200 } }));
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

const call = (path: string, init: RequestInit = {}) => fetch(`${gw.url}${path}`, { method: 'POST', body: '{}', ...init, headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
const breakerOf = (route: string) => gw.plane.snapshot.upstreams.get(`agent:${route}`)!.breaker;
const accessLines = () => gw.logs.filter((l) => l.msg === 'access');

describe('agent routes: deadlines', () => {
  test("an agent that never answers gets 504 at the route's total timeout", async () => {
    const res = await call('/timed/silent');
    expect(res.status).toBe(504);
    expect(await res.text()).toContain('did not answer within 400 ms (total)');
  });

  test('a stream that never ends is cut at the total timeout, though it is never silent', async () => {
    const before = accessLines().length;
    const res = await call('/timed/trickle');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    await eventually(() => accessLines().length > before);
    expect(accessLines()[before]).toMatchObject({ status: 200, error: 'upstream_stream_failed' });
  });

  test('a compressed answer that does not decode breaks the connection, is recorded, and leaves the route serving', async () => {
    const before = accessLines().length;
    // The head may not have left yet when the decoder fails: either way the client sees a broken answer, not a clean one.
    const outcome = await call('/timed/corrupt').then((res) => res.text()).then(
      () => 'complete',
      () => 'broken',
    );
    expect(outcome).toBe('broken');
    await eventually(() => accessLines().length > before);
    expect(accessLines()[before]).toMatchObject({ status: 200, error: 'upstream_stream_failed' });
    const next = await call('/timed/echo');
    expect(await next.json()).toEqual({ answer: 'ok' });
  });

  test("the route policy's timeouts override the agent route's own (declared means served)", async () => {
    const res = await call('/policy/silent');
    expect(res.status).toBe(504);
    expect(await res.text()).toContain('within 300 ms (total)');
  });

  test("a slow, steady upload that outlasts the total is the client's 408, and the agent's breaker is not charged", async () => {
    const client = new RawClient(gw.url);
    client.head('/timed/echo', { 'Content-Type': 'application/json', 'Content-Length': '100' });
    // A byte every 50 ms: never silent past limits.bodyTimeoutMs (200), but 5 s for the whole body.
    const timer = setInterval(() => client.write(Buffer.from(' ')), 50);
    try {
      expect(await client.answer()).toEqual({ status: 408, code: 'request_body_timeout' });
    } finally {
      clearInterval(timer);
    }
    expect(breakerOf('timed').state).toBe('closed');
  });
});

describe('agent routes: metrics', () => {
  test("an agent's own error status is relayed, and its error_type label is a catalog code, not the status", async () => {
    const res = await call('/timed/missing');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('no such conversation');
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/aigw_request_errors_total\{[^}]*route="timed"[^}]*error_type="upstream_error_status"[^}]*\} 1/);
    expect(metrics).not.toMatch(/error_type="\d+"/);
  });
});

describe('agent routes: circuit breaker', () => {
  test('Expect: 100-continue (curl sends it on large bodies) reaches the agent without it, and never charges its breaker', async () => {
    const seenBefore = up.seen.length;
    for (let i = 0; i < 6; i++) {
      const head = `POST /timed/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: 2\r\n\r\n`;
      const res = await rawRequest(gw.url, `${head}{}`);
      // The gateway answers the 100 itself; the agent's answer follows.
      expect(`${res.head}\r\n\r\n${res.body}`).toContain('HTTP/1.1 200');
    }
    expect(up.seen.length - seenBefore).toBe(6);
    expect(up.seen.slice(seenBefore).every((r) => r.headers.expect === undefined)).toBe(true);
    expect(breakerOf('timed').state).toBe('closed');
  });

  test("the agent's own failures open its circuit: after 5 relayed 503s the next request is refused without reaching it", async () => {
    const seenBefore = up.seen.length;
    for (let i = 0; i < 5; i++) {
      const res = await call('/flaky/failing');
      // The agent's answer is relayed as it is.
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('agent overloaded');
    }
    const refused = await call('/flaky/failing');
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'backends_cooling_down' } });
    expect(up.seen.length - seenBefore).toBe(5);
    expect(breakerOf('flaky').state).toBe('open');
    // Other agent routes have their own circuit.
    expect(breakerOf('timed').state).toBe('closed');
  });
});
