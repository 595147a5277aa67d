import type { AgentRouteConfig } from '../../specs';
import { endpointOf } from '../endpoints';
import { type ErrorFormat, Errors } from '../errors';
import type { Stage } from './stage';
import { inspectHead } from '../waf/inspection';

const AGENT_ERROR_FORMATS: { readonly [K in AgentRouteConfig['kind']]?: ErrorFormat } = { 'dify': 'dify', 'model-studio': 'dashscope' };

/**
 * Which route (host, then path prefix) and which endpoint of it. An agent's own `…/v1/models` is the agent's:
 * the route decides, not the endpoint (its model list when it is exposed as a model, else the agent's own path).
 */
export const route: Stage = {
  name: 'route',
  run: (ctx, deps) => {
    const endpoint = endpointOf(ctx.path);
    ctx.endpoint = endpoint;
    // Claude-style clients get errors in Anthropic's shape, from here on.
    if (endpoint === 'messages' || endpoint === 'messages.count_tokens') ctx.errorFormat = 'anthropic';
    const matched = ctx.snapshot.routes.match(ctx.host, ctx.path);
    if (!matched) {
      // An attack on a path no route serves is refused as one (403), not answered 404: the gateway's own WAF settings.
      const waf = ctx.snapshot.wafUnrouted;
      if (waf !== undefined) inspectHead(ctx, deps, waf);
      throw Errors.noRoute(ctx.host, ctx.path);
    }
    ctx.record.route = matched.name;
    if (matched.kind !== 'agent') {
      ctx.route = matched;
    } else if (matched.asModel && matched.asModelPaths.has(ctx.path)) {
      // An agent exposed as a model answers `<prefix>/v1/chat/completions`, `/v1/messages` and `/v1/models` too: exactly
      // those paths, so that an agent's own path that ends alike (Dify's `GET <prefix>/messages`) stays the agent's.
      ctx.route = matched.asModel;
    } else {
      ctx.route = matched;
      // A native agent route answers in its agent's own error shape, so that the agent's SDK reads it.
      ctx.errorFormat = AGENT_ERROR_FORMATS[matched.config.kind] ?? ctx.errorFormat;
    }
  },
};
