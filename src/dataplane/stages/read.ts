import { ENDPOINTS } from '../endpoints';
import { readModelRequest, readMultipartModelRequest } from '../model-proxy';
import type { Stage } from './stage';

/**
 * A model request's body, read only once the caller is authorized: JSON, or a multipart upload read up
 * to its `model` field. Agent routes stream their bodies through in the attempts.
 */
export const read: Stage = {
  name: 'read',
  run: async (ctx) => {
    const route = ctx.route!;
    // The endpoint stage let only a served endpoint through; the check narrows the type.
    if (route.kind !== 'model' || ctx.endpoint === undefined || ctx.endpoint === 'models') return;
    ctx.request =
      ENDPOINTS[ctx.endpoint].body === 'multipart' ? await readMultipartModelRequest(ctx, route, ctx.endpoint) : await readModelRequest(ctx, route, ctx.endpoint);
  },
};
