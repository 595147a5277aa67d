import type { RateLimitConfig } from '../../specs';
import type { CompiledRoute } from '../compile/snapshot';
import { Errors } from '../errors';
import type { Admission, RateLimiter } from '../limits';
import type { RequestContext } from '../request-context';
import { estimatePromptTokens } from '../token-estimate';
import type { Stage } from './stage';

/**
 * The route's rate limits: request counts, and for model requests the prompt's estimated tokens,
 * pre-charged until usage settles them. Admits or throws 429/503.
 */
export const limits: Stage = {
  name: 'limits',
  run: async (ctx, deps) => {
    const route = ctx.route!;
    if (route.kind === 'agent') {
      // Agents report no usage: their request limits only, and nothing to settle later.
      await enforceLimits(ctx, deps.limiter, route, 0);
      return;
    }
    const request = ctx.request!;
    ctx.promptTokens = estimatePromptTokens(request.endpoint, request.body);
    ctx.admission = await enforceLimits(ctx, deps.limiter, route, ctx.promptTokens);
  },
};

/** Admits (pre-charging the token estimate) or throws; returns the admission so that usage can settle it. */
async function enforceLimits(ctx: RequestContext, limiter: RateLimiter, route: CompiledRoute, tokenEstimate: number): Promise<Admission | undefined> {
  const policies = route.config.policies;
  // Agent routes report no token usage: only their request limits apply.
  const rules = route.kind === 'agent' ? requestRulesOf(policies.rateLimits) : policies.rateLimits;
  if (rules.length === 0) return undefined;
  const admission = await limiter.admit({
    route: route.name,
    consumer: ctx.caller.kind === 'consumer' ? ctx.caller.consumer.name : undefined,
    rules,
    tokenEstimate,
    onRedisUnavailable: policies.onRedisUnavailable,
  });
  if (admission.kind === 'limited') throw Errors.rateLimited(admission.rule, admission.retryAfterSeconds, admission.headers);
  if (admission.kind === 'unavailable') throw Errors.limitsUnavailable();
  for (const k in admission.headers) ctx.res.setHeader(k, admission.headers[k]!);
  return admission;
}

/** An agent route's request rules, filtered once per config snapshot (the limiter caches its work per rules array). */
const requestRules = new WeakMap<readonly RateLimitConfig[], readonly RateLimitConfig[]>();
function requestRulesOf(rules: readonly RateLimitConfig[]): readonly RateLimitConfig[] {
  let filtered = requestRules.get(rules);
  if (!filtered) {
    filtered = rules.filter((r) => r.kind === 'requests');
    requestRules.set(rules, filtered);
  }
  return filtered;
}
