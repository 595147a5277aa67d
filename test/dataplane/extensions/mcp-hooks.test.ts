import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { SPIED } from './mcp-hook-extensions';
import type { GatewayConfig } from '../../../src/specs';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';
import {
  connect,
  initializeRequest,
  KEYS,
  metricsText,
  rawPost,
  type SdkSseUpstream,
  sdkSseUpstream,
  type SdkUpstream,
  sdkUpstream,
  secretRef,
  startMcp,
  withSessionKey,
} from '../mcp/mcp-harness';

// The gateway resolves system extensions from the package's catalog: these tests' own extensions are added to it.
jest.mock('../../../src/extensions/system', () => {
  const actual = jest.requireActual<typeof import('../../../src/extensions/system')>('../../../src/extensions/system');
  const { systemCatalogWithMcpHooks } = jest.requireActual<typeof import('./mcp-hook-extensions')>('./mcp-hook-extensions');
  return { ...actual, SYSTEM_EXTENSIONS: systemCatalogWithMcpHooks(actual.SYSTEM_EXTENSIONS) };
});

/**
 * onToolCall and onToolResult on MCP servers, end to end with the official SDK client: a proxy to an SDK server
 * answering in SSE, one answering in JSON, and an HTTP-to-MCP server in front of a REST service.
 */

type Entry = GatewayConfig['extensions'][number];

function ext(name: string, over: Partial<Entry> = {}): Entry {
  return { name, source: 'system', phase: 'default', priority: 0, failPolicy: 'closed', enabled: true, config: {}, ...over } as Entry;
}

const text = (s: string) => ({ content: [{ type: 'text' as const, text: s }] });

let files: SdkUpstream;
let jsonFiles: SdkUpstream;
/** Closes a tool call's stream before answering (SEP-1699 polling): the SDK client gets the result on its next stream. */
let polling: SdkUpstream;
/** Speaks the legacy HTTP+SSE transport: its answers come over its stream (sse-client.ts). */
let sseFiles: SdkSseUpstream;
let rest: Server;
const restSeen: string[] = [];

beforeAll(async () => {
  const register = (server: McpServer) => {
    server.registerTool('read', { description: 'reads a file', inputSchema: { path: z.string() } }, ({ path }) => text(`read:${path}`));
    server.registerTool('search', { description: 'searches', inputSchema: { q: z.string() } }, ({ q }) => text(`found:${q}`));
    server.registerTool('delete_all', { description: 'deletes everything' }, () => text('deleted everything'));
  };
  files = await sdkUpstream(register);
  jsonFiles = await sdkUpstream(register, { json: true });
  sseFiles = await sdkSseUpstream(register);
  polling = await sdkUpstream(
    (server) => {
      server.registerTool('later', { description: 'answers on the next stream' }, async (extra) => {
        extra.closeSSEStream?.();
        await new Promise((resolve) => setTimeout(resolve, 100));
        return text('raw-result');
      });
    },
    { resumable: true },
  );
  rest = createServer((req, res) => {
    restSeen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await files.close();
  await jsonFiles.close();
  await sseFiles.close();
  await polling.close();
  await new Promise<void>((resolve) => rest.close(() => resolve()));
});

/** Four MCP servers; alice granted them all, carol only `read` of `files`; the extensions given. */
function startWith(extensions: Entry[]): Promise<TestGateway> {
  const gateway = gatewayStack();
  const filesServer = gateway.addMcpServer('files', { kind: 'proxy', url: files.url, allowTools: ['read', 'search'], auth: secretRef('mcp-keys', 'upstream') });
  const jsonServer = gateway.addMcpServer('json-files', { kind: 'proxy', url: jsonFiles.url });
  const sseServer = gateway.addMcpServer('sse-files', { kind: 'proxy', url: sseFiles.url, transport: 'sse' });
  const pollingServer = gateway.addMcpServer('polling', { kind: 'proxy', url: polling.url });
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
    ],
  });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [filesServer, jsonServer, sseServer, pollingServer, items] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [filesServer] } });
  return startMcp(gateway, (c) =>
    withSessionKey({
      ...c,
      extensions,
      consumers: c.consumers.map((k) => (k.name === 'carol' ? { ...k, grants: { ...k.grants, mcpServers: [], mcpTools: { files: ['read'] } } } : k)),
    }),
  );
}

/** The text of a tool result's content. */
function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content.map((c) => c.text).join('');
}

/** What the upstream received in its tools/call requests (their bodies). */
const toolCallsSeen = (upstream: SdkUpstream): string[] => upstream.seen.map((r) => r.body).filter((b) => b.includes('"tools/call"'));

