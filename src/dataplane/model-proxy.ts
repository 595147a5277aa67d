import { tmpdir } from 'os';
import { Readable } from 'stream';
import { authorize } from './auth';
import { drained } from './backpressure';
import { DEFAULT_BODY_TIMEOUT_MS, parseJsonObject, readBody } from './body';
import { ClientBody } from './client-body';
import type { CompiledModel, CompiledModelRoute } from './compile/snapshot';
import { completionTextChars } from './completion-text';
import { ENDPOINTS, type Endpoint } from './endpoints';
import { Errors, GatewayError } from './errors';
import { DEFAULT_MAX_JSON_DEPTH } from './json-shape';
import { boundedForLog, LOG_TEXT_LIMIT } from './log-bounds';
import { isMultipartFormData, prepareMultipart, type PreparedMultipart } from './multipart';
import type { RequestContext } from './request-context';
import { backoffDelayMs, sleep } from './resilience';
import type { Scrubber, ScrubStream } from './scrub';
import { eventData, SseFramer } from './sse';
import { estimateTextTokens } from './token-estimate';
import { type StreamRelay, translatorFor } from './translators';
import type { Upstream } from './upstream';
import { callUpstream, type UpstreamResponse } from './upstream-call';
import { anthropicStreamUsage, openAiStreamUsage, type Usage, usageOfJson } from './usage';

export type { Usage };

/** Largest non-streamed response body kept aside to read its usage; past it, only its tail is kept. */
const USAGE_SCAN_LIMIT = 1024 * 1024;
/** Of a larger body, the last bytes kept to find its top-level `usage` (written last by every provider). */
const USAGE_TAIL_BYTES = 64 * 1024;

/** Hooks the pipeline gives the proxy: when headers go out (overhead), the first token, usage. */
export interface ProxyEvents {
  /**
   * Whether the completion text relayed must be counted (for onUnreportedUsage): only when the request
   * was pre-charged tokens that usage settles. Decided once per request: elsewhere no byte is scanned.
   */
  readonly countsCompletionText: boolean;
  /** The upstream request is about to be sent: what came before is the gateway's own time. */
  onDispatch(): void;
  onFirstByte(): void;
  onFirstToken(): void;
  onUsage(usage: Usage): void;
  /**
   * The answer ended (or the client left) without a usage report: the completion tokens estimated
   * from the text relayed, so that what was sent is still charged.
   */
  onUnreportedUsage(outputTokens: number): void;
}

interface Attempt {
  readonly model: CompiledModel;
  readonly upstream: Upstream;
  readonly servedModel: string;
  /** The configured target model (the entry's name for a `*` target): a metric label from a set known at config load. */
  readonly targetModel: string;
}

/** A failure worth another attempt (the same backend, another target or a fallback): nothing has reached the client yet. */
class RetryableFailure extends Error {
  public constructor(
    public readonly error: GatewayError,
    /** The upstream's HTTP status; undefined for connection errors and timeouts. */
    public readonly status?: number,
  ) {
    super(error.message);
  }

  /** Connection errors and timeouts are always retried; statuses only when the backend lists them. */
  public retriesSameBackend(onStatus: readonly number[]): boolean {
    return this.status === undefined || onStatus.includes(this.status);
  }
}

/** A model request, read and checked: what the limits stage and the backend attempts work from. */
export interface ModelRequest {
  readonly endpoint: Endpoint;
  /** The JSON body; for a multipart upload, its form fields. */
  readonly body: Record<string, unknown>;
  /** A multipart upload, read up to its `model` field, the rest still streaming in. */
  readonly multipart?: PreparedMultipart;
  /** The upload's body as it arrives from the client: whether a deadline passed while waiting on it. */
  readonly clientBody?: ClientBody;
  /** The client's bytes, for a same-protocol pass-through that changes nothing. */
  readonly raw?: Buffer;
  readonly requested: string;
  readonly model: CompiledModel;
  readonly stream: boolean;
  readonly clientWantsUsage: boolean;
}

