import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Client as StatelessClient, StreamableHTTPClientTransport as StatelessTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, McpServer as StatelessServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { connect, initializeRequest, KEYS, rawPost, type SdkUpstream, sdkUpstream, secretRef, startMcp, UPSTREAM_TOKEN, withSessionKey } from './mcp-harness';
import { Backend } from '../../../src';
import { decodeParamValue, encodeParamValue } from '../../../src/dataplane/mcp/stateless';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

// The gateway resolves system extensions from the package's catalog: the MCP hook tests' extensions are added to it.
jest.mock('../../../src/extensions/system', () => {
  const actual = jest.requireActual<typeof import('../../../src/extensions/system')>('../../../src/extensions/system');
  const { systemCatalogWithMcpHooks } = jest.requireActual<typeof import('../extensions/mcp-hook-extensions')>('../extensions/mcp-hook-extensions');
  return { ...actual, SYSTEM_EXTENSIONS: systemCatalogWithMcpHooks(actual.SYSTEM_EXTENSIONS) };
});

/**
 * MCP revision 2026-07-28 (stateless: no session, no initialize, server/discover) beside the session
 * era, with the official v2 client (@modelcontextprotocol/client) and, on the same servers, the SDK 1.x
 * client: an HTTP-to-MCP server, a proxy to an upstream built with the v2 server (createMcpHandler), and
 * a proxy to a session-era upstream (SDK 1.x), which the v2 client reaches through a session.
 */

const VERSION = '2026-07-28';
const text = (s: string) => ({ content: [{ type: 'text' as const, text: s }] });

interface Seen {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let rest: Server;
const restCalls: string[] = [];
let modern: { url: string; seen: Seen[]; close: () => Promise<void> };
let legacy: SdkUpstream;
let gw: TestGateway;

/** An upstream built with the v2 server's own HTTP entry (2026-07-28, and 2025 statelessly), behind a node:http adapter that records each request. */
async function modernUpstream(): Promise<typeof modern> {
  const handler = createMcpHandler(() => {
    const server = new StatelessServer({ name: 'modern-upstream', version: '2.0.0' });
    server.registerTool('read', { description: 'reads a file', inputSchema: z.object({ path: z.string() }) }, ({ path }) => text(`read:${path}`));
    server.registerTool('delete_all', { description: 'deletes everything' }, () => text('deleted everything'));
    // An argument mirrored in a header (SEP-2243): the client sends Mcp-Param-Region, which this server checks against the arguments.
    server.registerTool('locate', { description: 'in a region', inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }) }) }, ({ region }) => text(`in:${region}`));
    return server;
  });
  const seen: Seen[] = [];
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', headers: req.headers, body: body.toString('utf8') });
      void (async () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
        const response = await handler.fetch(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? body : undefined }));
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        res.end();
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    seen,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

beforeAll(async () => {
  rest = createServer((req, res) => {
    restCalls.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  modern = await modernUpstream();
  legacy = await sdkUpstream((server) => server.registerTool('old_tool', { description: 'x' }, () => text('old')));
  const gateway = gatewayStack();
  const items = gateway.addMcpServer('items', {
    kind: 'http-to-mcp',
    baseUrl: `http://127.0.0.1:${(rest.address() as AddressInfo).port}/api`,
    tools: [
      {
        name: 'get_item',
        description: 'one item',
        inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        request: { method: 'GET', path: '/items/{{args.id}}' },
      },
      { name: 'list_items', description: 'all items', request: { method: 'GET', path: '/items' } },
    ],
  });
  const modernServer = gateway.addMcpServer('modern', { kind: 'proxy', url: modern.url, auth: secretRef('mcp-keys', 'upstream') });
  const legacyServer = gateway.addMcpServer('legacy', { kind: 'proxy', url: legacy.url });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: Backend.vllm({ baseUrl: 'http://127.0.0.1:1/v1' }) }] }] });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [items, modernServer, legacyServer] } });
  gateway.addConsumer('bob', { apiKey: secretRef('consumer-keys', 'bob'), grants: { routes: [chat] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [items, modernServer] } });
  gw = await startMcp(gateway, (c) =>
    withSessionKey({
      ...c,
      consumers: c.consumers.map((k) => (k.name === 'carol' ? { ...k, grants: { ...k.grants, mcpServers: [], mcpTools: { items: ['list_items'], modern: ['read'] } } } : k)),
    }),
  );
});

