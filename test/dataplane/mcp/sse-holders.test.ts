import { rmSync } from 'fs';
import { createServer, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { Writable } from 'stream';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { initializeRequest, KEYS, metricsText, rawPost, type SdkSseUpstream, sdkSseUpstream, SESSION_KEY, secretRef, startMcp, withSessionKey } from './mcp-harness';
import { synthesizedGatewayConfig } from '../../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets, secretEnvName } from '../../../src/dataplane';
import { scrubbedOrReplaced } from '../../../src/dataplane/mcp/sse-client';
import { setSseHolderBoundsForTests } from '../../../src/dataplane/mcp/sse-upstream';
import type { GatewayConfig } from '../../../src/specs';
import type { TestGateway } from '../../../src/testing';
import { startRedisServer } from '../../support/redis-server';
import { kubeletDir, shardFiles } from '../config-files';
import { gatewayStack } from '../harness';

/**
 * The life of the streams a replica holds to HTTP+SSE upstreams (sse-upstream.ts): each session's own
 * channels whatever endpoint the upstream names, the idle end, the cap per consumer, the gauge, and what
 * a reload does to them (an unchanged server's live on, a removed or changed one's and a replaced bus's end).
 */

let upstream: SdkSseUpstream;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  upstream = await sdkSseUpstream((server) => server.registerTool('read', { description: 'reads', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text' as const, text: `read:${path}` }] })));
});

afterAll(async () => {
  await upstream.close();
});

afterEach(() => setSseHolderBoundsForTests());

function fleet(url: string) {
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url, transport: 'sse' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [files] } });
  return gateway;
}

/** Resolves once `condition` holds (what a test waits for happens on another connection). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A session initialized with raw Streamable HTTP: the headers its next messages carry. */
async function session(url: string, key: string): Promise<Record<string, string>> {
  const init = await rawPost(url, auth(key), initializeRequest('2025-11-25'));
  expect(init.status).toBe(200);
  return { ...auth(key), 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': String(init.messages[0]!.result.protocolVersion) };
}

const list = (url: string, headers: Record<string, string>, id: number | string = 2) => rawPost(url, headers, { jsonrpc: '2.0', id, method: 'tools/list' });

/** The streams the upstream has open beside those open before. */
const opened = (before: ReadonlySet<string>) => [...upstream.open].filter((id) => !before.has(id));

/**
 * An HTTP+SSE upstream whose endpoint event is `/messages?x=1` for every stream, and which answers each
 * message on every stream it has open (it cannot tell its sessions apart): the gateway must still keep
 * its clients' sessions apart.
 */
async function sameEndpointUpstream() {
  const streams = new Set<ServerResponse>();
  const http = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: endpoint\ndata: /messages?x=1\n\n');
      streams.add(res);
      res.once('close', () => streams.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method?: string; params?: { protocolVersion?: string } };
      res.writeHead(202).end();
      if (m.id === undefined) return;
      const result = m.method === 'initialize' ? { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'same', version: '1' } } : { tools: [] };
      for (const s of streams) s.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result })}\n\n`);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/sse`,
    streams,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

test("an upstream naming the same endpoint for every session: two consumers' sessions stay apart (one's DELETE does not end the other's)", async () => {
  const same = await sameEndpointUpstream();
  const gw = await startMcp(fleet(same.url));
  try {
    const url = `${gw.url}/mcp/files`;
    const alice = await session(url, KEYS.alice);
    const carol = await session(url, KEYS.carol);
    expect(same.streams.size).toBe(2);
    expect((await list(url, alice)).messages).toEqual([expect.objectContaining({ id: 2, result: { tools: [] } })]);
    expect((await fetch(url, { method: 'DELETE', headers: alice })).status).toBe(200);
    await until(() => same.streams.size === 1);
    expect((await list(url, alice)).status).toBe(404);
    const answer = await list(url, carol, 3);
    expect(answer.status).toBe(200);
    expect(answer.messages).toEqual([expect.objectContaining({ id: 3, result: { tools: [] } })]);
  } finally {
    await gw.close();
    await same.close();
  }
});

