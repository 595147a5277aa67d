import type { IncomingHttpHeaders } from 'http';
import { Readable } from 'stream';
import { callWithDeadlines, isTimeout, transportError } from '../bounded-call';
import type { CompiledModelRoute } from '../compile/snapshot';
import { ENDPOINTS } from '../endpoints';
import { Errors } from '../errors';
import { boundedForLog } from '../log-bounds';
import type { RequestContext } from '../request-context';
import type { Translator } from '../translate/translator';
import { translatorFor } from '../translators';
import type { UpstreamResponse } from '../upstream-call';
import { relayResponse } from './relay';
import type { Attempt, ModelRequest, ProxyEvents } from './types';
import { RetryableFailure } from './upstream-errors';

/**
 * One attempt on one backend: the translator for the protocol pair builds the body (the client's
 * bytes as they are, on the identity fast path), the call runs under the attempt's deadlines, and
 * the answer is relayed. Throws RetryableFailure when another attempt may still help.
 */
export async function sendAttempt(
  ctx: RequestContext,
  route: CompiledModelRoute,
  attempt: Attempt,
  request: ModelRequest,
  events: ProxyEvents,
): Promise<void> {
  const { upstream, servedModel } = attempt;
  const { endpoint, stream } = request;
  const adapter = upstream.adapter;
  const spec = ENDPOINTS[endpoint];
  // The translator for the pair (the identity one when the protocols agree): a property of the protocols, not of a provider.
  const translator = adapter.translators ? adapter.translators[endpoint] : translatorFor(spec.protocol, adapter, endpoint);
  if (translator?.local) {
    answerLocally(ctx, attempt, translator.local(request), events);
    return;
  }
  const path = translator && adapter.path(upstream.basePath, translator.upstreamEndpoint, servedModel, upstream.config);
  if (!translator || path === undefined) {
    throw Errors.badRequest(`Model '${request.requested}' is served by a ${upstream.config.provider} backend, which has no ${spec.suffix} endpoint.`, 'model');
  }
  ctx.record.servedModel = boundedForLog(servedModel);
  ctx.record.targetModel = attempt.targetModel;
  ctx.record.backend = upstream.config.name;
  // An agent's protocol names it (dify, dashscope-app, custom-mapped): one of a fixed few, as the providers are.
  ctx.record.provider = adapter.translators ? adapter.protocol : upstream.config.provider;

  let payload: string | Buffer | Readable;
  let contentType = 'application/json';
  let contentLength: number | undefined;
  /** Why the upload's body failed on its way upstream: the client's fault, not the backend's. */
  let uploadFault: unknown;
  if (request.multipart) {
    // An upload is not JSON for a translator to build: its parts stream through, the `model` field rewritten.
    const rewritten = request.multipart.rewrite(servedModel);
    payload = Readable.from(
      noteFailure(rewritten.body, (e) => {
        uploadFault = e;
      }),
    );
    contentType = rewritten.contentType;
    contentLength = rewritten.contentLength;
  } else {
    // The model the body names: the served one, or what the provider wants there instead (Azure's deployment, for its Responses API).
    const bodyModel = adapter.bodyModel ? adapter.bodyModel(translator.upstreamEndpoint, servedModel, upstream.config) : servedModel;
    const target = { provider: upstream.config.provider, maxOutputTokens: attempt.model.entry.maxOutputTokens };
    payload = translator.payload(request, bodyModel, adapter, target);
  }

  // Route timeouts override the backend's; the total covers the whole attempt, stream included.
  const firstByteMs = route.timeouts?.firstByteMs ?? upstream.config.timeouts.firstByteMs;
  const totalMs = route.timeouts?.totalMs ?? upstream.config.timeouts.totalMs;
  const fromClient = translator.clientHeaders && pickHeaders(ctx.req.headers, translator.clientHeaders, ctx.extensions?.removedHeaders);
  const headers: Record<string, string> = {
    // Headers extensions set in onRequest (never credentials or framing: extensions/request.ts), under the protocol's and the backend's own.
    ...ctx.extensions?.upstreamHeaders,
    ...(fromClient ? { ...adapter.headers, ...fromClient, ...upstream.headers } : upstream.requestHeaders),
    ...translator.upstreamHeaders?.(request),
    'content-type': contentType,
    ...(contentLength !== undefined && { 'content-length': String(contentLength) }),
    'accept': stream && translator.answersWhole !== true ? 'text/event-stream' : spec.binaryResponse ? '*/*' : 'application/json',
  };
  // A client already gone (during the limits check or a backoff) gets no upstream request at all.
  if (ctx.cancellation.cancelled) throw new RetryableFailure(Errors.clientGone());
  events.onDispatch();
  // The attempt ends when the client goes away or its total time is up, whichever comes first.
  const call = callWithDeadlines(ctx, upstream.pool, { path, method: 'POST', headers, body: payload, headersTimeoutMs: firstByteMs, bodyTimeoutMs: totalMs }, totalMs);
  try {
    let response: UpstreamResponse;
    try {
      response = await call.response;
    } catch (e) {
      // The upload failed on the client's side (malformed, too large, stalled, abandoned): its own 4xx.
      if (uploadFault !== undefined) throw uploadFault;
      // Time ran out while the gateway was waiting for the client's next bytes: a slow, steady upload
      // (never silent long enough to stall) is the client's fault, and must not open the backend's circuit for everyone.
      if (!ctx.cancellation.cancelled && request.clientBody?.awaitingClient && isTimeout(e)) {
        throw Errors.bodyTooSlow(totalMs, route.timeouts?.totalMs !== undefined ? `route '${route.name}' timeouts.totalMs` : `backend '${upstream.config.name}' timeouts.totalMs`);
      }
      throw new RetryableFailure(transportError(upstream, e, firstByteMs, totalMs, ctx.cancellation.cancelled));
    }
    // Counting tokens uses none: the limits stage's pre-charge is settled to nothing (before the relay, which
    // would otherwise charge an estimate of what it relayed, for want of a usage report).
    if (spec.countsOnly) events.onUsage(NO_TOKENS);
    await relayResponse(ctx, attempt, request, events, response, translator);
  } finally {
    call.end();
  }
}

