import { once } from 'events';
import { createServer, get, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { connect, KEYS, rawPost, type SdkUpstream, sdkUpstream, secretRef, startMcpWithRedis, withSessionKey } from './mcp-harness';
import type { CompiledMcpProxy } from '../../../src/dataplane/mcp/compile';
import { setLegacyBoundsForTests } from '../../../src/dataplane/mcp/legacy-sse';
import type { TestGateway } from '../../../src/testing';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';
import { gatewayStack } from '../harness';

/**
 * The legacy HTTP+SSE transport across replicas: two gateways with the same config, the same Redis and
 * the same session key. The client's stream is held by ONE while its POSTs land on TWO (or both), as
 * behind a load balancer without affinity; the answers reach the stream through Redis pub/sub.
 */

let redis: TestRedisServer;
let up: SdkUpstream;
let rest: Server;
let one: TestGateway;
let two: TestGateway;
/** The `slow` tool answers once released; `slowStarted` resolves when the upstream is running it. */
let releaseSlow: () => void = () => undefined;
let slowStarted: Promise<void>;
let startedSlow: () => void;
/** Every `hang` call waits for this, released at the end; `hangs` counts the calls the upstream got. */
let releaseHang: () => void = () => undefined;
const hung = new Promise<void>((resolve) => (releaseHang = resolve));
let hangs = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  slowStarted = new Promise<void>((resolve) => (startedSlow = resolve));
  up = await sdkUpstream((server) => {
    server.registerTool('read', { description: 'reads', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text', text: `read:${path}` }] }));
    server.registerTool('slow', { description: 'answers when the test says so' }, async () => {
      const released = new Promise<void>((resolve) => (releaseSlow = resolve));
      startedSlow();
      await released;
      return { content: [{ type: 'text', text: 'slow done' }] };
    });
    server.registerTool('hang', { description: 'never answers (until the tests end)' }, async () => {
      hangs++;
      await hung;
      return { content: [{ type: 'text', text: 'late' }] };
    });
  });
  rest = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })));
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url: up.url, allowTools: ['read', 'slow', 'hang'] });
  const items = gateway.addMcpServer('items', {
    kind: 'http-to-mcp',
    baseUrl: `http://127.0.0.1:${(rest.address() as AddressInfo).port}`,
    tools: [{ name: 'get_item', description: 'one item', inputSchema: { type: 'object', properties: { id: { type: 'string' } } }, request: { method: 'GET', path: '/items/{{args.id}}' } }],
  });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files, items] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [files] } });
  one = await startMcpWithRedis(gateway, redis.address, withSessionKey);
  two = await startMcpWithRedis(gateway, redis.address, withSessionKey);
}, 20_000);

afterAll(async () => {
  // A failed test may have left the tool waiting: the upstream's close waits for it.
  releaseSlow();
  releaseHang();
  setLegacyBoundsForTests({});
  await one?.close();
  await two?.close();
  await up?.close();
  rest?.closeAllConnections();
  await new Promise<void>((resolve) => (rest ? rest.close(() => resolve()) : resolve()));
  await redis?.stop();
});

/** The SDK's legacy client with its stream on ONE; each POST goes where `target` says (by the POST's number, from 0). */
async function legacyClient(path: string, key: string, target: (post: number) => TestGateway): Promise<Client> {
  let posts = 0;
  const fetchVia = (url: string | URL, init?: RequestInit): Promise<Response> => {
    if (init?.method !== 'POST') return fetch(url, init);
    const to = new URL(String(url));
    const gw = new URL(target(posts++).url);
    to.host = gw.host;
    return fetch(to, init);
  };
  const client = new Client({ name: 'legacy', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(`${one.url}${path}/sse`), { requestInit: { headers: { Authorization: `Bearer ${key}` } }, fetch: fetchVia }));
  return client;
}

/** A raw stream on `gw`: its message path, and its events as they come. */
async function rawStream(gw: TestGateway, path: string, key: string) {
  const controller = new AbortController();
  const res = await fetch(`${gw.url}${path}/sse`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const nextEvent = async (): Promise<string> => {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        // Keep-alive comments are not events.
        if (!event.startsWith(':')) return event;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended');
      buffered += decoder.decode(value, { stream: true });
    }
  };
  const endpoint = /data: (\S+)/.exec(await nextEvent())![1]!;
  /** The next JSON-RPC message on the stream. */
  const nextMessage = async (): Promise<Record<string, any>> => {
    const event = await nextEvent();
    return JSON.parse(/^data: (.*)$/m.exec(event)![1]!) as Record<string, any>;
  };
  const close = async (): Promise<void> => {
    controller.abort();
    await reader.cancel().catch(() => undefined);
  };
  return { endpoint, nextMessage, close };
}