describe('holders on one gateway', () => {
  let gw: TestGateway;
  let url: string;
  beforeAll(async () => {
    gw = await startMcp(fleet(upstream.url));
    url = `${gw.url}/mcp/files`;
  });
  afterAll(async () => {
    await gw.close();
  });
  const active = async () => Number(/aigw_mcp_sessions_active\{[^}]*server="files"[^}]*\} (-?\d+)/.exec(await metricsText(gw))?.[1] ?? 0);

  test('a session no client uses for the idle time ends (its upstream stream closes, the gauge comes down); an open GET stream keeps it', async () => {
    setSseHolderBoundsForTests({ idleMs: 150 });
    const gauge = await active();
    const before = new Set(upstream.open);
    const headers = await session(url, KEYS.alice);
    const [mine] = opened(before);
    expect(await active()).toBe(gauge + 1);
    await until(() => !upstream.open.has(mine!));
    expect((await list(url, headers)).status).toBe(404);
    expect(await active()).toBe(gauge);

    // A client stream open: the holder stays while it is (well past the idle time), and ends once it closed.
    const kept = new Set(upstream.open);
    const held = await session(url, KEYS.alice);
    const [stream] = opened(kept);
    const get = new AbortController();
    const res = await fetch(url, { headers: { ...held, accept: 'text/event-stream' }, signal: get.signal });
    expect(res.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(upstream.open.has(stream!)).toBe(true);
    expect((await list(url, held)).status).toBe(200);
    get.abort();
    await until(() => !upstream.open.has(stream!));
  });

  test('a consumer holds at most the cap of sessions of a server on a replica: the next initialize gets 429 naming the cap and the fix; another consumer is not refused; a DELETE frees a place', async () => {
    setSseHolderBoundsForTests({ maxPerConsumer: 2 });
    const first = await session(url, KEYS.alice);
    await session(url, KEYS.alice);
    const refused = await rawPost(url, auth(KEYS.alice), initializeRequest('2025-11-25'));
    expect(refused.status).toBe(429);
    expect(refused.messages[0]!.error.message).toMatch(/consumer 'alice' already has 2 open sessions.*DELETE/);
    await session(url, KEYS.carol);
    expect((await fetch(url, { method: 'DELETE', headers: first })).status).toBe(200);
    await until(async () => (await rawPost(url, auth(KEYS.alice), initializeRequest('2025-11-25'))).status === 200);
  });

  test("a legacy HTTP+SSE client past the cap gets the cap's own error for its initialize, not an upstream failure", async () => {
    // No place at all: the sessions earlier tests left open count too.
    setSseHolderBoundsForTests({ maxPerConsumer: 0 });
    const client = new Client({ name: 'legacy', version: '1.0.0' });
    try {
      const refused = (await client.connect(new SSEClientTransport(new URL(`${url}/sse`), { requestInit: { headers: auth(KEYS.carol) } })).then(
        () => undefined,
        (e: Error) => e,
      ))!;
      expect(refused.message).toMatch(/consumer 'carol' already has 0 open sessions.*DELETE/);
      expect(refused.message).not.toMatch(/upstream/i);
    } finally {
      await client.close();
    }
  });
});

test('scrubbing that leaves no JSON: an answer becomes a JSON-RPC error for its id, a notification is dropped, and nothing throws', () => {
  const broken = () => '{"not json';
  const dropped: string[] = [];
  expect(scrubbedOrReplaced({ jsonrpc: '2.0', id: 7, result: { text: 'x' } }, broken, 'files', (why) => dropped.push(why))).toMatchObject({
    jsonrpc: '2.0',
    id: 7,
    error: { message: expect.stringContaining("'files'") },
  });
  expect(scrubbedOrReplaced({ jsonrpc: '2.0', method: 'notifications/progress' }, broken, 'files', (why) => dropped.push(why))).toBeUndefined();
  expect(dropped).toHaveLength(1);
  expect(scrubbedOrReplaced({ jsonrpc: '2.0', id: 1, result: {} }, (t) => t, 'files', () => undefined)).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
});

