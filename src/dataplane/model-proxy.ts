import { tmpdir } from 'os';
import { Readable } from 'stream';
import { authorize } from './auth';
import { parseJsonObject, readBody } from './body';
import type { CompiledModel, CompiledModelRoute } from './compile/snapshot';
import { ENDPOINTS, type Endpoint } from './endpoints';
import { Errors, GatewayError } from './errors';
import { isMultipartFormData, prepareMultipart, type PreparedMultipart } from './multipart';
import type { RequestContext } from './request-context';
import { backoffDelayMs, sleep } from './resilience';
import { eventData, SseFramer } from './sse';
import { type StreamRelay, translatorFor } from './translators';
import type { Upstream } from './upstream';
import { callUpstream, type UpstreamResponse } from './upstream-call';
import { anthropicStreamUsage, openAiStreamUsage, type Usage, usageOfJson } from './usage';

export type { Usage };

/** Largest non-streamed response body kept aside to read its usage; larger ones stream through unread. */
const USAGE_SCAN_LIMIT = 1024 * 1024;

/** Hooks the pipeline gives the proxy: when headers go out (overhead), the first token, usage. */
export interface ProxyEvents {
  /** The upstream request is about to be sent: what came before is the gateway's own time. */
  onDispatch(): void;
  onFirstByte(): void;
  onFirstToken(): void;
  onUsage(usage: Usage): void;
}

interface Attempt {
  readonly model: CompiledModel;
  readonly upstream: Upstream;
  readonly servedModel: string;
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
  const raw = await readBody(ctx.req, route.maxBodyBytes);
  const body = parseJsonObject(raw);
  const requested = body.model;
  if (typeof requested !== 'string' || requested === '') throw Errors.badRequest("'model' is required: a string naming the model.", 'model');
  ctx.record.requestedModel = requested;
  const model = route.models.match(requested);
  if (!model) throw Errors.noModel(requested, route.name);
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
  const prepared = await prepareMultipart(ctx.req, contentType, {
    maxBytes: route.maxBodyBytes,
    spoolDir: tmpdir(),
    ...(Number.isFinite(declared) && { contentLength: declared }),
  });
  ctx.res.once('close', () => void prepared.cleanup());
  const requested = prepared.model;
  if (!requested) throw Errors.badRequest("'model' is required: a form field naming the model.", 'model');
  ctx.record.requestedModel = requested;
  const model = route.models.match(requested);
  if (!model) throw Errors.noModel(requested, route.name);
  return { endpoint, body: prepared.fields, multipart: prepared, requested, model, stream: false, clientWantsUsage: false };
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
  return { model, upstream: target.upstream, servedModel: target.model.includes('*') ? requested : target.model };
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
  ctx.record.servedModel = servedModel;
  ctx.record.backend = upstream.config.name;
  ctx.record.provider = upstream.config.provider;

