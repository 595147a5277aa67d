import Redis from 'ioredis';
import OpenAI from 'openai';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import type { GatewayConfig } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { startRedisServer, type TestRedisServer } from '../support/redis-server';

// Real servers under a loaded 2-core CI machine: generous, not a performance bound.
jest.setTimeout(60_000);

describe('rate limits through the gateway', () => {
  let sim: UpstreamSimulator;
  let redis: TestRedisServer;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await sim.close();
    await redis.stop();
  });

  function limitedGateway(onRedisUnavailable: 'failOpen' | 'failClosed', limit = 5) {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }],
      policies: { rateLimits: [{ limit, window: 'hour', scope: 'consumer' }], onRedisUnavailable },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    return gateway;
  }
  /** The synthesized Redis address is the cluster Service; point it at the test's redis-server. */
  const toTestRedis = (prefix: string) => (c: GatewayConfig): GatewayConfig => ({ ...c, redis: { address: redis.address, keyPrefix: prefix } });
  const sdk = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
  const call = (c: OpenAI) => c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });

  test('two replicas share one limit through Redis: the total admitted stays within it', async () => {
    const prefix = `shared-${Date.now()}:`;
    const [a, b] = await Promise.all([start(limitedGateway('failClosed', 7), toTestRedis(prefix)), start(limitedGateway('failClosed', 7), toTestRedis(prefix))]);
    try {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => call(sdk(i % 2 ? a.url : b.url))));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const limited = results.filter((r) => r.status === 'rejected' && (r.reason as { status?: number }).status === 429).length;
      expect(ok).toBe(7);
      expect(limited).toBe(13);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a 429 carries Retry-After and the x-ratelimit headers; allowed responses carry the remaining budget', async () => {
    const gw = await start(limitedGateway('failClosed', 2), toTestRedis(`hdr-${Date.now()}:`));
    try {
      const first = await sdk(gw.url).chat.completions.create({ model: 'gpt-4o', messages: [] }).withResponse();
      expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
      await call(sdk(gw.url));
      const err = (await call(sdk(gw.url)).catch((e: unknown) => e)) as { status: number; code: string; headers: Headers };
      expect(err.status).toBe(429);
      expect(err.code).toBe('rate_limit_exceeded');
      expect(Number(err.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(err.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(err.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+h)?(\d+m)?[\d.]+s$/);
    } finally {
      await gw.close();
    }
  });

  test('Redis killed mid-test: failOpen serves, failClosed refuses with 503; both use Redis again once it is back', async () => {
    const open = await start(limitedGateway('failOpen', 3), toTestRedis(`open-${Date.now()}:`));
    const closed = await start(limitedGateway('failClosed', 3), toTestRedis(`closed-${Date.now()}:`));
    try {
      await call(sdk(open.url));
      await call(sdk(closed.url));
      await redis.kill();
      // Redis down: the policy decides, and nothing crashes.
      for (let i = 0; i < 5; i++) await expect(call(sdk(open.url))).resolves.toBeDefined();
      await expect(call(sdk(closed.url))).rejects.toMatchObject({ status: 503, code: 'rate_limit_unavailable' });
      const metrics = await (await fetch(`${open.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/aigw_ratelimit_decisions_total\{decision="failOpen"[^}]*\} 5/);
      expect(open.logs.some((l) => typeof l.msg === 'string' && /redis/i.test(l.msg))).toBe(true);

      await redis.restart();
      // Back: limits are enforced through Redis again (a fresh Redis: 3 more, then 429).
      const deadline = Date.now() + 10_000;
      let recovered = false;
      while (!recovered && Date.now() < deadline) {
        recovered = await call(sdk(closed.url)).then(() => true, () => false);
        if (!recovered) await new Promise((r) => setTimeout(r, 100));
      }
      expect(recovered).toBe(true);
      await call(sdk(closed.url));
      await call(sdk(closed.url));
      await expect(call(sdk(closed.url))).rejects.toMatchObject({ status: 429 });
    } finally {
      await open.close();
      await closed.close();
    }
  });

  test('token limits pre-charge the estimate and settle to the real usage', async () => {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }],
      policies: { rateLimits: [{ kind: 'tokens', limit: 1000, window: 'day', scope: 'consumer-route' }] },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway, toTestRedis(`tok-${Date.now()}:`));
    try {
      const res = await sdk(gw.url).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'count my tokens please' }] }).withResponse();
      const used = res.data.usage!.total_tokens;
      // The next request is admitted against the settled usage plus its own estimate (1 message: 4 + ceil(1/4) = 5).
      const next = await sdk(gw.url).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).withResponse();
      expect(Number(next.response.headers.get('x-ratelimit-remaining-tokens'))).toBe(1000 - used - 5);
      const nextUsed = next.data.usage!.total_tokens;
      // A streamed answer settles from its usage chunk, which the gateway asked for and the client did not see.
      let streamUsage = 0;
      const streamed = await sdk(gw.url).chat.completions.create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'y' }] });
      for await (const chunk of streamed) streamUsage += chunk.usage?.total_tokens ?? 0;
      const client = new Redis(redis.port, '127.0.0.1');
      try {
        const [key] = await client.keys('tok-*');
        // Settlement runs as the response closes: give it a moment, bounded.
        let counted = 0;
        for (let i = 0; i < 50 && counted !== used + nextUsed + streamUsage; i++) {
          counted = Number(await client.get(key));
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(counted).toBe(used + nextUsed + streamUsage);
      } finally {
        client.disconnect();
      }
    } finally {
      await gw.close();
    }
  });
});
