import { createHash } from 'crypto';
import Redis from 'ioredis';
import OpenAI from 'openai';
import pino from 'pino';
import { boundedLeasePercent, createLimitBackend, limitStoreSettings } from '../../../src/dataplane/limit-backend';
import { type ConsumeEntry, createRedisStore, LEASE_LUA, LeasedLimitStore, leaseSize, ManualClock, MIN_LEASE_UNITS, RedisLimitStore } from '../../../src/dataplane/limits';
import { GatewayMetrics } from '../../../src/dataplane/metrics';
import type { SecretSource } from '../../../src/dataplane/secrets';
import type { GatewayConfig } from '../../../src/specs';
import { UpstreamSimulator } from '../../../src/testing';
import { configOf, fleetStack, synth, synthError } from '../../constructs/fixtures';
import { eventually } from '../../support/eventually';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from '../harness';

// Real servers under a loaded 2-core CI machine: generous, not a performance bound.
jest.setTimeout(60_000);

const TTL = 60_000;
const noSecrets = { read: () => undefined, describe: () => 'nowhere' } as unknown as SecretSource;

function request(key: string, limit: number): ConsumeEntry {
  return { key, limit, amount: 1, ttlMs: TTL };
}

/** Calls of the Lua scripts (EVALSHA, and EVAL on a NOSCRIPT fallback) since the last CONFIG RESETSTAT. */
async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

/** Consumes `entries` on `store` until it is refused `refusals` times in a row; returns how many were admitted. */
async function untilRefused(
  store: LeasedLimitStore,
  entries: () => ConsumeEntry[],
  refusals = 3,
  onAdmit?: (e: ConsumeEntry[]) => Promise<void>,
): Promise<number> {
  let admitted = 0;
  let refusedInARow = 0;
  while (refusedInARow < refusals) {
    const batch = entries();
    const result = await store.consume(batch);
    if (result.admitted) {
      admitted++;
      refusedInARow = 0;
      await onAdmit?.(batch);
    } else {
      refusedInARow++;
    }
  }
  return admitted;
}

