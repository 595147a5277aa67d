/**
 * Responses kept by a backend (OpenAI's Responses API with `store` not false), reached through the gateway:
 * `GET` / `DELETE /v1/responses/{id}`, `POST …/cancel`, `GET …/input_items`, and `previous_response_id`.
 * The backend keeps them under the gateway's one key, for every consumer: the gateway records which
 * backend keeps each one and whose it is (response-owners.ts) when it relays it, and lets only its
 * consumer, on its route, reach it again, at that backend.
 */
import { authorizeRoute } from '../auth';
import { drained } from '../backpressure';
import { callWithDeadlines, transportError } from '../bounded-call';
import type { CompiledModel, CompiledModelRoute } from '../compile/snapshot';
import { isResponseId, type StoredResponseCall } from '../endpoints';
import { Errors, GatewayError } from '../errors';
import { checkJsonShape } from '../json-shape';
import type { RequestContext } from '../request-context';
import type { PipelineDeps } from '../stages/stage';
import { responsesNative } from '../translate/responses-translators';
import type { Upstream } from '../upstream';
import type { UpstreamResponse } from '../upstream-call';
import { failMidStream } from './mid-stream';
import { forgetOwner, ownerOf, rememberOwner, type ResponseOwner } from './response-owners';
import { NO_TOKENS } from './send';
import type { Attempt, ModelRequest, ProxyEvents } from './types';
import { checkStatus, RetryableFailure } from './upstream-errors';

/** The consumer a record names: '' on a route without key auth. */
function consumerOf(ctx: RequestContext): string {
  return ctx.caller.kind === 'consumer' ? ctx.caller.consumer.name : '';
}

/** The query parameters each call takes (OpenAI's API reference); any other is refused rather than passed on unread. */
const QUERY_PARAMETERS: { readonly [O in StoredResponseCall['operation']]: ReadonlySet<string> } = {
  retrieve: new Set(['include', 'include[]', 'include_obfuscation', 'starting_after', 'stream']),
  delete: new Set(),
  cancel: new Set(),
  input_items: new Set(['after', 'before', 'include', 'include[]', 'limit', 'order']),
};

const OPERATION_PATHS: { readonly [O in StoredResponseCall['operation']]: string } = { retrieve: '', delete: '', cancel: '/cancel', input_items: '/input_items' };

/**
 * The events of a Responses request whose answers the backend may keep: each one's id is recorded with its owner
 * (the relay calls onStoredResponse). A request with `store: false` gets the events as they are.
 */
export function storingEvents(
  ctx: RequestContext,
  route: CompiledModelRoute,
  request: ModelRequest,
  events: ProxyEvents,
  deps: PipelineDeps,
): ProxyEvents {
  if (request.body.store === false) return events;
  const consumer = consumerOf(ctx);
  return {
    ...events,
    onStoredResponse: async (id: string | undefined, attempt: Attempt) => {
      const backend = attempt.upstream.config.name;
      if (id === undefined) {
        deps.logger.warn({ route: route.name, backend }, 'a backend that keeps responses answered without a response id the gateway can read; calls by id cannot reach it');
        return;
      }
      const owner: ResponseOwner = { route: route.name, consumer, backend, model: attempt.model.entry.name };
      // A record that cannot be written costs the client its calls by id (404), never the answer itself.
      await rememberOwner(deps.mcpBus, id, owner).catch((err: unknown) =>
        deps.logger.warn({ err, route: route.name, backend }, 'could not record whose a stored response is; calls by its id will answer 404'),
      );
    },
  };
}

/**
 * Before a Responses request to a model that keeps responses is sent: a background run is refused where a token limit would have to count it
 * (its usage comes after this request ends), and `previous_response_id` must name a response of this consumer
 * on this route; it then returns the backend that keeps it, which the attempts are held to.
 */
