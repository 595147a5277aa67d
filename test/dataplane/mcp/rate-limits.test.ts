/* eslint-disable import/no-unresolved -- the SDK's "./*" export gives types as "*.js.d.ts"; tsc and jest resolve these */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
/* eslint-enable import/no-unresolved */
import { z } from 'zod';
import { connect, initializeRequest, KEYS, metricsText, rawPost, type SdkUpstream, sdkUpstream, secretRef, startMcp, withSessionKey } from './mcp-harness';
import type { McpRateLimitProps } from '../../../src';
import { NO_EXTENSIONS } from '../../../src/dataplane/extensions/compile';
import { compileLimitPlan } from '../../../src/dataplane/limits';
import { admitMessage } from '../../../src/dataplane/mcp/admit';
import type { CallLog } from '../../../src/dataplane/mcp/calls';
import type { Exchange } from '../../../src/dataplane/mcp/front';
import { compileMcpLimits } from '../../../src/dataplane/mcp/limits';
import type { GatewayConfig, McpServerConfig } from '../../../src/specs';
import type { TestGateway } from '../../../src/testing';
import { startRedisServer } from '../../support/redis-server';
import { gatewayStack } from '../harness';

/**
 * MCP servers' rate limits, with the official SDK client: every JSON-RPC request counts on the server's
 * limits, per consumer or shared, a tool's limit only on calls of that tool; a refused request gets a
 * JSON-RPC error naming the limit and is never forwarded. Windows are months: a test never straddles one.
 */

// Real servers (and a real redis-server) on a loaded CI machine: generous, not a performance bound.
jest.setTimeout(60_000);

let up: SdkUpstream;
const text = (s: string) => ({ content: [{ type: 'text' as const, text: s }] });

beforeAll(async () => {
  up = await sdkUpstream((server) => {
    server.registerTool('search', { description: 'searches', inputSchema: { q: z.string() } }, ({ q }) => text(`found:${q}`));
    server.registerTool('delete', { description: 'deletes', inputSchema: { path: z.string() } }, ({ path }) => text(`deleted:${path}`));
  });
});

afterAll(async () => {
  await up.close();
});

/** A gateway with one proxied server 'files' under `rateLimits`, granted to alice, bob and carol (carol: only `search`). */
function limitedGateway(rateLimits: McpRateLimitProps[], onRedisUnavailable?: 'failOpen' | 'failClosed') {
  const gateway = gatewayStack();
  const files = gateway.addMcpServer('files', { kind: 'proxy', url: up.url, allowTools: ['search', 'delete'], rateLimits, onRedisUnavailable });
  gateway.addConsumer('alice', { apiKey: secretRef('consumer-keys', 'alice'), grants: { mcpServers: [files] } });
  gateway.addConsumer('bob', { apiKey: secretRef('consumer-keys', 'bob'), grants: { mcpServers: [files] } });
  const carol = gateway.addConsumer('carol', { apiKey: secretRef('consumer-keys', 'carol') });
  files.grantTools(carol, ['search']);
  return gateway;
}

const clients: Client[] = [];
const gateways: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function start(rateLimits: McpRateLimitProps[], transform?: (c: GatewayConfig) => GatewayConfig, onRedisUnavailable?: 'failOpen' | 'failClosed'): Promise<TestGateway> {
  const gw = await startMcp(limitedGateway(rateLimits, onRedisUnavailable), (c) => (transform ? transform(withSessionKey(c)) : withSessionKey(c)));
  gateways.push(gw);
  return gw;
}

/** An SDK client of 'files': its initialize is a request, and counts. */
async function client(gw: TestGateway, who: keyof typeof KEYS): Promise<Client> {
  const { client: c } = await connect(`${gw.url}/mcp/files`, KEYS[who]);
  clients.push(c);
  return c;
}

const search = (c: Client, q = 'x') => c.callTool({ name: 'search', arguments: { q } });
const remove = (c: Client, path = 'x') => c.callTool({ name: 'delete', arguments: { path } });

