import { createServer, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { connect, initializeRequest, KEYS, rawPost, type SdkSseUpstream, sdkSseUpstream, secretRef, startMcp, startMcpWithRedis, UPSTREAM_TOKEN, withSessionKey } from './mcp-harness';
import type { TestGateway } from '../../../src/testing';
import { startRedisServer } from '../../support/redis-server';
import { gatewayStack } from '../harness';

/**
 * MCP proxies whose upstream speaks the legacy HTTP+SSE transport (`upstream.transport: 'sse'`), built
 * with the SDK's own SSEServerTransport, with the official SDK client over Streamable HTTP: tools and
 * grants, server-to-client requests and notifications both ways, an upstream that dies, an endpoint
 * event naming another origin, a session served by two gateway instances, and DELETE.
 */

let upstream: SdkSseUpstream;
/** Resolved when the `slow` tool has started (the test then crashes its upstream). */
let slowStarted: () => void = () => undefined;
const text = (s: string) => ({ content: [{ type: 'text' as const, text: s }] });

beforeAll(async () => {
  upstream = await sdkSseUpstream((server: McpServer) => {
    server.registerTool('read', { description: 'reads a file', inputSchema: { path: z.string() } }, ({ path }) => text(`read:${path}`));
    server.registerTool('delete_all', { description: 'deletes everything' }, () => text('deleted everything'));
    server.registerTool('ask_name', { description: 'asks the user for a name' }, async () => {
      const answer = await server.server.elicitInput({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
      return text(`hello ${String(answer.content?.name)}`);
    });
    server.registerTool('count', { description: 'counts to three, telling progress' }, async (extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= 3; i++) if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: i, total: 3 } });
      return text('counted');
    });
    server.registerTool('slow', { description: 'never answers' }, async () => {
      slowStarted();
      return new Promise(() => undefined);
    });
    server.registerTool('leak', { description: 'echoes the credential it was given' }, () => text(`token=${UPSTREAM_TOKEN}`));
  });
});

afterAll(async () => {
  await upstream.close();
});

function fleet(url = upstream.url) {
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url, transport: 'sse', allowTools: ['read', 'ask_name', 'count', 'slow', 'leak'], auth: secretRef('mcp-keys', 'upstream') });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [files] } });
  return gateway;
}

/** Carol's grant narrowed to one tool of `files`. */
const carolReadOnly = (c: Parameters<NonNullable<Parameters<typeof startMcp>[1]>>[0]) =>
  withSessionKey({ ...c, consumers: c.consumers.map((k) => (k.name === 'carol' ? { ...k, grants: { ...k.grants, mcpServers: [], mcpTools: { files: ['read'] } } } : k)) });

/** The JSON-RPC messages of an SSE answer, as they arrive. */
async function* sseMessages(res: Response): AsyncGenerator<Record<string, any>> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, end).split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      buffer = buffer.slice(end + 2);
      if (data !== '') yield JSON.parse(data) as Record<string, any>;
    }
  }
}

