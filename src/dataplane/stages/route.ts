import type { AgentRouteConfig } from '../../specs';
import { endpointOf } from '../endpoints';
import { type ErrorFormat, Errors } from '../errors';
import type { Stage } from './stage';

const AGENT_ERROR_FORMATS: { readonly [K in AgentRouteConfig['kind']]?: ErrorFormat } = { 'dify': 'dify', 'model-studio': 'dashscope' };

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
    // A native agent route answers in its agent's own error shape, so that the agent's SDK reads it.
    if (matched.kind === 'agent') ctx.errorFormat = AGENT_ERROR_FORMATS[matched.config.kind] ?? ctx.errorFormat;
  },
};
