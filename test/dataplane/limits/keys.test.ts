import { ANONYMOUS_CONSUMER, counterKey } from '../../../src/dataplane/limits';

describe('counterKey', () => {
  const start = 1_700_000_040_000;

  test.each([
    ['consumer', 'aigw:rl:c:alice:tokens:minute:1700000040000'],
    ['route', 'aigw:rl:r:chat:tokens:minute:1700000040000'],
    ['consumer-route', 'aigw:rl:cr:alice:chat:tokens:minute:1700000040000'],
  ] as const)('scope %s', (scope, key) => {
    expect(counterKey('aigw:', { scope, kind: 'tokens', window: 'minute' }, 'chat', 'alice', start)).toBe(key);
  });

  test('anonymous callers share the consumer "-"', () => {
    expect(ANONYMOUS_CONSUMER).toBe('-');
    expect(counterKey('p:', { scope: 'consumer', kind: 'requests', window: 'day' }, 'chat', undefined, 0)).toBe('p:rl:c:-:requests:day:0');
    expect(counterKey('p:', { scope: 'consumer-route', kind: 'requests', window: 'day' }, 'chat', undefined, 0)).toBe('p:rl:cr:-:chat:requests:day:0');
  });

  test('a consumer-scope counter is the same on every route; route scopes are per route', () => {
    const c = { scope: 'consumer', kind: 'requests', window: 'hour' } as const;
    expect(counterKey('', c, 'chat', 'alice', 0)).toBe(counterKey('', c, 'embeddings', 'alice', 0));
    const r = { scope: 'route', kind: 'requests', window: 'hour' } as const;
    expect(counterKey('', r, 'chat', 'alice', 0)).toBe(counterKey('', r, 'chat', 'bob', 0));
    expect(counterKey('', r, 'chat', 'alice', 0)).not.toBe(counterKey('', r, 'embeddings', 'alice', 0));
  });

  test('kind and window separate counters; the window start is in the key', () => {
    const base = { scope: 'consumer', kind: 'requests', window: 'hour' } as const;
    const keys = new Set([
      counterKey('', base, 'r', 'a', 0),
      counterKey('', { ...base, kind: 'tokens' }, 'r', 'a', 0),
      counterKey('', { ...base, window: 'day' }, 'r', 'a', 0),
      counterKey('', base, 'r', 'a', 3_600_000),
    ]);
    expect(keys.size).toBe(4);
  });

  test('names with ":" (which config names allow) cannot collide', () => {
    const cr = { scope: 'consumer-route', kind: 'requests', window: 'hour' } as const;
    const a = counterKey('', cr, 'c', 'a:b', 0);
    const b = counterKey('', cr, 'b:c', 'a', 0);
    expect(a).not.toBe(b);
    expect(a).toBe('rl:cr:a%3Ab:c:requests:hour:0');
  });
});
