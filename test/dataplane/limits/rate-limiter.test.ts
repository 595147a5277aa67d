import { captureLogger, recordingHooks, rule } from './fixtures';
import {
  type ConsumeEntry,
  type ConsumeResult,
  formatResetDuration,
  type LimitStore,
  LocalLimitStore,
  ManualClock,
  compileLimitPlan,
  RateLimiter,
  type RateLimitRequest,
  retryAfterSeconds,
} from '../../../src/dataplane/limits';
import type { RateLimitConfig } from '../../../src/specs';

// 2025-05-17T13:45:54Z: 6 s left in the minute, 14m6s in the hour.
const T0 = Date.UTC(2025, 4, 17, 13, 45, 54);

function setup() {
  const clock = new ManualClock(T0);
  const store = new LocalLimitStore({ clock, keyPrefix: 'gw:' });
  const hooks = recordingHooks();
  const { logger, lines } = captureLogger();
  const limiter = new RateLimiter({ store, clock, hooks, logger });
  /** A request on route 'chat' (or `route`) by alice, its rules compiled as a config snapshot compiles them. */
  const req = (rules: RateLimitConfig[], { route = 'chat', ...extra }: Partial<Omit<RateLimitRequest, 'plan'>> & { route?: string } = {}): RateLimitRequest => ({
    plan: compileLimitPlan(route, rules),
    consumer: 'alice',
    tokenEstimate: 100,
    onRedisUnavailable: 'failClosed',
    ...extra,
  });
  return { clock, store, hooks, limiter, req, lines };
}

