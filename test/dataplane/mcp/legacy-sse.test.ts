import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { KEYS, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/** The legacy HTTP+SSE transport (2024-11-05 clients): the SDK's SSEClientTransport at `<path>/sse`, for both kinds of server. */

let up: SdkUpstream;
let rest: Server;
let gw: TestGateway;

beforeAll(async () => {
  up = await sdkUpstream((server) => {
    server.registerTool('read', { description: 'reads', inputSchema: { path: z.string() } }, ({ path }) => ({ content: [{ type: 'text', text: `read:${path}` }] }));
    server.registerTool('secret', { description: 'not allowed' }, () => ({ content: [{ type: 'text', text: 'secret' }] }));
  });
  rest = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })));
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url: up.url, allowTools: ['read'] });
  const items = gateway.addMcpServer('items', {
    kind: 'http-to-mcp',
    baseUrl: `http://127.0.0.1:${(rest.address() as AddressInfo).port}`,
    tools: [{ name: 'get_item', description: 'one item', inputSchema: { type: 'object', properties: { id: { type: 'string' } } }, request: { method: 'GET', path: '/items/{{args.id}}' } }],
  });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files, items] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [files] } });
  gw = await startMcp(gateway, withSessionKey);
});

afterAll(async () => {
  await gw.close();
  await up.close();
  rest.closeAllConnections();
  await new Promise<void>((resolve) => rest.close(() => resolve()));
});

async function legacyClient(path: string, key: string): Promise<Client> {
  const client = new Client({ name: 'legacy', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(`${gw.url}${path}/sse`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}

test('a proxy: list (filtered by allowTools) and call; a denied tool is -32602', async () => {
  const client = await legacyClient('/mcp/files', KEYS.alice);
  try {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read']);
    expect(await client.callTool({ name: 'read', arguments: { path: 'old' } })).toMatchObject({ content: [{ type: 'text', text: 'read:old' }] });
    await expect(client.callTool({ name: 'secret', arguments: {} })).rejects.toMatchObject({ code: -32602 });
  } finally {
    await client.close();
  }
});

test('an HTTP-to-MCP server: list and call', async () => {
  const client = await legacyClient('/mcp/items', KEYS.alice);
  try {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['get_item']);
    expect(JSON.stringify((await client.callTool({ name: 'get_item', arguments: { id: '7' } })).content)).toContain('/items/7');
  } finally {
    await client.close();
  }
});

test("a stream's message endpoint is its consumer's and its server's only: 404 for anyone else", async () => {
  const controller = new AbortController();
  const res = await fetch(`${gw.url}/mcp/files/sse`, { headers: { authorization: `Bearer ${KEYS.alice}`, accept: 'text/event-stream' }, signal: controller.signal });
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const endpoint = /data: (\S+)/.exec(first)![1];
  expect(endpoint).toMatch(/^\/mcp\/files\/message\?sessionId=[0-9a-f]{32}$/);
  const post = (path: string, key: string) =>
    fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'authorization': `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
  expect((await post(endpoint, KEYS.carol)).status).toBe(404);
  expect((await post(endpoint.replace('/mcp/files/', '/mcp/items/'), KEYS.alice)).status).toBe(404);
  expect((await post('/mcp/files/message?sessionId=nope', KEYS.alice)).status).toBe(404);
  expect((await post(endpoint, KEYS.alice)).status).toBe(202);
  controller.abort();
  await reader.cancel().catch(() => undefined);
});
