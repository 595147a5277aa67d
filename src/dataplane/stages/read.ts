import { readInspectedAgentBody } from '../agents/inspected-body';
import { readNativeAgentRequest } from '../agents/native-request';
import { agentProtocol } from '../agents/protocol';
import { ENDPOINTS, isEndpoint } from '../endpoints';
import { readModelRequest, readMultipartModelRequest } from '../model-proxy';
import type { Stage } from './stage';

/**
 * A request's body, read only once the caller is authorized. A model request: JSON, or a multipart
 * upload read up to its `model` field, into `ctx.request`. A Dify or Model Studio request: checked (its
 * endpoint, the `user` the gateway sets) and its JSON body read into `ctx.agentRequest`, so that its
 * prompt can be pre-charged. A custom agent's body streams through in the attempts (read here only when the
 * route's WAF inspects it: agents/inspected-body.ts).
 */
export const read: Stage = {
  name: 'read',
  // Not async: the reader's own promise is the stage's, with no wrapper promise per request.
  run: (ctx) => {
    const route = ctx.route!;
    if (route.kind === 'agent') {
      // A custom agent's body streams through, unless the WAF is to read it first.
      if (ctx.waf !== undefined && agentProtocol(route.config) === undefined) return readInspectedAgentBody(ctx, route);
      return readNativeAgentRequest(ctx, route);
    }
    // The endpoint stage let only a served endpoint through; the check narrows the type.
    if (route.kind !== 'model' || !isEndpoint(ctx.endpoint)) return;
    return ENDPOINTS[ctx.endpoint].body === 'multipart' ? readMultipartModelRequest(ctx, route, ctx.endpoint) : readModelRequest(ctx, route, ctx.endpoint);
  },
};