/** A data plane on a config directory, to reload. */
async function reloadable(before: GatewayConfig) {
  const { dir, swap } = kubeletDir(shardFiles(before));
  const env = {
    [secretEnvName(secretRef('consumer-keys', 'alice'))]: KEYS.alice,
    [secretEnvName(secretRef('consumer-keys', 'carol'))]: KEYS.carol,
    [secretEnvName(secretRef('mcp-keys', 'session'))]: SESSION_KEY,
  };
  const lines: Record<string, unknown>[] = [];
  const plane = await DataPlane.start({
    config: { dir },
    secrets: new FileAndEnvSecrets(undefined, env),
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    logger: createLogger(new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>), done()) })),
  });
  return { plane, lines, swap, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a reload keeps the HTTP+SSE-upstream sessions of an unchanged server, and ends those of a removed or changed one', async () => {
  const gateway = gatewayStack();
  const keep = gateway.addMcpServer('keep', { kind: 'proxy', url: upstream.url, transport: 'sse' });
  const changed = gateway.addMcpServer('changed', { kind: 'proxy', url: upstream.url, transport: 'sse' });
  const gone = gateway.addMcpServer('gone', { kind: 'proxy', url: upstream.url, transport: 'sse' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [keep, changed, gone] } });
  const { redis: _redis, ...before } = withSessionKey(synthesizedGatewayConfig(gateway).config);
  const after: GatewayConfig = {
    ...structuredClone(before),
    limits: { ...before.limits, maxQps: before.limits.maxQps + 1 },
    mcpServers: before.mcpServers.filter((m) => m.name !== 'gone').map((m) => (m.name === 'changed' && m.kind === 'proxy' ? { ...m, allowTools: ['read'] } : m)),
    consumers: before.consumers.map((c) => ({ ...c, grants: { ...c.grants, mcpServers: ['keep', 'changed'] } })),
  };
  const { plane, swap, cleanup } = await reloadable(before);
  try {
    const at = (name: string) => `${plane.url}/mcp/${name}`;
    const streams: Record<string, string> = {};
    const sessions: Record<string, Record<string, string>> = {};
    for (const name of ['keep', 'changed', 'gone']) {
      const open = new Set(upstream.open);
      sessions[name] = await session(at(name), KEYS.alice);
      streams[name] = opened(open)[0]!;
    }
    swap(shardFiles(after));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });
    await until(() => !upstream.open.has(streams.gone!) && !upstream.open.has(streams.changed!));
    expect(upstream.open.has(streams.keep!)).toBe(true);
    const kept = await list(at('keep'), sessions.keep!);
    expect(kept.status).toBe(200);
    expect(kept.messages[0]!.result.tools.map((t: { name: string }) => t.name)).toEqual(['read']);
    expect((await list(at('changed'), sessions.changed!)).status).toBe(404);
    expect((await list(at('gone'), sessions.gone!)).status).toBe(404);
  } finally {
    await plane.close();
    cleanup();
  }
});

test('a reload that replaces the MCP bus (its redis changed) ends the holders on the old one cleanly: the upstream stream closes, the session is not found', async () => {
  const redis = await startRedisServer();
  const gateway = fleet(upstream.url);
  const { redis: _redis, ...before } = withSessionKey(synthesizedGatewayConfig(gateway).config);
  const after: GatewayConfig = { ...structuredClone(before), redis: { address: redis.address, keyPrefix: 'aigw-swap:' } } as GatewayConfig;
  const { plane, lines, swap, cleanup } = await reloadable(before);
  try {
    const url = `${plane.url}/mcp/files`;
    const open = new Set(upstream.open);
    const headers = await session(url, KEYS.alice);
    const [mine] = opened(open);
    swap(shardFiles(after));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });
    await until(() => !upstream.open.has(mine!));
    expect((await list(url, headers)).status).toBe(404);
    expect(lines.filter((l) => Number(l.level) >= 40 && String(l.msg).includes('HTTP+SSE'))).toEqual([]);
  } finally {
    await plane.close();
    cleanup();
    await redis.stop();
  }
});

