import type { RateLimitConfig } from '../../specs';

export type RateLimitScope = RateLimitConfig['scope'];

/** Callers without a consumer identity share one budget under this name (config names cannot be `-`). */
export const ANONYMOUS_CONSUMER = '-';

/**
 * Route and consumer names may contain `:`, the key separator; escaping `%` and `:` keeps keys
 * unambiguous (`cr:a:b:c` could otherwise be consumer `a:b` on route `c`, or `a` on `b:c`).
 * Names the config accepts never contain `%`, so for them only `:` changes.
 */
function part(name: string): string {
  return name.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export function scopePart(scope: RateLimitScope, route: string, consumer: string | undefined): string {
  const who = part(consumer ?? ANONYMOUS_CONSUMER);
  switch (scope) {
    case 'consumer':
      return `c:${who}`;
    case 'route':
      return `r:${part(route)}`;
    case 'consumer-route':
      return `cr:${who}:${part(route)}`;
  }
}

/**
 * `${keyPrefix}rl:${scopePart}:${kind}:${window}:${windowStart}`. The rule's name and limit are not
 * part of it: every rule of the same scope, kind and window counts on the same counter (a
 * consumer-scope rule declared on two routes is one budget across both), each checking its own limit.
 */
export function counterKey(
  keyPrefix: string,
  rule: Pick<RateLimitConfig, 'scope' | 'kind' | 'window'>,
  route: string,
  consumer: string | undefined,
  windowStart: number,
): string {
  return `${counterKeyBase(keyPrefix, rule, route, consumer)}${windowStart}`;
}

/** The counter key up to its window start: the same for every request of a caller on a route. */
export function counterKeyBase(keyPrefix: string, rule: Pick<RateLimitConfig, 'scope' | 'kind' | 'window'>, route: string, consumer: string | undefined): string {
  return `${keyPrefix}rl:${scopePart(rule.scope, route, consumer)}:${rule.kind}:${rule.window}:`;
}
