import Redis from 'ioredis';
import OpenAI from 'openai';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import type { GatewayConfig } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { startRedisServer, type TestRedisServer } from '../support/redis-server';

// Real servers under a loaded 2-core CI machine: generous, not a performance bound.
jest.setTimeout(60_000);

describe('a frozen Redis behind the gateway (SIGSTOP, then SIGCONT)', () => {
  let sim: UpstreamSimulator;
  let redis: TestRedisServer;
  let pid: number;
  let frozen = false;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    redis = await startRedisServer();
    const admin = new Redis({ host: '127.0.0.1', port: redis.port });
    try {
      pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
    } finally {
      admin.disconnect();
    }
  });
  afterAll(async () => {
    // A stopped process ignores SIGTERM until it is continued.
    if (frozen) process.kill(pid, 'SIGCONT');
    await sim.close();
    await redis.stop();
  });

  test('failOpen keeps serving without asking Redis after its first timeout, in aigw_ratelimit_decisions_total; Redis decides again once it answers', async () => {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }],
      policies: { rateLimits: [{ limit: 1000, window: 'hour', scope: 'consumer' }], onRedisUnavailable: 'failOpen' },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway, (c: GatewayConfig): GatewayConfig => ({ ...c, redis: { address: redis.address, keyPrefix: `frozen-${Date.now()}:`, counting: 'exact' } })); // exact: every check asks Redis (a leased one would be admitted from its lease)
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
    const call = () => sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).withResponse();
    try {
      expect((await call()).response.headers.get('x-ratelimit-remaining-requests')).toBe('999');

      process.kill(pid, 'SIGSTOP');
      frozen = true;
      for (let i = 0; i < 20; i++) {
        const { response } = await call();
        expect(response.status).toBe(200);
        // Admitted uncounted: no budget headers.
        expect(response.headers.get('x-ratelimit-remaining-requests')).toBeNull();
      }
      const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/aigw_ratelimit_decisions_total\{decision="failOpen"[^}]*\} 20/);
      expect(gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('redis did not answer'))).toHaveLength(1);

      process.kill(pid, 'SIGCONT');
      frozen = false;
      // Until a background probe gets its answer, requests are still admitted uncounted; then Redis counts again.
      let remaining: string | null = null;
      for (let i = 0; i < 600 && remaining === null; i++) {
        remaining = (await call()).response.headers.get('x-ratelimit-remaining-requests');
        if (remaining === null) await new Promise((r) => setTimeout(r, 50));
      }
      // 1 before the freeze, the one check that timed out (Redis ran it once continued), and this one:
      // none of the other 20 frozen-time requests reached Redis.
      expect(remaining).toBe('997');
    } finally {
      await gw.close();
    }
  });
});