describe('LeasedLimitStore against a real redis-server', () => {
  let server: TestRedisServer;
  let admin: Redis;
  const stores: LeasedLimitStore[] = [];

  /** A replica: a store of its own, over a client of its own. */
  async function replica(leasePercent: number, clock?: ManualClock): Promise<LeasedLimitStore> {
    const redis = createRedisStore({ address: server.address, keyPrefix: 't:' });
    await redis.waitUntilReady();
    const store = new LeasedLimitStore(redis, { leasePercent, clock });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  test("a rule with a lower limit on the same counter (another route's consumer-scope rule) is held to its own limit, not served from the lease", async () => {
    const store = await replica(1);
    const key = `shared-${Date.now()}`;
    // Route A's rule: 10,000 a minute (leases of 100). 150 admitted: the counter is past route B's 100.
    for (let i = 0; i < 150; i++) expect((await store.consume([request(key, 10_000)])).admitted).toBe(true);
    // Route B's rule on the same counter: 100. The lease still holds units, but B's limit is passed.
    const b = await store.consume([request(key, 100)]);
    expect(b.admitted).toBe(false);
    // Route A goes on from its lease.
    expect((await store.consume([request(key, 10_000)])).admitted).toBe(true);
  });

  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
    await admin.config('RESETSTAT');
  });

  test('lease sizes: a share of the limit, at least 1; under MIN_LEASE_UNITS charges a check is exact', () => {
    expect(leaseSize(1000, 1)).toBe(10);
    expect(leaseSize(50, 1)).toBe(1);
    expect(leaseSize(1000, 10)).toBe(100);
    expect(MIN_LEASE_UNITS).toBe(10);
  });

  test('a lease serves many checks: the Redis counter moves by leases, one script call each, not one per check', async () => {
    const store = await replica(10);
    // limit 1000 at 10 %: leases of 100.
    const first = await store.consume([request('t:a', 1000)]);
    expect(first).toEqual({ admitted: true, counts: [1] });
    expect(Number(await admin.get('t:a'))).toBe(101);
    expect(store.leaseOf('t:a')).toBe(100);
    // The next 40 checks are decided here: the counter in Redis does not move, and no script runs.
    const callsBefore = await scriptCalls(admin);
    for (let i = 2; i <= 41; i++) expect(await store.consume([request('t:a', 1000)])).toEqual({ admitted: true, counts: [i] });
    expect(Number(await admin.get('t:a'))).toBe(101);
    expect(await scriptCalls(admin)).toBe(callsBefore);
    expect(store.leaseOf('t:a')).toBe(60);

    // 250 checks in all cost a handful of script calls (a lease refilled every ~50), not 250.
    for (let i = 42; i <= 250; i++) expect((await store.consume([request('t:a', 1000)])).admitted).toBe(true);
    await eventually(() => store.leaseOf('t:a') >= 50);
    const calls = await scriptCalls(admin);
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThanOrEqual(1 + Math.ceil(250 / 50));
    // Every unit admitted is in Redis, with the lease still held.
    expect(Number(await admin.get('t:a'))).toBe(250 + store.leaseOf('t:a'));
    expect(await admin.pttl('t:a')).toBeGreaterThan(0);
  });

  test('a lease below half its size is refilled in the background, with no check waiting for it', async () => {
    const store = await replica(10);
    await store.consume([request('t:r', 1000)]);
    for (let i = 0; i < 51; i++) await store.consume([request('t:r', 1000)]);
    // Below half (49 of 100): the refill is on its way, topping the lease up to one lease size.
    await eventually(() => store.leaseOf('t:r') === 100);
    expect(Number(await admin.get('t:r'))).toBe(52 + 100);
  });

  test('all or nothing over the entries: a full counter refuses the check and charges no lease', async () => {
    const store = await replica(10);
    const result = await store.consume([request('t:x', 1000), { key: 't:y', limit: 1000, amount: 1001, ttlMs: TTL }]);
    expect(result.admitted).toBe(false);
    expect(result).toMatchObject({ failed: 1 });
    // t:x's lease was taken (counted in Redis, held here for the next checks), but none of it was used.
    expect(result.counts[0]).toBe(0);
    expect(Number(await admin.get('t:x'))).toBe(store.leaseOf('t:x'));
    expect(await store.consume([request('t:x', 1000)])).toEqual({ admitted: true, counts: [1] });
  });

  test('concurrent checks that need a lease for the same counter share one lease call', async () => {
    const store = await replica(10);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consume([request('t:c', 1000)])));
    expect(results.every((r) => r.admitted)).toBe(true);
    expect(await scriptCalls(admin)).toBe(1);
    expect(Number(await admin.get('t:c'))).toBe(101);
  });

  test('the bound: 4 replicas on one counter never admit more than the limit; the price is at most the others\' unused leases', async () => {
    const limit = 1000;
    const percent = 5;
    const size = leaseSize(limit, percent);
    const replicas = await Promise.all([0, 1, 2, 3].map(() => replica(percent)));
    // Every replica serves some traffic (and takes a lease) ...
    for (const r of replicas) for (let i = 0; i < 3; i++) expect((await r.consume([request('t:h', limit)])).admitted).toBe(true);
    // ... then two of them take all the traffic, interleaved and concurrent, until each is refused.
    const hammered = await Promise.all(
      [replicas[0]!, replicas[1]!].flatMap((r) => Array.from({ length: 5 }, () => untilRefused(r, () => [request('t:h', limit)]))),
    );
    const admitted = 12 + hammered.reduce((a, b) => a + b, 0);
    expect(admitted).toBeLessThanOrEqual(limit);
    expect(admitted).toBeGreaterThanOrEqual(limit - (replicas.length - 1) * size);
    // What was refused while budget was left is exactly what the idle replicas hold unused.
    expect(Number(await admin.get('t:h'))).toBe(limit);
    expect(admitted).toBe(limit - replicas[2]!.leaseOf('t:h') - replicas[3]!.leaseOf('t:h'));
    expect(replicas[2]!.leaseOf('t:h')).toBeLessThanOrEqual(size);
  });

  test('the bound with token checks and settlement: every unit is in Redis, no replica holds more than a lease', async () => {
    const limit = 100_000;
    const percent = 5;
    const size = leaseSize(limit, percent);
    const replicas = await Promise.all([0, 1, 2, 3].map(() => replica(percent)));
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    let used = 0;
    let overruns = 0;
    const tokens = (): ConsumeEntry[] => [request('t:rq', 1_000_000), { key: 't:tok', limit, amount: 10 + random(200), ttlMs: TTL }];
    // Settle each admitted check to a usage between a refund of all of it and an overrun of 100 tokens.
    const settle = async (batch: ConsumeEntry[]): Promise<void> => {
      const estimate = batch[1]!.amount;
      const delta = random(estimate + 100) - estimate;
      used += estimate + delta;
      if (delta > 0) overruns += delta;
      await replicas[random(4)]!.adjust('t:tok', delta, TTL);
    };
    const admitted = await Promise.all(replicas.flatMap((r) => Array.from({ length: 4 }, () => untilRefused(r, tokens, 5, settle))));
    expect(admitted.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const held = replicas.reduce((a, r) => a + r.leaseOf('t:tok'), 0);
    const counted = Number(await admin.get('t:tok'));
    // Conservation: the Redis counter is what was used plus what the replicas hold unused.
    expect(counted).toBe(used + held);
    // Overshoot only from the estimates' error (overruns settled after admission), as with exact counting.
    expect(used).toBeLessThanOrEqual(limit + overruns);
    for (const r of replicas) expect(r.leaseOf('t:tok')).toBeLessThanOrEqual(size);
    // The request rule (a lease of 10 000) was never the one to refuse, and is counted the same way.
    expect(Number(await admin.get('t:rq'))).toBe(admitted.reduce((a, b) => a + b, 0) + replicas.reduce((a, r) => a + r.leaseOf('t:rq'), 0));
  });

  test('settlement: an overrun uses the lease, then Redis; a refund returns to the lease, beyond one lease size to Redis', async () => {
    const store = await replica(10);
    const charge: ConsumeEntry = { key: 't:s', limit: 10_000, amount: 50, ttlMs: TTL };
    // A lease of 1000 for a charge of 50 (at least MIN_LEASE_UNITS charges): the shortfall plus a lease.
    await store.consume([charge]);
    expect(Number(await admin.get('t:s'))).toBe(1050);
    expect(store.leaseOf('t:s')).toBe(1000);
    await store.adjust('t:s', 300, TTL);
    expect(store.leaseOf('t:s')).toBe(700);
    expect(Number(await admin.get('t:s'))).toBe(1050);
    await store.adjust('t:s', 900, TTL);
    expect(store.leaseOf('t:s')).toBe(0);
    expect(Number(await admin.get('t:s'))).toBe(1250);
    await store.adjust('t:s', -400, TTL);
    expect(store.leaseOf('t:s')).toBe(400);
    await store.adjust('t:s', -800, TTL);
    expect(store.leaseOf('t:s')).toBe(1000);
    expect(Number(await admin.get('t:s'))).toBe(1050);
    // Used: 50 + 300 + 900 - 400 - 800 = 50; held 1000.
    const next = await store.consume([{ ...charge, amount: 1 }]);
    expect(next).toEqual({ admitted: true, counts: [51] });
  });

  test('a low limit (a lease under MIN_LEASE_UNITS) is counted exactly: idle replicas hold nothing back', async () => {
    for (const [limit, percent] of [
      [50, 1],
      [90, 10],
    ] as const) {
      const key = `t:low-${limit}`;
      const replicas = await Promise.all([0, 1, 2, 3].map(() => replica(percent)));
      for (const r of replicas) expect((await r.consume([request(key, limit)])).admitted).toBe(true);
      const hammering = [replicas[0]!, replicas[1]!].flatMap((r) => Array.from({ length: 3 }, () => untilRefused(r, () => [request(key, limit)])));
      const hammered = await Promise.all(hammering);
      expect(4 + hammered.reduce((a, b) => a + b, 0)).toBe(limit);
      expect(Number(await admin.get(key))).toBe(limit);
      for (const r of replicas) expect(r.leaseOf(key)).toBe(0);
    }
  });

  test('leases of ended windows are dropped', async () => {
    const clock = new ManualClock(1_000_000);
    const store = await replica(10, clock);
    await store.consume([{ key: 't:w1', limit: 1000, amount: 1, ttlMs: 5_000 }]);
    expect(store.size).toBe(1);
    clock.advance(20_000);
    // The next window's key: the old lease goes with the sweep.
    await store.consume([{ key: 't:w2', limit: 1000, amount: 1, ttlMs: 5_000 }]);
    expect(store.size).toBe(1);
    expect(store.leaseOf('t:w1')).toBe(0);
    expect(store.leaseOf('t:w2')).toBe(100);
  });

  test('bad entries reject, never throw', async () => {
    const store = await replica(10);
    let consumed: Promise<unknown> | undefined;
    expect(() => {
      consumed = store.consume([{ key: 't:bad', limit: 10, amount: 0, ttlMs: TTL }]);
    }).not.toThrow();
    await expect(consumed).rejects.toThrow(/amount 0 is not a positive integer/);
    await expect(store.adjust('t:bad', 0.5, TTL)).rejects.toThrow(/delta 0.5 is not an integer/);
    expect(() => new LeasedLimitStore(store.redis, { leasePercent: 0 })).toThrow(/redis.leasePercent: 0 .* use e.g. 1/);
  });
});