function post(gw: TestGateway, path: string, key: string, message: unknown): Promise<Response> {
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'authorization': `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(message) });
}

/** Polls `check` until it holds: what another replica learns through Redis arrives a moment later, not at a known time. */
async function eventually(check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the condition never held');
}

test('a proxy: the stream on ONE, every POST on TWO: list and call', async () => {
  const client = await legacyClient('/mcp/files', KEYS.alice, () => two);
  try {
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['hang', 'read', 'slow']);
    expect(await client.callTool({ name: 'read', arguments: { path: 'far' } })).toMatchObject({ content: [{ type: 'text', text: 'read:far' }] });
  } finally {
    await client.close();
  }
});

test('an HTTP-to-MCP server: the stream on ONE, every POST on TWO: list and call', async () => {
  const client = await legacyClient('/mcp/items', KEYS.alice, () => two);
  try {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['get_item']);
    expect(JSON.stringify((await client.callTool({ name: 'get_item', arguments: { id: '7' } })).content)).toContain('/items/7');
  } finally {
    await client.close();
  }
});

test("initialize on TWO, then every other message on ONE (which holds the stream): the upstream's session follows", async () => {
  const sessions = up.sessions.length;
  const client = await legacyClient('/mcp/files', KEYS.alice, (n) => (n === 0 ? two : one));
  try {
    expect(await client.callTool({ name: 'read', arguments: { path: 'back' } })).toMatchObject({ content: [{ type: 'text', text: 'read:back' }] });
    // One upstream session, the one TWO's initialize opened: ONE sent its id (the SDK upstream answers 404 to any other).
    expect(up.sessions.length).toBe(sessions + 1);
    expect(up.seen.at(-1)!.headers['mcp-session-id']).toBe(up.sessions.at(-1));
  } finally {
    await client.close();
  }
});

test("another consumer's POST with the right sessionId is 404 on either replica, and reaches neither the stream nor the upstream", async () => {
  const stream = await rawStream(one, '/mcp/files', KEYS.alice);
  try {
    // A DELETE may still come from an earlier test's stream closing (its upstream session ends with it).
    const forwarded = (): number => up.seen.filter((r) => r.method !== 'DELETE').length;
    const seen = forwarded();
    for (const gw of [two, one]) {
      expect((await post(gw, stream.endpoint, KEYS.carol, { jsonrpc: '2.0', id: 'intruder', method: 'tools/list' })).status).toBe(404);
      // The right consumer on the wrong server's path: 404 too.
      expect((await post(gw, stream.endpoint.replace('/mcp/files/', '/mcp/items/'), KEYS.alice, { jsonrpc: '2.0', id: 'intruder', method: 'ping' })).status).toBe(404);
    }
    expect(forwarded()).toBe(seen);
    // The stream's next message is its own consumer's answer: nothing of the refused ones came first.
    expect((await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', id: 'mine', method: 'ping' })).status).toBe(202);
    expect(await stream.nextMessage()).toMatchObject({ id: 'mine' });
  } finally {
    await stream.close();
  }
});

test('the stream closing removes its state: the next POST is 404 on every replica', async () => {
  const stream = await rawStream(one, '/mcp/items', KEYS.alice);
  expect((await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(202);
  expect(await stream.nextMessage()).toMatchObject({ id: 1, result: {} });
  await stream.close();
  await eventually(async () => (await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', id: 2, method: 'ping' })).status === 404);
  expect((await post(one, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', id: 3, method: 'ping' })).status).toBe(404);
});

test('a POST is answered 202 before the upstream answers; the answer comes on the stream later, and the call is logged with its result', async () => {
  const stream = await rawStream(one, '/mcp/files', KEYS.alice);
  try {
    const init = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    expect((await post(two, stream.endpoint, KEYS.alice, init)).status).toBe(202);
    expect(await stream.nextMessage()).toMatchObject({ id: 'init', result: { protocolVersion: expect.any(String) } });
    expect((await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    // The tool does not answer until released, which happens only after the 202: the 202 did not wait for it.
    expect((await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'slow', arguments: {} } })).status).toBe(202);
    await slowStarted;
    releaseSlow();
    expect(await stream.nextMessage()).toMatchObject({ id: 'slow', result: { content: [{ text: 'slow done' }] } });
    await eventually(async () => two.logs.some((l) => l.msg === 'mcp call' && l.tool === 'slow' && l.result === 'ok' && l.status === 202));
  } finally {
    await stream.close();
  }
});

test('a DELETE of a Streamable HTTP session on ONE makes TWO answer 404 to it', async () => {
  const { client, transport } = await connect(`${one.url}/mcp/items`, KEYS.alice);
  const sid = transport.sessionId!;
  const list = { jsonrpc: '2.0', id: 9, method: 'tools/list' };
  const headers = { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  // An HTTP-to-MCP session holds nothing but its token: TWO serves it until told it ended.
  expect((await rawPost(`${two.url}/mcp/items`, headers, list)).status).toBe(200);
  await transport.terminateSession();
  await client.close();
  expect((await rawPost(`${one.url}/mcp/items`, headers, list)).status).toBe(404);
  await eventually(async () => (await rawPost(`${two.url}/mcp/items`, headers, list)).status === 404);
});

/** Requests `gw` has running on the `files` upstream. */
function runningUpstream(gw: TestGateway): number {
  const route = gw.plane.snapshot.mcpServers.find((r) => r.name === 'files') as CompiledMcpProxy;
  return route.upstream.pool.stats.running + route.upstream.pool.stats.pending;
}

/** A stream on ONE, initialized through TWO. */
async function initializedStream(): Promise<Awaited<ReturnType<typeof rawStream>>> {
  const stream = await rawStream(one, '/mcp/files', KEYS.alice);
  const init = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  expect((await post(two, stream.endpoint, KEYS.alice, init)).status).toBe(202);
  expect(await stream.nextMessage()).toMatchObject({ id: 'init' });
  expect((await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return stream;
}

test('the stream closing on ONE cancels what its POSTs started on TWO: the upstream call ends, the access line is written', async () => {
  const stream = await initializedStream();
  const started = hangs;
  expect((await post(two, stream.endpoint, KEYS.alice, { jsonrpc: '2.0', id: 'hang', method: 'tools/call', params: { name: 'hang', arguments: {} } })).status).toBe(202);
  await eventually(async () => hangs > started);
  expect(runningUpstream(two)).toBe(1);
  await stream.close();
  await eventually(async () => two.logs.some((l) => l.msg === 'mcp call' && l.tool === 'hang' && l.result === 'aborted'));
  await eventually(async () => runningUpstream(two) === 0);
});

test('a client that does not read its stream: answers from TWO past the buffer limit end the stream on ONE (the client reconnects)', async () => {
  setLegacyBoundsForTests({ maxBufferedBytes: 1024 * 1024 });
  let res: IncomingMessage | undefined;
  try {
    const req = get(`${one.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
    [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const closed = once(res.socket, 'close');
    await eventually(async () => /data: (\S+)/.test(text));
    const endpoint = /data: (\S+)/.exec(text)![1]!;
    const init = { jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    expect((await post(two, endpoint, KEYS.alice, init)).status).toBe(202);
    await eventually(async () => text.includes('"id":"init"'));
    expect((await post(two, endpoint, KEYS.alice, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    // From now on the client reads nothing: 30 MiB of answers outgrow the socket buffers and the 1 MiB limit.
    res.pause();
    const path = 'x'.repeat(512 * 1024);
    for (let id = 0; id < 60; id++) {
      const status = (await post(two, endpoint, KEYS.alice, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read', arguments: { path } } })).status;
      // 404: the stream has ended already.
      if (status === 404) break;
      expect(status).toBe(202);
    }
    // Read again: past what the socket buffered, the stream has ended.
    res.resume();
    await closed;
    await eventually(async () => one.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('legacy SSE stream ended: its client reads slower')));
  } finally {
    setLegacyBoundsForTests({});
    res?.destroy();
  }
}, 30_000);

// Last: it stops and restarts the shared Redis.
test('while Redis is down a legacy stream is refused 503 naming why; once it is back both replicas subscribe again', async () => {
  const unknown = `/mcp/files/message?sessionId=${'0'.repeat(32)}`;
  await redis.stop();
  const refused = await fetch(`${one.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
  expect(refused.status).toBe(503);
  expect(await refused.text()).toContain('shared through Redis, which does not answer');
  expect((await post(two, unknown, KEYS.alice, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(503);
  await redis.restart();
  // Reconnecting takes a moment (ioredis backs off): then an unknown stream is unknown again, not unreachable.
  for (const gw of [one, two]) await eventually(async () => (await post(gw, unknown, KEYS.alice, { jsonrpc: '2.0', id: 1, method: 'ping' })).status === 404, 1_000);
  // The gateway-wide channel is subscribed again on TWO: a DELETE on ONE reaches it.
  const { client, transport } = await connect(`${one.url}/mcp/items`, KEYS.alice);
  const headers = { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' };
  await transport.terminateSession();
  await client.close();
  await eventually(async () => (await rawPost(`${two.url}/mcp/items`, headers, { jsonrpc: '2.0', id: 9, method: 'tools/list' })).status === 404, 1_000);
  // And streams work across replicas again.
  const legacy = await eventually(async () => {
    const res = await fetch(`${one.url}/mcp/items/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
    await res.body?.cancel();
    return res.status === 200;
  }, 1_000).then(() => legacyClient('/mcp/items', KEYS.alice, () => two));
  try {
    expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(['get_item']);
  } finally {
    await legacy.close();
  }
});
