import { applyCors } from '../cors';
import { ANSWERED, type Stage } from './stage';

/**
 * The route's CORS: a preflight is answered here, before auth and before the endpoint is checked,
 * because browsers send preflights without credentials; other responses get the allow-origin header.
 */
export const cors: Stage = {
  name: 'cors',
  run: (ctx) => {
    const route = ctx.route!;
    // MCP servers declare no CORS: a browser page of another site is refused by their Origin check instead.
    if (route.kind === 'mcp') return undefined;
    return applyCors(ctx, route.config.policies.cors) ? ANSWERED : undefined;
  },
};