  let payload: string | Buffer | Readable;
  const contentHeaders: Record<string, string> = { 'content-type': 'application/json' };
  if (request.multipart) {
    const rewritten = request.multipart.rewrite(servedModel);
    payload = Readable.from(rewritten.body);
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
  const out: Record<string, string> = { 'x-aigw-served-model': servedModel };
  if (stream && contentType.startsWith('text/event-stream')) {
    ctx.res.writeHead(200, { ...out, 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    const relay = translator ? translator.stream(clientWantsUsage, request.requested) : passThroughStream(adapter.protocol, clientWantsUsage);
    await relayEvents(ctx, response, relay, events);
  } else if (translator) {
    // A translated answer is one JSON document: read it whole (a non-streamed completion), map it, send it.
    const translated = translator.response(await response.text(), request.requested);
    if (translated.usage) events.onUsage(translated.usage);
    ctx.res.writeHead(200, { ...out, 'content-type': 'application/json', 'content-length': Buffer.byteLength(translated.body) });
    ctx.res.end(translated.body);
  } else {
    const length = contentLengthOf(response.headers['content-length']);
    ctx.res.writeHead(200, length === undefined ? { ...out, 'content-type': contentType } : { ...out, 'content-type': contentType, 'content-length': length });
    await relayBody(ctx, response, events, !spec.binaryResponse, length);
  }
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
    const message = scrub(upstreamMessage(text) ?? 'The upstream is rate limiting. Retry later.', upstream);
    throw new RetryableFailure(new GatewayError(429, 'rate_limit_error', 'upstream_rate_limited', message), status);
  }
  // The client's request is wrong for this model: pass the upstream's explanation on, credentials scrubbed.
  const message = scrub(upstreamMessage(text) ?? `The upstream rejected the request with HTTP ${status}.`, upstream);
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
async function relayEvents(ctx: RequestContext, response: UpstreamResponse, relay: StreamRelay, events: ProxyEvents): Promise<void> {
  const framer = new SseFramer();
  let sawToken = false;
  let reported = false;
  const report = () => {
    const usage = relay.usage();
    if (usage && !reported) {
      reported = true;
      events.onUsage(usage);
    }
  };
  try {
    // All events framed from one upstream chunk leave in one write.
    await response.forEachChunk((chunk) => {
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
 */
async function relayBody(
  ctx: RequestContext,
  response: UpstreamResponse,
  events: ProxyEvents,
  readUsage: boolean,
  length: number | undefined,
): Promise<void> {
  const kept: Buffer[] = [];
  let keptBytes = readUsage ? 0 : Infinity;
  let received = 0;
  let ended = false;
  try {
    await response.forEachChunk((buf) => {
      received += buf.length;
      if (keptBytes + buf.length <= USAGE_SCAN_LIMIT) {
        kept.push(buf);
        keptBytes += buf.length;
      } else {
        keptBytes = Infinity;
      }
      if (received === length) {
        ended = true;
        ctx.res.end(buf);
        return undefined;
      }
      return ctx.res.write(buf) ? undefined : drained(ctx);
    });
    if (!ended) ctx.res.end();
  } catch (e) {
    failMidStream(ctx, e);
    return;
  }
  if (keptBytes !== Infinity) {
    const usage = usageOfJson((kept.length === 1 ? kept[0] : Buffer.concat(kept)).toString('utf8'));
    if (usage) events.onUsage(usage);
  }
}

function failMidStream(ctx: RequestContext, e: unknown): void {
  // Headers are out: the only honest signal left is to break the connection, not to end it cleanly.
  ctx.record.error = ctx.cancellation.cancelled ? 'client_aborted' : `upstream_stream_failed: ${(e as Error).message}`;
  ctx.res.destroy();
}

/** Resolves when the client can take more, or at once when it never will (its response is gone). */
function drained(ctx: RequestContext): Promise<void> {
  if (ctx.res.destroyed || ctx.res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      ctx.res.off('drain', done);
      ctx.res.off('close', done);
      resolve();
    };
    ctx.res.once('drain', done);
    ctx.res.once('close', done);
  });
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

/** An upstream may echo the key it was sent; nothing of it reaches the client. */
function scrub(text: string, upstream: Upstream): string {
  const secret = upstream.secret;
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

function transportError(upstream: Upstream, e: unknown, firstByteMs: number, totalMs: number, clientGone: boolean): GatewayError {
  const err = e as { code?: string; message?: string; name?: string };
  const name = upstream.config.name;
  if (err.code === 'UND_ERR_CONNECT_TIMEOUT') return Errors.upstreamTimeout(name, 'connect', upstream.config.timeouts.connectMs);
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT') return Errors.upstreamTimeout(name, 'first byte', firstByteMs);
  if (err.code === 'UND_ERR_BODY_TIMEOUT' || (!clientGone && (err.name === 'TimeoutError' || err.name === 'AbortError'))) return Errors.upstreamTimeout(name, 'total', totalMs);
  return Errors.upstreamUnreachable(name, err.code ?? err.name ?? 'error');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

