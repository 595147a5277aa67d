import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import OpenAI from 'openai';
import { type AiGateway, AiGatewayFleet, Backend } from '../../src';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../src/testing';

/**
 * `cdktf-ai-gateway/testing` as a user's test calls it: a gateway like the README's Quick start
 * (a route on `ai.example.com`, Secret-referenced upstream keys), reached by the official openai SDK
 * at the URL startTestGateway returns, with nothing but a consumer key given.
 */
let upstream: UpstreamSimulator;
const started: TestGateway[] = [];

beforeAll(async () => {
  upstream = await UpstreamSimulator.start({ name: 'testing' });
});
afterEach(async () => {
  for (const gw of started.splice(0)) await gw.close();
  upstream.reset();
});
afterAll(async () => {
  await upstream.close();
});

async function start(...args: Parameters<typeof startTestGateway>): Promise<TestGateway> {
  const gw = await startTestGateway(...args);
  started.push(gw);
  return gw;
}

/** The Quick start's prod gateway: gpt-4o on OpenAI falling back to qwen-max on DashScope, for consumer checkout. */
function quickStartGateway(props: { mcpSessionKey?: { secretName: string; key: string } } = {}): AiGateway {
  const stack = new TerraformStack(Testing.app(), 'platform');
  new KubernetesProvider(stack, 'k8s', {});
  const fleet = new AiGatewayFleet(stack, 'ai', { region: 'cn-hangzhou' });
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x2', ...props });
  const chat = prod.addModelRoute('chat', {
    host: 'ai.example.com',
    models: [
      { name: 'gpt-4o', targets: [{ backend: Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } }) }], fallbacks: ['qwen-max'] },
      { name: 'qwen-max', targets: [{ backend: Backend.dashScope({ apiKey: { secretName: 'llm-keys', key: 'dashscope' } }) }] },
    ],
    policies: { rateLimits: [{ kind: 'tokens', limit: 100_000, window: 'minute' }] },
  });
  prod.addConsumer('checkout', { apiKey: { secretName: 'consumer-keys', key: 'checkout' }, grants: { routes: [chat] } });
  return prod;
}

const ask = (gw: TestGateway, model: string, apiKey = 'test-key') =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }] });