/**
 * The message a refused request's JSON-RPC error carries. A lone request refused by a limit is an HTTP 429,
 * which the SDK client reports with the body; a grant's refusal is a JSON-RPC error (McpError).
 */
async function refusal(call: Promise<unknown>): Promise<string> {
  const e = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return (e as Error).message;
}

/** The tools/call bodies the upstream received. */
const forwardedCalls = () => up.seen.filter((s) => s.body.includes('"tools/call"')).length;

describe('per consumer', () => {
  test('N requests pass, the next gets an error naming the server, consumer, limit, window and when to retry; another consumer still passes', async () => {
    const gw = await start([{ name: 'per-month', limit: 4, window: 'month' }]);
    const alice = await client(gw, 'alice');
    await alice.listTools();
    await search(alice);
    await alice.ping();
    const before = forwardedCalls();
    const message = await refusal(search(alice));
    expect(message).toMatch(/MCP server 'files': consumer 'alice' reached its limit 'per-month' of 4 requests per month; retry in \d+ s, or ask the gateway's owner to raise the limit\./);
    // Never forwarded.
    expect(forwardedCalls()).toBe(before);
    const bob = await client(gw, 'bob');
    await expect(search(bob)).resolves.toEqual(text('found:x'));
    const metrics = await metricsText(gw);
    expect(metrics).toMatch(/aigw_mcp_requests_total\{[^}]*server="files",method="tools\/call",result="limited"[^}]*\} 1/);
    expect(metrics).toMatch(/aigw_mcp_tool_calls_total\{[^}]*server="files",tool="search",result="limited"[^}]*\} 1/);
    expect(metrics).toMatch(/aigw_ratelimit_decisions_total\{[^}]*decision="limited"[^}]*\} 1/);
  });

  test('a lone refused request is an HTTP 429 with Retry-After, its body the JSON-RPC error: -32000, the catalog code and the seconds in its data', async () => {
    const gw = await start([{ name: 'one', limit: 2, window: 'month' }]);
    const auth = { authorization: `Bearer ${KEYS.alice}` };
    const init = await rawPost(`${gw.url}/mcp/files`, auth, initializeRequest('2025-11-25'));
    const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    expect((await rawPost(`${gw.url}/mcp/files`, headers, { jsonrpc: '2.0', id: 2, method: 'ping' })).messages[0]).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
    const refused = await rawPost(`${gw.url}/mcp/files`, headers, { jsonrpc: '2.0', id: 3, method: 'tools/list' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(refused.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
    const error = refused.messages[0]!.error;
    expect(refused.messages[0]!.id).toBe(3);
    expect(error.code).toBe(-32000);
    expect(error.message).toContain("consumer 'alice' reached its limit 'one' of 2 requests per month");
    expect(error.data.code).toBe('mcp_rate_limited');
    expect(error.data.retryAfterSeconds).toBeGreaterThan(0);
  });

  test('in a batch, each request counts: those over the limit get their own error, the others are forwarded', async () => {
    const gw = await start([{ name: 'two', limit: 3, window: 'month' }]);
    const auth = { authorization: `Bearer ${KEYS.alice}` };
    const init = await rawPost(`${gw.url}/mcp/files`, auth, initializeRequest('2025-03-26'));
    const headers = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' };
    const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'search', arguments: { q: String(id) } } });
    const before = up.seen.length;
    // A notification in the batch counts nothing.
    const answer = await rawPost(`${gw.url}/mcp/files`, headers, [call(1), { jsonrpc: '2.0', method: 'notifications/initialized' }, call(2), call(3)]);
    // A batch answers 200 even when some of its requests were refused: each carries its own answer.
    expect(answer.status).toBe(200);
    const byId = new Map(answer.messages.map((m) => [m.id, m]));
    expect(byId.get(1)!.result).toEqual(text('found:1'));
    expect(byId.get(2)!.result).toEqual(text('found:2'));
    expect(byId.get(3)!.error.message).toContain("reached its limit 'two' of 3 requests per month");
    const forwarded = up.seen.slice(before).map((s) => JSON.parse(s.body) as { id?: number; method: string }[]);
    expect(forwarded.map((batch) => batch.map((m) => m.id ?? m.method))).toEqual([[1, 'notifications/initialized', 2]]);
  });
});

