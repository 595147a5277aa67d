import { createServer } from 'http';
import type { AddressInfo } from 'net';
import { echo, restService, type RestService } from './http-rest-service';
import { httpServer, NEVER, textOf, tool } from './http-server-config';
import { createHttpToolBackend } from '../../../src/dataplane/mcp/http';
import type { McpToolBackend } from '../../../src/dataplane/mcp/tool-backend';

// Retries for idempotent calls only, and a circuit breaker the upstream's failures trip and the client's cancellations never do.
let rest: RestService;
let flaky = 0;
let arrived: (() => void) | undefined;
const backends: McpToolBackend[] = [];

beforeAll(async () => {
  rest = await restService((req, res) => {
    if (req.path === '/unavailable') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return res.end('down for maintenance');
    }
    if (req.path === '/flaky' && flaky-- > 0) {
      res.writeHead(502);
      return res.end();
    }
    // Never answers: the caller has to give up.
    if (req.path === '/hang') return arrived?.();
    echo(req, res);
  });
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await rest.close();
});
beforeEach(() => {
  rest.seen.length = 0;
});

function backendFor(baseUrl: string): McpToolBackend {
  const backend = createHttpToolBackend(
    httpServer(baseUrl, [
      tool('post_unavailable', '/unavailable', { request: { method: 'POST' } }),
      tool('get_unavailable', '/unavailable'),
      tool('get_flaky', '/flaky'),
      tool('post_flaky', '/flaky', { request: { method: 'POST' } }),
      tool('hang', '/hang', { request: { method: 'POST' } }),
      tool('ok', '/ok'),
    ]),
    undefined,
  );
  backends.push(backend);
  return backend;
}

test('5 upstream 503s open the circuit: the 6th call is refused without reaching the upstream', async () => {
  const backend = backendFor(rest.url);
  for (let i = 0; i < 5; i++) {
    const result = await backend.call('post_unavailable', {}, NEVER);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/answered HTTP 503: down for maintenance/);
  }
  const refused = await backend.call('ok', {}, NEVER);
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toMatch(/taken out for 10 s after 5 consecutive failures \(circuit breaker open\)/);
  expect(rest.seen).toHaveLength(5);
});

test('aborted calls (the client left) never charge the breaker', async () => {
  const backend = backendFor(rest.url);
  for (let i = 0; i < 8; i++) {
    const controller = new AbortController();
    const reached = new Promise<void>((r) => (arrived = r));
    const call = backend.call('hang', {}, controller.signal);
    await reached;
    controller.abort();
    await expect(call).rejects.toThrow();
  }
  const result = await backend.call('ok', {}, NEVER);
  expect(result.isError).toBeUndefined();
  expect(rest.seen.map((r) => r.path)).toEqual([...Array(8).fill('/hang'), '/ok']);
});

test('an already aborted signal rejects without reaching the upstream', async () => {
  const backend = backendFor(rest.url);
  const controller = new AbortController();
  controller.abort();
  await expect(backend.call('ok', {}, controller.signal)).rejects.toThrow();
  expect(rest.seen).toHaveLength(0);
});

test('GET is retried on 502/503/504 (twice), POST never', async () => {
  const backend = backendFor(rest.url);
  flaky = 2;
  const get = await backend.call('get_flaky', {}, NEVER);
  expect(get.isError).toBeUndefined();
  expect(rest.seen.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /flaky', 'GET /flaky', 'GET /flaky']);

  rest.seen.length = 0;
  flaky = 1;
  const post = await backend.call('post_flaky', {}, NEVER);
  expect(post.isError).toBe(true);
  expect(textOf(post)).toMatch(/answered HTTP 502/);
  expect(rest.seen).toHaveLength(1);

  rest.seen.length = 0;
  const exhausted = await backend.call('get_unavailable', {}, NEVER);
  expect(textOf(exhausted)).toMatch(/answered HTTP 503/);
  expect(rest.seen).toHaveLength(3);
});

test('a refused connection is a tool error, retried for GET', async () => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const backend = backendFor(`http://127.0.0.1:${port}`);
  const result = await backend.call('ok', {}, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/could not be reached \(ECONNREFUSED\)/);
});