afterAll(async () => {
  await gw.close();
  await modern.close();
  await legacy.close();
  rest.closeAllConnections();
  await new Promise<void>((resolve) => rest.close(() => resolve()));
});

/** The v2 client, connected to an MCP URL with a consumer key: pinned to 2026-07-28 unless told `auto` (probe, then initialize if need be). */
async function connectStateless(url: string, key: string, mode: 'auto' | 'pin' = 'pin'): Promise<StatelessClient> {
  const client = new StatelessClient({ name: 'aigw-test-v2', version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode: mode === 'pin' ? { pin: VERSION } : 'auto' } });
  await client.connect(new StatelessTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

/** A well-formed 2026-07-28 request: the `_meta` envelope, and the headers that mirror the body. */
function statelessPost(url: string, key: string, method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const meta = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } };
  const name: Record<string, string> = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return rawPost(
    url,
    { 'authorization': `Bearer ${key}`, 'mcp-protocol-version': VERSION, 'mcp-method': method, ...name, ...headers },
    { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } },
  );
}

describe('an HTTP-to-MCP server', () => {
  test('the v2 client discovers, lists and calls with no session; the 1.x client initializes a session on the same server', async () => {
    const client = await connectStateless(`${gw.url}/mcp/items`, KEYS.alice);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(VERSION);
      expect(client.getServerVersion()).toMatchObject({ name: 'items' });
      expect(client.getServerCapabilities()).toMatchObject({ tools: {} });
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['get_item', 'list_items']);
      const result = await client.callTool({ name: 'get_item', arguments: { id: '42' } });
      expect(JSON.stringify(result.content)).toContain('/api/items/42');
      expect(restCalls).toContain('GET /api/items/42');
    } finally {
      await client.close();
    }
    const { client: old } = await connect(`${gw.url}/mcp/items`, KEYS.alice);
    try {
      expect(old.getServerVersion()).toMatchObject({ name: 'items' });
      expect((await old.listTools()).tools.map((t) => t.name)).toEqual(['get_item', 'list_items']);
    } finally {
      await old.close();
    }
  });

  test('answers carry no session id, and the revision\'s result fields (resultType, private cache hints, serverInfo)', async () => {
    const discover = await statelessPost(`${gw.url}/mcp/items`, KEYS.alice, 'server/discover');
    expect(discover.status).toBe(200);
    expect(discover.headers.get('mcp-session-id')).toBeNull();
    expect(discover.messages[0]!.result).toMatchObject({ supportedVersions: [VERSION, '2025-11-25', '2025-06-18', '2025-03-26'], resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    const list = await statelessPost(`${gw.url}/mcp/items`, KEYS.alice, 'tools/list');
    expect(list.messages[0]!.result).toMatchObject({ resultType: 'complete', cacheScope: 'private', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'items' } } });
  });

  test('tool grants: a consumer granted one tool lists and calls only it; a denied tool is -32602 and reaches nothing', async () => {
    const client = await connectStateless(`${gw.url}/mcp/items`, KEYS.carol);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['list_items']);
      const before = restCalls.length;
      await expect(client.callTool({ name: 'get_item', arguments: { id: '1' } })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("'get_item'") });
      expect(restCalls.length).toBe(before);
    } finally {
      await client.close();
    }
  });

  test('a consumer without a grant to the server is refused (403), one without a key 401: the v2 client fails to connect', async () => {
    expect((await statelessPost(`${gw.url}/mcp/items`, KEYS.bob, 'server/discover')).status).toBe(403);
    expect((await statelessPost(`${gw.url}/mcp/items`, 'sk-nobody', 'server/discover')).status).toBe(401);
    await expect(connectStateless(`${gw.url}/mcp/items`, KEYS.bob)).rejects.toThrow(/403/);
  });

  test('an initialize asking for 2026-07-28 is answered with the latest session revision, as the SDK expects', async () => {
    const answer = await rawPost(`${gw.url}/mcp/items`, { authorization: `Bearer ${KEYS.alice}` }, initializeRequest(VERSION));
    expect(answer.status).toBe(200);
    expect(answer.messages[0]!.result.protocolVersion).toBe('2025-11-25');
    expect(answer.headers.get('mcp-session-id')).toBeTruthy();
  });
});

