import { checkGatewayConfig } from '../../specs';
import type { AiGateway } from '../gateway';
import { violation, type Violation } from '../violation';
import type { Rule, RuleContext } from './context';
import { gw } from './labels';

const R = 'config-schema';

/** One gateway at a time, each in its own try: one bad value never hides the other gateways' results, nor loses its path. */
function check(ctx: RuleContext, g: AiGateway): Violation[] {
  try {
    const { config, error } = ctx.configOf(g);
    if (error) return [violation(R, g, `${gw(g)}: its config could not be built: ${error}. Check the props of its children.`)];
    // The data plane's own check: each issue names the field, the reason and the value found.
    const checked = checkGatewayConfig(config);
    return checked.ok ? [] : checked.issues.map((issue) => violation(R, g, `${gw(g)}: config ${issue}. Fix the prop that sets it.`));
  } catch (e) {
    return [violation(R, g, `${gw(g)}: its config could not be checked (${(e as Error).message}). Check the props of its children; report this if it persists.`)];
  }
}

export const configSchemaRule: Rule = {
  id: R,
  description: "The gateway's rendered config parses strictly with GatewayConfig, the schema the data plane loads (catches bad values the other rules do not name, e.g. a malformed host).",
  check: (ctx) => ctx.gateways.flatMap((g) => check(ctx, g)),
};
