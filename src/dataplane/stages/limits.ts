import type { CompiledLimits } from '../compile/snapshot';
import { Errors } from '../errors';
import type { RateLimiter } from '../limits';
import type { RequestContext } from '../request-context';
import { estimatePromptTokens } from '../token-estimate';
import type { Stage } from './stage';

/**
 * The route's rate limits (compiled with the config): request counts, and where the answer reports usage
 * (model requests; Dify and Model Studio agents) the prompt's estimated tokens, pre-charged until usage
 * settles them. A custom agent reports none, and the config refuses token rules on one.
 * Admits or throws 429/503. A route without limits passes synchronously: no promise, no store call.
 */
export const limits: Stage = {
  name: 'limits',
  run: (ctx, deps) => {
    const route = ctx.route!;
    if (route.limits === undefined) return;
    // The prompt is estimated only where a token rule pre-charges it: elsewhere nothing reads the estimate.
    // A call on a stored response has no prompt (and settles its pre-charge to none).
    if (route.kind === 'model') ctx.promptTokens = route.limits.chargesTokens && ctx.request ? estimatePromptTokens(ctx.request.endpoint, ctx.request.body) : 0;
    else if (ctx.agentRequest) ctx.promptTokens = ctx.agentRequest.promptTokens;
    return admit(ctx, deps.limiter, route.limits, ctx.promptTokens);
  },
};

/** Admits (pre-charging the token estimate, kept on the context so that usage can settle it) or throws. */
async function admit(ctx: RequestContext, limiter: RateLimiter, compiled: CompiledLimits, tokenEstimate: number): Promise<void> {
  const admission = await limiter.admit({
    plan: compiled.plan,
    consumer: ctx.caller.kind === 'consumer' ? ctx.caller.consumer.name : undefined,
    tokenEstimate,
    onRedisUnavailable: compiled.onRedisUnavailable,
  });
  if (admission.kind === 'limited') throw Errors.rateLimited(admission.rule, admission.retryAfterSeconds, admission.headers);
  if (admission.kind === 'unavailable') throw Errors.limitsUnavailable();
  for (const k in admission.headers) ctx.res.setHeader(k, admission.headers[k]!);
  // Kept where usage will settle it.
  if (ctx.route!.kind === 'model' || ctx.agentRequest) ctx.admission = admission;
}
