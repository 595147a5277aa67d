import { isEndpoint } from '../endpoints';
import { Errors } from '../errors';
import { listModels, retrieveModel } from '../models-endpoint';
import { ANSWERED, type Stage } from './stage';

/**
 * What a model route is asked for, checked before the caller is: `GET …/v1/models` and `GET …/v1/models/{id}` are answered here
 * (each caller sees the routes it may use), any other endpoint must be one the gateway serves, by POST.
 * Agent routes take any path and method (the agent proxy checks them).
 */
export const endpoint: Stage = {
  name: 'endpoint',
  run: (ctx) => {
    if (ctx.route!.kind !== 'model') return undefined;
    if (ctx.endpoint === 'models' && ctx.req.method === 'GET') {
      listModels(ctx);
      return ANSWERED;
    }
    if (ctx.endpoint === 'model' && ctx.req.method === 'GET') {
      retrieveModel(ctx);
      return ANSWERED;
    }
    if (ctx.endpoint === 'stored-response') throw Errors.storedResponsesNotServed(ctx.req.method ?? '', ctx.path);
    if (!isEndpoint(ctx.endpoint)) throw Errors.noEndpoint(ctx.path);
    if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
    return undefined;
  },
};
