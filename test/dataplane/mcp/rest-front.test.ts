import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { connect, initializeRequest, KEYS, metricsText, rawPost, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/**
 * An HTTP-to-MCP server: the gateway is the MCP server (initialize, ping, tools/list, tools/call, -32601
 * for anything else), its tools served by the real HTTP-to-MCP engine against a local REST service.
 */

let rest: Server;
let gw: TestGateway;
const requests: string[] = [];

beforeAll(async () => {
  rest = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(rest.address() as AddressInfo).port}/api`;
  const gateway = gatewayStack();
  const items = gateway.addMcpServer('items', {
    kind: 'http-to-mcp',
    baseUrl,
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
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [items] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [items] } });
  gw = await startMcp(gateway, (c) =>
    withSessionKey({ ...c, consumers: c.consumers.map((k) => (k.name === 'carol' ? { ...k, grants: { ...k.grants, mcpServers: [], mcpTools: { items: ['list_items'] } } } : k)) }),
  );
});

afterAll(async () => {
  await gw.close();
  rest.closeAllConnections();
  await new Promise<void>((resolve) => rest.close(() => resolve()));
});

test('the SDK client initializes, lists the declared tools and calls one: the REST service gets the call', async () => {
  const { client } = await connect(`${gw.url}/mcp/items`, KEYS.alice);
  try {
    expect(client.getServerVersion()).toMatchObject({ name: 'items' });
    expect(client.getServerCapabilities()).toEqual({ tools: { listChanged: false } });
    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => t.name)).toEqual(['get_item', 'list_items']);
    expect(tools[0]).toMatchObject({ description: 'one item', inputSchema: { type: 'object', properties: { id: { type: 'string' } } } });
    const result = await client.callTool({ name: 'get_item', arguments: { id: '42' } });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('/api/items/42');
    expect(requests).toContain('GET /api/items/42');
    expect(await client.ping()).toEqual({});
  } finally {
    await client.close();
  }
});

test('tool grants: a consumer granted one tool lists and calls only it; an undeclared or denied tool is -32602 and reaches nothing', async () => {
  const { client } = await connect(`${gw.url}/mcp/items`, KEYS.carol);
  try {
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['list_items']);
    const before = requests.length;
    await expect(client.callTool({ name: 'get_item', arguments: { id: '1' } })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("'get_item'") });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    expect(requests.length).toBe(before);
  } finally {
    await client.close();
  }
});

test('raw 2025-06-18: other methods are -32601; GET has no stream (405); DELETE ends the session', async () => {
  const auth = { authorization: `Bearer ${KEYS.alice}` };
  const url = `${gw.url}/mcp/items`;
  const init = await rawPost(url, auth, initializeRequest('2025-06-18'));
  expect(init.messages[0].result).toMatchObject({ protocolVersion: '2025-06-18', capabilities: { tools: { listChanged: false } }, serverInfo: { name: 'items' } });
  const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-06-18' };
  expect((await rawPost(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  const prompts = await rawPost(url, headers, { jsonrpc: '2.0', id: 2, method: 'prompts/list' });
  expect(prompts.messages[0]).toMatchObject({ id: 2, error: { code: -32601 } });
  expect((await fetch(url, { headers: { ...headers, accept: 'text/event-stream' } })).status).toBe(405);
  const active = async () => Number(/aigw_mcp_sessions_active\{[^}]*server="items"[^}]*\} (-?\d+)/.exec(await metricsText(gw))?.[1]);
  const open = await active();
  expect((await fetch(url, { method: 'DELETE', headers })).status).toBe(200);
  expect(await active()).toBe(open - 1);
  // Ended here: this replica no longer serves it.
  expect((await rawPost(url, headers, { jsonrpc: '2.0', id: 3, method: 'ping' })).status).toBe(404);
});
