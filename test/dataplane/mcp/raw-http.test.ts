import { request } from 'undici';
import { z } from 'zod';
import { initializeRequest, KEYS, rawPost, read, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/** Raw Streamable HTTP, as the spec writes it, against an MCP proxy: the transport's rules, each refusal with its status and JSON-RPC code. */

let up: SdkUpstream;
let gw: TestGateway;
let url: string;
const auth = { authorization: `Bearer ${KEYS.alice}` };

beforeAll(async () => {
  up = await sdkUpstream((server) => server.registerTool('echo', { description: 'echoes', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] })));
  const gateway = gatewayStack();
  const echo = gateway.addMcpServer('echo', { kind: 'proxy', url: up.url });
  gateway.addDomain('ai', { hostname: 'ai.example.com' });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [echo] } });
  gw = await startMcp(gateway, withSessionKey);
  url = `${gw.url}/mcp/echo`;
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

/** A session opened by a raw client of `version`: initialize, then notifications/initialized. */
async function open(version: string): Promise<Record<string, string>> {
  const init = await rawPost(url, auth, initializeRequest(version));
  expect(init.status).toBe(200);
  expect(init.messages[0]).toMatchObject({ id: 1, result: { protocolVersion: version, serverInfo: { name: 'upstream' } } });
  const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': version };
  expect((await rawPost(url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return headers;
}

test.each(['2025-06-18', '2025-11-25'])('a %s client: initialize, initialized, tools/list and tools/call as the spec writes them', async (version) => {
  const headers = await open(version);
  const list = await rawPost(url, headers, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
  expect(list.status).toBe(200);
  expect(list.messages[0].result.tools.map((t: { name: string }) => t.name)).toEqual(['echo']);
  const call = await rawPost(url, headers, { jsonrpc: '2.0', id: 'c', method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } });
  expect(call.messages).toEqual([{ jsonrpc: '2.0', id: 'c', result: { content: [{ type: 'text', text: 'hi' }] } }]);
});

test('an unsupported version asked at initialize gets the latest; the one asked is answered when supported', async () => {
  const old = await rawPost(url, auth, initializeRequest('2024-01-01'));
  expect(old.messages[0].result.protocolVersion).toBe('2025-11-25');
});

test('JSON-RPC batches: refused on 2025-06-18 (400, -32600), answered on 2025-03-26', async () => {
  const batch = [
    { jsonrpc: '2.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  ];
  const refused = await rawPost(url, await open('2025-06-18'), batch);
  expect(refused.status).toBe(400);
  expect(refused.messages[0]).toMatchObject({ error: { code: -32600, message: expect.stringContaining('2025-06-18') } });
  const answered = await rawPost(url, await open('2025-03-26'), batch);
  expect(answered.status).toBe(200);
  expect(answered.messages.map((m) => m.id).sort()).toEqual([1, 2]);
});

test('malformed messages get JSON-RPC errors with 400, and the session carries on', async () => {
  const headers = await open('2025-11-25');
  const bad = await rawPost(url, headers, '{"jsonrpc":"2.0","id":1,"method":');
  expect(bad.status).toBe(400);
  expect(bad.messages[0]).toMatchObject({ error: { code: -32700 } });
  const noVersion = await rawPost(url, headers, { id: 1, method: 'ping' });
  expect([noVersion.status, noVersion.messages[0].error.code]).toEqual([400, -32600]);
  const longMethod = await rawPost(url, headers, { jsonrpc: '2.0', id: 1, method: 'x'.repeat(129) });
  expect([longMethod.status, longMethod.messages[0].error.code]).toEqual([400, -32600]);
  const notAMessage = await rawPost(url, headers, 42);
  expect(notAMessage.status).toBe(400);
  const deep = await rawPost(url, headers, `${'['.repeat(200)}${']'.repeat(200)}`);
  expect(deep.status).toBe(400);
  // The session is still there.
  expect((await rawPost(url, headers, { jsonrpc: '2.0', id: 9, method: 'ping' })).messages[0]).toEqual({ jsonrpc: '2.0', id: 9, result: {} });
});

test("an Origin other than the gateway's own host: 403 (DNS-rebinding guard); the gateway's own origin is served", async () => {
  const evil = await rawPost(url, { ...auth, origin: 'http://evil.example' }, initializeRequest('2025-11-25'));
  expect(evil.status).toBe(403);
  expect(evil.text).toContain('evil.example');
  const own = await rawPost(url, { ...auth, origin: gw.url }, initializeRequest('2025-11-25'));
  expect(own.status).toBe(200);
});

test('DNS rebinding: an Origin that agrees with a Host the gateway does not publish is refused; a published domain is served', async () => {
  const port = new URL(gw.url).port;
  const post = (host: string) =>
    request(url, {
      method: 'POST',
      headers: { ...auth, host, 'origin': `http://${host}`, 'accept': 'application/json, text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify(initializeRequest('2025-11-25')),
    }).then(async (res) => [res.statusCode, await res.body.text()] as const);
  // The attacker's name, rebound to the gateway's address: Origin and Host agree, and it is still another site.
  const [rebound, text] = await post(`evil.example:${port}`);
  expect(rebound).toBe(403);
  expect(text).toContain('DNS-rebinding guard');
  expect((await post(`ai.example.com:${port}`))[0]).toBe(200);
  expect((await post(`localhost:${port}`))[0]).toBe(200);
});

test('a tools/call sent as a notification (no id) is refused and never reaches the upstream: it would skip the tool checks', async () => {
  const headers = await open('2025-11-25');
  const seen = up.seen.length;
  const sneaky = await rawPost(url, headers, { jsonrpc: '2.0', method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } });
  expect([sneaky.status, sneaky.messages[0].error.code]).toEqual([400, -32600]);
  expect(sneaky.messages[0].error.message).toContain('notifications/');
  expect(up.seen.length).toBe(seen);
});

test("MCP-Protocol-Version other than the session's: 400 (a 2025-11-25 session cannot switch batches on by claiming 2025-03-26)", async () => {
  const headers = await open('2025-11-25');
  const batch = [
    { jsonrpc: '2.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 2, method: 'ping' },
  ];
  const switched = await rawPost(url, { ...headers, 'mcp-protocol-version': '2025-03-26' }, batch);
  expect(switched.status).toBe(400);
  expect(switched.text).toContain('2025-11-25');
});

test("a path below the server's is not the server's: 404, and nothing reaches the upstream", async () => {
  const seen = up.seen.length;
  for (const below of ['/anything', '/../../admin', '/%2e%2e/admin']) {
    expect((await rawPost(`${url}${below}`, auth, initializeRequest('2025-11-25'))).status).toBe(404);
  }
  expect(up.seen.length).toBe(seen);
});

test('MCP-Protocol-Version naming a revision the gateway does not speak: 400', async () => {
  const headers = await open('2025-11-25');
  const bad = await rawPost(url, { ...headers, 'mcp-protocol-version': '1999-01-01' }, { jsonrpc: '2.0', id: 1, method: 'ping' });
  expect(bad.status).toBe(400);
  expect(bad.messages[0].error.message).toContain("'1999-01-01' is not supported; this gateway speaks 2025-03-26, 2025-06-18, 2025-11-25");
  // Refused at the gateway: the upstream never saw it.
  expect(up.seen.some((r) => r.headers['mcp-protocol-version'] === '1999-01-01')).toBe(false);
});

test('Accept without text/event-stream: 406; a body that is not JSON by Content-Type: 415', async () => {
  const res = await fetch(url, { method: 'POST', headers: { ...auth, 'accept': 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(initializeRequest('2025-11-25')) });
  expect(res.status).toBe(406);
  const plain = await fetch(url, { method: 'POST', headers: { ...auth, 'accept': 'application/json, text/event-stream', 'content-type': 'text/plain' }, body: '{}' });
  expect(plain.status).toBe(415);
});

test('sessions: none after initialize is 400; a tampered or garbage id is 404 and never reaches the upstream', async () => {
  const headers = await open('2025-11-25');
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  const { 'mcp-session-id': sid, ...without } = headers;
  expect((await rawPost(url, without, ping)).status).toBe(400);
  const seen = up.seen.length;
  const flipped = `${sid.slice(0, 20)}${sid[20] === 'A' ? 'B' : 'A'}${sid.slice(21)}`;
  for (const id of [flipped, 'garbage', `${sid}x`, sid.slice(0, -4)]) {
    expect((await rawPost(url, { ...headers, 'mcp-session-id': id }, ping)).status).toBe(404);
  }
  expect(up.seen.length).toBe(seen);
});

test("GET opens the upstream's server-to-client stream; DELETE ends the session", async () => {
  const headers = await open('2025-11-25');
  const controller = new AbortController();
  const stream = await fetch(url, { headers: { ...headers, accept: 'text/event-stream' }, signal: controller.signal });
  expect(stream.status).toBe(200);
  expect(stream.headers.get('content-type')).toBe('text/event-stream');
  controller.abort();
  await stream.body?.cancel().catch(() => undefined);
  const ended = await fetch(url, { method: 'DELETE', headers });
  expect(ended.status).toBe(200);
  // Ended (here, and upstream): the next request is answered 404, and the client initializes again.
  expect((await rawPost(url, headers, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(404);
  expect((await read(await fetch(url, { method: 'PUT', headers }))).status).toBe(405);
});
