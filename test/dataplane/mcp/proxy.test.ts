/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { connect, initializeRequest, KEYS, metricsText, rawPost, type SdkUpstream, sdkUpstream, secretRef, SESSION_KEY, startMcp, UPSTREAM_TOKEN, withSessionKey } from './mcp-harness';
import { Backend } from '../../../src';
import { SessionSealer } from '../../../src/dataplane/mcp/session';
import { synthesizedGatewayConfig, type TestGateway } from '../../../src/testing';
import { gatewayStack } from '../harness';

/**
 * The MCP proxy against upstreams built with the SDK's own server classes, with the official SDK client:
 * tools, grants, sessions, server-to-client requests and an upstream that fails.
 */

let files: SdkUpstream;
let other: SdkUpstream;
/** Answers in JSON: the head of its answer goes out only with the result. */
let jsonFiles: SdkUpstream;
/** Resolved when the `slow` tool has started (the test then crashes its upstream). */
let slowStarted: () => void = () => undefined;

const text = (s: string) => ({ content: [{ type: 'text' as const, text: s }] });

beforeAll(async () => {
  const registerFiles = (server: McpServer) => {
    server.registerTool('read', { description: 'reads a file', inputSchema: { path: z.string() } }, ({ path }) => text(`read:${path}`));
    server.registerTool('search', { description: 'searches', inputSchema: { q: z.string() } }, ({ q }) => text(`found:${q}`));
    server.registerTool('delete_all', { description: 'deletes everything' }, () => text('deleted everything'));
    server.registerTool('ask_name', { description: 'asks the user for a name' }, async () => {
      const answer = await server.server.elicitInput({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
      return text(`hello ${String(answer.content?.name)}`);
    });
    server.registerTool('slow', { description: 'never answers (after a progress notification, when the caller asked for progress)', inputSchema: { note: z.string().optional() } }, async (_args, extra) => {
      const progressToken = extra._meta?.progressToken;
      if (progressToken !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: 1 } });
      slowStarted();
      return new Promise(() => undefined);
    });
  };
  files = await sdkUpstream(registerFiles);
  jsonFiles = await sdkUpstream(registerFiles, { json: true });
  other = await sdkUpstream((server) => server.registerTool('ping_other', { description: 'x' }, () => text('pong')));
});

afterAll(async () => {
  await files.close();
  await other.close();
  await jsonFiles.close();
});

function fleet() {
  const gateway = gatewayStack();
  const filesServer = gateway.addMcpServer('files', { kind: 'proxy', url: files.url, allowTools: ['read', 'search', 'ask_name', 'slow'], auth: secretRef('mcp-keys', 'upstream') });
  const otherServer = gateway.addMcpServer('other', { kind: 'proxy', url: other.url });
  const jsonServer = gateway.addMcpServer('json-files', { kind: 'proxy', url: jsonFiles.url });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: Backend.vllm({ baseUrl: 'http://127.0.0.1:1/v1' }) }] }] });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [filesServer, otherServer, jsonServer] } });
  gateway.addConsumer('bob', { apiKey: secretRef('consumer-keys', 'bob'), grants: { routes: [chat] } });
  gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol'), grants: { mcpServers: [filesServer] } });
  return gateway;
}

/** Carol's grant narrowed to one tool of `files` (a tool-level grant, as `consumer.grantMcpTools` writes it). */
const carolReadOnly = (c: Parameters<NonNullable<Parameters<typeof startMcp>[1]>>[0]) => ({
  ...c,
  consumers: c.consumers.map((k) => (k.name === 'carol' ? { ...k, grants: { ...k.grants, mcpServers: [], mcpTools: { files: ['read'] } } } : k)),
});