/** Resolves once `condition` holds (what a test waits for happens on another connection). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('an MCP proxy of an HTTP+SSE upstream', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startMcp(fleet(), carolReadOnly);
  });
  afterAll(async () => {
    await gw.close();
  });

  test('lists and calls tools; a tool outside allowTools or the grant is neither listed nor called; the upstream gets its own credential only, and it is scrubbed from answers', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['ask_name', 'count', 'leak', 'read', 'slow']);
      expect(await client.callTool({ name: 'read', arguments: { path: 'a.txt' } })).toMatchObject(text('read:a.txt'));
      await expect(client.callTool({ name: 'delete_all', arguments: {} })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("'delete_all'") });
      expect(upstream.seen.some((r) => r.body.includes('delete_all') && r.body.includes('tools/call'))).toBe(false);
      const leaked = (await client.callTool({ name: 'leak', arguments: {} })) as { content: { text: string }[] };
      expect(leaked.content[0]!.text).not.toContain(UPSTREAM_TOKEN);
      expect(new Set(upstream.seen.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${UPSTREAM_TOKEN}`]));
      expect(JSON.stringify(upstream.seen.map((r) => r.headers))).not.toContain(KEYS.alice);
      expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'mcp call', server: 'files', method: 'tools/call', tool: 'read', consumer: 'alice', result: 'ok' }));
    } finally {
      await client.close();
    }
    const { client: carol } = await connect(`${gw.url}/mcp/files`, KEYS.carol);
    try {
      expect((await carol.listTools()).tools.map((t) => t.name)).toEqual(['read']);
      await expect(carol.callTool({ name: 'leak', arguments: {} })).rejects.toBeInstanceOf(McpError);
    } finally {
      await carol.close();
    }
  });

  test("a server-to-client request (elicitation/create) reaches the client and its answer reaches the upstream's tool", async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice, (c) =>
      c.setRequestHandler(ElicitRequestSchema, (request) => {
        expect(request.params.message).toBe('Your name?');
        return { action: 'accept', content: { name: 'Ada' } };
      }),
    );
    try {
      expect(await client.callTool({ name: 'ask_name', arguments: {} })).toMatchObject(text('hello Ada'));
    } finally {
      await client.close();
    }
  });

  test("progress notifications reach the call's stream, in order, before its answer", async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const progress: number[] = [];
      const result = await client.callTool({ name: 'count', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
      expect(result).toMatchObject(text('counted'));
      expect(progress).toEqual([1, 2, 3]);
    } finally {
      await client.close();
    }
  });

  test('an upstream that dies mid-call: the client gets a JSON-RPC error naming the server, and the gateway keeps serving new sessions', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const started = new Promise<void>((resolve) => (slowStarted = resolve));
      const call = client.callTool({ name: 'slow', arguments: {} });
      await started;
      upstream.crash();
      await expect(call).rejects.toThrow(/upstream of MCP server 'files'/);
    } finally {
      await client.close().catch(() => undefined);
    }
    const { client: again } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      expect(await again.callTool({ name: 'read', arguments: { path: 'after' } })).toMatchObject(text('read:after'));
    } finally {
      await again.close();
    }
  });

  test("a notification the upstream sends while no request is pending reaches the client's GET stream", async () => {
    const before = new Set(upstream.open);
    let changed!: () => void;
    const told = new Promise<void>((resolve) => (changed = resolve));
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice, (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => changed()));
    try {
      await client.listTools();
      const mine = [...upstream.open].find((id) => !before.has(id))!;
      // Unprompted: no POST of the client is waiting, so only its GET stream (opened by the SDK client after initialize) can carry it.
      upstream.servers.get(mine)!.sendToolListChanged();
      await told;
    } finally {
      await client.close();
    }
  });

  test('a session holds at most 64 pending requests on a replica: a batch past it is refused (429) before anything is posted', async () => {
    const auth = { authorization: `Bearer ${KEYS.alice}` };
    const init = await rawPost(`${gw.url}/mcp/files`, auth, initializeRequest('2025-03-26'));
    const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' };
    const batch = Array.from({ length: 65 }, (_, i) => ({ jsonrpc: '2.0', id: `many-${i}`, method: 'tools/call', params: { name: 'read', arguments: { path: 'x' } } }));
    const answer = await rawPost(`${gw.url}/mcp/files`, headers, batch);
    expect(answer.status).toBe(429);
    expect(answer.messages[0]!.error.message).toContain('at most 64');
    expect(upstream.seen.some((r) => r.body.includes('many-'))).toBe(false);
    // Within the bound, the same batch shape is served.
    const served = await rawPost(`${gw.url}/mcp/files`, headers, batch.slice(0, 3));
    expect(served.messages.map((m) => m.id).sort()).toEqual(['many-0', 'many-1', 'many-2']);
  });

  test("DELETE closes the upstream stream (the upstream's session ends), and the session is then not found", async () => {
    const before = new Set(upstream.open);
    const { client, transport } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      await client.listTools();
      const mine = [...upstream.open].filter((id) => !before.has(id));
      expect(mine).toHaveLength(1);
      const sid = transport.sessionId!;
      await transport.terminateSession();
      await until(() => !upstream.open.has(mine[0]!));
      const after = await rawPost(`${gw.url}/mcp/files`, { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
      expect(after.status).toBe(404);
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});

test('two gateway instances with one session key and one Redis serve one session: initialized on one, called on the other (the upstream stream stays on the first)', async () => {
  const redis = await startRedisServer();
  const gateway = fleet();
  const first = await startMcpWithRedis(gateway, redis.address, withSessionKey);
  const second = await startMcpWithRedis(gateway, redis.address, withSessionKey);
  try {
    const { client, transport } = await connect(`${first.url}/mcp/files`, KEYS.alice, (c) => c.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { name: 'Bo' } })));
    try {
      const headers = { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' };
      const answer = await rawPost(`${second.url}/mcp/files`, headers, { jsonrpc: '2.0', id: 'elsewhere', method: 'tools/call', params: { name: 'read', arguments: { path: 'b.txt' } } });
      expect(answer.status).toBe(200);
      expect(answer.messages).toEqual([expect.objectContaining({ id: 'elsewhere', result: expect.objectContaining(text('read:b.txt')) })]);
      // A server request of a call made through the second reaches that call's stream, and its answer (POSTed to the second) the upstream.
      const asking = await fetch(`${second.url}/mcp/files`, {
        method: 'POST',
        headers: { ...headers, 'accept': 'application/json, text/event-stream', 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 'ask', method: 'tools/call', params: { name: 'ask_name', arguments: {} } }),
      });
      const events = sseMessages(asking);
      const elicit = (await events.next()).value!;
      expect(elicit).toMatchObject({ method: 'elicitation/create', params: { message: 'Your name?' } });
      const answered = await rawPost(`${first.url}/mcp/files`, headers, { jsonrpc: '2.0', id: elicit.id, result: { action: 'accept', content: { name: 'Bo' } } });
      expect(answered.status).toBe(202);
      expect((await events.next()).value).toMatchObject({ id: 'ask', result: text('hello Bo') });
      // And the first still serves it.
      expect(await client.callTool({ name: 'read', arguments: { path: 'c.txt' } })).toMatchObject(text('read:c.txt'));
    } finally {
      await client.close();
    }
  } finally {
    await second.close();
    await first.close();
    await redis.stop();
  }
}, 20_000);

describe('a legacy HTTP+SSE client of an HTTP+SSE upstream (both ends 2024-11-05)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startMcp(fleet(), carolReadOnly);
  });
  afterAll(async () => {
    await gw.close();
  });

  async function legacyClient(key: string, setup?: (client: Client) => void): Promise<Client> {
    const client = new Client({ name: 'legacy', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    setup?.(client);
    await client.connect(new SSEClientTransport(new URL(`${gw.url}/mcp/files/sse`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    return client;
  }

  test('lists (filtered by the grant) and calls; a denied tool is refused and never posted upstream', async () => {
    const client = await legacyClient(KEYS.carol);
    const seenBefore = upstream.seen.length;
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read']);
      expect(await client.callTool({ name: 'read', arguments: { path: 'legacy.txt' } })).toMatchObject(text('read:legacy.txt'));
      await expect(client.callTool({ name: 'leak', arguments: {} })).rejects.toMatchObject({ code: -32602 });
      expect(upstream.seen.slice(seenBefore).some((r) => r.body.includes('"leak"'))).toBe(false);
    } finally {
      await client.close();
    }
  });

  test("an elicitation during a call reaches the client's stream, and its answer the upstream's tool", async () => {
    const client = await legacyClient(KEYS.alice, (c) => c.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { name: 'Old' } })));
    try {
      expect(await client.callTool({ name: 'ask_name', arguments: {} })).toMatchObject(text('hello Old'));
    } finally {
      await client.close();
    }
  });

  test("a notification the upstream sends while no request is pending reaches the client's stream", async () => {
    const before = new Set(upstream.open);
    let changed!: () => void;
    const told = new Promise<void>((resolve) => (changed = resolve));
    const client = await legacyClient(KEYS.alice, (c) => c.setNotificationHandler(ToolListChangedNotificationSchema, () => changed()));
    try {
      await client.listTools();
      const mine = [...upstream.open].find((id) => !before.has(id))!;
      upstream.servers.get(mine)!.sendToolListChanged();
      await told;
    } finally {
      await client.close();
    }
  });
});

describe('an endpoint event on another origin', () => {
  let evil: Server;
  let victim: Server;
  const reached: IncomingMessage[] = [];
  beforeAll(async () => {
    victim = createServer((req, res) => {
      reached.push(req);
      res.writeHead(202).end();
    });
    await new Promise<void>((resolve) => victim.listen(0, '127.0.0.1', resolve));
    const victimPort = (victim.address() as AddressInfo).port;
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: endpoint\ndata: http://127.0.0.1:${victimPort}/messages?sessionId=stolen\n\n`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const s of [evil, victim]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  test('is refused (502 naming it), and nothing is posted there', async () => {
    const gw = await startMcp(fleet(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/sse`), withSessionKey);
    try {
      const answer = await rawPost(`${gw.url}/mcp/files`, { authorization: `Bearer ${KEYS.alice}` }, initializeRequest('2025-11-25'));
      expect(answer.status).toBe(502);
      expect(answer.messages[0]!.error.message).toContain('another origin');
      expect(answer.headers.get('mcp-session-id')).toBeNull();
      expect(reached).toHaveLength(0);
    } finally {
      await gw.close();
    }
  });
});
