import type { RateLimitConfig } from '../../specs';

export type RateLimitScope = RateLimitConfig['scope'];

/** Callers without a consumer identity share one budget under this name (config names cannot be `-`). */
export const ANONYMOUS_CONSUMER = '-';

/**
 * Route and consumer names may contain `:`, the key separator; escaping `%` and `:` keeps keys
 * unambiguous (`cr:a:b:c` could otherwise be consumer `a:b` on route `c`, or `a` on `b:c`).
 * Names the config accepts never contain `%`, so for them only `:` changes.
 */
export function keyPart(name: string): string {
  // Checked first: config names never need escaping, and a request should not pay for two regex passes.
  if (!name.includes(':') && !name.includes('%')) return name;
  return name.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export function scopePart(scope: RateLimitScope, route: string, consumer: string | undefined): string {
  const who = keyPart(consumer ?? ANONYMOUS_CONSUMER);
  switch (scope) {
    case 'consumer':
      return `c:${who}`;
    case 'route':
      return `r:${keyPart(route)}`;
    case 'consumer-route':
      return `cr:${who}:${keyPart(route)}`;
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
  return `${keyPrefix}rl:${scopePart(rule.scope, route, consumer)}:${rule.kind}:${rule.window}:${windowStart}`;
}