describe('formatResetDuration and retryAfterSeconds', () => {
  test.each([
    [0, '0s'],
    [-5, '0s'],
    [20, '20ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [8_640, '8.64s'],
    [59_999, '59.999s'],
    [360_000, '6m0s'],
    [846_000, '14m6s'],
    [3_723_000, '1h2m3s'],
    [86_400_000, '24h0m0s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatResetDuration(ms)).toBe(text);
  });

  test('retry-after rounds up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(10_000, 4_000)).toBe(6);
    expect(retryAfterSeconds(10_000, 9_999)).toBe(1);
    expect(retryAfterSeconds(10_000, 8_500)).toBe(2);
    expect(retryAfterSeconds(10_000, 10_000)).toBe(1);
  });
});

describe('RateLimiter over the local store', () => {
  test('request rule: charges 1, counts down, then 429 with retry-after until the window ends', async () => {
    const { limiter, req, hooks } = setup();
    const r = rule({ name: 'rpm', kind: 'requests', limit: 3, window: 'minute' });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await limiter.admit(req([r]));
      expect(a.kind).toBe('allowed');
      if (a.kind === 'allowed') {
        expect(a.tokenCharges).toEqual([]);
        remaining.push(a.headers['x-ratelimit-remaining-requests']!);
        expect(a.headers).toMatchObject({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-reset-requests': '6s' });
      }
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await limiter.admit(req([r]));
    expect(limited).toEqual({
      kind: 'limited',
      rule: r,
      retryAfterSeconds: 6,
      headers: { 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6s', 'retry-after': '6' },
    });
    expect(hooks.decisions.map((d) => d.decision)).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
    expect(hooks.decisions[3]!.rule).toBe('rpm');
  });

  test('a new window starts a new count', async () => {
    const { limiter, req, clock } = setup();
    const r = rule({ kind: 'requests', limit: 1, window: 'second' });
    expect((await limiter.admit(req([r]))).kind).toBe('allowed');
    expect((await limiter.admit(req([r]))).kind).toBe('limited');
    clock.advance(1_000);
    expect((await limiter.admit(req([r]))).kind).toBe('allowed');
  });

  test('retry-after is at least 1 in the last millisecond of a window', async () => {
    const { limiter, req, clock } = setup();
    clock.set(Date.UTC(2025, 4, 17, 13, 45, 59, 999));
    const r = rule({ kind: 'requests', limit: 1 });
    await limiter.admit(req([r]));
    const a = await limiter.admit(req([r]));
    expect(a).toMatchObject({ kind: 'limited', retryAfterSeconds: 1, headers: { 'retry-after': '1', 'x-ratelimit-reset-requests': '1ms' } });
  });

  test('token rule: pre-charges the estimate, settle corrects it to actual usage (either way), once', async () => {
    const { limiter, req, store } = setup();
    const r = rule({ kind: 'tokens', limit: 1_000, window: 'hour' });
    const a = await limiter.admit(req([r], { tokenEstimate: 300 }));
    expect(a.kind).toBe('allowed');
    if (a.kind !== 'allowed') return;
    const key = `gw:rl:c:alice:tokens:hour:${Date.UTC(2025, 4, 17, 13)}`;
    expect(a.tokenCharges).toEqual([{ key, charged: 300, ttlMs: 846_000 + 1_000 }]);
    expect(a.headers).toEqual({ 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '700', 'x-ratelimit-reset-tokens': '14m6s' });
    await limiter.settle(a, 120);
    expect(store.peek(key)).toBe(120);
    await limiter.settle(a, 999); // a second settle of the same admission changes nothing
    expect(store.peek(key)).toBe(120);
    const b = await limiter.admit(req([r], { tokenEstimate: 300 }));
    await limiter.settle(b, 450);
    expect(store.peek(key)).toBe(570);
  });

  test('settle(…, 0) refunds the pre-charge', async () => {
    const { limiter, req, store } = setup();
    const a = await limiter.admit(req([rule({ kind: 'tokens', limit: 1_000 })], { tokenEstimate: 300 }));
    await limiter.settle(a, 0);
    expect(a.kind === 'allowed' && store.peek(a.tokenCharges[0]!.key)).toBe(0);
  });

  test('an estimate below 1 (or not a number) pre-charges 1 token; fractions round up', async () => {
    const { limiter, req } = setup();
    const r = rule({ kind: 'tokens', limit: 1_000 });
    for (const [estimate, charged] of [[0, 1], [Number.NaN, 1], [-3, 1], [2.2, 3]] as const) {
      const a = await limiter.admit(req([r], { tokenEstimate: estimate }));
      expect(a.kind === 'allowed' && a.tokenCharges[0]!.charged).toBe(charged);
    }
  });

  test('headers describe the tightest rule of each kind', async () => {
    const { limiter, req } = setup();
    const rules = [
      rule({ name: 'rpm', kind: 'requests', limit: 10, window: 'minute' }),
      rule({ name: 'rph', kind: 'requests', limit: 5, window: 'hour', scope: 'consumer-route' }),
      rule({ name: 'tpm', kind: 'tokens', limit: 10_000, window: 'minute' }),
      rule({ name: 'tpd', kind: 'tokens', limit: 200, window: 'day', scope: 'route' }),
    ];
    const a = await limiter.admit(req(rules, { tokenEstimate: 50 }));
    expect(a.kind === 'allowed' && a.headers).toEqual({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-reset-requests': '14m6s',
      'x-ratelimit-limit-tokens': '200',
      'x-ratelimit-remaining-tokens': '150',
      'x-ratelimit-reset-tokens': '10h14m6s',
    });
    expect(a.kind === 'allowed' && a.tokenCharges.map((c) => c.charged)).toEqual([50, 50]);
  });

  test('when several counters are full, the 429 names the one whose window ends last', async () => {
    const { limiter, req } = setup();
    const rules = [rule({ name: 'rpm', kind: 'requests', limit: 2, window: 'minute' }), rule({ name: 'rph', kind: 'requests', limit: 2, window: 'hour' })];
    await limiter.admit(req(rules));
    await limiter.admit(req(rules));
    const a = await limiter.admit(req(rules));
    expect(a).toMatchObject({ kind: 'limited', rule: { name: 'rph' }, retryAfterSeconds: 846, headers: { 'retry-after': '846', 'x-ratelimit-reset-requests': '14m6s' } });
  });

  test('a token 429 describes the refusing token rule and still reports the request rules; nothing is charged', async () => {
    const { limiter, req, store } = setup();
    const rpm = rule({ name: 'rpm', kind: 'requests', limit: 10 });
    const tpm = rule({ name: 'tpm', kind: 'tokens', limit: 500 });
    const first = await limiter.admit(req([rpm, tpm], { tokenEstimate: 400 }));
    expect(first.kind).toBe('allowed');
    const second = await limiter.admit(req([rpm, tpm], { tokenEstimate: 200 }));
    expect(second).toEqual({
      kind: 'limited',
      rule: tpm,
      retryAfterSeconds: 6,
      headers: {
        'x-ratelimit-limit-requests': '10',
        'x-ratelimit-remaining-requests': '9',
        'x-ratelimit-reset-requests': '6s',
        'x-ratelimit-limit-tokens': '500',
        'x-ratelimit-remaining-tokens': '100',
        'x-ratelimit-reset-tokens': '6s',
        'retry-after': '6',
      },
    });
    expect(store.peek(`gw:rl:c:alice:requests:minute:${Date.UTC(2025, 4, 17, 13, 45)}`)).toBe(1);
  });

  test('scopes: consumer spans routes, route spans consumers, consumer-route is both; anonymous callers share "-"', async () => {
    const { limiter, req } = setup();
    const perConsumer = rule({ kind: 'requests', limit: 2, scope: 'consumer' });
    expect((await limiter.admit(req([perConsumer], { route: 'a' }))).kind).toBe('allowed');
    expect((await limiter.admit(req([perConsumer], { route: 'b' }))).kind).toBe('allowed');
    expect((await limiter.admit(req([perConsumer], { route: 'c' }))).kind).toBe('limited');
    expect((await limiter.admit(req([perConsumer], { route: 'a', consumer: 'bob' }))).kind).toBe('allowed');

    const perRoute = rule({ kind: 'requests', limit: 1, scope: 'route', window: 'hour' });
    expect((await limiter.admit(req([perRoute], { consumer: 'carol' }))).kind).toBe('allowed');
    expect((await limiter.admit(req([perRoute], { consumer: 'dave' }))).kind).toBe('limited');

    const perPair = rule({ kind: 'requests', limit: 1, scope: 'consumer-route', window: 'day' });
    expect((await limiter.admit(req([perPair], { route: 'x' }))).kind).toBe('allowed');
    expect((await limiter.admit(req([perPair], { route: 'y' }))).kind).toBe('allowed');
    expect((await limiter.admit(req([perPair], { route: 'x' }))).kind).toBe('limited');

    const anon = rule({ kind: 'requests', limit: 1, window: 'second' });
    expect((await limiter.admit(req([anon], { consumer: undefined }))).kind).toBe('allowed');
    expect((await limiter.admit(req([anon], { consumer: undefined, route: 'other' }))).kind).toBe('limited');
  });

  test('one rules array (as a config snapshot holds it) reused across callers, routes and windows: each gets its own counters', async () => {
    const { limiter, req, store, clock } = setup();
    // The plan is compiled once per route with the config; the caller and the window start still change per request.
    const rules = [rule({ kind: 'requests', limit: 1, scope: 'consumer-route', window: 'minute' }), rule({ kind: 'requests', limit: 3, scope: 'consumer-route', window: 'minute' })];
    expect((await limiter.admit(req(rules))).kind).toBe('allowed');
    expect((await limiter.admit(req(rules))).kind).toBe('limited');
    expect((await limiter.admit(req(rules, { consumer: 'bob' }))).kind).toBe('allowed');
    expect((await limiter.admit(req(rules, { route: 'embeddings' }))).kind).toBe('allowed');
    expect((await limiter.admit(req(rules, { consumer: undefined }))).kind).toBe('allowed');
    expect((await limiter.admit(req(rules, { consumer: undefined }))).kind).toBe('limited');
    clock.advance(6_000); // the next minute: a fresh counter under a new key
    expect((await limiter.admit(req(rules))).kind).toBe('allowed');
    expect(store.peek(`gw:rl:cr:alice:chat:requests:minute:${Date.UTC(2025, 4, 17, 13, 46)}`)).toBe(1);
    expect(store.peek(`gw:rl:cr:bob:chat:requests:minute:${Date.UTC(2025, 4, 17, 13, 45)}`)).toBe(1);
  });

  test('two rules on one counter charge it once; the smaller limit decides', async () => {
    const { limiter, req, store } = setup();
    const loose = rule({ name: 'loose', kind: 'requests', limit: 5 });
    const tight = rule({ name: 'tight', kind: 'requests', limit: 2 });
    await limiter.admit(req([loose, tight]));
    await limiter.admit(req([loose, tight]));
    expect(store.peek(`gw:rl:c:alice:requests:minute:${Date.UTC(2025, 4, 17, 13, 45)}`)).toBe(2);
    expect(await limiter.admit(req([loose, tight]))).toMatchObject({ kind: 'limited', rule: { name: 'tight' } });
    // The same counter on a route that only declares the loose rule still has room.
    expect((await limiter.admit(req([loose], { route: 'other' }))).kind).toBe('allowed');
  });

  test('a clock with sub-millisecond precision still yields integer TTLs (not a store error)', async () => {
    const clock = new ManualClock(T0 + 0.25);
    const hooks = recordingHooks();
    const limiter = new RateLimiter({ store: new LocalLimitStore({ clock }), clock, hooks });
    const a = await limiter.admit({ plan: compileLimitPlan('r', [rule({ kind: 'tokens', limit: 10 })]), tokenEstimate: 1, onRedisUnavailable: 'failClosed' });
    expect(a.kind === 'allowed' && a.tokenCharges[0]!.ttlMs).toBe(7_000);
    expect(hooks.errors).toEqual([]);
  });

  test('a route with no rules is allowed without touching the store or the hooks', async () => {
    const { limiter, req, hooks, store } = setup();
    expect(await limiter.admit(req([]))).toEqual({ kind: 'allowed', tokenCharges: [], headers: {} });
    expect(hooks.decisions).toEqual([]);
    expect(store.size).toBe(0);
  });

  test('a hook that throws is logged, not propagated', async () => {
    const clock = new ManualClock(T0);
    const { logger, lines } = captureLogger();
    const limiter = new RateLimiter({
      store: new LocalLimitStore({ clock }),
      clock,
      logger,
      hooks: {
        onDecision: () => {
          throw new Error('metrics broke');
        },
      },
    });
    const a = await limiter.admit({ plan: compileLimitPlan('r', [rule({ kind: 'requests', limit: 1 })]), tokenEstimate: 1, onRedisUnavailable: 'failOpen' });
    expect(a.kind).toBe('allowed');
    expect(lines.some((l) => l.msg === 'a rate limiter hook threw')).toBe(true);
  });
});

/** A store that fails while `down` is set. */
class FlakyStore implements LimitStore {
  public readonly kind = 'redis' as const;
  public readonly keyPrefix = '';
  public down = false;
  private readonly inner = new LocalLimitStore({ clock: new ManualClock(T0) });

  public consume(entries: readonly ConsumeEntry[]): Promise<ConsumeResult> {
    return this.down ? Promise.reject(new Error('connection refused')) : this.inner.consume(entries);
  }

  public adjust(key: string, delta: number, ttlMs: number): Promise<void> {
    return this.down ? Promise.reject(new Error('connection refused')) : this.inner.adjust(key, delta, ttlMs);
  }

  public close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('RateLimiter when the store fails', () => {
  function flaky() {
    const store = new FlakyStore();
    const hooks = recordingHooks();
    const { logger, lines } = captureLogger();
    const limiter = new RateLimiter({ store, clock: new ManualClock(T0), hooks, logger });
    return { store, hooks, lines, limiter };
  }
  const rules = [rule({ kind: 'tokens', limit: 1_000 })];

  test('failOpen admits uncharged, failClosed answers unavailable; both are counted; the outage is logged once', async () => {
    const { store, hooks, lines, limiter } = flaky();
    store.down = true;
    expect(await limiter.admit({ plan: compileLimitPlan('r', rules), tokenEstimate: 10, onRedisUnavailable: 'failOpen' })).toEqual({ kind: 'allowed', tokenCharges: [], headers: {} });
    expect(await limiter.admit({ plan: compileLimitPlan('r', rules), tokenEstimate: 10, onRedisUnavailable: 'failClosed' })).toEqual({ kind: 'unavailable' });
    expect(await limiter.admit({ plan: compileLimitPlan('r', rules), tokenEstimate: 10, onRedisUnavailable: 'failClosed' })).toEqual({ kind: 'unavailable' });
    expect(hooks.decisions.map((d) => d.decision)).toEqual(['failOpen', 'failClosed', 'failClosed']);
    expect(hooks.errors.map((e) => e.op)).toEqual(['admit', 'admit', 'admit']);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['rate limit store unavailable; applying onRedisUnavailable']);
    expect(lines.filter((l) => l.level === 20)).toHaveLength(2);

    store.down = false;
    expect((await limiter.admit({ plan: compileLimitPlan('r', rules), tokenEstimate: 10, onRedisUnavailable: 'failClosed' })).kind).toBe('allowed');
    expect(lines.at(-1)!.msg).toBe('rate limit store available again; limits are enforced');
  });

  test('settle never rejects: a failed adjustment is counted and logged', async () => {
    const { store, hooks, lines, limiter } = flaky();
    const a = await limiter.admit({ plan: compileLimitPlan('r', rules), tokenEstimate: 10, onRedisUnavailable: 'failOpen' });
    expect(a.kind === 'allowed' && a.tokenCharges).toHaveLength(1);
    store.down = true;
    await expect(limiter.settle(a, 50)).resolves.toBeUndefined();
    expect(hooks.errors.map((e) => e.op)).toEqual(['settle']);
    expect(lines.some((l) => l.msg === 'rate limit settlement failed; the token estimate stands for this request')).toBe(true);
  });

  test('settling a refused or uncharged admission does nothing', async () => {
    const { store, hooks, limiter } = flaky();
    store.down = true;
    await limiter.settle({ kind: 'unavailable' }, 10);
    await limiter.settle(await limiter.admit({ plan: compileLimitPlan('r', rules), tokenEstimate: 10, onRedisUnavailable: 'failOpen' }), 10);
    expect(hooks.errors.map((e) => e.op)).toEqual(['admit']);
  });
});
