import { z } from 'zod';
import { cidrProblem, RouteWafSchema, WAF_MAX_CIDRS, WafCustomRuleSchema, wafPatternProblem } from '../../specs';

/**
 * WafProps and RouteWafProps as zod schemas, for callers TypeScript did not check (plain JS, JSON): the props as
 * given (every field optional), with the checks the data plane applies at load, so that synth refuses what it would.
 * Messages read after the prop's path (`waf.anomalyThreshold must be …`), as gateway-props and route-waf print them.
 */

/** The config's own limits on the threshold (src/specs/waf.ts), so that the two never disagree. */
const THRESHOLD = RouteWafSchema.shape.anomalyThreshold.unwrap();
export const WAF_MIN_ANOMALY_THRESHOLD = THRESHOLD.minValue ?? 1;
export const WAF_MAX_ANOMALY_THRESHOLD = THRESHOLD.maxValue ?? 1_000;

const thresholdRange = `from ${WAF_MIN_ANOMALY_THRESHOLD} to ${WAF_MAX_ANOMALY_THRESHOLD}`;
const thresholdMessage = `must be a whole number ${thresholdRange} (the anomaly score at which a request is blocked; a critical rule scores 5)`;
const anomalyThreshold = z
  .int({ error: thresholdMessage })
  .min(WAF_MIN_ANOMALY_THRESHOLD, thresholdMessage)
  .max(WAF_MAX_ANOMALY_THRESHOLD, thresholdMessage);

/** Each rule set is optional (the construct fills in the defaults): zod 4's z.record(z.enum(...)) would require every key. */
const rules = z.strictObject({
  sqlInjection: z.boolean().optional(),
  xss: z.boolean().optional(),
  pathTraversal: z.boolean().optional(),
  commandInjection: z.boolean().optional(),
  promptInjection: z.boolean().optional(),
  protocol: z.boolean().optional(),
});

const cidr = z.string().superRefine((value, ctx) => {
  const reason = cidrProblem(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason });
});
const cidrs = z.array(cidr).max(WAF_MAX_CIDRS, `must have at most ${WAF_MAX_CIDRS} entries (merge addresses into CIDR blocks)`);

/** RE2, as the data plane runs it: `new RegExp` would accept lookarounds and back-references the engine refuses. */
const pattern = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((value, ctx) => {
    const reason = wafPatternProblem(value);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  });

export const WafPropsSchema = z.strictObject({
  mode: z.enum(['detect', 'block']).optional(),
  rules: rules.optional(),
  customRules: z
    .array(
      z.strictObject({
        name: WafCustomRuleSchema.shape.name,
        target: WafCustomRuleSchema.shape.target,
        header: WafCustomRuleSchema.shape.header,
        pattern,
        action: z.enum(['block', 'log']).optional(),
      }),
    )
    .optional(),
  ipDenyList: cidrs.optional(),
  trustedProxies: cidrs.optional(),
  anomalyThreshold: anomalyThreshold.optional(),
  inspectMessages: z.boolean().optional(),
});

export const RouteWafPropsSchema = z.strictObject({
  mode: z.enum(['off', 'detect', 'block']).optional(),
  rules: rules.optional(),
  anomalyThreshold: anomalyThreshold.optional(),
  inspectMessages: z.boolean().optional(),
});
