import { proxyAgentRequest } from '../agent-proxy';
import { accountingEvents } from './account';
import type { Stage } from './stage';
import { serveMcp } from '../mcp/front';
import { serveStoredResponse } from '../model/stored-responses';
import { forwardModelRequest } from '../model-proxy';

/**
 * The backend attempt(s): a model request's targets, retries and fallbacks, or the agent's one
 * upstream; the answer relayed, its usage reported to the account stage's events. An MCP server's
 * messages go to the MCP front (mcp/front.ts), which proxies them or answers them itself.
 */
export const attempts: Stage = {
  name: 'attempts',
  run: (ctx, deps) => {
    const route = ctx.route!;
    if (route.kind === 'mcp') return serveMcp(ctx, route, deps);
    if (route.kind === 'agent') return proxyAgentRequest(ctx, route, accountingEvents(ctx, deps));
    if (ctx.storedResponse) return serveStoredResponse(ctx, route, ctx.storedResponse, deps, accountingEvents(ctx, deps));
    return forwardModelRequest(ctx, route, ctx.request!, accountingEvents(ctx, deps), deps);
  },
};