describe('LeasedLimitStore with Redis down', () => {
  let server: TestRedisServer;
  let store: LeasedLimitStore | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  test('checks inside the lease are admitted (their units are in Redis already); the rest reject', async () => {
    const redis = createRedisStore({ address: server.address, keyPrefix: 't:', commandTimeoutMs: 200, connectTimeoutMs: 200 });
    await redis.waitUntilReady();
    store = new LeasedLimitStore(redis, { leasePercent: 10 });
    // A lease of 10 (limit 100 at 10 %) for t:d; t:exact (limit 50) is counted exactly.
    await store.consume([request('t:d', 100)]);
    expect(store.leaseOf('t:d')).toBe(10);
    await server.kill();
    await eventually(() => redis.status !== 'ready');
    for (let i = 0; i < 10; i++) expect((await store.consume([request('t:d', 100)])).admitted).toBe(true);
    await expect(store.consume([request('t:d', 100)])).rejects.toThrow();
    await expect(store.consume([request('t:other', 100)])).rejects.toThrow();
    await expect(store.consume([request('t:exact', 50)])).rejects.toThrow();
  });
});

describe('the limit backend builds the store the config asks for', () => {
  let server: TestRedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("leases by default; counting: 'exact' builds the plain Redis store; counting and leasePercent are part of the identity", async () => {
    const config = (redis: Partial<NonNullable<GatewayConfig['redis']>>): GatewayConfig => ({ limits: {}, redis: { address: server.address, keyPrefix: 'b:', ...redis } }) as GatewayConfig;
    const logger = pino({ level: 'silent' });
    const metrics = new GatewayMetrics({ gateway: 'test' });
    const byDefault = limitStoreSettings(config({}), noSecrets);
    const exact = limitStoreSettings(config({ counting: 'exact' }), noSecrets);
    const wider = limitStoreSettings(config({ leasePercent: 5 }), noSecrets);
    expect(new Set([byDefault.identity, exact.identity, wider.identity]).size).toBe(3);
    expect(limitStoreSettings(config({ counting: 'lease', leasePercent: 1 }), noSecrets).identity).toBe(byDefault.identity);

    const leased = createLimitBackend(wider, logger, metrics);
    const plain = createLimitBackend(exact, logger, metrics);
    try {
      expect(leased.store).toBeInstanceOf(LeasedLimitStore);
      expect(leased.store.kind).toBe('redis');
      expect((leased.store as LeasedLimitStore).leasePercent).toBe(5);
      expect(plain.store).toBeInstanceOf(RedisLimitStore);
    } finally {
      await Promise.all([leased.store.close(), plain.store.close(), leased.mcpBus.close(), plain.mcpBus.close()]);
    }
  });
});