export async function continuedBackend(
  ctx: RequestContext,
  route: CompiledModelRoute,
  request: ModelRequest,
  deps: PipelineDeps,
): Promise<string | undefined> {
  const { body, model } = request;
  checkUnique(ctx, request);
  // Items and conversations the backend keeps under the gateway's one key, for every consumer: the gateway records no owner of them.
  if (body.conversation !== undefined && body.conversation !== null) {
    throw Errors.badRequest('conversation is set, but this gateway does not serve the Conversations API, so it cannot tell whose a conversation is. Send previous_response_id, or the whole conversation in input.', 'conversation');
  }
  const reference = Array.isArray(body.input) ? body.input.findIndex(isItemReference) : -1;
  if (reference >= 0) {
    throw Errors.badRequest(`input[${reference}].type is 'item_reference', which names an item of any stored response, whoever created it. Send the item itself, or continue with previous_response_id.`, `input[${reference}].type`);
  }
  if (body.background === true && route.limits?.chargesTokens === true) throw Errors.backgroundUncountable(route.name);
  const previous = body.previous_response_id;
  if (previous === undefined || previous === null) return undefined;
  if (typeof previous !== 'string' || !isResponseId(previous)) throw Errors.previousResponseNotFound(typeof previous === 'string' ? previous.slice(0, 64) : String(typeof previous));
  const owner = await lookUp(deps, previous);
  if (!owns(ctx, route, owner)) throw Errors.previousResponseNotFound(previous);
  const chain = [model, ...model.fallbacks];
  if (!chain.some((m) => m.targets.some((t) => t.upstream.config.name === owner.backend))) {
    throw Errors.previousResponseElsewhere(previous, request.requested.slice(0, 200));
  }
  return owner.backend;
}

/** An input item that names a stored item by id: `{type: 'item_reference', id}`, or `{id}` with no type, role or content (OpenAI's type is optional there). */
function isItemReference(item: unknown): boolean {
  if (item === null || typeof item !== 'object') return false;
  const { type, role, content, id } = item as Record<string, unknown>;
  return type === 'item_reference' || ((type === undefined || type === null) && id !== undefined && role === undefined && content === undefined);
}

/** Fields whose value decides what the gateway checks: given twice, the gateway would check one value and the backend may act on the other. */
const CHECKED_FIELDS = ['previous_response_id', 'background', 'store', 'conversation', 'input'] as const;

function checkUnique(ctx: RequestContext, request: ModelRequest): void {
  if (!request.raw) return;
  for (const key of CHECKED_FIELDS) {
    if (key in request.body && checkJsonShape(request.raw, ctx.snapshot.maxJsonDepth, key) === 'duplicate_key') throw Errors.duplicateKey(key);
  }
}

/** Whether the caller created the response on this route (a narrowing: a record exists). */
function owns(ctx: RequestContext, route: CompiledModelRoute, owner: ResponseOwner | undefined): owner is ResponseOwner {
  return owner !== undefined && owner.route === route.name && owner.consumer === consumerOf(ctx);
}

/**
 * Whether any backend of the model (or of its fallbacks) serves the Responses API itself, and so may keep responses,
 * run one in the background or continue one. Elsewhere the translator refuses those, and nothing is recorded.
 */
export function keepsResponses(model: CompiledModel): boolean {
  return [model, ...model.fallbacks].some((m) => m.targets.some((t) => t.upstream.adapter.servesResponses === true));
}

async function lookUp(deps: PipelineDeps, id: string): Promise<ResponseOwner | undefined> {
  try {
    return await ownerOf(deps.mcpBus, id);
  } catch {
    throw Errors.storedResponsesUnavailable(id);
  }
}

/**
 * A call on a stored response: to the backend that keeps it, for the consumer who created it on this route;
 * 404 for anyone else, as for an id that never was (so that an id's existence is not told either).
 */
export async function serveStoredResponse(
  ctx: RequestContext,
  route: CompiledModelRoute,
  call: StoredResponseCall,
  deps: PipelineDeps,
  events: ProxyEvents,
): Promise<void> {
  const query = checkedQuery(ctx.query, call);
  // A caller admitted to the route only through a grant to an agent exposed as a model holds no grant to the route's models.
  authorizeRoute(route, ctx.caller);
  const owner = await lookUp(deps, call.id);
  if (!owns(ctx, route, owner)) throw Errors.responseNotFound(call.id);
  const upstream = ctx.snapshot.upstreams.get(owner.backend);
  // A reload may have taken the backend off the route since: the route no longer reaches it.
  if (upstream?.adapter.servesResponses !== true || !routeReaches(route, owner.backend)) throw Errors.responseNotFound(call.id);
  ctx.record.backend = upstream.config.name;
  ctx.record.provider = upstream.config.provider;
  if (route.config.models.some((m) => m.name === owner.model)) ctx.record.modelEntry = owner.model;
  // Nothing is generated: a token pre-charge is settled to none.
  events.onUsage(NO_TOKENS);
  const base = upstream.adapter.path(upstream.basePath, 'responses', owner.model, upstream.config)!;
  await forward(ctx, route, upstream, `${base}/${call.id}${OPERATION_PATHS[call.operation]}${query.text}`, call, query.streams, events, deps);
}

