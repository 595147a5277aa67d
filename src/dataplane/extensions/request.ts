import { ENDPOINTS } from '../endpoints';
import { Errors } from '../errors';
import { boundedForLog } from '../log-bounds';
import { adoptModel, agentCallOf, UNMATCHED_MODEL } from '../model/read-request';
import type { ModelRequest } from '../model/types';
import { ANSWERED } from '../stages/stage';
import { wantsStreamUsage } from '../translate';
import type { RequestExtensions } from './contexts';
import { runHook } from './runner';

/**
 * Headers onRequest may not send upstream: the gateway sets credentials and framing itself. Set by a hook, they
 * are ignored (logged once per process and name).
 */
const NOT_SENT_UPSTREAM = new Set(['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie', 'proxy-authorization', 'host', 'content-length', 'transfer-encoding', 'connection']);
const warned = new Set<string>();

/**
 * The onRequest hooks, in order: each may change the request view (headers, body) or answer (`respond`), which
 * ends the request here: no later hook, no limits, nothing upstream. Then what they changed is applied: headers
 * set go upstream, a touched body is sent as the hooks left it (its model matched again on the route).
 */
export function runRequestHooks(state: RequestExtensions): void | typeof ANSWERED | Promise<void | typeof ANSWERED> {
  const hooks = state.compiled.onRequest;
  const view = state.request;
  const step = (i: number): void | typeof ANSWERED | Promise<void | typeof ANSWERED> => {
    for (; i < hooks.length; i++) {
      const ext = hooks[i]!;
      const onRequest = ext.definition.onRequest!;
      const result = runHook(state, ext, 'onRequest', (call) => onRequest.call(ext.definition, state.context(ext, call, { request: view, ...state.responder(call) })));
      if (result instanceof Promise) {
        const next = i + 1;
        return result.then(() => (state.answer ? answer(state) : step(next)));
      }
      if (state.answer) return answer(state);
    }
    applyChanges(state);
    // A name no entry matched before the hooks, and none of them mapped: the 404 the read stage left to them.
    const request = state.ctx.request;
    if (request?.model === UNMATCHED_MODEL) throw Errors.noModel(boundedForLog(request.requested), state.ctx.route?.name ?? '');
    return undefined;
  };
  return step(0);
}

/** A hook answered: its status, headers and body, as they are. */
function answer(state: RequestExtensions): typeof ANSWERED {
  const { status, body, headers } = state.answer!;
  const res = state.ctx.res;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
  return ANSWERED;
}

/** What the hooks changed, applied to the request the attempts send. */
function applyChanges(state: RequestExtensions): void {
  const view = state.requestSeen;
  if (!view) return;
  let upstream: Record<string, string> | undefined;
  for (const name in view.headers) {
    const value = view.headers[name];
    if (value === view.original[name]) continue;
    const lower = name.toLowerCase();
    if (NOT_SENT_UPSTREAM.has(lower) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      if (!warned.has(lower)) {
        warned.add(lower);
        state.logger.warn({ header: boundedForLog(lower) }, 'an extension set a request header the gateway does not send upstream (credentials, framing, or a value with CR, LF or NUL): ignored');
      }
      continue;
    }
    (upstream ??= {})[lower] = value;
  }
  state.upstreamHeaders = upstream;
  // Client headers a hook deleted: where the gateway forwards client headers (agent routes, a protocol's own), they are not.
  let present: Set<string> | undefined;
  let removed: Set<string> | undefined;
  for (const name in view.original) {
    present ??= new Set(Object.keys(view.headers).map((h) => h.toLowerCase()));
    if (!present.has(name)) (removed ??= new Set()).add(name);
  }
  state.removedHeaders = removed;
  if (view.touched) applyBody(state, view.body);
}

function applyBody(state: RequestExtensions, body: unknown): void {
  const ctx = state.ctx;
  if (body === undefined) return;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw Errors.badRequest('An extension replaced the request body with something that is not a JSON object. The gateway owner must fix the extension.');
  }
  const json = body as Record<string, unknown>;
  const request = ctx.request;
  if (request && !request.multipart) {
    ctx.request = rebuiltModelRequest(state, request, json);
    return;
  }
  const native = ctx.agentRequest;
  if (native?.body) ctx.agentRequest = { ...native, body: Buffer.from(JSON.stringify(json)) };
}

/** The model request as the hooks left its body: sent as it is now (no longer the client's bytes), its model matched again on the route. */
function rebuiltModelRequest(state: RequestExtensions, request: ModelRequest, body: Record<string, unknown>): ModelRequest {
  const ctx = state.ctx;
  const raw = Buffer.from(JSON.stringify(body));
  const requested = body.model;
  let model = request.model;
  if (requested !== request.requested || request.model === UNMATCHED_MODEL) {
    if (typeof requested !== 'string' || requested === '') throw Errors.badRequest("An extension removed the request's 'model'. The gateway owner must fix the extension.", 'model');
    const route = ctx.route;
    const matched = route?.kind === 'model' ? route.models.match(requested) : undefined;
    if (!matched || route?.kind !== 'model') throw Errors.noModel(boundedForLog(requested), route?.name ?? '');
    // Re-routed within the route: its grant, its metrics and access line name the new entry; an agent's, its route.
    ctx.record.requestedModel = boundedForLog(requested);
    adoptModel(ctx, route, matched);
    model = matched;
  }
  const stream = body.stream === true && ENDPOINTS[request.endpoint].streams;
  ctx.record.stream = stream;
  // An agent exposed as a model is told who calls it (Dify's `user`, the conversation): the new model's, if it is one.
  const { agentCall: _previous, ...rest } = request;
  const agentCall = model.owner ? (request.agentCall ?? agentCallOf(ctx)) : undefined;
  return {
    ...rest,
    body,
    raw,
    requested: typeof requested === 'string' ? requested : request.requested,
    model,
    stream,
    clientWantsUsage: wantsStreamUsage(body),
    ...(agentCall && { agentCall }),
  };
}
