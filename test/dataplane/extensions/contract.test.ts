import { writeFileSync } from 'fs';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import Redis from 'ioredis';
import OpenAI from 'openai';
import { type AiGateway, AiGatewayFleet, Backend } from '../../../src';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { startRedisServer } from '../../support/redis-server';
import { tempDirs } from '../../support/temp-dirs';

/**
 * Issue #15's contract, as written there: a custom extension module bundled from TypeScript, `ai-cache`,
 * `pii-redaction`, a failing hook under `failPolicy: 'closed'`, and a marketplace version the catalog lacks, each
 * declared with the constructs and run by `startTestGateway` with no extra options; clients are the `openai` SDK.
 */
const tempDir = tempDirs();
const KEY = 'sk-contract-alice';
let sim: UpstreamSimulator;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'contract' });
});
afterAll(() => sim?.close());
beforeEach(() => sim.reset());

/** A Dedicated gateway with one model route (`gpt-4o` on OpenAI) and consumer alice; `declare` adds its extensions. */
function dedicatedGateway(declare: (g: AiGateway<'dedicated'>) => void): AiGateway<'dedicated'> {
  const stack = new TerraformStack(Testing.app(), 'contract');
  new KubernetesProvider(stack, 'k8s', {});
  const gateway = new AiGatewayFleet(stack, 'fleet', { region: 'test' }).addGateway('gw', { edition: 'dedicated', spec: 'aigw.small.x1' });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  declare(gateway);
  return gateway;
}

async function started(gateway: AiGateway<'dedicated'>): Promise<{ gw: TestGateway; sdk: OpenAI }> {
  const gw = await startTestGateway(gateway, { upstream: sim, consumers: { alice: KEY } });
  return { gw, sdk: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 }) };
}

const hello = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Say hello' }] };

test('a custom extension module in TypeScript: bundled at synth, run by the gateway; respond() answers and nothing reaches the upstream', async () => {
  const modulePath = join(tempDir('aigw-tagger-'), 'tagger.ts');
  writeFileSync(
    modulePath,
    `import { defineExtension } from 'cdktf-ai-gateway/extensions';
export default defineExtension({
  name: 'tagger',
  onRequest(ctx) { if (ctx.request.headers['x-block'] === '1') return ctx.respond(403, { error: { message: 'blocked by tagger' } }); },
  onResponse(ctx) { ctx.response.headers['x-tagger'] = 'on'; },
});
`,
  );
  const { gw, sdk } = await started(dedicatedGateway((g) => g.addExtension('tagger', { name: 'tagger', source: 'custom', modulePath })));
  try {
    const { response } = await sdk.chat.completions.create(hello).withResponse();
    expect(response.headers.get('x-tagger')).toBe('on');
    expect(sim.requests).toHaveLength(1);

    sim.reset();
    await expect(sdk.chat.completions.create(hello, { headers: { 'x-block': '1' } })).rejects.toMatchObject({ status: 403, message: expect.stringContaining('blocked by tagger') });
    expect(sim.requests).toHaveLength(0);
  } finally {
    await gw.close();
  }
});

test('ai-cache: two identical non-streaming chat requests within the TTL reach the upstream once', async () => {
  const { gw, sdk } = await started(dedicatedGateway((g) => g.addExtension('cache', { name: 'ai-cache', source: 'system', config: { ttlSeconds: 60 } })));
  try {
    const first = await sdk.chat.completions.create(hello).withResponse();
    const second = await sdk.chat.completions.create(hello).withResponse();
    expect(second.data.choices[0].message.content).toBe(first.data.choices[0].message.content);
    expect(sim.requests).toHaveLength(1);
    expect(second.response.headers.get('x-aigw-cache')).toBe('hit');
  } finally {
    await gw.close();
  }
});

test("ai-cache keeps its entries in the gateway's Redis when the config has one", async () => {
  const redis = await startRedisServer();
  const gateway = dedicatedGateway((g) => g.addExtension('cache', { name: 'ai-cache', source: 'system', config: { ttlSeconds: 60 } }));
  const gw = await startTestGateway(gateway, {
    upstream: sim,
    consumers: { alice: KEY },
    transform: (c) => ({ ...c, redis: { address: redis.address, keyPrefix: 'contract:' } }),
  });
  try {
    await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 }).chat.completions.create(hello);
    const store = new Redis(redis.port, '127.0.0.1');
    try {
      expect((await store.keys('contract:*ext:ai-cache:*')).length).toBeGreaterThan(0);
    } finally {
      store.disconnect();
    }
  } finally {
    await gw.close();
    await redis.stop();
  }
});

test('pii-redaction with no config: an email address in a user message reaches the upstream masked, the rest intact', async () => {
  const { gw, sdk } = await started(dedicatedGateway((g) => g.addExtension('pii', { name: 'pii-redaction', source: 'marketplace' })));
  try {
    await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Write to jane.doe@example.com about the invoice' }] });
    const sent = (sim.requests[0].body as { messages: { content: string }[] }).messages[0].content;
    expect(sent).not.toContain('jane.doe@example.com');
    expect(sent).toMatch(/^Write to .+ about the invoice$/);
  } finally {
    await gw.close();
  }
});

test("failPolicy 'closed': a hook that throws gets a JSON error and nothing reaches the upstream; the next request is served", async () => {
  const modulePath = join(tempDir('aigw-flaky-'), 'flaky.js');
  writeFileSync(modulePath, "module.exports = { name: 'flaky', onRequest(ctx) { if (ctx.request.headers['x-fail'] === '1') throw new Error('flaky broke'); } };\n");
  const { gw, sdk } = await started(dedicatedGateway((g) => g.addExtension('flaky', { name: 'flaky', source: 'custom', modulePath, failPolicy: 'closed' })));
  try {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json', 'x-fail': '1' },
      body: JSON.stringify(hello),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(600);
    expect(await res.json()).toMatchObject({ error: { message: expect.any(String) } });
    expect(sim.requests).toHaveLength(0);
    await expect(sdk.chat.completions.create(hello)).resolves.toMatchObject({ object: 'chat.completion' });
  } finally {
    await gw.close();
  }
});

test('a marketplace version the catalog lacks fails synth, naming the versions it has', () => {
  const gateway = dedicatedGateway((g) => g.addExtension('pii', { name: 'pii-redaction', source: 'marketplace', version: '99.0.0' }));
  expect(() => Testing.synth(TerraformStack.of(gateway), true)).toThrow(/99\.0\.0.*'1\.0\.0'/s);
});
