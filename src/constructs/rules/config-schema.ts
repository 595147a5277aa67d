import { parseGatewayConfig } from '../../specs';
import { violation } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

export const configSchemaRule: Rule = {
  id: 'config-schema',
  description: "The gateway's rendered config parses strictly with GatewayConfig, the schema the data plane loads (catches bad values the other rules do not name, e.g. a malformed URL or host).",
  check: (ctx) =>
    ctx.gateways.flatMap((g) => {
      const { config, error } = ctx.configOf(g);
      if (error) return [violation('config-schema', g, `${gw(g)}: its config could not be built: ${error}. Check the props of its children.`)];
      const parsed = parseGatewayConfig(config);
      return parsed.ok ? [] : parsed.issues.map((issue) => violation('config-schema', g, `${gw(g)}: config ${issue}. Fix the prop that sets it.`));
    }),
};
