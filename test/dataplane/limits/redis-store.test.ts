import Redis from 'ioredis';
import {
  createRedisStore,
  type RedisLimitStore,
  redisRetryDelayMs,
  resolveRedisStoreOptions,
} from '../../../src/dataplane/limits';
import type { SecretSource } from '../../../src/dataplane/secrets';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';

describe('RedisLimitStore against a real redis-server', () => {
  let server: TestRedisServer;
  let store: RedisLimitStore;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    store = createRedisStore({ address: server.address, keyPrefix: 't:' });
    await store.waitUntilReady();
    admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    await store?.close();
    await admin?.quit();
    await server?.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
  });

  test('admits and charges every entry, reporting the counts after', async () => {
    expect(store.kind).toBe('redis');
    expect(store.keyPrefix).toBe('t:');
    expect(await store.consume([{ key: 't:a', limit: 10, amount: 3, ttlMs: 60_000 }, { key: 't:b', limit: 5, amount: 1, ttlMs: 60_000 }])).toEqual({
      admitted: true,
      counts: [3, 1],
    });
    expect(await store.consume([{ key: 't:a', limit: 10, amount: 7, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [10] });
    expect(await admin.mget('t:a', 't:b')).toEqual(['10', '1']);
  });

  test('all or nothing: one full counter refuses the whole check and charges none', async () => {
    await store.consume([{ key: 't:b', limit: 5, amount: 5, ttlMs: 60_000 }]);
    const result = await store.consume([
      { key: 't:a', limit: 10, amount: 3, ttlMs: 60_000 },
      { key: 't:b', limit: 5, amount: 1, ttlMs: 60_000 },
      { key: 't:c', limit: 10, amount: 3, ttlMs: 60_000 },
    ]);
    expect(result).toEqual({ admitted: false, failed: 1, counts: [0, 5, 0] });
    expect(await admin.exists('t:a', 't:c')).toBe(0);
    expect(await admin.get('t:b')).toBe('5');
  });

  test('an amount larger than the room left is refused; a key listed twice needs room for both', async () => {
    await store.consume([{ key: 't:t', limit: 100, amount: 60, ttlMs: 60_000 }]);
    expect(await store.consume([{ key: 't:t', limit: 100, amount: 41, ttlMs: 60_000 }])).toEqual({ admitted: false, failed: 0, counts: [60] });
    expect(await store.consume([{ key: 't:t', limit: 100, amount: 30, ttlMs: 60_000 }, { key: 't:t', limit: 100, amount: 30, ttlMs: 60_000 }])).toEqual({
      admitted: false,
      failed: 1,
      counts: [60, 60],
    });
    expect(await store.consume([{ key: 't:t', limit: 100, amount: 40, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [100] });
  });

  test('the expiry is set when the counter is created and never extended', async () => {
    await store.consume([{ key: 't:e', limit: 10, amount: 1, ttlMs: 600_000 }]);
    const first = await admin.pttl('t:e');
    expect(first).toBeGreaterThan(500_000);
    expect(first).toBeLessThanOrEqual(600_000);
    // A later charge with a much shorter TTL leaves the original expiry alone.
    await store.consume([{ key: 't:e', limit: 10, amount: 1, ttlMs: 5_000 }]);
    expect(await admin.pttl('t:e')).toBeGreaterThan(500_000);
  });

  test('adjust changes an existing counter (either way) and keeps its expiry', async () => {
    await store.consume([{ key: 't:s', limit: 1_000, amount: 300, ttlMs: 600_000 }]);
    await store.adjust('t:s', -180, 5_000);
    expect(await admin.get('t:s')).toBe('120');
    await store.adjust('t:s', 30, 5_000);
    expect(await admin.get('t:s')).toBe('150');
    expect(await admin.pttl('t:s')).toBeGreaterThan(500_000);
  });

  test('adjust never creates a counter that is gone (expired)', async () => {
    await store.consume([{ key: 't:gone', limit: 1_000, amount: 300, ttlMs: 600_000 }]);
    await admin.del('t:gone'); // what expiry does, without waiting for it
    await store.adjust('t:gone', 50, 600_000);
    await store.adjust('t:never', -50, 600_000);
    expect(await admin.exists('t:gone', 't:never')).toBe(0);
  });

  test('adjust gives a counter without an expiry one', async () => {
    await admin.set('t:noexp', '5');
    await store.adjust('t:noexp', 1, 600_000);
    expect(await admin.get('t:noexp')).toBe('6');
    expect(await admin.pttl('t:noexp')).toBeGreaterThan(500_000);
  });

  test('runs as EVALSHA, and recovers with EVAL when Redis has lost the script (NOSCRIPT)', async () => {
    await admin.config('RESETSTAT');
    for (let i = 0; i < 3; i++) await store.consume([{ key: 't:sha', limit: 10, amount: 1, ttlMs: 60_000 }]);
    // The first script call on a connection is an EVAL; every later one an EVALSHA.
    const evalshaCalls = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    expect(evalshaCalls).toBeGreaterThanOrEqual(2);
    await admin.script('FLUSH');
    expect(await store.consume([{ key: 't:sha', limit: 10, amount: 1, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [4] });
    expect(await store.consume([{ key: 't:sha', limit: 10, amount: 1, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [5] });
  });

  test('an empty check is admitted without a round trip', async () => {
    expect(await store.consume([])).toEqual({ admitted: true, counts: [] });
  });

  test('authenticates with user and password from the config\'s SecretRef', async () => {
    await admin.call('ACL', 'SETUSER', 'limiter', 'on', '>s3cret-pw', '~auth:*', '+@all');
    const secrets: SecretSource = {
      read: (ref) => (ref.secretName === 'redis' && ref.key === 'password' ? 's3cret-pw' : undefined),
      describe: () => '$AIGW_SECRET_REDIS_PASSWORD',
    };
    const options = resolveRedisStoreOptions({ address: server.address, keyPrefix: 'auth:', user: 'limiter', password: { secretName: 'redis', key: 'password' } }, secrets);
    expect(options).toEqual({ address: server.address, keyPrefix: 'auth:', user: 'limiter', password: 's3cret-pw' });
    const authed = createRedisStore(options);
    try {
      await authed.waitUntilReady();
      expect(await authed.consume([{ key: 'auth:k', limit: 5, amount: 2, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [2] });
    } finally {
      await authed.close();
      await admin.call('ACL', 'DELUSER', 'limiter');
    }
  });

  test('wrong credentials: checks fail (and the limiter applies its policy) instead of hanging', async () => {
    await admin.call('ACL', 'SETUSER', 'limiter2', 'on', '>right', '~*', '+@all');
    const wrong = createRedisStore({ address: server.address, keyPrefix: 'w:', user: 'limiter2', password: 'wrong' });
    try {
      await expect(wrong.consume([{ key: 'w:k', limit: 5, amount: 1, ttlMs: 60_000 }])).rejects.toThrow();
      expect(await admin.exists('w:k')).toBe(0);
    } finally {
      await wrong.close();
      await admin.call('ACL', 'DELUSER', 'limiter2');
    }
  });

  test('a missing password secret is an error naming where it was looked for', () => {
    const none: SecretSource = { read: () => undefined, describe: () => '/secrets/redis/password or $AIGW_SECRET_REDIS_PASSWORD' };
    expect(() => resolveRedisStoreOptions({ address: 'r:6379', keyPrefix: 'p:', password: { secretName: 'redis', key: 'password' } }, none)).toThrow(
      'redis.password: secret redis/password not found (looked in /secrets/redis/password or $AIGW_SECRET_REDIS_PASSWORD)',
    );
    expect(resolveRedisStoreOptions({ address: 'r:6379', keyPrefix: 'p:' }, none)).toEqual({ address: 'r:6379', keyPrefix: 'p:', user: undefined, password: undefined });
  });

  test('reconnects forever, backing off to every 2 s', () => {
    expect([1, 5, 19, 20, 21, 1_000].map(redisRetryDelayMs)).toEqual([100, 500, 1_900, 2_000, 2_000, 2_000]);
  });
});