describe('leased limits through the gateway', () => {
  let sim: UpstreamSimulator;
  let redis: TestRedisServer;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await sim?.close();
    await redis?.stop();
  });

  test('a route limit of 50 a minute, leased, is held at exactly 50, beside an exact per-consumer limit of 45', async () => {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }],
      // At 20 %: the route's 50 leases 10 (leased); the consumer's 45 would lease 9 (exact).
      policies: { rateLimits: [{ limit: 50, window: 'minute', scope: 'route' }, { limit: 45, window: 'minute', scope: 'consumer' }], onRedisUnavailable: 'failClosed' },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [route] } });
    const prefix = `lease-${Date.now()}:`;
    // One replica: no other replica's lease to bound (limit-backend.ts, boundedLeasePercent).
    const redisBlock = { address: redis.address, keyPrefix: prefix, leasePercent: 20 };
    const gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, bandwidthReplicas: 1 }, redis: redisBlock }));
    const admin = new Redis(redis.port, '127.0.0.1');
    try {
      const sdk = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
      const call = (c: OpenAI) => c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).then(() => 200, (e: { status?: number }) => e.status);
      const alice = await Promise.all(Array.from({ length: 60 }, () => call(sdk(CONSUMER_KEYS.alice))));
      expect(alice.filter((s) => s === 200)).toHaveLength(45);
      expect(alice.filter((s) => s === 429)).toHaveLength(15);
      const bob = await Promise.all(Array.from({ length: 20 }, () => call(sdk(CONSUMER_KEYS.bob))));
      expect(bob.filter((s) => s === 200)).toHaveLength(5);
      expect(bob.filter((s) => s === 429)).toHaveLength(15);
      // In Redis: the route's counter at its limit (all of it used by this one replica), alice's exactly at hers.
      const keys = await admin.keys(`${prefix}*`);
      const values = (await Promise.all(keys.map((k) => admin.get(k)))).map(Number).sort((a, b) => a - b);
      expect(values).toEqual([5, 45, 50]);
      // The route's counter was charged in leases: the lease script ran.
      expect(await admin.script('EXISTS', createHash('sha1').update(LEASE_LUA).digest('hex'))).toEqual([1]);
    } finally {
      admin.disconnect();
      await gw.close();
    }
  });
});

