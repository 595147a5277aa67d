import { LocalLimitStore, ManualClock } from '../../../src/dataplane/limits';

describe('LocalLimitStore', () => {
  const clock = new ManualClock(1_000_000);
  let store: LocalLimitStore;
  beforeEach(() => {
    clock.set(1_000_000);
    store = new LocalLimitStore({ clock, keyPrefix: 'x:' });
  });

  test('admits and charges every entry, reporting the counts after', async () => {
    expect(await store.consume([{ key: 'a', limit: 10, amount: 3, ttlMs: 60_000 }, { key: 'b', limit: 5, amount: 1, ttlMs: 60_000 }])).toEqual({
      admitted: true,
      counts: [3, 1],
    });
    expect(await store.consume([{ key: 'a', limit: 10, amount: 7, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [10] });
    expect(store.kind).toBe('local');
    expect(store.keyPrefix).toBe('x:');
  });

  test('all or nothing: one full counter refuses the whole check and charges none', async () => {
    await store.consume([{ key: 'b', limit: 5, amount: 5, ttlMs: 60_000 }]);
    const result = await store.consume([{ key: 'a', limit: 10, amount: 3, ttlMs: 60_000 }, { key: 'b', limit: 5, amount: 1, ttlMs: 60_000 }]);
    expect(result).toEqual({ admitted: false, failed: 1, counts: [0, 5] });
    expect(store.peek('a')).toBeUndefined();
    expect(store.peek('b')).toBe(5);
  });

  test('an amount larger than the room left is refused even when the counter is not full', async () => {
    await store.consume([{ key: 't', limit: 100, amount: 60, ttlMs: 60_000 }]);
    expect(await store.consume([{ key: 't', limit: 100, amount: 41, ttlMs: 60_000 }])).toEqual({ admitted: false, failed: 0, counts: [60] });
    expect(await store.consume([{ key: 't', limit: 100, amount: 40, ttlMs: 60_000 }])).toEqual({ admitted: true, counts: [100] });
  });

  test('a key listed twice needs room for both amounts', async () => {
    expect(await store.consume([{ key: 'k', limit: 3, amount: 2, ttlMs: 1_000 }, { key: 'k', limit: 3, amount: 2, ttlMs: 1_000 }])).toMatchObject({
      admitted: false,
      failed: 1,
    });
    expect(store.peek('k')).toBeUndefined();
  });

  test('counters expire on the clock; the expiry is set when the counter is created, not extended', async () => {
    await store.consume([{ key: 'a', limit: 10, amount: 1, ttlMs: 1_000 }]);
    clock.advance(600);
    await store.consume([{ key: 'a', limit: 10, amount: 1, ttlMs: 1_000 }]);
    expect(store.peek('a')).toBe(2);
    clock.advance(400);
    expect(store.peek('a')).toBeUndefined();
    expect(await store.consume([{ key: 'a', limit: 10, amount: 1, ttlMs: 1_000 }])).toEqual({ admitted: true, counts: [1] });
  });

  test('adjust changes a live counter (either way) and never revives an expired one', async () => {
    await store.consume([{ key: 'a', limit: 100, amount: 50, ttlMs: 1_000 }]);
    await store.adjust('a', -20, 1_000);
    expect(store.peek('a')).toBe(30);
    await store.adjust('a', 5, 1_000);
    expect(store.peek('a')).toBe(35);
    await store.adjust('missing', 5, 1_000);
    expect(store.peek('missing')).toBeUndefined();
    clock.advance(1_000);
    await store.adjust('a', 5, 1_000);
    expect(store.peek('a')).toBeUndefined();
  });

  test('expired counters are swept from memory as the clock moves', async () => {
    for (let i = 0; i < 100; i++) await store.consume([{ key: `k${i}`, limit: 1, amount: 1, ttlMs: 1_000 }]);
    expect(store.size).toBe(100);
    clock.advance(20_000);
    await store.consume([{ key: 'new', limit: 1, amount: 1, ttlMs: 1_000 }]);
    expect(store.size).toBe(1);
  });

  test('rejects amounts that are not positive integers', async () => {
    await expect(store.consume([{ key: 'a', limit: 10, amount: 1.5, ttlMs: 1_000 }])).rejects.toThrow(RangeError);
    await expect(store.consume([{ key: 'a', limit: 10, amount: 0, ttlMs: 1_000 }])).rejects.toThrow(RangeError);
  });
});
