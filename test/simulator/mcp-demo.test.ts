/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
/* eslint-enable import/no-unresolved */
import { McpDemoServer } from '../../src/simulator/mcp-demo';

const servers: McpDemoServer[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(): Promise<McpDemoServer> {
  const server = await McpDemoServer.start();
  servers.push(server);
  return server;
}

async function connect(url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'demo-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

const JSON_HEADERS = { 'content-type': 'application/json', 'accept': 'application/json, text/event-stream' };

/** A raw POST, as the spec writes it. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

async function initialize(url: string, protocolVersion = '2025-06-18'): Promise<string> {
  const res = await post(url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  expect(res.status).toBe(200);
  return res.headers.get('mcp-session-id')!;
}

describe('the demo MCP server, as the official SDK client sees it', () => {
  test('initialize, tools/list, tools/call and ping over Streamable HTTP, at any path', async () => {
    const server = await start();
    const { client, transport } = await connect(`${server.url}/any/path/mcp`);
    expect(client.getServerVersion()?.name).toBe('aigw-dev-mcp-demo');
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['echo', 'add', 'time']);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'hi there' } })).toEqual({ content: [{ type: 'text', text: 'hi there' }] });
    // add has an output schema: the SDK checks the structured content against it.
    expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).toEqual({ content: [{ type: 'text', text: '42' }], structuredContent: { sum: 42 } });
    const time = (await client.callTool({ name: 'time', arguments: {} })) as { content: { text: string }[] };
    expect(new Date(time.content[0].text).toISOString()).toBe(time.content[0].text);
    expect(await client.ping()).toEqual({});
  });

  test('bad arguments are a tool error the caller can read; an unknown tool is a JSON-RPC error', async () => {
    const server = await start();
    const { client } = await connect(`${server.url}/mcp`);
    expect(await client.callTool({ name: 'add', arguments: { a: 'two', b: 1 } })).toEqual({
      content: [{ type: 'text', text: "Invalid arguments for tool add: 'a' and 'b' must be numbers, found \"two\" and 1" }],
      isError: true,
    });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool: "nope"/);
  });

  test('closing the session deletes it', async () => {
    const server = await start();
    const { transport } = await connect(`${server.url}/mcp`);
    expect(server.sessionCount).toBe(1);
    await transport.terminateSession();
    expect(server.sessionCount).toBe(0);
  });
});

describe('the demo MCP server, on the wire', () => {
  test('version negotiation: the client’s version when supported, else the newest', async () => {
    const server = await start();
    for (const [asked, answered] of [['2025-03-26', '2025-03-26'], ['2025-11-25', '2025-11-25'], ['1999-01-01', '2025-11-25']]) {
      const res = await post(server.url, { jsonrpc: '2.0', id: 'i', method: 'initialize', params: { protocolVersion: asked, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      expect([asked, res.json.result.protocolVersion]).toEqual([asked, answered]);
    }
  });

  test('sessions: required after initialize, unknown ones are 404, notifications 202', async () => {
    const server = await start();
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    expect(await post(server.url, ping)).toMatchObject({ status: 400, json: { error: { code: -32600, message: expect.stringContaining('Mcp-Session-Id') } } });
    expect(await post(server.url, ping, { 'mcp-session-id': 'nope' })).toMatchObject({ status: 404, json: { error: { code: -32001 } } });
    const session = await initialize(server.url);
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    expect(await post(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)).toMatchObject({ status: 202, json: undefined });
    expect(await post(server.url, ping, headers)).toEqual(expect.objectContaining({ status: 200, json: { jsonrpc: '2.0', id: 2, result: {} } }));
    expect(await post(server.url, ping, { ...headers, 'mcp-protocol-version': '1999-01-01' })).toMatchObject({ status: 400 });
    expect((await fetch(server.url, { method: 'DELETE', headers: { 'mcp-session-id': session } })).status).toBe(200);
    expect(await post(server.url, ping, headers)).toMatchObject({ status: 404 });
  });

  test('malformed messages get JSON-RPC errors, never a crash', async () => {
    const server = await start();
    const session = await initialize(server.url);
    const headers = { 'mcp-session-id': session };
    expect(await post(server.url, '{"jsonrpc": ', headers)).toMatchObject({ status: 400, json: { jsonrpc: '2.0', id: null, error: { code: -32700 } } });
    expect(await post(server.url, { jsonrpc: '1.0', id: 1, method: 'ping' }, headers)).toMatchObject({ status: 400, json: { error: { code: -32600 } } });
    expect(await post(server.url, { jsonrpc: '2.0', id: 3, method: 'resources/list' }, headers)).toMatchObject({ status: 200, json: { id: 3, error: { code: -32601 } } });
    // Batches: not in 2025-06-18.
    expect(await post(server.url, [{ jsonrpc: '2.0', id: 4, method: 'ping' }], headers)).toMatchObject({ status: 400, json: { error: { code: -32600 } } });
    expect(await post(server.url, 'x'.repeat(1024 * 1024 + 1), headers)).toMatchObject({ status: 413 });
    expect((await fetch(server.url, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await fetch(server.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'accept': 'text/html' }, body: '{}' })).status).toBe(406);
    // Still serving.
    expect(await post(server.url, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, headers)).toMatchObject({ status: 200, json: { id: 5, result: { tools: expect.any(Array) } } });
  });

  test('a 2025-03-26 session may batch', async () => {
    const server = await start();
    const session = await initialize(server.url, '2025-03-26');
    const batch = [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }];
    const res = await post(server.url, batch, { 'mcp-session-id': session });
    expect(res.status).toBe(200);
    expect(res.json.map((r: { id: number }) => r.id)).toEqual([1, 2]);
  });

  test('no server-initiated stream (GET is 405), and a foreign Origin is refused', async () => {
    const server = await start();
    const get = await fetch(server.url, { headers: { accept: 'text/event-stream' } });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST, DELETE']);
    expect((await post(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: 'https://evil.example.com' })).status).toBe(403);
    expect(await initialize(server.url)).toBeTruthy();
  });
});
