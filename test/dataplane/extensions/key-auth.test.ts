import { writeFileSync } from 'fs';
import { join } from 'path';
import Anthropic from '@anthropic-ai/sdk';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import OpenAI from 'openai';
import { type AiGateway, AiGatewayFleet, Backend } from '../../../src';
import type { KeyAuthConfig } from '../../../src/extensions/system';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { tempDirs } from '../../support/temp-dirs';
import { connect, sdkUpstream } from '../mcp/mcp-harness';

/**
 * `key-auth` end to end: declared with the constructs on routes whose built-in key auth is off, run by
 * `startTestGateway`, called with the official SDKs. The consumer it identifies is the request's for the limits,
 * the access line and later extensions; what carried the key never reaches the upstream.
 */
const tempDir = tempDirs();
const KEYS = { alice: 'sk-ka-alice-0123456789', bob: 'sk-ka-bob-0123456789', carol: 'sk-ka-carol-0123456789' } as const;
/** What the SDKs send as their own key where the test means no consumer key at all: a key no consumer has. */
const NOT_A_KEY = 'sk-not-a-consumer-key';
let sim: UpstreamSimulator;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'key-auth' });
});
afterAll(() => sim?.close());
beforeEach(() => sim.reset());

/**
 * A custom extension after key-auth (default phase) that reports the `ctx.consumer` its onRequest saw in a
 * response header: what a later extension sees.
 */
function consumerProbe(): string {
  const modulePath = join(tempDir('aigw-probe-'), 'probe.js');
  writeFileSync(
    modulePath,
    "module.exports = { name: 'probe', onRequest(ctx) { ctx.scratch.consumer = ctx.consumer ?? '(none)'; }, onResponse(ctx) { ctx.response.headers['x-seen-consumer'] = String(ctx.scratch.consumer); } };\n",
  );
  return modulePath;
}

/**
 * A Dedicated gateway: model route `chat` (gpt-4o, claude-sonnet-4) without built-in key auth, 2 requests an hour per
 * consumer; a Dify and a custom agent route without key auth; consumers alice, bob and carol; key-auth with `config`.
 */
function gatewayWith(config: KeyAuthConfig, declare?: (g: AiGateway<'dedicated'>) => void): AiGateway<'dedicated'> {
  const stack = new TerraformStack(Testing.app(), 'key-auth');
  new KubernetesProvider(stack, 'k8s', {});
  const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'test' }).addGateway('gw', { edition: 'dedicated', spec: 'aigw.small.x1' });
  const key = (name: string) => ({ secretName: 'llm-keys', key: name });
  gateway.addModelRoute('chat', {
    models: [
      { name: 'gpt-4o', targets: [{ backend: Backend.openAi({ apiKey: key('openai') }) }] },
      { name: 'claude-sonnet-4', targets: [{ backend: Backend.anthropic({ apiKey: key('anthropic') }) }] },
    ],
    policies: { keyAuth: false, rateLimits: [{ limit: 2, window: 'hour', scope: 'consumer' }] },
  });
  gateway.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: 'https://dify.example/v1', apiKey: key('dify'), policies: { keyAuth: false } });
  gateway.addAgentRoute('custom', { kind: 'custom', pathPrefix: '/agents/custom', baseUrl: 'https://agent.example/v1', apiKey: key('agent'), policies: { keyAuth: false } });
  for (const name of Object.keys(KEYS)) gateway.addConsumer(name, { apiKey: { secretName: 'consumer-keys', key: name }, grants: 'all' });
  gateway.addExtension('auth', { name: 'key-auth', source: 'system', config });
  gateway.addExtension('probe', { name: 'probe', source: 'custom', modulePath: consumerProbe() });
  declare?.(gateway);
  return gateway;
}

const started = (config: KeyAuthConfig, declare?: (g: AiGateway<'dedicated'>) => void) => startTestGateway(gatewayWith(config, declare), { upstream: sim, consumers: { ...KEYS } });
const openai = (gw: TestGateway, options: { headers?: Record<string, string>; query?: Record<string, string> } = {}) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: NOT_A_KEY, defaultHeaders: options.headers, defaultQuery: options.query, maxRetries: 0 });
const hello = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }] };

test("keys in a team header: a consumer's key is that consumer's (limits, access line, later extensions); others get 401 or 403; the header never goes upstream", async () => {
  const gw = await started({ keys: ['x-team-key'], allow: ['alice', 'bob'] });
  try {
    // The SDK's own Bearer key is no consumer's, and not where this key-auth looks.
    await expect(openai(gw).chat.completions.create(hello)).rejects.toMatchObject({
      status: 401,
      code: 'missing_api_key',
      message: expect.stringContaining('Send it as "x-team-key: <key>"'),
    });
    await expect(openai(gw, { headers: { 'x-team-key': 'sk-ka-nobody' } }).chat.completions.create(hello)).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const refused = await openai(gw, { headers: { 'x-team-key': KEYS.carol } }).chat.completions.create(hello).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, code: 'consumer_not_allowed', message: expect.stringContaining("Consumer 'carol' is not allowed on route 'chat'") });
    expect(JSON.stringify(refused)).not.toContain(KEYS.carol);
    expect(sim.requests).toHaveLength(0);

    const alice = openai(gw, { headers: { 'x-team-key': KEYS.alice } });
    const { response } = await alice.chat.completions.create(hello).withResponse();
    expect(response.headers.get('x-seen-consumer')).toBe('alice');
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0].headers['x-team-key']).toBeUndefined();
    await eventually(() => gw.logs.some((l) => l.msg === 'access' && l.consumer === 'alice' && l.status === 200));

    // The route's per-consumer limit (2 an hour) counts alice's requests as hers: bob's budget is his own.
    await alice.chat.completions.create(hello);
    await expect(alice.chat.completions.create(hello)).rejects.toMatchObject({ status: 429 });
    const bob = await openai(gw, { headers: { 'x-team-key': KEYS.bob } }).chat.completions.create(hello).withResponse();
    expect(bob.response.headers.get('x-seen-consumer')).toBe('bob');
  } finally {
    await gw.close();
  }
});

