import { isEndpoint, storedResponseCallOf } from '../endpoints';
import { Errors } from '../errors';
import { listModels, retrieveModel } from '../models-endpoint';
import { ANSWERED, type Stage } from './stage';

/** The Responses API's own endpoints under `/v1/responses/` that the gateway does not serve yet. */
const RESPONSES_ENDPOINTS = /\/v1\/responses\/(?:input_tokens|compact)$/;

/**
 * What a model route is asked for, checked before the caller is: `GET …/v1/models` and `GET …/v1/models/{id}` are answered here
 * (each caller sees the routes it may use), a call on a stored response (`…/v1/responses/{id}`…) must be one of its
 * four, by its method; any other endpoint must be one the gateway serves, by POST.
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
    if (ctx.endpoint === 'stored-response') {
      const method = ctx.req.method ?? '';
      const call = storedResponseCallOf(ctx.path, method);
      if (call === undefined && RESPONSES_ENDPOINTS.test(ctx.path)) throw Errors.responsesEndpointNotServed(method, ctx.path);
      if (call === undefined) throw Errors.noEndpoint(ctx.path);
      if ('allow' in call) throw Errors.storedResponseMethod(method, call.allow);
      ctx.storedResponse = call;
      return undefined;
    }
    if (!isEndpoint(ctx.endpoint)) throw Errors.noEndpoint(ctx.path);
    if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
    return undefined;
  },
};