test('initialize counts: a client over its limit cannot open a session (429), and nothing reaches the upstream', async () => {
  const gw = await start([{ name: 'sessions', limit: 1, window: 'month' }]);
  await client(gw, 'alice');
  const initializes = () => up.seen.filter((r) => r.body.includes('"method":"initialize"')).length;
  const before = initializes();
  const e = (await client(gw, 'alice').catch((err: unknown) => err)) as { code?: number; message: string };
  expect(e.code).toBe(429);
  expect(e.message).toContain("consumer 'alice' reached its limit 'sessions' of 1 requests per month");
  expect(initializes()).toBe(before);
  await client(gw, 'bob');
});

test('a server-scoped limit is one budget all callers share', async () => {
  const gw = await start([{ name: 'shared', limit: 5, window: 'month', scope: 'server' }]);
  const alice = await client(gw, 'alice');
  const bob = await client(gw, 'bob');
  await search(alice);
  await search(bob);
  await search(alice);
  expect(await refusal(search(bob))).toMatch(/MCP server 'files': the limit 'shared' of 5 requests per month, shared by all its callers, is reached \(consumer 'bob' refused\); retry in \d+ s/);
  expect(await refusal(alice.ping())).toContain("the limit 'shared'");
});

test("a tool's limit counts only calls of that tool, and a call it refuses takes nothing from the server's limit", async () => {
  const gw = await start([
    { name: 'deletes', limit: 2, window: 'month', tool: 'delete' },
    { name: 'all', limit: 8, window: 'month' },
  ]);
  const alice = await client(gw, 'alice');
  await alice.listTools();
  await search(alice);
  await remove(alice);
  await remove(alice);
  expect(await refusal(remove(alice))).toMatch(/consumer 'alice' reached its limit 'deletes' of 2 calls of tool 'delete' per month; retry in \d+ s/);
  expect(await refusal(remove(alice))).toContain("'deletes'");
  // 5 of 8 used, initialize included (the refused deletes took nothing): 3 more pass, on any method.
  await search(alice);
  await alice.listTools();
  await alice.ping();
  expect(await refusal(search(alice))).toContain("reached its limit 'all' of 8 requests per month");
});

test('a tool call refused by a grant consumes no budget', async () => {
  const gw = await start([{ name: 'per-month', limit: 3, window: 'month' }]);
  const carol = await client(gw, 'carol');
  for (let i = 0; i < 5; i++) expect(await refusal(remove(carol))).toContain("Tool 'delete' not found");
  await search(carol);
  await search(carol);
  expect(await refusal(search(carol))).toContain("consumer 'carol' reached its limit 'per-month'");
});