/** A JSON model request on a model route: method, grant, body, model. */
export async function readModelRequest(ctx: RequestContext, route: CompiledModelRoute, endpoint: Endpoint): Promise<ModelRequest> {
  if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
  authorize(route, ctx.caller);
  const limits = ctx.snapshot.config.limits;
  const raw = await readBody(ctx.req, route.maxBodyBytes, limits.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  const body = parseJsonObject(raw, limits.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  const requested = body.model;
  if (typeof requested !== 'string' || requested === '') throw Errors.badRequest("'model' is required: a string naming the model.", 'model');
  const model = matchModel(ctx, route, requested);
  const stream = body.stream === true && ENDPOINTS[endpoint].streams;
  ctx.record.stream = stream;
  const clientWantsUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  return { endpoint, body, raw, requested, model, stream, clientWantsUsage };
}

/**
 * A multipart upload (audio, image edits) on a model route: read up to the `model` field, the file
 * before it held in memory or spooled to disk, the rest left streaming in; never the whole upload in memory.
 */
export async function readMultipartModelRequest(ctx: RequestContext, route: CompiledModelRoute, endpoint: Endpoint): Promise<ModelRequest> {
  if (ctx.req.method !== 'POST') throw Errors.methodNotAllowed(ctx.req.method ?? '');
  authorize(route, ctx.caller);
  const contentType = ctx.req.headers['content-type'] ?? '';
  if (!isMultipartFormData(contentType)) throw Errors.badRequest(`${ENDPOINTS[endpoint].suffix} takes multipart/form-data, found '${contentType}'.`);
  const declared = Number(ctx.req.headers['content-length']);
  // The client's stalls and disconnects surface as its own faults (408, 499), in either phase of the
  // upload: read up to `model` here, streamed upstream later.
  const clientBody = new ClientBody(ctx.req, ctx.snapshot.config.limits.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  ctx.res.once('close', () => clientBody.stop());
  const prepared = await prepareMultipart(clientBody, contentType, {
    maxBytes: route.maxBodyBytes,
    spoolDir: tmpdir(),
    ...(Number.isFinite(declared) && { contentLength: declared }),
  });
  ctx.res.once('close', () => void prepared.cleanup());
  const requested = prepared.model;
  if (!requested) throw Errors.badRequest("'model' is required: a form field naming the model.", 'model');
  const model = matchModel(ctx, route, requested);
  return { endpoint, body: prepared.fields, multipart: prepared, clientBody, requested, model, stream: false, clientWantsUsage: false };
}

/**
 * The configured model a requested name maps to, or 404. The access log keeps the client's string
 * (bounded); metrics only ever see the configured entry's name.
 */
function matchModel(ctx: RequestContext, route: CompiledModelRoute, requested: string): CompiledModel {
  ctx.record.requestedModel = boundedForLog(requested);
  const model = route.models.match(requested);
  if (!model) throw Errors.noModel(boundedForLog(requested), route.name);
  ctx.record.modelEntry = model.entry.name;
  return model;
}

/** Sends the request to the model's backends: attempts, retries, fallbacks; streams the answer back. */
export async function forwardModelRequest(ctx: RequestContext, route: CompiledModelRoute, request: ModelRequest, events: ProxyEvents): Promise<void> {
  const { requested, model } = request;
  // An upload streams through once: it cannot be sent a second time, so it gets exactly one attempt.
  if (request.multipart) {
    const attempt = pick(model, requested, new Set());
    if (!attempt) throw Errors.circuitOpen(requested);
    try {
      await attemptOnce(ctx, route, attempt, request, events);
      attempt.upstream.breaker.success();
    } catch (e) {
      // Only the backend's own failures count against it: a client fault (truncated, oversized or
      // stalled upload, a client gone) is not a RetryableFailure, and the breaker never hears of it.
      if (e instanceof RetryableFailure) {
        if (!ctx.cancellation.cancelled) attempt.upstream.breaker.failure();
        throw e.error;
      }
      throw e;
    }
    return;
  }
  // The model, then its fallbacks; within each, weighted targets whose circuit is not open; each
  // target retried with backoff and jitter. Credentials, translation and the body are redone per attempt.
  let last: GatewayError | undefined;
  for (const candidate of [model, ...model.fallbacks]) {
    const tried = new Set<Upstream>();
    for (let attempt = pick(candidate, requested, tried); attempt; attempt = pick(candidate, requested, tried)) {
      tried.add(attempt.upstream);
      const { breaker, config } = attempt.upstream;
      for (let retry = 0; breaker.allow(); retry++) {
        try {
          await attemptOnce(ctx, route, attempt, request, events);
          breaker.success();
          return;
        } catch (e) {
          if (!(e instanceof RetryableFailure)) {
            // The upstream answered (e.g. 400): it is alive, whatever it thought of the request.
            if (e instanceof GatewayError && e.code === 'upstream_rejected') breaker.success();
            throw e;
          }
          // A client that went away says nothing about the backend: its circuit is not charged.
          if (ctx.cancellation.cancelled) throw e.error;
          breaker.failure();
          last = e.error;
          if (retry >= config.retries.attempts || !e.retriesSameBackend(config.retries.onStatus)) break;
          ctx.record.retries = (ctx.record.retries ?? 0) + 1;
          await sleep(backoffDelayMs(retry, config.retries.backoffBaseMs), ctx.cancellation.signal);
        }
      }
    }
  }
  throw last ?? Errors.circuitOpen(requested);
}

/**
 * A weighted random target among those not yet tried whose circuit is not open; `*` in the
 * target's model means "the name the client asked for".
 */
function pick(model: CompiledModel, requested: string, tried: ReadonlySet<Upstream>): Attempt | undefined {
  const open = model.targets.filter((t) => !tried.has(t.upstream) && t.upstream.breaker.state !== 'open');
  if (open.length === 0) return undefined;
  let r = Math.random() * open.reduce((n, t) => n + t.weight, 0);
  let target = open[0];
  for (const t of open) {
    r -= t.weight;
    if (r < 0) {
      target = t;
      break;
    }
  }
  if (!target.model.includes('*')) return { model, upstream: target.upstream, servedModel: target.model, targetModel: target.model };
  return { model, upstream: target.upstream, servedModel: requested, targetModel: model.entry.name };
}

async function attemptOnce(
  ctx: RequestContext,
  route: CompiledModelRoute,
  attempt: Attempt,
  request: ModelRequest,
  events: ProxyEvents,
): Promise<void> {
  const { upstream, servedModel } = attempt;
  const { endpoint, body, stream } = request;
  const adapter = upstream.adapter;
  const spec = ENDPOINTS[endpoint];
  // Same protocol: pass through. Otherwise the translator for the pair: a property of the protocols, not of a provider.
  const translator = spec.protocol === adapter.protocol ? undefined : translatorFor(spec.protocol, adapter.protocol, endpoint);
  const path = adapter.path(upstream.basePath, translator?.upstreamEndpoint ?? endpoint, servedModel, upstream.config);
  if (path === undefined || (spec.protocol !== adapter.protocol && !translator)) {
    throw Errors.badRequest(`Model '${request.requested}' is served by a ${upstream.config.provider} backend, which has no ${spec.suffix} endpoint.`, 'model');
  }
  ctx.record.servedModel = boundedForLog(servedModel);
  ctx.record.targetModel = attempt.targetModel;
  ctx.record.backend = upstream.config.name;
  ctx.record.provider = upstream.config.provider;

  let payload: string | Buffer | Readable;
  const contentHeaders: Record<string, string> = { 'content-type': 'application/json' };
  /** Why the upload's body failed on its way upstream: the client's fault, not the backend's. */
  let uploadFault: unknown;
  if (request.multipart) {
    const rewritten = request.multipart.rewrite(servedModel);
    payload = Readable.from(
      noteFailure(rewritten.body, (e) => {
        uploadFault = e;
      }),
    );
    contentHeaders['content-type'] = rewritten.contentType;
    if (rewritten.contentLength !== undefined) contentHeaders['content-length'] = String(rewritten.contentLength);
  } else if (translator) {
    payload = JSON.stringify({ ...translator.request(body, servedModel), ...adapter.extraBody });
  } else if (request.raw && body.model === servedModel && !adapter.extraBody && !(stream && adapter.streamUsage)) {
    // Nothing to change: the client's bytes, untouched (Anthropic prompt caching and thinking signatures survive).
    payload = request.raw;
  } else {
    const upstreamBody: Record<string, unknown> = { ...body, ...adapter.extraBody, model: servedModel };
    // Token counts are always wanted (metrics, limits): ask for the usage chunk, strip it if the client did not.
    if (stream && adapter.streamUsage) {
      upstreamBody.stream_options = { ...(isObject(body.stream_options) ? body.stream_options : {}), include_usage: true };
    }
    payload = JSON.stringify(upstreamBody);
  }

  // Route timeouts override the backend's; the total covers the whole attempt, stream included.
  const firstByteMs = route.config.policies.timeouts?.firstByteMs ?? upstream.config.timeouts.firstByteMs;
  const totalMs = route.config.policies.timeouts?.totalMs ?? upstream.config.timeouts.totalMs;
  const fromClient = clientProtocolHeaders(ctx, adapter.protocol, spec.protocol);
  const headers: Record<string, string> = {
    ...(fromClient ? { ...adapter.headers, ...fromClient, ...upstream.headers } : upstream.requestHeaders),
    ...contentHeaders,
    accept: stream ? 'text/event-stream' : spec.binaryResponse ? '*/*' : 'application/json',
  };
  // A client already gone (during the limits check or a backoff) gets no upstream request at all.
  if (ctx.cancellation.cancelled) throw new RetryableFailure(Errors.clientGone());
  events.onDispatch();
  const call = callUpstream(upstream.pool, { path, method: 'POST', headers, body: payload, headersTimeoutMs: firstByteMs, bodyTimeoutMs: totalMs });
  // The attempt ends when the client goes away or its total time is up, whichever comes first; the
  // timer is cleared with the attempt (a timer left for the whole totalMs per request was garbage the GC paid for).
  const stopListening = ctx.cancellation.onCancel(() => call.abort(clientGoneError()));
  const timer = setTimeout(() => call.abort(totalTimeoutError(totalMs)), totalMs);
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
        throw Errors.bodyTooSlow(totalMs, route.config.policies.timeouts?.totalMs !== undefined ? `route '${route.name}' timeouts.totalMs` : `backend '${upstream.config.name}' timeouts.totalMs`);
      }
      throw new RetryableFailure(transportError(upstream, e, firstByteMs, totalMs, ctx.cancellation.cancelled));
    }
    await relayResponse(ctx, attempt, request, events, response, translator);
  } finally {
    clearTimeout(timer);
    stopListening();
    // A body nobody read (an exception on the way) must not keep the upstream connection busy.
    call.release();
  }
}