function routeReaches(route: CompiledModelRoute, backend: string): boolean {
  return route.config.models.some((m) => m.targets.some((t) => t.backend === backend));
}

/**
 * The client's query string, when every parameter is one the call takes (its values pass as the client encoded them),
 * and whether it asks for a stream (`stream=true`: the retrieve answers SSE).
 */
function checkedQuery(query: string, call: StoredResponseCall): { readonly text: string; readonly streams: boolean } {
  if (query.length <= 1) return { text: '', streams: false };
  const allowed = QUERY_PARAMETERS[call.operation];
  const params = new URLSearchParams(query);
  for (const name of params.keys()) {
    if (!allowed.has(name)) {
      const takes = allowed.size === 0 ? 'takes no query parameters' : `takes ${[...allowed].join(', ')}`;
      throw Errors.badRequest(`Query parameter '${name.slice(0, 100)}' is not one this call ${takes}. Remove it.`, name.slice(0, 100));
    }
  }
  return { text: query, streams: params.getAll('stream').at(-1) === 'true' };
}

/** One call to the backend, no retry (a cancel or delete is not sent twice); its answer relayed with its status, credentials scrubbed. */
async function forward(
  ctx: RequestContext,
  route: CompiledModelRoute,
  upstream: Upstream,
  path: string,
  call: StoredResponseCall,
  streams: boolean,
  events: ProxyEvents,
  deps: PipelineDeps,
): Promise<void> {
  const { breaker, config } = upstream;
  if (!breaker.allow()) throw Errors.circuitOpen(ctx.record.modelEntry ?? config.name);
  const firstByteMs = route.timeouts?.firstByteMs ?? config.timeouts.firstByteMs;
  const totalMs = route.timeouts?.totalMs ?? config.timeouts.totalMs;
  ctx.record.stream = streams;
  const headers = { ...upstream.requestHeaders, accept: streams ? 'text/event-stream' : 'application/json' };
  events.onDispatch();
  const options = { path, method: call.method, headers, body: undefined, headersTimeoutMs: firstByteMs, bodyTimeoutMs: totalMs };
  const bounded = callWithDeadlines(ctx, upstream.pool, options, totalMs);
  try {
    let response: UpstreamResponse;
    try {
      response = await bounded.response;
      await checkStatus(response, upstream, responsesNative);
    } catch (e) {
      if (e instanceof RetryableFailure) {
        // What the attempts count against a backend (its 401/403, 429, 5xx), these calls count too.
        breaker.failure();
        throw e.error;
      }
      if (e instanceof GatewayError) {
        // The backend answered (a 404 for a response it no longer keeps): it is alive.
        breaker.success();
        throw e;
      }
      if (ctx.cancellation.cancelled) breaker.abandon();
      else breaker.failure();
      throw transportError(upstream, e, firstByteMs, totalMs, ctx.cancellation.cancelled);
    }
    breaker.success();
    // Forgotten before the client hears it is deleted: a retrieve it sends next finds no record.
    if (call.operation === 'delete') await forgetOwner(deps.mcpBus, call.id).catch(() => undefined);
    events.onFirstByte();
    await relayAsIs(ctx, upstream, response);
  } finally {
    bounded.end();
  }
}

/** The backend's answer, status and type as they are, streamed (a retrieve with `stream=true` is SSE), credentials scrubbed. */
async function relayAsIs(ctx: RequestContext, upstream: Upstream, response: UpstreamResponse): Promise<void> {
  const contentType = String(response.headers['content-type'] ?? 'application/json');
  const sse = contentType.startsWith('text/event-stream');
  ctx.res.writeHead(response.statusCode, { 'content-type': contentType, ...(sse && { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' }) });
  const scrub = upstream.scrubber.stream();
  try {
    await response.forEachChunk((chunk) => {
      const out = scrub.push(chunk);
      return out.length === 0 || ctx.res.write(out) ? undefined : drained(ctx);
    });
  } catch (e) {
    failMidStream(ctx, e);
    return;
  }
  const held = scrub.flush();
  ctx.res.end(held.length > 0 ? held : undefined);
}