test('refusals add no label value: result="limited" is the only new one, never a consumer or limit name', async () => {
  const gw = await start([{ name: 'secret-budget-name', limit: 2, window: 'month' }]);
  const alice = await client(gw, 'alice');
  await search(alice);
  await refusal(search(alice));
  await refusal(alice.listTools());
  const lines = (await metricsText(gw)).split('\n').filter((l) => /^aigw_(mcp|ratelimit)_/.test(l));
  expect(lines.join('\n')).not.toMatch(/secret-budget-name|alice/);
  const results = new Set(lines.flatMap((l) => [...l.matchAll(/result="([^"]+)"/g)].map((m) => m[1])));
  expect([...results].sort()).toEqual(['limited', 'ok']);
});

describe('through Redis', () => {
  test('two gateway instances share one budget', async () => {
    const redis = await startRedisServer();
    try {
      const prefix = `mcp-${Date.now()}:`;
      const sameRedis = (c: GatewayConfig): GatewayConfig => ({ ...c, redis: { address: redis.address, keyPrefix: prefix } });
      const limits = [{ name: 'per-month', limit: 6, window: 'month' as const }];
      const [a, b] = await Promise.all([start(limits, sameRedis, 'failClosed'), start(limits, sameRedis, 'failClosed')]);
      const onA = await client(a, 'alice');
      const onB = await client(b, 'alice');
      await search(onA);
      await search(onB);
      await search(onA);
      await search(onB);
      expect(await refusal(search(onA))).toContain("consumer 'alice' reached its limit 'per-month' of 6 requests per month");
      expect(await refusal(search(onB))).toContain("reached its limit 'per-month'");
      // failClosed: without Redis, every counted request is refused (and still never forwarded).
      await redis.stop();
      const before = forwardedCalls();
      const closed = await refusal(search(onA));
      expect(closed).toContain("MCP server 'files': rate-limit state is unavailable and the server fails closed");
      expect(closed).toMatch(/"data":\{"code":"rate_limit_unavailable","retryAfterSeconds":\d+\}/);
      expect(forwardedCalls()).toBe(before);
    } finally {
      await redis.stop();
    }
  });
});

describe('compiled limits', () => {
  const server = (name: string, rateLimits: NonNullable<McpServerConfig['rateLimits']>): McpServerConfig => ({
    name,
    kind: 'proxy',
    path: `/mcp/${name}`,
    rateLimits,
    upstream: { url: 'http://127.0.0.1:1/mcp', transport: 'streamable-http', headers: {} },
    allowTools: [],
  });
  const heads = (plan: { counters: readonly { head: string; perCaller: boolean; tail: string }[] }) => plan.counters.map((c) => (c.perCaller ? `${c.head}<caller>${c.tail}` : c.head));

  test("keys never meet a model route's (even one named 'mcp:files'), another server's or another tool's", () => {
    const files = compileMcpLimits(server('files', [
      { name: 'c', limit: 1, window: 'minute', scope: 'consumer' },
      { name: 's', limit: 1, window: 'minute', scope: 'server' },
      { name: 't', limit: 1, window: 'minute', scope: 'consumer', tool: 'x' },
    ]))!;
    const colon = compileMcpLimits(server('files:tool:x', [{ name: 'c', limit: 1, window: 'minute', scope: 'consumer' }]))!;
    const route = compileLimitPlan('mcp:files', [
      { name: 'r', kind: 'requests', limit: 1, window: 'minute', scope: 'consumer-route' },
      { name: 'r2', kind: 'requests', limit: 1, window: 'minute', scope: 'route' },
    ]);
    const keys = [...heads(files.server!), ...heads(files.tools.get('x')!).slice(2), ...heads(colon.server!), ...heads(route)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(heads(files.server!)).toEqual(['rl:cr:<caller>:mcp%25files:requests:minute:', 'rl:r:mcp%25files:requests:minute:']);
  });

  test('a server without limits is admitted synchronously, without a store call', () => {
    expect(compileMcpLimits(server('open', []))).toBeUndefined();
    const limiter = { admit: jest.fn() };
    const calls = { request: jest.fn(), done: jest.fn() };
    const x = {
      ctx: { snapshot: { extensions: NO_EXTENSIONS } },
      route: { name: 'open', server: 'proxy', requestLimits: undefined, toolLabels: new Set() },
      may: () => true,
      consumer: { name: 'alice' },
      deps: { limiter },
    } as unknown as Exchange;
    const answer = admitMessage(x, { kind: 'request', id: 1, method: 'tools/call', params: { name: 't' }, raw: {} }, calls as unknown as CallLog);
    expect(answer).toBeUndefined();
    expect(limiter.admit).not.toHaveBeenCalled();
    expect(calls.request).toHaveBeenCalledWith(1, 'tools/call', 't');
  });
});
