import fc from 'fast-check';
import Redis from 'ioredis';
import { rule } from './fixtures';
import {
  type Admission,
  compileLimitPlan,
  createRedisStore,
  type LimitStore,
  LocalLimitStore,
  ManualClock,
  RateLimiter,
  type RedisLimitStore,
} from '../../../src/dataplane/limits';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';

/*
 * Envoy AI Gateway #680: token limits were checked against usage recorded only after responses, so
 * N concurrent requests all passed a nearly-full limit. Here every admit pre-charges its estimate
 * atomically, so with nothing settled yet, at most floor(limit / estimate) of N concurrent admits pass.
 */

const T0 = Date.UTC(2025, 6, 1, 12, 0, 0);
const LIMIT = 1_000;
const ESTIMATE = 300;
const N = 60;
const tpm = rule({ name: 'tpm', kind: 'tokens', limit: LIMIT, window: 'minute', scope: 'consumer' });

/** Fires every admit before awaiting any: they are all in flight together. */
async function burst(limiters: readonly RateLimiter[], n: number, estimate = ESTIMATE): Promise<Admission[]> {
  const pending: Promise<Admission>[] = [];
  for (let i = 0; i < n; i++) {
    pending.push(limiters[i % limiters.length]!.admit({ consumer: 'alice', plan: compileLimitPlan(`route-${i % 3}`, [tpm]), tokenEstimate: estimate, onRedisUnavailable: 'failClosed' }));
  }
  return Promise.all(pending);
}

function charged(admissions: readonly Admission[]): number {
  return admissions.reduce((n, a) => n + (a.kind === 'allowed' ? a.tokenCharges.reduce((m, c) => m + c.charged, 0) : 0), 0);
}

async function expectTheProperty(limiters: readonly RateLimiter[], counter: () => Promise<number | undefined>): Promise<void> {
  const admissions = await burst(limiters, N);
  const allowed = admissions.filter((a) => a.kind === 'allowed');
  expect(allowed).toHaveLength(Math.floor(LIMIT / ESTIMATE));
  expect(admissions.filter((a) => a.kind === 'limited')).toHaveLength(N - allowed.length);
  expect(charged(admissions)).toBeLessThanOrEqual(LIMIT);
  expect(await counter()).toBe(allowed.length * ESTIMATE);

  // Settling to the real usage (less than estimated) frees the difference for the next requests.
  await Promise.all(allowed.map((a) => limiters[0]!.settle(a, 100)));
  expect(await counter()).toBe(allowed.length * 100);
  const next = await burst(limiters, N);
  expect(next.filter((a) => a.kind === 'allowed')).toHaveLength(Math.floor((LIMIT - allowed.length * 100) / ESTIMATE));
}

function limiterOver(store: LimitStore): RateLimiter {
  return new RateLimiter({ store, clock: new ManualClock(T0) });
}

const KEY = (prefix: string) => `${prefix}rl:c:alice:tokens:minute:${T0}`;

describe('#680: concurrent token admits never overshoot by more than the in-flight estimates', () => {
  test('local store', async () => {
    const store = new LocalLimitStore({ clock: new ManualClock(T0), keyPrefix: 'l:' });
    await expectTheProperty([limiterOver(store)], async () => store.peek(KEY('l:')));
  });

  test('local store, any limit and any mix of estimates: admitted charges fit, and no refusal was needless', async () => {
    const limits = fc.integer({ min: 1, max: 5_000 });
    const estimateLists = fc.array(fc.integer({ min: 1, max: 2_000 }), { minLength: 1, maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(limits, estimateLists, async (limit, estimates) => {
        const clock = new ManualClock(T0);
        const store = new LocalLimitStore({ clock });
        const limiter = new RateLimiter({ store, clock });
        const r = rule({ kind: 'tokens', limit });
        const admissions = await Promise.all(estimates.map((e) => limiter.admit({ plan: compileLimitPlan('r', [r]), tokenEstimate: e, onRedisUnavailable: 'failClosed' })));
        const used = charged(admissions);
        expect(used).toBeLessThanOrEqual(limit);
        expect(store.peek(`rl:c:alice:tokens:minute:${T0}`) ?? 0).toBe(0); // consumer undefined → '-'
        expect(store.peek(`rl:c:-:tokens:minute:${T0}`) ?? 0).toBe(used);
        admissions.forEach((a, i) => {
          if (a.kind === 'limited') expect(used + estimates[i]!).toBeGreaterThan(limit);
        });
      }),
      { numRuns: 200 },
    );
  });

  describe('Redis, two replicas sharing one limit', () => {
    let server: TestRedisServer;
    let stores: RedisLimitStore[] = [];
    let admin: Redis;

    beforeAll(async () => {
      server = await startRedisServer();
      stores = [createRedisStore({ address: server.address, keyPrefix: 'gw:' }), createRedisStore({ address: server.address, keyPrefix: 'gw:' })];
      await Promise.all(stores.map((s) => s.waitUntilReady()));
      admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
      await admin.connect();
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await admin?.quit();
      await server?.stop();
    });

    test('all admits fired at once across both replicas', async () => {
      await expectTheProperty(stores.map(limiterOver), async () => Number(await admin.get(KEY('gw:'))));
    });
  });
});