/** The upstream answered: check its status, then relay its body (SSE, translated JSON, or bytes as they are). */
async function relayResponse(
  ctx: RequestContext,
  attempt: Attempt,
  request: ModelRequest,
  events: ProxyEvents,
  response: UpstreamResponse,
  translator: ReturnType<typeof translatorFor>,
): Promise<void> {
  const { upstream, servedModel } = attempt;
  const { endpoint, stream, clientWantsUsage } = request;
  const adapter = upstream.adapter;
  const spec = ENDPOINTS[endpoint];
  await checkStatus(response, upstream);

  const contentType = String(response.headers['content-type'] ?? (stream ? 'text/event-stream' : 'application/json'));
  events.onFirstByte();
  const out: Record<string, string> = { 'x-aigw-served-model': headerSafe(servedModel) ? servedModel : attempt.targetModel };
  if (stream && contentType.startsWith('text/event-stream')) {
    ctx.res.writeHead(200, { ...out, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    const relay = translator ? translator.stream(clientWantsUsage, request.requested) : passThroughStream(adapter.protocol, clientWantsUsage);
    await relayEvents(ctx, response, relay, events, upstream.scrubber.stream());
  } else if (translator) {
    // A translated answer is one JSON document: read it whole (a non-streamed completion), map it, send it.
    const translated = translator.response(await response.text(), request.requested);
    if (translated.usage) events.onUsage(translated.usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(completionTextChars(Buffer.from(translated.body))));
    const body = upstream.scrubber.text(translated.body);
    ctx.res.writeHead(200, { ...out, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    ctx.res.end(body);
  } else {
    // A JSON answer may echo the key (a debug field, a prompt that quoted it); an image or audio answer is the model's bytes.
    const scrubber = spec.binaryResponse || !upstream.scrubber.active ? undefined : upstream.scrubber;
    await relayBody(ctx, response, events, !spec.binaryResponse, { ...out, 'content-type': contentType }, contentLengthOf(response.headers['content-length']), scrubber);
  }
}

/**
 * Whether a model name can be a response header value as it is. A `*` target sends the client's own
 * string, which may be 1 MiB long or hold control characters (Node refuses those in a header): then
 * the header names the configured entry instead.
 */
function headerSafe(name: string): boolean {
  return name.length <= LOG_TEXT_LIMIT && /^[\x20-\x7e]*$/.test(name);
}

function clientGoneError(): Error {
  const e = new Error('the client went away');
  e.name = 'AbortError';
  return e;
}

function totalTimeoutError(totalMs: number): Error {
  const e = new Error(`total timeout of ${totalMs} ms`);
  e.name = 'TimeoutError';
  return e;
}

/** Client headers a same-protocol Anthropic upstream should see: its version and beta flags. */
function clientProtocolHeaders(ctx: RequestContext, upstreamProtocol: string, clientProtocol: string): Record<string, string> | undefined {
  if (upstreamProtocol !== 'anthropic' || clientProtocol !== 'anthropic') return undefined;
  const out: Record<string, string> = {};
  for (const h of ['anthropic-version', 'anthropic-beta']) {
    const v = ctx.req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

/** 401/403, 429 and 5xx are worth another attempt; other 4xx go back to the client, scrubbed. */
async function checkStatus(response: UpstreamResponse, upstream: Upstream): Promise<void> {
  const status = response.statusCode;
  if (status < 400) return;
  const text = await response.text().catch(() => '');
  if (status === 401 || status === 403) throw new RetryableFailure(Errors.upstreamAuth(upstream.config.name), status);
  if (status >= 500) throw new RetryableFailure(Errors.upstreamFailed(upstream.config.name, status), status);
  if (status === 429) {
    const message = upstream.scrubber.text(upstreamMessage(text) ?? 'The upstream is rate limiting. Retry later.');
    throw new RetryableFailure(new GatewayError(429, 'rate_limit_error', 'upstream_rate_limited', message), status);
  }
  // The client's request is wrong for this model: pass the upstream's explanation on, credentials scrubbed.
  const message = upstream.scrubber.text(upstreamMessage(text) ?? `The upstream rejected the request with HTTP ${status}.`);
  throw new GatewayError(status, 'invalid_request_error', 'upstream_rejected', message);
}

/** Same-protocol SSE: events go through as they are; usage is read on the way (OpenAI's usage-only chunk dropped unless asked for). */
function passThroughStream(protocol: 'openai' | 'anthropic', clientWantsUsage: boolean): StreamRelay {
  const reader = protocol === 'anthropic' ? anthropicStreamUsage() : openAiStreamUsage();
  return {
    push: (event) => {
      const data = eventData(event);
      if (data !== undefined && reader.see(data) && !clientWantsUsage) return [];
      return [event];
    },
    usage: () => reader.usage(),
    // Events the usage reader would ignore pass as they are.
    passesUnchanged: (chunk) => !reader.mayCarryUsage(chunk),
  };
}

/** Streams SSE events as they are framed, through a relay (pass-through or translation). */
async function relayEvents(
  ctx: RequestContext,
  response: UpstreamResponse,
  relay: StreamRelay,
  events: ProxyEvents,
  scrub: ScrubStream,
): Promise<void> {
  const framer = new SseFramer();
  let sawToken = false;
  let reported = false;
  /** Completion text received (and relayed): charged when no usage report comes. */
  let textChars = 0;
  const report = () => {
    if (reported) return;
    reported = true;
    const usage = relay.usage();
    if (usage) events.onUsage(usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(textChars));
  };
  try {
    // All events framed from one upstream chunk leave in one write.
    await response.forEachChunk((upstreamChunk) => {
      // Echoes of the upstream's key go first; a tail that may be the start of one waits for the next chunk.
      const chunk = scrub.push(upstreamChunk);
      if (chunk.length === 0) return undefined;
      if (events.countsCompletionText) textChars += completionTextChars(chunk);
      // Whole events with nothing to read or strip: the upstream's bytes go out as they are.
      if (relay.passesUnchanged?.(chunk) && framer.isWholeEvents(chunk)) {
        if (!sawToken) {
          sawToken = true;
          events.onFirstToken();
        }
        return ctx.res.write(chunk) ? undefined : drained(ctx);
      }
      let out = '';
      for (const event of framer.push(chunk)) {
        for (const frame of relay.push(event)) {
          if (!sawToken) {
            sawToken = true;
            events.onFirstToken();
          }
          out += frame;
        }
      }
      if (out.length > 0 && !ctx.res.write(out)) return drained(ctx);
      return undefined;
    });
    const held = scrub.flush();
    if (held.length > 0) ctx.res.write(framer.push(held).flatMap((event) => relay.push(event)).join(''));
    const rest = framer.flush();
    report();
    ctx.res.end(rest.trim().length > 0 ? relay.push(`${rest}\n\n`).join('') : undefined);
  } catch (e) {
    report();
    failMidStream(ctx, e);
  }
}

/** The upstream's declared body length, when it is one number (so the client gets it too, and no chunked framing). */
function contentLengthOf(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Streams a body through; for JSON, keeps a bounded copy to read its usage once complete. With a
 * declared length, the chunk that completes the body goes out with `end()`: headers, body and end
 * leave in one socket write for the common one-chunk answer, still without waiting for the body.
 *
 * A body to scrub keeps its length too in the common case: the head waits for the first chunk; when
 * that is the whole declared body, it is scrubbed whole and sent with its new length in one `end()`.
 * Only a body that arrives in pieces goes out chunked, through the stream scrubber.
 */
async function relayBody(
  ctx: RequestContext,
  response: UpstreamResponse,
  events: ProxyEvents,
  readUsage: boolean,
  head: Record<string, string>,
  declared: number | undefined,
  scrubber: Scrubber | undefined,
): Promise<void> {
  const scan = readUsage ? new UsageScan(events.countsCompletionText) : undefined;
  let scrub: ScrubStream | undefined;
  /** The length the client is told, when it is known before the body is relayed. */
  let length: number | undefined;
  let headSent = false;
  const sendHead = (chunked: boolean): void => {
    headSent = true;
    length = chunked ? undefined : declared;
    ctx.res.writeHead(200, length === undefined ? head : { ...head, 'content-length': length });
  };
  // Nothing to scrub, or no declared length to keep: the head goes out now.
  if (!scrubber || declared === undefined) {
    scrub = scrubber?.stream();
    sendHead(scrubber !== undefined);
  }
  let received = 0;
  let ended = false;
  try {
    await response.forEachChunk((upstreamChunk) => {
      if (!headSent) {
        if (upstreamChunk.length === declared) {
          // The whole body in one chunk (the common case): scrubbed whole, its own length, one write.
          const body = scrubber!.buffer(upstreamChunk);
          scan?.push(body);
          headSent = true;
          ended = true;
          ctx.res.writeHead(200, { ...head, 'content-length': body.length });
          ctx.res.end(body);
          return undefined;
        }
        scrub = scrubber!.stream();
        sendHead(true);
      }
      const buf = scrub ? scrub.push(upstreamChunk) : upstreamChunk;
      if (buf.length === 0) return undefined;
      received += buf.length;
      scan?.push(buf);
      if (received === length) {
        ended = true;
        ctx.res.end(buf);
        return undefined;
      }
      return ctx.res.write(buf) ? undefined : drained(ctx);
    });
    if (!headSent) sendHead(declared !== 0);
    if (!ended) {
      const held = scrub?.flush();
      if (held && held.length > 0) scan?.push(held);
      ctx.res.end(held && held.length > 0 ? held : undefined);
    }
  } catch (e) {
    failMidStream(ctx, e);
    // Whatever was relayed before the break is charged.
    if (scan && events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(scan.textChars()));
    return;
  }
  if (!scan) return;
  const usage = scan.usage();
  if (usage) events.onUsage(usage);
  else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(scan.textChars()));
}

/**
 * The usage of a JSON answer relayed in chunks. Up to USAGE_SCAN_LIMIT the whole body is kept and its
 * top-level `usage` read exactly; past it, only the last USAGE_TAIL_BYTES are kept, where every
 * provider writes `usage` (it is the last member of OpenAI's, Anthropic's, images' and embeddings'
 * answers), and the completion text is counted as it passes, in case there is none.
 */
class UsageScan {
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private overflowed = false;
  private chars = 0;

  /** `countsText`: whether textChars() will be asked for; if not, no byte is scanned for text. */
  public constructor(private readonly countsText: boolean) {}

  public push(buf: Buffer): void {
    this.kept.push(buf);
    this.keptBytes += buf.length;
    if (!this.overflowed && this.keptBytes <= USAGE_SCAN_LIMIT) return;
    if (!this.overflowed) {
      this.overflowed = true;
      if (this.countsText) for (const b of this.kept) this.chars += completionTextChars(b);
    } else if (this.countsText) {
      this.chars += completionTextChars(buf);
    }
    // Keep the tail only.
    while (this.kept.length > 1 && this.keptBytes - this.kept[0].length >= USAGE_TAIL_BYTES) this.keptBytes -= this.kept.shift()!.length;
  }

  public usage(): Usage | undefined {
    const text = (this.kept.length === 1 ? this.kept[0] : Buffer.concat(this.kept)).toString('utf8');
    if (!this.overflowed) return usageOfJson(text);
    const at = text.lastIndexOf('"usage"');
    return at < 0 ? undefined : usageOfJson(`{${text.slice(at)}`);
  }

  public textChars(): number {
    if (this.overflowed || !this.countsText) return this.chars;
    let chars = 0;
    for (const b of this.kept) chars += completionTextChars(b);
    return chars;
  }
}

function failMidStream(ctx: RequestContext, e: unknown): void {
  // Headers are out: the only honest signal left is to break the connection, not to end it cleanly.
  // The error is a code from a fixed list (it becomes a metric label); the detail goes to the log line only.
  ctx.record.error = ctx.cancellation.cancelled ? 'client_aborted' : 'upstream_stream_failed';
  if (!ctx.cancellation.cancelled) ctx.record.errorDetail = boundedForLog((e as Error).message ?? String(e));
  ctx.res.destroy();
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


function upstreamMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

function transportError(upstream: Upstream, e: unknown, firstByteMs: number, totalMs: number, clientGone: boolean): GatewayError {
  const err = e as { code?: string; message?: string; name?: string };
  const name = upstream.config.name;
  if (err.code === 'UND_ERR_CONNECT_TIMEOUT') return Errors.upstreamTimeout(name, 'connect', upstream.config.timeouts.connectMs);
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT') return Errors.upstreamTimeout(name, 'first byte', firstByteMs);
  if (err.code === 'UND_ERR_BODY_TIMEOUT' || (!clientGone && (err.name === 'TimeoutError' || err.name === 'AbortError'))) return Errors.upstreamTimeout(name, 'total', totalMs);
  return Errors.upstreamUnreachable(name, err.code ?? err.name ?? 'error');
}

/** The attempt's own deadlines (total, first byte, body silence), as opposed to the connection failing. */
function isTimeout(e: unknown): boolean {
  const err = e as { code?: string; name?: string };
  return err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