describe('startTestGateway', () => {
  test('the openai SDK reaches a host-matched route at `${url}/v1`; upstream keys get dummies and the simulator keeps provider paths', async () => {
    const gw = await start(quickStartGateway(), { upstream, consumers: { checkout: 'test-key' } });
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gw.notes).toEqual([]);
    expect(gw.config.modelRoutes.map((r) => r.match)).toEqual([{ host: '*', pathPrefix: '/' }]);
    // The cluster's Redis is dropped: the token limit is counted in this process.
    expect(gw.config.redis).toBeUndefined();

    const res = await ask(gw, 'gpt-4o');
    expect(res.choices[0].message.content).toBe('[sim:testing] gpt-4o: Hello');
    // The first attempt and its 2 retries fail: gpt-4o falls back to qwen-max on DashScope.
    upstream.failNext({ status: 503 }, 3);
    await ask(gw, 'gpt-4o');
    expect(upstream.requests.map((r) => [r.path, r.headers.authorization, (r.body as { model: string }).model])).toEqual([
      ['/v1/chat/completions', 'Bearer test-dummy-llm-keys-openai', 'gpt-4o'],
      ['/v1/chat/completions', 'Bearer test-dummy-llm-keys-openai', 'gpt-4o'],
      ['/v1/chat/completions', 'Bearer test-dummy-llm-keys-openai', 'gpt-4o'],
      ['/v1/chat/completions', 'Bearer test-dummy-llm-keys-openai', 'gpt-4o'],
      ['/compatible-mode/v1/chat/completions', 'Bearer test-dummy-llm-keys-dashscope', 'qwen-max'],
    ]);
  });

  test('matchAnyHost: false keeps the exact host, as in the cluster: the SDK gets route_not_found', async () => {
    const gw = await start(quickStartGateway(), { upstream, matchAnyHost: false, secrets: { 'consumer-keys/checkout': 'test-key' } });
    expect(gw.config.modelRoutes[0].match.host).toBe('ai.example.com');
    expect(gw.config.redis).toBeUndefined();
    const err = await ask(gw, 'gpt-4o').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('route_not_found');
  });

  test('secrets by secretName/key work as before, win over dummies, and transform runs after upstream', async () => {
    const seen: string[] = [];
    const gw = await start(quickStartGateway(), {
      upstream,
      secrets: { 'consumer-keys/checkout': 'test-key', 'llm-keys/openai': 'sk-given' },
      transform: (c) => {
        seen.push(...c.backends.map((b) => b.baseUrl));
        return c;
      },
    });
    expect(seen).toEqual([`${upstream.url}/v1`, `${upstream.url}/compatible-mode/v1`]);
    await ask(gw, 'gpt-4o');
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-given']);
  });

  test('localLimits: false keeps the synthesized redis block, for a transform that points it at a test Redis', async () => {
    const seen: unknown[] = [];
    await start(quickStartGateway(), {
      consumers: { checkout: 'test-key' },
      localLimits: false,
      transform: (c) => {
        seen.push(c.redis);
        const { redis: _redis, ...rest } = c;
        return rest;
      },
    });
    expect(seen).toEqual([{ address: 'aigw-prod-redis.aigw-ai-prod.svc:6379', keyPrefix: 'aigw:prod:' }]);
  });

  test('a consumer without a key fails before anything starts, naming the consumer and both ways to give it', async () => {
    await expect(startTestGateway(quickStartGateway(), { upstream })).rejects.toThrow(
      "startTestGateway: gateway 'prod' has consumers without an API key (the key a test sends, so the test chooses it):\n" +
        "  consumer 'checkout': give secrets['consumer-keys/checkout'] or consumers: { 'checkout': '…' }",
    );
    await expect(startTestGateway(quickStartGateway(), { consumers: { alice: 'k', checkout: 'test-key' } })).rejects.toThrow(
      "startTestGateway: consumers names 'alice', which is no consumer of gateway 'prod' (its consumers: 'checkout').",
    );
  });

  test('routes that would take each other’s requests keep their host, and notes says which Host to send', async () => {
    const gateway = quickStartGateway();
    const other = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
    gateway.addModelRoute('beta', { host: 'beta.example.com', models: [{ name: 'gpt-4o-mini', targets: [{ backend: other }] }] });
    const gw = await start(gateway, { upstream, consumers: { checkout: 'test-key' } });
    expect(gw.notes).toEqual([
      "route 'chat' needs Host ai.example.com: its path '/' overlaps model route 'beta' (host 'beta.example.com', path '/'): on any host one would take the other's requests",
      "route 'beta' needs Host beta.example.com: its path '/' overlaps model route 'chat' (host 'ai.example.com', path '/'): on any host one would take the other's requests",
    ]);
    expect(gw.config.modelRoutes.map((r) => r.match.host)).toEqual(['ai.example.com', 'beta.example.com']);
  });

  test('close() can be called twice and from Symbol.asyncDispose; the port is closed after', async () => {
    const gw = await startTestGateway(quickStartGateway(), { upstream, consumers: { checkout: 'test-key' } });
    const first = gw.close();
    expect(gw.close()).toBe(first);
    await first;
    await gw[Symbol.asyncDispose]();
    await expect(fetch(`${gw.url}/v1/models`)).rejects.toThrow('fetch failed');
  });

  test('a gateway with MCP servers and a session key starts with a random key of 32 bytes', async () => {
    const gateway = quickStartGateway({ mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' } });
    gateway.addMcpServer('tools', {
      kind: 'http-to-mcp',
      baseUrl: 'https://tools.example.com/api',
      tools: [{ name: 'lookup', description: 'Look up', inputSchema: { type: 'object' }, request: { method: 'GET', path: '/lookup' } }],
    });
    const gw = await start(gateway, { upstream, consumers: { checkout: 'test-key' } });
    expect(gw.config.mcpServers.map((m) => (m.kind === 'http-to-mcp' ? m.upstream.baseUrl : m.upstream.url))).toEqual([`${upstream.url}/api`]);
  });
});