test('a reload that replaces the MCP bus ends the legacy SSE streams held on the old one (the client reconnects), which would otherwise keep it open', async () => {
  const redis = await startRedisServer();
  const { redis: _redis, ...before } = withSessionKey(synthesizedGatewayConfig(fleet(upstream.url)).config);
  const after: GatewayConfig = { ...structuredClone(before), redis: { address: redis.address, keyPrefix: 'aigw-legacy-swap:' } } as GatewayConfig;
  const { plane, lines, swap, cleanup } = await reloadable(before);
  try {
    const res = await fetch(`${plane.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('event: endpoint');
    swap(shardFiles(after));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });
    for (;;) if ((await reader.read()).done) break;
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('legacy SSE streams ended'), streams: 1 }));
  } finally {
    await plane.close();
    cleanup();
    await redis.stop();
  }
});

test('an upstream that ends its stream as the session starts: each initialize fails, none keeps a place of the cap, and the gateway lives on', async () => {
  setSseHolderBoundsForTests({ maxPerConsumer: 2 });
  let delayMs = 0;
  const flaky = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: endpoint\ndata: /messages?x=1\n\n');
    // Ends at once, or just after: inside the holder's start, whatever it is waiting for.
    setTimeout(() => res.end(), delayMs);
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  const gw = await startMcp(fleet(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}/sse`), withSessionKey);
  try {
    for (const delay of [0, 0, 1, 2, 3, 0]) {
      delayMs = delay;
      const init = await rawPost(`${gw.url}/mcp/files`, auth(KEYS.alice), initializeRequest('2025-11-25'));
      // Never the cap's 429: a session that did not start gave its place back.
      expect(init.status).not.toBe(429);
      expect(init.status).toBeGreaterThanOrEqual(400);
    }
  } finally {
    await gw.close();
    flaky.closeAllConnections();
    await new Promise<void>((resolve) => flaky.close(() => resolve()));
  }
});

test('a session whose initialize ran across a reload that left its server unchanged lives on when the old configuration is released', async () => {
  // An upstream slow to send its endpoint event: the reload lands while the initialize waits for it.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow = await sdkSseUpstream((server) => server.registerTool('read', { description: 'reads', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text' as const, text: `read:${path}` }] })));
  const front = createServer((req, res) => {
    // Holds the GET until the test lets it through, then proxies it to the SDK upstream (raw pipe).
    void gate.then(async () => {
      const upstreamRes = await fetch(`${slow.url.replace(/\/sse$/, '')}${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body: req.method === 'POST' ? (req as unknown as ReadableStream) : undefined, duplex: 'half' } as RequestInit);
      res.writeHead(upstreamRes.status, Object.fromEntries(upstreamRes.headers));
      const reader = upstreamRes.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        res.write(value);
      }
      res.end();
    }).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/sse`;
  const { redis: _redis, ...before } = withSessionKey(synthesizedGatewayConfig(fleet(url)).config);
  const after: GatewayConfig = { ...structuredClone(before), limits: { ...before.limits, maxQps: before.limits.maxQps + 1 } };
  const { plane, swap, cleanup } = await reloadable(before);
  try {
    const pending = rawPost(`${plane.url}/mcp/files`, auth(KEYS.alice), initializeRequest('2025-11-25'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    swap(shardFiles(after));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });
    release();
    const init = await pending;
    expect(init.status).toBe(200);
    const headers = { ...auth(KEYS.alice), 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': String(init.messages[0]!.result.protocolVersion) };
    // The initialize's request held the old configuration: released now, which used to end this session.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const listed = await list(`${plane.url}/mcp/files`, headers);
    expect(listed.status).toBe(200);
    expect(listed.messages[0]!.result.tools.map((t: { name: string }) => t.name)).toEqual(['read']);
  } finally {
    await plane.close();
    cleanup();
    front.closeAllConnections();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await slow.close();
  }
});
