import { checkGatewayConfig } from '../../specs';
import type { AiGateway } from '../gateway';
import { finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';
import { gw } from './labels';

/** One gateway at a time, each in its own try: one bad value never hides the other gateways' results, nor loses its path. */
function check(ctx: RuleContext, g: AiGateway): Finding[] {
  try {
    const { config, error } = ctx.configOf(g);
    if (error) return [finding(g, `${gw(g)}: its config could not be built: ${error}. Check the props of its children.`)];
    // The data plane's own check: each issue names the field, the reason and the value found.
    const checked = checkGatewayConfig(config);
    return checked.ok ? [] : checked.issues.map((issue) => finding(g, `${gw(g)}: config ${issue}. Fix the prop that sets it.`));
  } catch (e) {
    return [finding(g, `${gw(g)}: its config could not be checked (${(e as Error).message}). Check the props of its children; report this if it persists.`)];
  }
}

export const configSchemaRule: Rule = {
  id: 'config-schema',
  description: "The gateway's rendered config parses strictly with GatewayConfig, the schema the data plane loads (catches bad values the other rules do not name, e.g. a malformed host).",
  level: 'error',
  errors: { suppressible: false, because: 'the data plane rejects the config' },
  check: (ctx) => ctx.gateways.flatMap((g) => check(ctx, g)),
};
