import { once } from 'events';
import { get, type IncomingMessage } from 'http';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { initializeRequest, KEYS, metricsText, type SdkSseUpstream, sdkSseUpstream, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { McpBus } from '../../../src/dataplane/mcp/bus';
import type { CompiledMcpProxy } from '../../../src/dataplane/mcp/compile';
import { endLegacyStreams, MAX_PENDING_PER_STREAM, setLegacyBoundsForTests } from '../../../src/dataplane/mcp/legacy-sse';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/**
 * The legacy HTTP+SSE front's work after each POST's 202: bounded per stream, given a deadline, cancelled
 * when the stream closes; and the upstream session a stream opened ends with it.
 */

let up: SdkUpstream;
let sseUp: SdkSseUpstream;
let gw: TestGateway;
/** Every `hang` call waits for this; released at the end so that the upstreams can close. */
let releaseHang: () => void = () => undefined;
const hung = new Promise<void>((resolve) => (releaseHang = resolve));
let hangs = 0;

beforeAll(async () => {
  const register = (server: Parameters<Parameters<typeof sdkUpstream>[0]>[0]): void => {
    server.registerTool('read', { description: 'reads', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text', text: `read:${path}` }] }));
    server.registerTool('hang', { description: 'never answers (until the test ends)' }, async () => {
      hangs++;
      await hung;
      return { content: [{ type: 'text', text: 'late' }] };
    });
  };
  up = await sdkUpstream(register);
  sseUp = await sdkSseUpstream(register);
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url: up.url });
  const old = gateway.addMcpServer('old', { kind: 'proxy', url: sseUp.url, transport: 'sse' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files, old] } });
  gw = await startMcp(gateway, withSessionKey);
});

afterAll(async () => {
  setLegacyBoundsForTests({});
  releaseHang();
  await gw.close();
  await up.close();
  await sseUp.close();
});

async function legacyClient(path: string): Promise<Client> {
  const client = new Client({ name: 'legacy', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(`${gw.url}${path}/sse`), { requestInit: { headers: { Authorization: `Bearer ${KEYS.alice}` } } }));
  return client;
}

/** Waits (without a time limit of its own: the test's applies) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Requests the gateway has running on the `files` upstream's pool. */
function runningUpstream(): number {
  const route = gw.plane.snapshot.mcpServers.find((r) => r.name === 'files') as CompiledMcpProxy;
  return route.upstream.pool.stats.running + route.upstream.pool.stats.pending;
}

