import { endpointOf } from '../endpoints';
import { Errors } from '../errors';
import type { Stage } from './stage';

/** Which route (host, then path prefix) and which endpoint of it. An agent's own `…/v1/models` is the agent's: the route decides, not the endpoint. */
export const route: Stage = {
  name: 'route',
  run: (ctx) => {
    const endpoint = endpointOf(ctx.path);
    ctx.endpoint = endpoint;
    // Claude-style clients get errors in Anthropic's shape, from here on.
    if (endpoint === 'messages') ctx.errorFormat = 'anthropic';
    const matched = ctx.snapshot.routes.match(ctx.host, ctx.path);
    if (!matched) throw Errors.noRoute(ctx.host, ctx.path);
    ctx.route = matched;
    ctx.record.route = matched.name;
  },
};
