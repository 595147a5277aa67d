import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock';
import { retryAfterSeconds } from './duration';
import { rateLimitHeaders, type RuleUsage } from './headers';
import { callerKeyPart, type LimitPlan } from './plan';
import type { ConsumeEntry, LimitStore } from './store';
import { windowBounds } from './windows';
import type { RateLimitConfig } from '../../specs';

export interface RateLimitRequest {
  /** The matched route's rules, compiled with the config (plan.ts). */
  readonly plan: LimitPlan;
  /** The identified consumer; absent for anonymous callers, who share one budget. */
  readonly consumer?: string;
  /** Estimated tokens of the request, pre-charged to token rules (at least 1). */
  readonly tokenEstimate: number;
  readonly onRedisUnavailable: 'failOpen' | 'failClosed';
}

/** A token pre-charge, settled from the response's usage. */
export interface TokenCharge {
  readonly key: string;
  readonly ttlMs: number;
  readonly charged: number;
}

export type Admission =
  | { readonly kind: 'allowed'; readonly tokenCharges: readonly TokenCharge[]; readonly headers: Record<string, string> }
  /** `headers` includes `retry-after`. */
  | { readonly kind: 'limited'; readonly rule: RateLimitConfig; readonly retryAfterSeconds: number; readonly headers: Record<string, string> }
  /** The store is unreachable and the route's policy is failClosed. */
  | { readonly kind: 'unavailable' };

/** `failOpen`: admitted uncounted while the store is unreachable; `failClosed`: refused for the same reason. */
export type RateLimitDecision = 'allowed' | 'limited' | 'failOpen' | 'failClosed';

/** For the integrator's metrics. Hooks must not throw (a throw is logged and ignored). */
export interface RateLimiterHooks {
  /** The store failed: `admit` while checking, `settle` while adjusting a token charge. */
  onBackendError?(err: unknown, op: 'admit' | 'settle'): void;
  /** Every admit of a request with at least one rule; `rule` is the refusing rule when limited. */
  onDecision?(decision: RateLimitDecision, rule?: RateLimitConfig): void;
}

export interface RateLimiterOptions {
  readonly store: LimitStore;
  readonly clock?: Clock;
  readonly hooks?: RateLimiterHooks;
  readonly logger?: Logger;
  /** Counters live this long past their window's end, for clock skew between replicas. Default 1000. */
  readonly ttlGraceMs?: number;
}

/** One counter with the rules that check it (same scope, kind and window); its limit is the smallest. */
interface Check extends ConsumeEntry {
  readonly rules: readonly RateLimitConfig[];
  readonly windowEnd: number;
  readonly kind: RateLimitConfig['kind'];
}

function allowedUncounted(): Admission {
  return { kind: 'allowed', tokenCharges: [], headers: {} };
}

/**
 * Fixed-window request and token limits. Token rules are pre-charged with an estimate at admission,
 * atomically with every other rule of the request, so concurrent requests can overshoot a limit by
 * at most what they under-estimated; `settle` then corrects each charge to the actual usage.
 */
export class RateLimiter {
  private readonly store: LimitStore;
  private readonly clock: Clock;
  private readonly hooks: RateLimiterHooks;
  private readonly logger?: Logger;
  private readonly ttlGraceMs: number;
  private readonly settled = new WeakSet<Admission>();
  private failing = false;

  public constructor(options: RateLimiterOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.hooks = options.hooks ?? {};
    this.logger = options.logger;
    this.ttlGraceMs = options.ttlGraceMs ?? 1_000;
  }

