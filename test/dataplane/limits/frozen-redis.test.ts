import Redis from 'ioredis';
import { captureLogger, recordingHooks, rule } from './fixtures';
import { createRedisStore, compileLimitPlan, ManualClock, RateLimiter, type RateLimitRequest, type RedisLimitStore, StoreCircuitOpenError } from '../../../src/dataplane/limits';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';

const T0 = Date.UTC(2025, 6, 1, 12, 0, 30);
const rpm = rule({ name: 'rpm', kind: 'requests', limit: 100, window: 'minute' });
const REQUESTS_KEY = `gw:rl:c:alice:requests:minute:${Date.UTC(2025, 6, 1, 12, 0)}`;
const UNCOUNTED = { kind: 'allowed', tokenCharges: [], headers: {} };

/** Settles with the admissions if they all settle before the event loop's next macrotask (no socket, no timer), else 'waited'. */
async function withoutWaiting<T>(pending: Promise<T>[]): Promise<T[] | 'waited'> {
  return Promise.race([Promise.all(pending), new Promise<'waited'>((resolve) => setImmediate(() => resolve('waited')))]);
}

describe('a frozen Redis (SIGSTOP: connected, never answering): one command timeout, then decided at once until Redis answers', () => {
  let server: TestRedisServer;
  let pid: number;
  let frozen = false;
  let store: RedisLimitStore;
  const hooks = recordingHooks();
  const { logger, lines } = captureLogger();
  let limiter: RateLimiter;

  const req = (policy: RateLimitRequest['onRedisUnavailable']): RateLimitRequest => ({ consumer: 'alice', plan: compileLimitPlan('chat', [rpm]), tokenEstimate: 1, onRedisUnavailable: policy });

  async function counter(): Promise<string | null> {
    const admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    try {
      await admin.connect();
      return await admin.get(REQUESTS_KEY);
    } finally {
      admin.disconnect();
    }
  }

  beforeAll(async () => {
    server = await startRedisServer();
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    try {
      pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
    } finally {
      admin.disconnect();
    }
    store = createRedisStore({ address: server.address, keyPrefix: 'gw:', commandTimeoutMs: 300, probeIntervalMs: 50 }, logger);
    await store.waitUntilReady();
    limiter = new RateLimiter({ store, clock: new ManualClock(T0), hooks, logger });
  });
  afterAll(async () => {
    // A stopped process ignores SIGTERM until it is continued.
    if (frozen) process.kill(pid, 'SIGCONT');
    await store?.close();
    await server?.stop();
  });

  test('while Redis answers, Redis decides', async () => {
    expect(await limiter.admit(req('failClosed'))).toMatchObject({ kind: 'allowed', headers: { 'x-ratelimit-remaining-requests': '99' } });
    expect(await counter()).toBe('1');
    expect(store.circuitState).toBe('closed');
  });

  test('frozen: the first check waits out the command timeout; the next 50 (both policies) are decided without asking Redis', async () => {
    process.kill(pid, 'SIGSTOP');
    frozen = true;
    hooks.decisions.length = 0;
    hooks.errors.length = 0;

    expect(await limiter.admit(req('failOpen'))).toEqual(UNCOUNTED);
    expect(hooks.errors).toHaveLength(1);
    expect((hooks.errors[0].err as Error).message).toMatch(/timed out/i);
    expect(store.circuitState).toBe('open');

    const decided = await withoutWaiting(Array.from({ length: 50 }, (_, i) => limiter.admit(req(i % 2 === 0 ? 'failOpen' : 'failClosed'))));
    expect(decided).not.toBe('waited');
    const results = decided as Awaited<ReturnType<RateLimiter['admit']>>[];
    expect(results.filter((r) => r.kind === 'allowed')).toHaveLength(25);
    expect(results.filter((r) => r.kind === 'unavailable')).toHaveLength(25);
    // aigw_ratelimit_decisions_total{decision} counts these: failOpen admitted, failClosed refused.
    expect(hooks.decisions.map((d) => d.decision)).toEqual(['failOpen', ...Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'failOpen' : 'failClosed'))]);
    // None of them was sent to Redis: each was refused by the open circuit.
    expect(hooks.errors.slice(1).every((e) => e.err instanceof StoreCircuitOpenError)).toBe(true);
    expect(store.circuitState).toBe('open');
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings.filter((m) => typeof m === 'string' && m.startsWith('redis did not answer'))).toHaveLength(1);
  });

  test('continued: a background probe gets an answer, the circuit closes and Redis decides again; only the one timed-out check ever reached it', async () => {
    process.kill(pid, 'SIGCONT');
    frozen = false;
    await store.whenAnswering();
    expect(store.circuitState).toBe('closed');
    hooks.decisions.length = 0;

    // 1 before the freeze + the timed-out check (Redis ran it once continued) + this one: the 50 never reached Redis.
    expect(await limiter.admit(req('failClosed'))).toMatchObject({ kind: 'allowed', headers: { 'x-ratelimit-remaining-requests': '97' } });
    expect(await counter()).toBe('3');
    expect(hooks.decisions.map((d) => d.decision)).toEqual(['allowed']);
    expect(lines.filter((l) => l.level === 30).map((l) => l.msg)).toContain('redis answers again; rate limits are counted in redis');
  });
});