function callsEnded(metrics: string, server: string, result: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`aigw_mcp_requests_total{server="${server}",method="tools/call",result="${result}",`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('a stream takes at most MAX_PENDING_PER_STREAM messages being answered (429 past it); closing it cancels them, and their access lines are written', async () => {
  const controller = new AbortController();
  const res = await fetch(`${gw.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' }, signal: controller.signal });
  const reader = res.body!.getReader();
  const endpoint = /data: (\S+)/.exec(new TextDecoder().decode((await reader.read()).value))![1]!;
  const post = (body: unknown) =>
    fetch(`${gw.url}${endpoint}`, { method: 'POST', headers: { 'authorization': `Bearer ${KEYS.alice}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // Initialized (its answer read off the stream), so that the upstream takes the calls.
  expect((await post(initializeRequest('2024-11-05', 0))).status).toBe(202);
  let seen = '';
  while (!seen.includes('"id":0')) seen += new TextDecoder().decode((await reader.read()).value);
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  const before = callsEnded(await metricsText(gw), 'files', 'aborted');
  const started = hangs;
  for (let id = 1; id <= MAX_PENDING_PER_STREAM; id++) {
    expect((await post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hang', arguments: {} } })).status).toBe(202);
  }
  const refused = await post({ jsonrpc: '2.0', id: 'one-too-many', method: 'tools/call', params: { name: 'hang', arguments: {} } });
  expect(refused.status).toBe(429);
  const body = (await refused.json()) as { id: unknown; error: { message: string } };
  expect(body.id).toBe('one-too-many');
  expect(body.error.message).toContain(`already has ${MAX_PENDING_PER_STREAM} messages being answered`);
  await until(() => hangs - started === MAX_PENDING_PER_STREAM);
  expect(runningUpstream()).toBe(MAX_PENDING_PER_STREAM);
  controller.abort();
  await reader.cancel().catch(() => undefined);
  // Every one of them ended as abandoned (its access line and metrics written), though the upstream never answered.
  await until(async () => callsEnded(await metricsText(gw), 'files', 'aborted') - before === MAX_PENDING_PER_STREAM);
  // And the upstream calls themselves were abandoned.
  await until(() => runningUpstream() === 0);
});

test('a request not answered within the deadline gets an error on the stream, and the stream carries on', async () => {
  setLegacyBoundsForTests({ deadlineMs: 300 });
  const client = await legacyClient('/mcp/files');
  try {
    await expect(client.callTool({ name: 'hang', arguments: {} })).rejects.toMatchObject({ code: -32603, message: expect.stringContaining('did not answer within 300 ms') });
    await until(() => runningUpstream() === 0);
    expect(await client.callTool({ name: 'read', arguments: { path: 'after' } })).toMatchObject({ content: [{ type: 'text', text: 'read:after' }] });
  } finally {
    setLegacyBoundsForTests({});
    await client.close();
  }
});

test("closing a legacy stream ends the Streamable HTTP upstream's session it opened (DELETE)", async () => {
  const client = await legacyClient('/mcp/files');
  await client.listTools();
  const session = up.sessions[up.sessions.length - 1]!;
  await client.close();
  await until(() => up.seen.some((r) => r.method === 'DELETE' && r.headers['mcp-session-id'] === session));
});

test("closing a legacy stream ends the HTTP+SSE upstream's stream it opened", async () => {
  const client = await legacyClient('/mcp/old');
  await client.listTools();
  expect(sseUp.open.size).toBe(1);
  await client.close();
  await until(() => sseUp.open.size === 0);
});

test('when its MCP bus is replaced, a held stream ends cleanly (its client reconnects) and its pending work is cancelled', async () => {
  const res = await fetch(`${gw.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
  const reader = res.body!.getReader();
  let text = new TextDecoder().decode((await reader.read()).value);
  const endpoint = /data: (\S+)/.exec(text)![1]!;
  const post = (body: unknown) =>
    fetch(`${gw.url}${endpoint}`, { method: 'POST', headers: { 'authorization': `Bearer ${KEYS.alice}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post(initializeRequest('2024-11-05', 0))).status).toBe(202);
  while (!text.includes('"id":0')) text += new TextDecoder().decode((await reader.read()).value);
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  const started = hangs;
  expect((await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'hang', arguments: {} } })).status).toBe(202);
  await until(() => hangs > started);
  // The bus new requests got until a reload replaced it (the plane's own, reached past its privacy).
  const bus = (gw.plane as unknown as { limits: { current: { mcpBus: McpBus } } }).limits.current.mcpBus;
  expect(endLegacyStreams(bus)).toBe(1);
  // A clean end: the client's EventSource reconnects.
  for (;;) if ((await reader.read()).done) break;
  await until(() => runningUpstream() === 0);
});

test('a client that does not read its stream has it ended past the buffer limit, not its answers kept in memory', async () => {
  setLegacyBoundsForTests({ maxBufferedBytes: 1024 * 1024 });
  let res: IncomingMessage | undefined;
  try {
    const req = get(`${gw.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
    [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const closed = once(res.socket, 'close');
    await until(() => /data: (\S+)/.test(text));
    const endpoint = /data: (\S+)/.exec(text)![1]!;
    const post = (body: unknown) =>
      fetch(`${gw.url}${endpoint}`, { method: 'POST', headers: { 'authorization': `Bearer ${KEYS.alice}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(initializeRequest('2024-11-05', 0))).status).toBe(202);
    await until(() => text.includes('"id":0'));
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    // From now on the client reads nothing: 30 MiB of answers outgrow the socket buffers and the 1 MiB limit.
    res.pause();
    const path = 'x'.repeat(512 * 1024);
    for (let id = 1; id <= 60; id++) {
      const status = (await post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'read', arguments: { path } } })).status;
      // 404: the stream has ended already.
      if (status === 404) break;
      expect(status).toBe(202);
    }
    // Read again: past what the socket buffered, the stream has ended.
    res.resume();
    await closed;
  } finally {
    setLegacyBoundsForTests({});
    res?.destroy();
  }
}, 30_000);