  /** Never rejects: a store failure becomes the route's onRedisUnavailable policy. */
  public async admit(req: RateLimitRequest): Promise<Admission> {
    if (req.plan.counters.length === 0) return allowedUncounted();
    const now = this.clock.now();
    const checks = this.checks(req, now);
    let result;
    try {
      result = await this.store.consume(checks);
    } catch (err) {
      this.backendFailed(err, 'admit', req);
      if (req.onRedisUnavailable === 'failClosed') {
        this.decided('failClosed');
        return { kind: 'unavailable' };
      }
      this.decided('failOpen');
      return allowedUncounted();
    }
    this.backendOk();
    const usages: RuleUsage[] = checks.flatMap((c, i) => c.rules.map((rule) => ({ rule, count: result.counts[i]!, windowEnd: c.windowEnd })));
    if (result.admitted) {
      this.decided('allowed');
      const tokenCharges = checks.filter((c) => c.kind === 'tokens').map((c) => ({ key: c.key, ttlMs: c.ttlMs, charged: c.amount }));
      return { kind: 'allowed', tokenCharges, headers: rateLimitHeaders(usages, now) };
    }
    // Of the counters without room, report the one whose window ends last: once it resets, so have the others.
    let index = result.failed;
    checks.forEach((c, i) => {
      if (result.counts[i]! + c.amount > c.limit && c.windowEnd > checks[index]!.windowEnd) index = i;
    });
    const check = checks[index]!;
    const count = result.counts[index]!;
    const rule = check.rules.reduce((a, b) => (b.limit < a.limit ? b : a));
    const retryAfter = retryAfterSeconds(check.windowEnd, now);
    this.decided('limited', rule);
    return {
      kind: 'limited',
      rule,
      retryAfterSeconds: retryAfter,
      headers: { ...rateLimitHeaders(usages, now, { rule, count, windowEnd: check.windowEnd }), 'retry-after': String(retryAfter) },
    };
  }

  /**
   * Corrects each token pre-charge to `actualTokens` (prompt + completion as the provider reported
   * them; 0 refunds the charge). Once per admission; never rejects.
   */
  public async settle(admission: Admission, actualTokens: number): Promise<void> {
    if (admission.kind !== 'allowed' || admission.tokenCharges.length === 0 || this.settled.has(admission)) return;
    this.settled.add(admission);
    if (!Number.isFinite(actualTokens)) {
      this.logger?.warn({ actualTokens }, 'rate limit settlement skipped: the token count is not a number; the estimate stands');
      return;
    }
    const actual = Math.max(0, Math.round(actualTokens));
    await Promise.all(
      admission.tokenCharges.map(async (charge) => {
        const delta = actual - charge.charged;
        if (delta === 0) return;
        try {
          await this.store.adjust(charge.key, delta, charge.ttlMs);
        } catch (err) {
          this.call(() => this.hooks.onBackendError?.(err, 'settle'));
          this.logger?.warn({ err, key: charge.key, delta }, 'rate limit settlement failed; the token estimate stands for this request');
        }
      }),
    );
  }

  private checks(req: RateLimitRequest, now: number): Check[] {
    const tokens = Number.isFinite(req.tokenEstimate) ? Math.max(1, Math.ceil(req.tokenEstimate)) : 1;
    const counters = req.plan.counters;
    const prefix = this.store.keyPrefix;
    const caller = callerKeyPart(req.consumer);
    const checks: Check[] = new Array<Check>(counters.length);
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i]!;
      const { start, end } = windowBounds(counter.window, now);
      checks[i] = {
        key: counter.perCaller ? `${prefix}${counter.head}${caller}${counter.tail}${start}` : `${prefix}${counter.head}${start}`,
        limit: counter.limit,
        amount: counter.kind === 'requests' ? 1 : tokens,
        ttlMs: Math.ceil(end - now + this.ttlGraceMs),
        rules: counter.rules,
        windowEnd: end,
        kind: counter.kind,
      };
    }
    return checks;
  }

  private backendFailed(err: unknown, op: 'admit' | 'settle', req: RateLimitRequest): void {
    this.call(() => this.hooks.onBackendError?.(err, op));
    const fields = { err, store: this.store.kind, route: req.plan.route, policy: req.onRedisUnavailable };
    if (!this.failing) {
      this.failing = true;
      this.logger?.warn(fields, 'rate limit store unavailable; applying onRedisUnavailable');
    } else {
      this.logger?.debug(fields, 'rate limit store still unavailable');
    }
  }

  private backendOk(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger?.info({ store: this.store.kind }, 'rate limit store available again; limits are enforced');
  }

  private decided(decision: RateLimitDecision, rule?: RateLimitConfig): void {
    this.call(() => this.hooks.onDecision?.(decision, rule));
  }

  private call(hook: () => void): void {
    try {
      hook();
    } catch (err) {
      this.logger?.error({ err }, 'a rate limiter hook threw');
    }
  }
}
