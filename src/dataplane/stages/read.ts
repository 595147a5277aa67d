import { ENDPOINTS } from '../endpoints';
import { readModelRequest, readMultipartModelRequest } from '../model-proxy';
import type { Stage } from './stage';

/**
 * A model request's body, read into `ctx.request` only once the caller is authorized: JSON, or a
 * multipart upload read up to its `model` field. Agent routes stream their bodies through in the attempts.
 */
export const read: Stage = {
  name: 'read',
  // Not async: the reader's own promise is the stage's, with no wrapper promise per request.
  run: (ctx) => {
    const route = ctx.route!;
    // The endpoint stage let only a served endpoint through; the check narrows the type.
    if (route.kind !== 'model' || ctx.endpoint === undefined || ctx.endpoint === 'models') return;
    return ENDPOINTS[ctx.endpoint].body === 'multipart' ? readMultipartModelRequest(ctx, route, ctx.endpoint) : readModelRequest(ctx, route, ctx.endpoint);
  },
};