describe('onToolCall and onToolResult, failure policy closed', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startWith([ext('tool-spy'), ext('path-mapper'), ext('etc-guard'), ext('result-stamp'), ext('call-thrower'), ext('result-thrower')]);
  });
  afterAll(async () => {
    await gw.close();
  });

  test('a result the upstream sends on the next stream (it closed the call\'s own, SEP-1699): onToolResult runs on it too, its tool unnamed', async () => {
    const { client } = await connect(`${gw.url}/mcp/polling`, KEYS.alice);
    try {
      expect(textOf(await client.callTool({ name: 'later', arguments: {} }))).toBe('[checked ] raw-result');
    } finally {
      await client.close();
    }
  });

  test('arguments a hook changes reach the upstream tool, changed in place or replaced by an async hook', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const before = toolCallsSeen(files).length;
      const read = await client.callTool({ name: 'read', arguments: { path: 'secret.txt' } });
      expect(textOf(read)).toBe('[checked read] read:public.txt');
      const search = await client.callTool({ name: 'search', arguments: { q: 'alias' } });
      expect(textOf(search)).toBe('[checked search] found:resolved');
      const seen = toolCallsSeen(files).slice(before);
      expect(seen).toHaveLength(2);
      expect(JSON.parse(seen[0]!).params.arguments).toEqual({ path: 'public.txt' });
      expect(JSON.parse(seen[1]!).params.arguments).toEqual({ q: 'resolved' });
      expect(seen.join('')).not.toContain('secret.txt');
    } finally {
      await client.close();
    }
    // An upstream speaking the legacy HTTP+SSE transport gets them in its message POST.
    const sse = await connect(`${gw.url}/mcp/sse-files`, KEYS.alice);
    try {
      expect(textOf(await sse.client.callTool({ name: 'read', arguments: { path: 'secret.txt' } }))).toBe('[checked read] read:public.txt');
      expect(sseFiles.seen.map((r) => r.body).join('')).not.toContain('secret.txt');
    } finally {
      await sse.client.close();
    }
  });

  test('a result a hook changes reaches the client, from a JSON answer, an SSE stream, and an HTTP+SSE upstream\'s stream', async () => {
    for (const server of ['files', 'json-files', 'sse-files']) {
      const { client } = await connect(`${gw.url}/mcp/${server}`, KEYS.alice);
      try {
        expect(textOf(await client.callTool({ name: 'search', arguments: { q: 'x' } }))).toBe('[checked search] found:x');
      } finally {
        await client.close();
      }
    }
  });

  test('an HTTP-to-MCP server: the REST service gets the arguments as a hook left them, the client the result as a hook left it', async () => {
    const { client } = await connect(`${gw.url}/mcp/items`, KEYS.alice);
    try {
      restSeen.length = 0;
      const result = await client.callTool({ name: 'get_item', arguments: { id: 'old' } });
      expect(restSeen).toEqual(['GET /api/items/new']);
      expect(textOf(result)).toMatch(/^\[checked get_item\] .*\/api\/items\/new/);
    } finally {
      await client.close();
    }
  });

  test('a refused call is answered with a tool error carrying the message, never reaches the upstream, and is accounted denied', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const before = toolCallsSeen(files).length;
      const refused = await client.callTool({ name: 'read', arguments: { path: '/etc/passwd' } });
      expect(refused).toEqual({ content: [{ type: 'text', text: 'reading /etc/passwd is not allowed here' }], isError: true });
      expect(toolCallsSeen(files).length).toBe(before);
      expect(await metricsText(gw)).toMatch(/aigw_mcp_tool_calls_total\{[^}]*server="files",tool="read",result="denied"[^}]*\} 1/);
      // The session goes on.
      expect(textOf(await client.callTool({ name: 'read', arguments: { path: 'a.txt' } }))).toBe('[checked read] read:a.txt');
    } finally {
      await client.close();
    }
  });

  test('an onToolCall hook that fails answers that call alone with a JSON-RPC error naming the extension; the next call works', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const before = toolCallsSeen(files).length;
      const failed = client.callTool({ name: 'search', arguments: { q: 'explode' } });
      await expect(failed).rejects.toBeInstanceOf(McpError);
      await expect(failed).rejects.toMatchObject({ code: -32603, message: expect.stringContaining("Extension 'call-thrower' failed in its onToolCall hook") });
      expect(toolCallsSeen(files).length).toBe(before);
      expect(textOf(await client.callTool({ name: 'search', arguments: { q: 'fine' } }))).toBe('[checked search] found:fine');
    } finally {
      await client.close();
    }
  });

  test('in a batch, the call whose hook failed gets its error and the other its result, in one answer', async () => {
    const url = `${gw.url}/mcp/json-files`;
    const auth = { authorization: `Bearer ${KEYS.alice}` };
    const init = await rawPost(url, auth, initializeRequest('2025-03-26'));
    const session = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' };
    expect((await rawPost(url, session, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    const answer = await rawPost(url, session, [
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search', arguments: { q: 'explode' } } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'search', arguments: { q: 'fine' } } },
    ]);
    expect(answer.status).toBe(200);
    const byId = new Map(answer.messages.map((m) => [m.id, m]));
    expect(byId.get(2)).toMatchObject({ error: { code: -32603, message: expect.stringContaining("'call-thrower'") } });
    expect(JSON.stringify(byId.get(2))).not.toContain('explode');
    expect(textOf(byId.get(3)!.result)).toBe('[checked search] found:fine');
  });

  test('an onToolResult hook that fails turns that result into a JSON-RPC error naming the extension', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const failed = client.callTool({ name: 'search', arguments: { q: 'explode-result' } });
      await expect(failed).rejects.toMatchObject({ code: -32603, message: expect.stringContaining("Extension 'result-thrower' failed in its onToolResult hook") });
      expect(textOf(await client.callTool({ name: 'search', arguments: { q: 'fine' } }))).toBe('[checked search] found:fine');
    } finally {
      await client.close();
    }
  });

  test('grants and allowTools are checked before onToolCall: a hook never sees a call the consumer may not make', async () => {
    SPIED.length = 0;
    const carol = await connect(`${gw.url}/mcp/files`, KEYS.carol);
    const alice = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      await expect(carol.client.callTool({ name: 'search', arguments: { q: 'x' } })).rejects.toMatchObject({ code: -32602 });
      await expect(alice.client.callTool({ name: 'delete_all', arguments: {} })).rejects.toMatchObject({ code: -32602 });
      expect(SPIED).toEqual([]);
      await carol.client.callTool({ name: 'read', arguments: { path: 'a.txt' } });
      expect(SPIED).toEqual([{ server: 'files', tool: 'read', consumer: 'carol' }]);
    } finally {
      await carol.client.close();
      await alice.client.close();
    }
  });

  test('the legacy HTTP+SSE transport: arguments rewritten, calls refused, results rewritten on the client\'s stream (proxy and HTTP-to-MCP)', async () => {
    const legacy = async (path: string): Promise<Client> => {
      const client = new Client({ name: 'legacy', version: '1.0.0' });
      await client.connect(new SSEClientTransport(new URL(`${gw.url}${path}/sse`), { requestInit: { headers: { Authorization: `Bearer ${KEYS.alice}` } } }));
      return client;
    };
    const proxied = await legacy('/mcp/files');
    const local = await legacy('/mcp/items');
    try {
      expect(textOf(await proxied.callTool({ name: 'read', arguments: { path: 'secret.txt' } }))).toBe('[checked read] read:public.txt');
      expect(await proxied.callTool({ name: 'read', arguments: { path: '/etc/hosts' } })).toEqual({ content: [{ type: 'text', text: 'reading /etc/hosts is not allowed here' }], isError: true });
      restSeen.length = 0;
      expect(textOf(await local.callTool({ name: 'get_item', arguments: { id: 'old' } }))).toMatch(/^\[checked get_item\] .*\/api\/items\/new/);
      expect(restSeen).toEqual(['GET /api/items/new']);
    } finally {
      await proxied.close();
      await local.close();
    }
  });

  test('neither arguments nor results reach the gateway log', () => {
    const logged = JSON.stringify(gw.logs);
    for (const value of ['secret.txt', 'public.txt', '/etc/passwd', '/etc/hosts', 'found:', 'read:', 'resolved']) expect(logged).not.toContain(value);
    // The hooks' failures are logged, naming the extension and the hook.
    expect(gw.logs).toContainEqual(expect.objectContaining({ extension: 'call-thrower', hook: 'onToolCall', msg: 'extension hook failed' }));
  });
});

describe('onToolCall and onToolResult, failure policy open', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startWith([ext('call-thrower', { failPolicy: 'open' }), ext('result-thrower', { failPolicy: 'open' })]);
  });
  afterAll(async () => {
    await gw.close();
  });

  test('a hook that fails is skipped: the call goes on and its result reaches the client', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      expect(textOf(await client.callTool({ name: 'search', arguments: { q: 'explode' } }))).toBe('found:explode');
      expect(textOf(await client.callTool({ name: 'search', arguments: { q: 'explode-result' } }))).toBe('found:explode-result');
      expect(await metricsText(gw)).toMatch(/aigw_extension_errors_total\{[^}]*extension="call-thrower",hook="onToolCall"[^}]*\} 1/);
      expect(await metricsText(gw)).toMatch(/aigw_extension_errors_total\{[^}]*extension="result-thrower",hook="onToolResult"[^}]*\} 1/);
    } finally {
      await client.close();
    }
  });
});