describe('MCP proxy', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startMcp(fleet(), (c) => withSessionKey(carolReadOnly(c)));
  });
  afterAll(async () => {
    await gw.close();
  });

  test('lists and calls tools through the gateway; a tool outside allowTools is neither listed nor callable, and never reaches the upstream', async () => {
    const { client, transport } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['ask_name', 'read', 'search', 'slow']);
      expect(await client.callTool({ name: 'read', arguments: { path: 'a.txt' } })).toMatchObject(text('read:a.txt'));
      const denied = client.callTool({ name: 'delete_all', arguments: {} });
      await expect(denied).rejects.toBeInstanceOf(McpError);
      await expect(denied).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("'delete_all'") });
      expect(files.seen.some((r) => r.body.includes('delete_all') && r.body.includes('tools/call'))).toBe(false);
      // The upstream gets the server's own credential, never the consumer's key; the client never sees the upstream's session id.
      const authorizations = files.seen.map((r) => r.headers.authorization);
      expect(new Set(authorizations)).toEqual(new Set([`Bearer ${UPSTREAM_TOKEN}`]));
      expect(JSON.stringify(files.seen.map((r) => r.headers))).not.toContain(KEYS.alice);
      expect(files.sessions).not.toContain(transport.sessionId);
      // One access line per JSON-RPC call: method, tool, consumer, result; never the arguments.
      expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'mcp call', server: 'files', method: 'tools/call', tool: 'read', consumer: 'alice', result: 'ok', status: 200 }));
      expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'mcp call', method: 'tools/call', tool: 'delete_all', result: 'denied' }));
      expect(JSON.stringify(gw.logs)).not.toContain('a.txt');
    } finally {
      await client.close();
    }
  });

  test("the client's own credentials and other headers never reach the upstream, whichever header carries the key", async () => {
    const headers = { 'x-api-key': KEYS.alice, 'cookie': 'sid=client-cookie', 'x-client-secret': 'client-only' };
    const init = await rawPost(`${gw.url}/mcp/files`, headers, initializeRequest('2025-11-25', 'creds'));
    expect(init.status).toBe(200);
    const session = { ...headers, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    expect((await rawPost(`${gw.url}/mcp/files`, session, { jsonrpc: '2.0', id: 'creds-list', method: 'tools/list' })).status).toBe(200);
    const forwarded = files.seen.filter((r) => r.body.includes('"creds'));
    expect(forwarded).toHaveLength(2);
    for (const r of forwarded) {
      expect(JSON.stringify(r.headers)).not.toMatch(new RegExp(`${KEYS.alice}|client-cookie|client-only`));
      expect(r.headers.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
    }
  });

  test('a consumer granted one tool of the server sees and calls only that tool', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.carol);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['read']);
      expect(await client.callTool({ name: 'read', arguments: { path: 'b' } })).toMatchObject(text('read:b'));
      await expect(client.callTool({ name: 'search', arguments: { q: 'x' } })).rejects.toMatchObject({ code: -32602 });
      expect(files.seen.some((r) => r.body.includes('"found') || (r.body.includes('tools/call') && r.body.includes('"search"')))).toBe(false);
    } finally {
      await client.close();
    }
  });

  test('no key: 401; a key without a grant to the server: 403 (never 404)', async () => {
    const noKey = await rawPost(`${gw.url}/mcp/files`, {}, initializeRequest('2025-06-18'));
    expect(noKey.status).toBe(401);
    const bob = await rawPost(`${gw.url}/mcp/files`, { authorization: `Bearer ${KEYS.bob}` }, initializeRequest('2025-06-18'));
    expect(bob.status).toBe(403);
    expect(bob.text).toContain("MCP server 'files'");
    await expect(connect(`${gw.url}/mcp/files`, KEYS.bob)).rejects.toMatchObject({ code: 403 });
  });

  test('a session id replayed on another MCP server, or by another consumer, is refused with 404 and never forwarded', async () => {
    const { client, transport } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const sid = transport.sessionId!;
      const seenBefore = other.seen.length;
      const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
      const elsewhere = await rawPost(`${gw.url}/mcp/other`, { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, list);
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.messages[0]).toMatchObject({ error: { code: -32001 } });
      expect(other.seen.length).toBe(seenBefore);
      const byCarol = await rawPost(`${gw.url}/mcp/files`, { 'authorization': `Bearer ${KEYS.carol}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, list);
      expect(byCarol.status).toBe(404);
      expect(files.seen.some((r) => r.body.includes('"id":7'))).toBe(false);
      // The gateway's token is never what an upstream sees as a session id.
      expect([...files.seen, ...other.seen].some((r) => r.headers['mcp-session-id'] === sid)).toBe(false);
    } finally {
      await client.close();
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

  test('an upstream that dies mid-call: the client gets a JSON-RPC error, and the gateway keeps serving', async () => {
    const { client } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
    try {
      const started = new Promise<void>((resolve) => (slowStarted = resolve));
      const call = client.callTool({ name: 'slow', arguments: {} });
      await started;
      files.crash();
      // A JSON-RPC error on the open stream (-32603), or a 502 when the upstream had not started its answer: either names the server.
      await expect(call).rejects.toThrow(/upstream (of MCP server )?'files'/);
      expect(await client.callTool({ name: 'read', arguments: { path: 'after' } })).toMatchObject(text('read:after'));
      expect(await metricsText(gw)).toMatch(/aigw_mcp_tool_calls_total\{[^}]*server="files",tool="slow",result="upstream_failed"[^}]*\} 1/);
    } finally {
      await client.close();
    }
  });
});

describe("the breaker is the upstream's", () => {
  test("clients that leave mid-call, more often than the breaker's threshold, never take the upstream away from the others", async () => {
    const gw = await startMcp(fleet(), withSessionKey);
    const session = async (url: string) => {
      const init = await rawPost(url, { authorization: `Bearer ${KEYS.alice}` }, initializeRequest('2025-11-25'));
      return { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25', 'accept': 'application/json, text/event-stream', 'content-type': 'application/json' };
    };
    const json = { url: `${gw.url}/mcp/json-files`, headers: await session(`${gw.url}/mcp/json-files`) };
    const sse = { url: `${gw.url}/mcp/files`, headers: await session(`${gw.url}/mcp/files`) };
    try {
      // Past the default threshold (5 consecutive failures), each way a client can leave: before the
      // upstream's answer started (a JSON upstream), and in the middle of its SSE stream (after a progress notification).
      for (let i = 0; i < 12; i++) {
        const streaming = i >= 6;
        const { url, headers } = streaming ? sse : json;
        const started = new Promise<void>((resolve) => (slowStarted = resolve));
        const controller = new AbortController();
        const params = { name: 'slow', arguments: {}, ...(streaming && { _meta: { progressToken: `p${i}` } }) };
        const res = fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params }), signal: controller.signal });
        if (streaming) {
          // The progress event reached the client: the gateway is relaying the upstream's stream.
          const reader = (await res).body!.getReader();
          expect(new TextDecoder().decode((await reader.read()).value)).toContain('notifications/progress');
        } else {
          await started;
        }
        controller.abort();
        await res.then((r) => r.text()).catch(() => undefined);
      }
      for (const path of ['/mcp/json-files', '/mcp/files']) {
        const { client } = await connect(`${gw.url}${path}`, KEYS.alice);
        expect(await client.callTool({ name: 'read', arguments: { path: 'still here' } })).toMatchObject(text('read:still here'));
        await client.close();
      }
    } finally {
      await gw.close();
    }
  });
});

describe('session expiry', () => {
  test('a session id older than mcp.sessionTtlSeconds answers 404 (initialize again), a younger one is served', async () => {
    const synthesized = synthesizedGatewayConfig(fleet());
    const gw = await startMcp(synthesized, (c) => ({ ...c, mcp: { sessionKey: secretRef('mcp-keys', 'session'), sessionTtlSeconds: 60 } }));
    try {
      const sealer = SessionSealer.fromSecret(SESSION_KEY, synthesized.config.metadata.name);
      const { client, transport } = await connect(`${gw.url}/mcp/files`, KEYS.alice);
      // The live session, re-sealed as if initialize had been 61 s or 30 s ago.
      const live = sealer.open(transport.sessionId!)!;
      await client.close().catch(() => undefined);
      const now = Math.floor(Date.now() / 1000);
      const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
      const headers = (issuedAt: number) => ({ 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': sealer.seal({ ...live, issuedAt }), 'mcp-protocol-version': live.version });
      expect((await rawPost(`${gw.url}/mcp/files`, headers(now - 61), ping)).status).toBe(404);
      const young = await rawPost(`${gw.url}/mcp/files`, headers(now - 30), ping);
      expect(young.status).toBe(200);
      expect(young.messages).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    } finally {
      await gw.close();
    }
  });
});

describe('sessions across replicas', () => {
  test('two gateway processes with the same mcp.sessionKey serve one session: initialized on one, called on the other; another key answers 404', async () => {
    // Synthesized once, served by three processes' worth of data planes.
    const synthesized = synthesizedGatewayConfig(fleet());
    const one = await startMcp(synthesized, withSessionKey);
    const two = await startMcp(synthesized, withSessionKey);
    const three = await startMcp(synthesized, (c) => ({ ...c, mcp: { sessionKey: secretRef('mcp-keys', 'other-session') } }));
    const { client, transport } = await connect(`${one.url}/mcp/files`, KEYS.alice);
    try {
      const headers = { 'authorization': `Bearer ${KEYS.alice}`, 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' };
      const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'read', arguments: { path: 'x' } } };
      const onTwo = await rawPost(`${two.url}/mcp/files`, headers, call);
      expect(onTwo.status).toBe(200);
      expect(onTwo.messages).toEqual([{ jsonrpc: '2.0', id: 3, result: text('read:x') }]);
      // A replica whose key differs cannot open the session.
      expect((await rawPost(`${three.url}/mcp/files`, headers, call)).status).toBe(404);
    } finally {
      await client.close();
      await Promise.all([one.close(), two.close(), three.close()]);
    }
  });
});
