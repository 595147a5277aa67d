import Redis from 'ioredis';
import { captureLogger, recordingHooks, rule } from './fixtures';
import { type Admission, createRedisStore, compileLimitPlan, ManualClock, RateLimiter, type RedisLimitStore, type RateLimitRequest } from '../../../src/dataplane/limits';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';

const T0 = Date.UTC(2025, 6, 1, 12, 0, 30);
const rpm = rule({ name: 'rpm', kind: 'requests', limit: 100, window: 'minute' });
const tpm = rule({ name: 'tpm', kind: 'tokens', limit: 10_000, window: 'minute' });
const REQUESTS_KEY = `gw:rl:c:alice:requests:minute:${Date.UTC(2025, 6, 1, 12, 0)}`;
const TOKENS_KEY = `gw:rl:c:alice:tokens:minute:${Date.UTC(2025, 6, 1, 12, 0)}`;

describe('Redis killed mid-test: onRedisUnavailable, then recovery on the same limiter', () => {
  let server: TestRedisServer;
  let store: RedisLimitStore;
  const hooks = recordingHooks();
  const { logger, lines } = captureLogger();
  let limiter: RateLimiter;

  const req = (policy: RateLimitRequest['onRedisUnavailable']): RateLimitRequest => ({
    consumer: 'alice',
    plan: compileLimitPlan('chat', [rpm, tpm]),
    tokenEstimate: 500,
    onRedisUnavailable: policy,
  });

  async function counters(): Promise<(string | null)[]> {
    const admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    try {
      await admin.connect();
      return await admin.mget(REQUESTS_KEY, TOKENS_KEY);
    } finally {
      admin.disconnect();
    }
  }

  beforeAll(async () => {
    server = await startRedisServer();
    store = createRedisStore({ address: server.address, keyPrefix: 'gw:' }, logger);
    await store.waitUntilReady();
    limiter = new RateLimiter({ store, clock: new ManualClock(T0), hooks, logger });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  let beforeKill: Admission;

  test('while Redis is up, both policies enforce through Redis', async () => {
    beforeKill = await limiter.admit(req('failClosed'));
    expect(beforeKill).toMatchObject({ kind: 'allowed', tokenCharges: [{ key: TOKENS_KEY, charged: 500 }] });
    expect((await limiter.admit(req('failOpen'))).kind).toBe('allowed');
    expect(await counters()).toEqual(['2', '1000']);
  });

  test('after SIGKILL: failOpen admits uncounted, failClosed refuses; hooks and logs see it; nothing throws', async () => {
    await server.kill();
    hooks.decisions.length = 0;
    hooks.errors.length = 0;

    expect(await limiter.admit(req('failOpen'))).toEqual({ kind: 'allowed', tokenCharges: [], headers: {} });
    expect(await limiter.admit(req('failClosed'))).toEqual({ kind: 'unavailable' });
    expect(await limiter.admit(req('failOpen'))).toEqual({ kind: 'allowed', tokenCharges: [], headers: {} });
    await expect(limiter.settle(beforeKill, 200)).resolves.toBeUndefined();

    expect(hooks.decisions.map((d) => d.decision)).toEqual(['failOpen', 'failClosed', 'failOpen']);
    expect(hooks.errors.map((e) => e.op)).toEqual(['admit', 'admit', 'admit', 'settle']);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toContain('rate limit store unavailable; applying onRedisUnavailable');
    expect(warnings).toContain('rate limit settlement failed; the token estimate stands for this request');
    expect(warnings.filter((m) => m === 'rate limit store unavailable; applying onRedisUnavailable')).toHaveLength(1);
  });

  test('after restart on the same port, the same limiter counts in Redis again', async () => {
    await server.restart();
    await store.waitUntilReady();
    hooks.decisions.length = 0;

    const a = await limiter.admit(req('failClosed'));
    // A fresh Redis: this request is the window's first.
    expect(a).toMatchObject({
      kind: 'allowed',
      headers: { 'x-ratelimit-remaining-requests': '99', 'x-ratelimit-remaining-tokens': '9500' },
    });
    await limiter.settle(a, 42);
    expect(await counters()).toEqual(['1', '42']);
    expect(hooks.decisions.map((d) => d.decision)).toEqual(['allowed']);
    const infos = lines.filter((l) => l.level === 30).map((l) => l.msg);
    expect(infos).toContain('redis is reachable again');
    expect(infos).toContain('rate limit store available again; limits are enforced');
  });

  test('and limits hold again: the 101st request of the window is refused', async () => {
    const results = await Promise.all(Array.from({ length: 120 }, () => limiter.admit({ ...req('failOpen'), plan: compileLimitPlan('chat', [rpm]) })));
    expect(results.filter((r) => r.kind === 'allowed')).toHaveLength(99);
    expect(results.filter((r) => r.kind === 'limited')).toHaveLength(21);
  });
});