/** An answer the gateway gives itself (a token-count estimate): sent as the backend's would be, with no upstream call. */
function answerLocally(ctx: RequestContext, attempt: Attempt, answer: ReturnType<NonNullable<Translator['local']>>, events: ProxyEvents): void {
  ctx.record.servedModel = boundedForLog(attempt.servedModel);
  ctx.record.targetModel = attempt.targetModel;
  ctx.record.backend = attempt.upstream.config.name;
  ctx.record.provider = attempt.upstream.config.provider;
  events.onDispatch();
  events.onFirstByte();
  // An estimate of the prompt, not a use of it: nothing is charged.
  events.onUsage(NO_TOKENS);
  ctx.res.writeHead(200, { ...answer.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.body) });
  ctx.res.end(answer.body);
}

export const NO_TOKENS = { inputTokens: 0, outputTokens: 0 } as const;

/** The client's values of the headers a translator passes on (those it sent, and no extension removed). */
function pickHeaders(from: IncomingHttpHeaders, names: readonly string[], removed: ReadonlySet<string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of names) {
    const v = from[h];
    if (typeof v === 'string' && !removed?.has(h)) out[h] = v;
  }
  return out;
}

/** Passes an upload's chunks through, noting why it failed if it does (the failure still propagates). */
async function* noteFailure(body: AsyncIterable<Buffer>, onFailure: (e: unknown) => void): AsyncGenerator<Buffer, void> {
  try {
    yield* body;
  } catch (e) {
    onFailure(e);
    throw e;
  }
}
