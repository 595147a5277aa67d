import { tmpdir } from 'os';
import { CONVERSATION_HEADER, isConversationId, MAX_CONVERSATION_ID_CHARS } from '../agents/protocol';
import { authorizeModel } from '../auth';
import { parseJsonObject, readBody } from '../body';
import { ClientBody } from '../client-body';
import type { CompiledModel, CompiledModelRoute } from '../compile/snapshot';
import { ENDPOINTS, type Endpoint } from '../endpoints';
import { Errors } from '../errors';
import { boundedForLog } from '../log-bounds';
import { isMultipartFormData, prepareMultipart } from '../multipart';
import type { RequestContext } from '../request-context';
import { wantsStreamUsage } from '../translate';
import type { AgentCall } from '../translate/translator';
import { formFieldsOf } from '../waf/form-fields';
import { inspectBody } from '../waf/inspection';

/** Reads a JSON model request on a model route into `ctx.request`: method, body, model (the authorize stage checked the grant). */
export async function readModelRequest(ctx: RequestContext, route: CompiledModelRoute, endpoint: Endpoint): Promise<void> {
  if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
  const raw = await readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth);
  const body = parseJsonObject(raw, ctx.snapshot.maxJsonDepth);
  inspectBody(ctx, body);
  const requested = body.model;
  if (typeof requested !== 'string' || requested === '') throw Errors.badRequest("'model' is required: a string naming the model.", 'model');
  const model = matchModel(ctx, route, requested);
  const stream = body.stream === true && ENDPOINTS[endpoint].streams;
  ctx.record.stream = stream;
  const agentCall = model.owner ? agentCallOf(ctx) : undefined;
  ctx.request = { endpoint, body, raw, requested, model, stream, clientWantsUsage: wantsStreamUsage(body), ...(agentCall && { agentCall }) };
}

/**
 * Reads a multipart upload (audio, image edits) on a model route into `ctx.request`: up to the `model`
 * field, the file before it held in memory or spooled to disk, the rest left streaming in; never the
 * whole upload in memory.
 */
export async function readMultipartModelRequest(ctx: RequestContext, route: CompiledModelRoute, endpoint: Endpoint): Promise<void> {
  if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
  const contentType = ctx.req.headers['content-type'] ?? '';
  if (!isMultipartFormData(contentType)) throw Errors.badRequest(`${ENDPOINTS[endpoint].suffix} takes multipart/form-data, found '${contentType}'.`);
  const declared = Number(ctx.req.headers['content-length']);
  // The client's stalls and disconnects surface as its own faults (408, 499), in either phase of the
  // upload: read up to `model` here, streamed upstream later.
  const clientBody = new ClientBody(ctx.req, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth, route.maxBodyBytes);
  ctx.res.once('close', () => clientBody.stop());
  const prepared = await prepareMultipart(clientBody, contentType, {
    maxBytes: route.maxBodyBytes,
    spoolDir: tmpdir(),
    // The WAF reads every text field, those after `model` too (never a file part).
    readTextFields: ctx.waf !== undefined,
    // A compressed body's declared length is not its decompressed one, which the upload's length upstream is computed from.
    ...(Number.isFinite(declared) && clientBody.encoding === undefined && { contentLength: declared }),
  });
  ctx.res.once('close', () => void prepared.cleanup());
  if (ctx.waf !== undefined) inspectBody(ctx, formFieldsOf(prepared.textFields));
  const requested = prepared.model;
  if (!requested) throw Errors.badRequest("'model' is required: a form field naming the model.", 'model');
  const model = matchModel(ctx, route, requested);
  ctx.request = { endpoint, body: prepared.fields, multipart: prepared, clientBody, requested, model, stream: false, clientWantsUsage: false };
}

/**
 * The configured model a requested name maps to, or 404. The access log keeps the client's string
 * (bounded); metrics only ever see the configured entry's name.
 */
function matchModel(ctx: RequestContext, route: CompiledModelRoute, requested: string): CompiledModel {
  ctx.record.requestedModel = boundedForLog(requested);
  const model = route.models.match(requested);
  if (!model) {
    // An onRequest hook may still map the name (model-mapper): it is matched again after the hooks, and refused then if still unknown.
    if (ctx.snapshot.extensions.onRequest.length > 0) return UNMATCHED_MODEL;
    throw Errors.noModel(boundedForLog(requested), route.name);
  }
  adoptModel(ctx, route, model);
  return model;
}

/**
 * The request is for `model` of `route` (as read, or as an onRequest hook renamed it): its grant is checked, and an
 * agent exposed as a model makes it the agent route's traffic (its limits, deadlines, metrics and access line).
 */
export function adoptModel(ctx: RequestContext, route: CompiledModelRoute, model: CompiledModel): void {
  ctx.record.modelEntry = model.entry.name;
  if (route.agentModels.length > 0) authorizeModel(route, model, ctx.caller);
  if (model.owner) {
    ctx.route = model.owner.asModel;
    ctx.record.route = model.owner.name;
  }
}

/**
 * The model of a request whose name no entry of the route matches, while onRequest hooks may still map it: it has
 * no target, and the request-extensions stage refuses the request (404) unless a hook gave it a name that matches.
 */
export const UNMATCHED_MODEL: CompiledModel = Object.freeze({ entry: Object.freeze({ name: '' }) as CompiledModel['entry'], targets: [], fallbacks: [] });

/** Who calls an agent exposed as a model: the consumer (Dify's `user`), and the conversation the client continues. */
export function agentCallOf(ctx: RequestContext): AgentCall {
  const header = ctx.req.headers[CONVERSATION_HEADER];
  if (typeof header === 'string' && !isConversationId(header)) {
    throw Errors.badRequest(
      `The ${CONVERSATION_HEADER} header must be printable ASCII without spaces, at most ${MAX_CONVERSATION_ID_CHARS} characters; found ${header.length} characters. Send back the value the previous answer carried.`,
      CONVERSATION_HEADER,
    );
  }
  return {
    consumer: ctx.caller.kind === 'consumer' ? ctx.caller.consumer.name : undefined,
    conversationId: typeof header === 'string' && header !== '' ? header : undefined,
  };
}
