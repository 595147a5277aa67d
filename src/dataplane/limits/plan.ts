import { ANONYMOUS_CONSUMER, keyPart } from './keys';
import type { RateLimitConfig } from '../../specs';

/**
 * One counter a route's rules check: every rule of the same scope, kind and window counts on it,
 * each against its own limit; the smallest limit is the counter's.
 */
export interface CounterPlan {
  readonly kind: RateLimitConfig['kind'];
  readonly window: RateLimitConfig['window'];
  readonly limit: number;
  readonly rules: readonly RateLimitConfig[];
  /** The key after the store's prefix, up to the caller: `rl:c:` for a consumer counter, the whole key base for a route counter. */
  readonly head: string;
  /** Whether the caller's name is part of the key (consumer and consumer-route scopes). */
  readonly perCaller: boolean;
  /** The key after the caller, up to the window start (`:requests:minute:`, `:<route>:tokens:hour:`). */
  readonly tail: string;
}

/**
 * A route's rate limits, compiled once per config snapshot: the counters its rules check, and the
 * key of each up to the caller and the window start. A request only adds those two.
 * `counterKey` in keys.ts states the key layout; this builds the same keys in parts.
 */
export interface LimitPlan {
  readonly route: string;
  readonly rules: readonly RateLimitConfig[];
  readonly counters: readonly CounterPlan[];
}

export function compileLimitPlan(route: string, rules: readonly RateLimitConfig[]): LimitPlan {
  const byKey = new Map<string, { head: string; perCaller: boolean; tail: string; kind: RateLimitConfig['kind']; window: RateLimitConfig['window']; rules: RateLimitConfig[] }>();
  const routePart = keyPart(route);
  for (const rule of rules) {
    const after = `:${rule.kind}:${rule.window}:`;
    const parts =
      rule.scope === 'route'
        ? { head: `rl:r:${routePart}${after}`, perCaller: false, tail: '' }
        : rule.scope === 'consumer'
          ? { head: 'rl:c:', perCaller: true, tail: after }
          : { head: 'rl:cr:', perCaller: true, tail: `:${routePart}${after}` };
    const id = `${parts.head}\u0000${parts.perCaller}\u0000${parts.tail}`;
    const existing = byKey.get(id);
    if (existing) existing.rules.push(rule);
    else byKey.set(id, { ...parts, kind: rule.kind, window: rule.window, rules: [rule] });
  }
  const counters = [...byKey.values()].map((c) => ({ ...c, limit: Math.min(...c.rules.map((r) => r.limit)) }));
  return { route, rules, counters };
}

/** A caller's name as it appears in counter keys: once per consumer at config load, not per request. */
export function callerKeyPart(consumer: string | undefined): string {
  return keyPart(consumer ?? ANONYMOUS_CONSUMER);
}