test('the defaults with the Anthropic SDK: its x-api-key is checked; an unknown key or a consumer not allowed get Anthropic errors', async () => {
  const gw = await started({ allow: ['bob'] });
  const anthropic = (apiKey: string) => new Anthropic({ baseURL: gw.url, apiKey, maxRetries: 0 });
  const message = { model: 'claude-sonnet-4', max_tokens: 32, messages: [{ role: 'user' as const, content: 'hello' }] };
  try {
    const unknown = await anthropic(NOT_A_KEY).messages.create(message).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(unknown).toMatchObject({ error: { type: 'error', error: { type: 'authentication_error' } } });
    const alice = await anthropic(KEYS.alice).messages.create(message).catch((e: unknown) => e);
    expect(alice).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(alice).toMatchObject({ error: { error: { type: 'permission_error', message: expect.stringContaining("Consumer 'alice' is not allowed") } } });
    expect(sim.requests).toHaveLength(0);

    const { data, response } = await anthropic(KEYS.bob).messages.create(message).withResponse();
    expect(data.type).toBe('message');
    expect(response.headers.get('x-seen-consumer')).toBe('bob');
  } finally {
    await gw.close();
  }
});

test("a key in the query on a model route (which never forwards the client's query); never read on an agent route, which does", async () => {
  const gw = await started({ keys: ['apikey'], inHeader: false, inQuery: true });
  try {
    const { response } = await openai(gw, { query: { apikey: KEYS.alice } }).chat.completions.create(hello).withResponse();
    expect(response.headers.get('x-seen-consumer')).toBe('alice');
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0].query).toEqual({});

    const agent = await fetch(`${gw.url}/agents/custom/chat/completions?apikey=${KEYS.alice}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hello) });
    expect(agent.status).toBe(401);
    expect(await agent.json()).toMatchObject({ error: { code: 'missing_api_key', message: expect.stringContaining('a key in the query is not read on an agent route') } });
    expect(sim.requests).toHaveLength(1);
  } finally {
    await gw.close();
  }
});

test('a Dify route: the consumer key-auth identified is the Dify `user`, so that consumers never share conversations', async () => {
  // An extension before key-auth that reads the body: the body then goes upstream as the hooks leave it.
  const modulePath = join(tempDir('aigw-peek-'), 'peek.js');
  writeFileSync(modulePath, "module.exports = { name: 'peek', onRequest(ctx) { ctx.scratch.query = ctx.request.body?.query; } };\n");
  const gw = await started({ keys: ['x-team-key'] }, (g) => g.addExtension('peek', { name: 'peek', source: 'custom', modulePath, phase: 'authn', priority: 950 }));
  const ask = (key: string) =>
    fetch(`${gw.url}/agents/support/chat-messages?user=end-user-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-team-key': key },
      body: JSON.stringify({ query: 'hello', inputs: {}, response_mode: 'blocking' }),
    });
  try {
    const res = await ask(KEYS.alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seen-consumer')).toBe('alice');
    expect((await ask(KEYS.bob)).status).toBe(200);
    expect(sim.requests.map((r) => [(r.body as { user: string }).user, r.query.user, r.headers['x-team-key']])).toEqual([
      ['aigw:consumer:alice', 'aigw:consumer:alice', undefined],
      ['aigw:consumer:bob', 'aigw:consumer:bob', undefined],
    ]);
  } finally {
    await gw.close();
  }
});

test('an MCP server: the allow list applies to MCP clients too (the built-in key auth, always on there, identified them)', async () => {
  const up = await sdkUpstream((server) => server.registerTool('ping', { description: 'answers pong' }, () => ({ content: [{ type: 'text', text: 'pong' }] })));
  let gw: Awaited<ReturnType<typeof started>> | undefined;
  try {
    gw = await started({ allow: ['alice'], routes: ['tools'] }, (g) => g.addMcpServer('tools', { kind: 'proxy', url: up.url }));
    const alice = await connect(`${gw.url}/mcp/tools`, KEYS.alice);
    expect((await alice.client.listTools()).tools.map((t) => t.name)).toEqual(['ping']);
    await alice.client.close();
    const seen = up.seen.length;
    await expect(connect(`${gw.url}/mcp/tools`, KEYS.bob)).rejects.toThrow("Consumer 'bob' is not allowed on MCP server 'tools'");
    expect(up.seen).toHaveLength(seen);
  } finally {
    await gw?.close();
    await up.close();
  }
});

test('routes: a route key-auth does not guard is served as before, to anyone', async () => {
  const gw = await started({ routes: ['support'] });
  try {
    const { response } = await openai(gw).chat.completions.create(hello).withResponse();
    expect(response.headers.get('x-seen-consumer')).toBe('(none)');
    const guarded = await fetch(`${gw.url}/agents/support/chat-messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"hi","inputs":{}}' });
    expect(guarded.status).toBe(401);
  } finally {
    await gw.close();
  }
});

test('a config key-auth refuses fails synth, naming the field, the value and the fix', () => {
  const gateway = gatewayWith({ keys: ['x team key'] });
  expect(() => Testing.synth(TerraformStack.of(gateway), true)).toThrow(/key-auth config: keys\[0\]: must be a header or query parameter name.*found "x team key"/s);
});
