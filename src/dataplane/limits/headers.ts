import { formatResetDuration } from './duration';
import type { RateLimitConfig } from '../../specs';

/** A rule and the counter it checks, as the store last reported it. */
export interface RuleUsage {
  readonly rule: RateLimitConfig;
  readonly count: number;
  readonly windowEnd: number;
}

function remaining(u: RuleUsage): number {
  return Math.max(0, u.rule.limit - u.count);
}

/** The rule with the least room left; on a tie, the one whose window ends last. */
export function tightest(usages: readonly RuleUsage[]): RuleUsage | undefined {
  let best: RuleUsage | undefined;
  for (const u of usages) {
    if (!best || remaining(u) < remaining(best) || (remaining(u) === remaining(best) && u.windowEnd > best.windowEnd)) best = u;
  }
  return best;
}

/**
 * OpenAI's headers: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, each kind describing its
 * tightest rule, or `describe` for its own kind (on a 429: the rule that refused).
 */
export function rateLimitHeaders(usages: readonly RuleUsage[], nowMs: number, describe?: RuleUsage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    const u = describe?.rule.kind === kind ? describe : tightest(usages.filter((x) => x.rule.kind === kind));
    if (!u) continue;
    headers[`x-ratelimit-limit-${kind}`] = String(u.rule.limit);
    headers[`x-ratelimit-remaining-${kind}`] = String(remaining(u));
    headers[`x-ratelimit-reset-${kind}`] = formatResetDuration(u.windowEnd - nowMs);
  }
  return headers;
}