describe('the gateway prop rateLimitCounting', () => {
  test("'exact' is emitted as redis.counting; by default the config has no counting (the data plane leases)", () => {
    const { stack, fleet } = fleetStack();
    const exact = fleet.addGateway('exact', { edition: 'serverless', rateLimitCounting: 'exact' });
    const plain = fleet.addGateway('plain', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const leased = fleet.addGateway('leased', { edition: 'serverless', rateLimitCounting: 'lease' });
    expect([exact.rateLimitCounting, plain.rateLimitCounting, leased.rateLimitCounting]).toEqual(['exact', 'lease', 'lease']);
    const tf = synth(stack);
    expect(configOf(tf, 'exact').redis?.counting).toBe('exact');
    expect(configOf(tf, 'plain').redis).not.toHaveProperty('counting');
    expect(configOf(tf, 'leased').redis).not.toHaveProperty('counting');
  });

  test('another value is refused at the prop, not thrown by the constructor', () => {
    const { stack, fleet } = fleetStack();
    expect(() => fleet.addGateway('lab', { edition: 'serverless', rateLimitCounting: 'fast' as 'lease' })).not.toThrow();
    expect(synthError(stack)).toMatch(/rateLimitCounting .*"fast".*Fix 'rateLimitCounting'/);
  });
});

describe('boundedLeasePercent', () => {
  test('other replicas together hold at most 10% of a limit in unused leases', () => {
    expect(boundedLeasePercent(1, 1)).toBe(1);
    expect(boundedLeasePercent(1, 5)).toBe(1);
    expect(boundedLeasePercent(1, 154)).toBeCloseTo(10 / 153);
    expect(boundedLeasePercent(20, 2)).toBe(10);
  });
});
