import type { IncomingHttpHeaders } from 'http';
import { Readable } from 'stream';
import { callWithDeadlines, isTimeout, transportError } from '../bounded-call';
import type { CompiledModelRoute } from '../compile/snapshot';
import { ENDPOINTS } from '../endpoints';
import { Errors } from '../errors';
import { boundedForLog } from '../log-bounds';
import type { RequestContext } from '../request-context';
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
  const translator = adapter.translators ? adapter.translators[endpoint] : translatorFor(spec.protocol, adapter.protocol, endpoint);
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
    payload = translator.payload(request, servedModel, adapter);
  }

  // Route timeouts override the backend's; the total covers the whole attempt, stream included.
  const firstByteMs = route.timeouts?.firstByteMs ?? upstream.config.timeouts.firstByteMs;
  const totalMs = route.timeouts?.totalMs ?? upstream.config.timeouts.totalMs;
  const fromClient = translator.clientHeaders && pickHeaders(ctx.req.headers, translator.clientHeaders);
  const headers: Record<string, string> = {
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
    await relayResponse(ctx, attempt, request, events, response, translator);
  } finally {
    call.end();
  }
}

/** The client's values of the headers a translator passes on (those it sent). */
function pickHeaders(from: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of names) {
    const v = from[h];
    if (typeof v === 'string') out[h] = v;
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