describe('malformed 2026-07-28 requests get JSON-RPC errors', () => {
  const url = () => `${gw.url}/mcp/items`;

  test('a tools/call whose Mcp-Name header names another tool than its body is refused (-32020), and reaches nothing', async () => {
    const before = restCalls.length;
    const answer = await statelessPost(url(), KEYS.alice, 'tools/call', { name: 'get_item', arguments: { id: '7' } }, { 'mcp-name': 'list_items' });
    expect(answer.status).toBe(400);
    expect(answer.messages[0]!.error).toMatchObject({ code: -32020, message: expect.stringContaining('Mcp-Name') });
    expect(restCalls.length).toBe(before);
    const missing = await rawPost(
      url(),
      { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call' },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_item', arguments: { id: '7' }, _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } },
    );
    expect(missing.messages[0]!.error).toMatchObject({ code: -32020 });
    expect(restCalls.length).toBe(before);
  });

  test('an Mcp-Method header naming another method than the body is refused (-32020)', async () => {
    const answer = await statelessPost(url(), KEYS.alice, 'tools/list', {}, { 'mcp-method': 'server/discover' });
    expect(answer.status).toBe(400);
    expect(answer.messages[0]).toMatchObject({ id: 1, error: { code: -32020 } });
  });

  test('the header and the body naming different revisions, or an unsupported one, or none in the body', async () => {
    const mismatch = await statelessPost(url(), KEYS.alice, 'tools/list', {}, { 'mcp-protocol-version': '2026-09-01' });
    expect(mismatch.messages[0]!.error).toMatchObject({ code: -32020 });
    const future = await rawPost(
      url(),
      { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-protocol-version': '2027-01-01', 'mcp-method': 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2027-01-01', 'io.modelcontextprotocol/clientCapabilities': {} } } },
    );
    expect(future.status).toBe(400);
    expect(future.messages[0]!.error).toMatchObject({ code: -32022, data: { supported: expect.arrayContaining([VERSION]), requested: '2027-01-01' } });
    const noHeader = await rawPost(
      url(),
      { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-method': 'tools/list' },
      { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} } } },
    );
    expect(noHeader.status).toBe(400);
    expect(noHeader.messages[0]!.error).toMatchObject({ code: -32020, message: expect.stringContaining('MCP-Protocol-Version header is required') });
    const bare = await rawPost(url(), { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/list' }, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(bare.status).toBe(400);
    expect(bare.messages[0]!.error).toMatchObject({ code: -32602, message: expect.stringContaining('io.modelcontextprotocol/protocolVersion') });
  });

  test('an envelope without client capabilities, a batch, a posted response, an unknown method, a notification', async () => {
    const noCaps = await rawPost(
      url(),
      { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/list' },
      { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': VERSION } } },
    );
    expect(noCaps.messages[0]!.error).toMatchObject({ code: -32602, message: expect.stringContaining('clientCapabilities') });
    const meta = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientCapabilities': {} };
    const batch = await rawPost(url(), { authorization: `Bearer ${KEYS.alice}` }, [{ jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: meta } }]);
    expect(batch.status).toBe(400);
    expect(batch.messages[0]!.error).toMatchObject({ code: -32600 });
    const response = await rawPost(url(), { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-protocol-version': VERSION }, { jsonrpc: '2.0', id: 6, result: {} });
    expect(response.messages[0]!.error).toMatchObject({ code: -32600 });
    const unknown = await statelessPost(url(), KEYS.alice, 'resources/list');
    expect(unknown.status).toBe(200);
    expect(unknown.messages[0]!.error).toMatchObject({ code: -32601, message: expect.stringContaining('server/discover') });
    const notification = await rawPost(
      url(),
      { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-protocol-version': VERSION },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: meta } },
    );
    expect(notification.status).toBe(202);
  });

  test('Mcp-Name values: plain ASCII as is, anything else base64 in the sentinel; a malformed sentinel decodes to nothing', () => {
    expect(encodeParamValue('get_item')).toBe('get_item');
    expect(encodeParamValue('café')).toBe(`=?base64?${Buffer.from('café').toString('base64')}?=`);
    expect(decodeParamValue(encodeParamValue('café'))).toBe('café');
    expect(decodeParamValue(encodeParamValue(' padded '))).toBe(' padded ');
    expect(decodeParamValue('=?base64?***?=')).toBeUndefined();
  });
});

describe('a proxy', () => {
  test('to an upstream speaking 2026-07-28: passed on statelessly, with the upstream\'s credential and headers built from the body, never the client\'s key', async () => {
    const client = await connectStateless(`${gw.url}/mcp/modern`, KEYS.alice);
    try {
      expect(client.getServerVersion()).toMatchObject({ name: 'modern-upstream' });
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['delete_all', 'locate', 'read']);
      expect((await client.callTool({ name: 'locate', arguments: { region: 'eu-west' } })).content).toEqual([{ type: 'text', text: 'in:eu-west' }]);
      const result = await client.callTool({ name: 'read', arguments: { path: '/etc/motd' } });
      expect(result.content).toEqual([{ type: 'text', text: 'read:/etc/motd' }]);
    } finally {
      await client.close();
    }
    const call = modern.seen.find((s) => s.body.includes('"tools/call"') && s.body.includes('"read"'))!;
    expect(call.headers).toMatchObject({ 'authorization': `Bearer ${UPSTREAM_TOKEN}`, 'mcp-protocol-version': VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'read' });
    expect(call.headers['mcp-session-id']).toBeUndefined();
    expect(modern.seen.find((s) => s.body.includes('"locate"') && s.body.includes('tools/call'))!.headers['mcp-param-region']).toBe('eu-west');
    expect(JSON.stringify(modern.seen)).not.toContain(KEYS.alice);
  });

  test('a tool the consumer may not use is neither listed nor forwarded', async () => {
    const client = await connectStateless(`${gw.url}/mcp/modern`, KEYS.carol);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read']);
      await expect(client.callTool({ name: 'delete_all', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    } finally {
      await client.close();
    }
    expect(modern.seen.some((s) => s.body.includes('delete_all') && s.body.includes('tools/call'))).toBe(false);
  });

  test('the 1.x client still initializes a session through the same proxy', async () => {
    const { client } = await connect(`${gw.url}/mcp/modern`, KEYS.alice);
    try {
      expect((await client.callTool({ name: 'read', arguments: { path: 'x' } })).content).toEqual([{ type: 'text', text: 'read:x' }]);
    } finally {
      await client.close();
    }
  });

  test('to a session-era upstream: -32022 naming the session revisions; the v2 client in auto mode then initializes a session', async () => {
    const probe = await statelessPost(`${gw.url}/mcp/legacy`, KEYS.alice, 'server/discover');
    expect(probe.status).toBe(400);
    expect(probe.messages[0]!.error).toMatchObject({ code: -32022, message: expect.stringContaining("upstream of MCP server 'legacy'"), data: { supported: ['2025-11-25', '2025-06-18', '2025-03-26'] } });
    await expect(connectStateless(`${gw.url}/mcp/legacy`, KEYS.alice)).rejects.toThrow();
    const client = await connectStateless(`${gw.url}/mcp/legacy`, KEYS.alice, 'auto');
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      expect((await client.callTool({ name: 'old_tool', arguments: {} })).content).toEqual([{ type: 'text', text: 'old' }]);
    } finally {
      await client.close();
    }
  });
});

describe('a proxy with an onToolCall hook that changes an argument mirrored in a Mcp-Param-* header', () => {
  test('the header of the changed argument carries the new value (the old neither leaks nor contradicts the body); the upstream serves the call', async () => {
    const gateway = gatewayStack();
    const server = gateway.addMcpServer('modern', { kind: 'proxy', url: modern.url, auth: secretRef('mcp-keys', 'upstream') });
    gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [server] } });
    const hooked = await startMcp(gateway, (c) =>
      withSessionKey({ ...c, extensions: [{ name: 'region-redactor', source: 'system', phase: 'default', priority: 0, failPolicy: 'closed', enabled: true, config: {} }] }),
    );
    const before = modern.seen.length;
    const client = await connectStateless(`${hooked.url}/mcp/modern`, KEYS.alice);
    try {
      expect((await client.callTool({ name: 'locate', arguments: { region: 'secret-region' } })).content).toEqual([{ type: 'text', text: 'in:eu-west' }]);
    } finally {
      await client.close();
      await hooked.close();
    }
    // The v2 client learns which arguments it mirrors from tools/list: its call before that carries no header (and is refused by the upstream).
    const call = modern.seen.slice(before).filter((s) => s.body.includes('"locate"') && s.body.includes('tools/call')).at(-1)!;
    expect(JSON.parse(call.body).params.arguments).toEqual({ region: 'eu-west' });
    expect(call.headers['mcp-param-region']).toBe('eu-west');
    expect(JSON.stringify(modern.seen.slice(before))).not.toContain('secret-region');
  });
});
