import { rule } from './fixtures';
import { compileLimitPlan, counterKey, LocalLimitStore, ManualClock, RateLimiter, windowBounds } from '../../../src/dataplane/limits';
import type { RateLimitConfig } from '../../../src/specs';

// The limiter builds keys from a plan compiled with the config; counterKey states the layout. They must agree.
describe('compileLimitPlan', () => {
  const T0 = Date.UTC(2025, 4, 17, 13, 45, 54);

  test.each([
    ['consumer', 'alice'],
    ['route', 'alice'],
    ['consumer-route', 'alice'],
    ['consumer', undefined],
    ['consumer-route', undefined],
    // Names with the key separator are escaped the same way on both sides.
    ['consumer-route', 'a:b'],
  ] as const)('scope %s, caller %s: the limiter charges the counter counterKey names', async (scope, consumer) => {
    const clock = new ManualClock(T0);
    const store = new LocalLimitStore({ clock, keyPrefix: 'gw:' });
    const limiter = new RateLimiter({ store, clock });
    const r: RateLimitConfig = rule({ kind: 'requests', limit: 10, scope, window: 'hour' });
    const route = 'team:chat';
    await limiter.admit({ plan: compileLimitPlan(route, [r]), consumer, tokenEstimate: 1, onRedisUnavailable: 'failClosed' });
    expect(store.peek(counterKey('gw:', r, route, consumer, windowBounds('hour', T0).start))).toBe(1);
  });

  test('rules of the same scope, kind and window share one counter with the smallest limit; others get their own', () => {
    const loose = rule({ name: 'loose', kind: 'requests', limit: 9 });
    const tight = rule({ name: 'tight', kind: 'requests', limit: 3 });
    const hourly = rule({ name: 'hourly', kind: 'requests', limit: 100, window: 'hour' });
    const tokens = rule({ name: 'tpm', kind: 'tokens', limit: 1_000 });
    const plan = compileLimitPlan('chat', [loose, tight, hourly, tokens]);
    expect(plan.counters.map((c) => [c.kind, c.window, c.limit, c.rules.map((x) => x.name)])).toEqual([
      ['requests', 'minute', 3, ['loose', 'tight']],
      ['requests', 'hour', 100, ['hourly']],
      ['tokens', 'minute', 1_000, ['tpm']],
    ]);
  });
});
