import type { IncomingHttpHeaders, IncomingMessage } from 'http';
import { Readable, type Transform } from 'stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'zlib';
import type { Dispatcher } from 'undici';
import { chargesAgent } from './agents/native-answer';
import { nativeReading, type NativeReading, settleNativeAnswer } from './agents/native-relay';
import type { NativeAgentRequest } from './agents/native-request';
import { withGatewayUser } from './agents/native-upload';
import { drained } from './backpressure';
import { callWithDeadlines, isTimeout, transportError } from './bounded-call';
import { ClientBody } from './client-body';
import type { CompiledAgentRoute } from './compile/snapshot';
import { Errors, GatewayError } from './errors';
import { responseHooksOf, runResponseHooks } from './extensions/response';
import { requestDecoding } from './inflow/content-encoding';
import { failMidStream } from './model/mid-stream';
import type { ProxyEvents } from './model-proxy';
import type { RequestContext } from './request-context';
import { backoffDelayMs, type CircuitBreaker, sleep } from './resilience';
import type { Scrubber } from './scrub';
import { GATEWAY_CONFIG_DEFAULTS } from '../specs';
import type { UpstreamResponse } from './upstream-call';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway sets itself: never copied in either direction.
 * `expect` too: the gateway answered the client's 100-continue itself, and undici refuses to send the header.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'expect'];
/** undici refusing the request itself (an argument or feature it does not take): the gateway's fault, never the agent's. */
const REFUSED_BY_CLIENT_LIBRARY = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);
/**
 * The client's credentials for the gateway: never forwarded, the agent gets the route's own key.
 * `accept-encoding` is replaced by `identity`: the answer must be readable to be scrubbed.
 * `content-encoding`: every body the gateway forwards it read decompressed (inflow/), and sends as it read it
 * (its length is undici's to set, content-length being hop-by-hop here).
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'authorization', 'x-api-key', 'api-key', 'cookie', 'proxy-authorization', 'accept-encoding', 'content-encoding']);
/** Dropped from the agent's answer: the body may be scrubbed (its length changes) or decoded. */
const NOT_RELAYED = new Set([...HOP_BY_HOP, 'content-encoding']);
const DECODERS: Record<string, () => Transform> = { 'gzip': createGunzip, 'x-gzip': createGunzip, 'deflate': createInflate, 'br': createBrotliDecompress };
/** What the agent's breaker counts as its failure when the agent answers: as for model backends, 429 and 5xx. */
const failed = (status: number) => status === 429 || status >= 500;
/**
 * The methods an agent call may be sent again with, when it carries no body: they read, start nothing, and
 * nothing of the client's is lost by resending. A POST (a run, an upload) is never sent twice. A DELETE (Dify's
 * conversation delete) is idempotent in HTTP terms but kept to one attempt: a retry after a delete that went
 * through unseen would answer 404 and hide that it succeeded.
 */
const RESENT_METHODS = new Set<string>(['GET', 'HEAD', 'OPTIONS']);
/** A native agent call is retried as a model attempt is, with the one policy the config contract states (a model backend's default). */
const AGENT_RETRIES = GATEWAY_CONFIG_DEFAULTS.retries;

/** How far the client's body got: a fault there (413, 408, 499, 400) is the client's, never the agent's. */
interface BodyProgress {
  bytes: number;
  fault?: GatewayError;
  /** The client's body, while the agent waits on it (a deadline that passes then is the client's). */
  source?: ClientBody;
}

/**
 * An agent route: the request goes to the agent's API on the same upstream call, deadlines, breaker and
 * retries as a model attempt; retried only when it reads and has no body (RESENT_METHODS): a request that
 * starts a run is not sent twice. A custom agent's
 * request and answer stream through unbuffered; a Dify or Model Studio request was read by the read
 * stage (ctx.agentRequest), and its answer is read as it is relayed (usage, the agent's own errors).
 */
export async function proxyAgentRequest(ctx: RequestContext, route: CompiledAgentRoute, events: ProxyEvents): Promise<void> {
  const native = ctx.agentRequest;
  const declared = declaredLength(ctx.req.headers);
  if (native?.body === undefined && declared !== undefined && declared > route.maxBodyBytes) throw Errors.tooLarge(route.maxBodyBytes);
  // A body in a coding the gateway does not decode is refused (415) here, before the breaker counts an attempt.
  if (native?.body === undefined && carriesBody(ctx.req)) requestDecoding(ctx.req.headers);
  // Built from the route's base URL and the checked path only: nothing of the request line names the upstream.
  const path = `${route.upstream.basePath}${native ? native.target : `${route.paths.upstreamPath(ctx.path)}${ctx.query}`}`;
  ctx.record.backend = route.upstream.config.name;
  const breaker = route.upstream.breaker;
  if (!breaker.allow()) throw Errors.agentCircuitOpen(route.name);

  const method = native ? native.method : ((ctx.req.method ?? 'GET') as Dispatcher.HttpMethod);
  // A native JSON body was read whole by the read stage; an upload, and a custom agent's body, stream from the client.
  // An OPTIONS that declares no body has none (RFC 9112 §6.3): sent without one, it may be sent again.
  // A custom agent's body the WAF read (read stage) goes from memory.
  const inspected = ctx.inspectedBody;
  const streamed = native ? native.upload !== undefined : inspected === undefined && method !== 'GET' && method !== 'HEAD' && !(method === 'OPTIONS' && !carriesBody(ctx.req));
  const source = streamed ? new ClientBody(ctx.req, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth, route.maxBodyBytes) : undefined;
  const progress: BodyProgress = { bytes: 0, source };
  // Headers extensions set in onRequest go too (never credentials or framing: extensions/request.ts); the route's own win.
  const forwarded = forwardedHeaders(ctx.req.headers);
  // Client headers an extension removed in onRequest are not forwarded.
  const removed = ctx.extensions?.removedHeaders;
  if (removed) for (const name of removed) delete forwarded[name];
  const headers: Record<string, string> = { ...forwarded, ...ctx.extensions?.upstreamHeaders, ...route.upstream.headers, 'accept-encoding': 'identity' };
  let body: Readable | Buffer | undefined;
  if (native?.body) {
    body = native.body;
    headers['content-type'] = 'application/json';
  } else if (inspected) {
    body = inspected;
  } else if (source) {
    const chunks = limitedBody(ctx, source, route.maxBodyBytes, progress);
    // A Dify upload: its `user` form field is the gateway's (native-upload.ts).
    const contentType = ctx.req.headers['content-type'] ?? '';
    const upload = native?.upload && withGatewayUser(chunks, contentType, { maxBytes: route.maxBodyBytes }, native.upload);
    body = Readable.from(upload ? faultsOf(upload, progress) : chunks);
  }
  try {
    await exchange(ctx, route, { path, method, headers, body }, progress, events, native);
  } finally {
    // No stall timer or body listener outlives the request, however it ended.
    source?.stop();
  }
}

/** What goes to the agent. */
interface AgentCall {
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string>;
  readonly body: Readable | Buffer | undefined;
}

/**
 * Sends the request to the agent, tells its breaker the outcome, and relays the answer: a request that may be
 * resent (RESENT_METHODS, no body) goes again after a connection error, a timeout before the answer's head or a
 * status the retry policy names, with backoff and jitter, while the breaker lets it and the client is there.
 * Once it may not go again, the last answer is relayed as the agent gave it (its own error shape), or the last
 * transport failure is the gateway's error.
 */
async function exchange(
  ctx: RequestContext,
  route: CompiledAgentRoute,
  agentCall: AgentCall,
  progress: BodyProgress,
  events: ProxyEvents,
  native: NativeAgentRequest | undefined,
): Promise<void> {
  const resent = RESENT_METHODS.has(agentCall.method) && agentCall.body === undefined;
  const attempts = resent ? AGENT_RETRIES.attempts : 0;
  for (let retry = 0; ; retry++) {
    const retryOn = retry < attempts ? AGENT_RETRIES.onStatus : undefined;
    if ((await attempt(ctx, route, agentCall, progress, events, native, retryOn)) === 'answered') return;
    ctx.record.retries = (ctx.record.retries ?? 0) + 1;
    await sleep(backoffDelayMs(retry, AGENT_RETRIES.backoffBaseMs), ctx.cancellation.signal);
    // The client left during the backoff: the agent's failures were charged, its leaving never is.
    if (ctx.cancellation.cancelled) {
      route.upstream.breaker.abandon();
      throw Errors.clientGone();
    }
  }
}

/**
 * One call to the agent. `retryOn`: this attempt may be followed by another (undefined: it is the last), after
 * a transport failure or one of these statuses; `again` then means the breaker let the next attempt in.
 */
async function attempt(
  ctx: RequestContext,
  route: CompiledAgentRoute,
  agentCall: AgentCall,
  progress: BodyProgress,
  events: ProxyEvents,
  native: NativeAgentRequest | undefined,
  retryOn: readonly number[] | undefined,
): Promise<'answered' | 'again'> {
  const upstream = route.upstream;
  const breaker = upstream.breaker;
  const method = agentCall.method;
  events.onDispatch();
  const options = { ...agentCall, headersTimeoutMs: route.firstByteMs, bodyTimeoutMs: route.totalMs };
  const call = callWithDeadlines(ctx, upstream.pool, options, route.totalMs);
  try {
    let response: UpstreamResponse;
    try {
      response = await call.response;
    } catch (e) {
      // The client's doing (its body's fault, or gone) says nothing about the agent: its circuit is not charged.
      const fault = clientFault(ctx, progress, e, route);
      if (fault) {
        breaker.abandon();
        throw fault;
      }
      if (REFUSED_BY_CLIENT_LIBRARY.has((e as { code?: string }).code ?? '')) {
        // Nothing was sent: the agent did nothing wrong, so its circuit is not charged; the request was ours to fix.
        breaker.abandon();
        throw Errors.internal();
      }
      breaker.failure();
      if (retryOn && goesAgain(ctx, breaker)) return 'again';
      throw transportError(upstream, e, route.firstByteMs, route.totalMs, false);
    }
    // The agent's own answer is read as it passes; an error status's body is relayed as it is (no usage to read).
    const read = native && response.statusCode >= 200 && response.statusCode < 300 ? nativeReading(native, response.headers) : undefined;
    if (failed(response.statusCode) || response.statusCode === 401 || response.statusCode === 403) {
      breaker.failure();
      // Nobody sees this answer: it is not read (a large or stalled body would hold the retry); call.end() aborts it.
      if (retryOn?.includes(response.statusCode) && goesAgain(ctx, breaker)) return 'again';
    } else if (!read) {
      breaker.success();
    }
    try {
      await answer(ctx, upstream, response, method, events, read);
    } finally {
      // A 200 that is read may still carry the agent's own error (its `error` event, a failed workflow): the
      // breaker hears once the answer is read, of the status the agent reported.
      if (read) {
        const failure = read.reader.failure;
        if (failure && chargesAgent(failure.status)) breaker.failure();
        else breaker.success();
      }
    }
    return 'answered';
  } finally {
    call.end();
  }
}

/** Whether a failed attempt is followed by another: the client is still there and the breaker lets it in (a half-open trial slot taken). */
function goesAgain(ctx: RequestContext, breaker: CircuitBreaker): boolean {
  return !ctx.cancellation.cancelled && breaker.allow();
}

/** The agent answered: its status checked, its body relayed (decoded, scrubbed, read on the way when `read`). */
async function answer(
  ctx: RequestContext,
  upstream: CompiledAgentRoute['upstream'],
  response: UpstreamResponse,
  method: Dispatcher.HttpMethod,
  events: ProxyEvents,
  read: NativeReading | undefined,
): Promise<void> {
  if (response.statusCode === 401 || response.statusCode === 403) {
    await response.text().catch(() => '');
    throw Errors.upstreamAuth(upstream.config.name);
  }
  // HEAD, 204 and 304 have no body whatever their Content-Encoding says: nothing to decode (a decoder
  // would fail on the empty stream and break the client's connection).
  const bodiless = method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304;
  const encoding = bodiless ? 'identity' : String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder = encoding === 'identity' || encoding === '' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && encoding !== '' && !decoder) {
    await response.text().catch(() => '');
    throw Errors.upstreamEncoding(upstream.config.name, encoding);
  }
  events.onFirstByte();
  const relayed = relayedHeaders(response.headers, upstream.scrubber);
  const hooks = responseHooksOf(ctx);
  if (hooks) {
    // onResponse sees the agent's status and headers (the body streams through: its events are not hooked on native routes).
    const single: Record<string, string> = {};
    for (const name in relayed) if (typeof relayed[name] === 'string') single[name] = relayed[name];
    const streamed = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    const hooked = await runResponseHooks(hooks, response.statusCode, single, undefined, streamed);
    const lists: Record<string, string[]> = {};
    for (const name in relayed) if (Array.isArray(relayed[name])) lists[name] = relayed[name];
    ctx.res.writeHead(hooked.status, { ...lists, ...hooked.headers });
  } else {
    ctx.res.writeHead(response.statusCode, relayed);
  }
  try {
    await relay(ctx, response, decoder?.(), upstream.scrubber, events, read);
  } finally {
    const native = ctx.agentRequest;
    if (native && read) settleNativeAnswer(ctx, native, read.reader, events);
  }
}

/**
 * The agent's answer, decoded if compressed, scrubbed of its key, streamed as it arrives with the
 * client's backpressure; `read` sees it on the way (SSE events whole, a JSON answer once complete). A
 * break after the head went out is recorded and breaks the connection.
 */
async function relay(
  ctx: RequestContext,
  response: UpstreamResponse,
  decoder: Transform | undefined,
  scrubber: Scrubber,
  events: ProxyEvents,
  read: NativeReading | undefined,
): Promise<void> {
  const scrub = scrubber.stream();
  let first = true;
  const send = (bytes: Buffer): void | Promise<void> => {
    if (bytes.length === 0) return undefined;
    if (first) {
      first = false;
      events.onFirstToken();
    }
    return ctx.res.write(bytes) ? undefined : drained(ctx);
  };
  // The key is scrubbed before the answer is read: what the reader keeps (the agent's error message, for the
  // access line) never holds it. Rewritten events (DashScope's re-accumulation) join pieces of text that may
  // have split a key between them: what they send is scrubbed once more.
  const rescrub = read?.reader.rewrites ? scrubber.stream() : undefined;
  const sent = (bytes: Buffer): Buffer => (rescrub ? rescrub.push(bytes) : bytes);
  const onChunk = read ? (chunk: Buffer) => send(sent(read.see(scrub.push(chunk)))) : (chunk: Buffer) => send(scrub.push(chunk));
  try {
    if (decoder) await relayDecoded(response, decoder, onChunk);
    else await response.forEachChunk(onChunk);
    const held = scrub.flush();
    if (read) {
      if (held.length > 0) await send(sent(read.see(held)));
      const rest = read.end();
      if (rest) await send(sent(rest));
      if (rescrub) await send(rescrub.flush());
    } else {
      await send(held);
    }
    ctx.res.end();
  } catch (e) {
    failMidStream(ctx, e);
  }
}

/** A compressed answer: the upstream's chunks into the decoder, its output to `sink`, backpressure both ways. */
async function relayDecoded(response: UpstreamResponse, decoder: Transform, sink: (chunk: Buffer) => void | Promise<void>): Promise<void> {
  const fed = response
    .forEachChunk((chunk) => {
      // A decoder that failed takes no more: stop reading the upstream (forEachChunk aborts it).
      if (decoder.destroyed) throw new Error('the decoder stopped');
      return decoder.write(chunk) ? undefined : writable(decoder);
    })
    .then(
      () => void decoder.end(),
      (e: Error) => void decoder.destroy(e),
    );
  try {
    for await (const chunk of decoder as AsyncIterable<Buffer>) await sink(chunk);
  } catch (e) {
    // A corrupt stream (or a client gone): stop reading the upstream too.
    response.abort(e as Error);
    throw e;
  } finally {
    await fed;
  }
}

/** Resolves when the decoder takes more, or when it is gone (then the next chunk stops the reading). */
function writable(decoder: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      decoder.off('drain', done);
      decoder.off('close', done);
      resolve();
    };
    decoder.once('drain', done);
    decoder.once('close', done);
  });
}

/** The client's headers an agent may see: no hop-by-hop headers, none the Connection header names, no credentials. */
function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((h) => h.trim()) : [];
  const out: Record<string, string> = {};
  // HTTP/2's pseudo-headers (`:path`, `:authority`…) describe this hop's request, as Host does.
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string' && k.charCodeAt(0) !== 58 /* ':' */ && !NOT_FORWARDED.has(k) && !named.includes(k)) out[k] = v;
  return out;
}

function relayedHeaders(headers: IncomingHttpHeaders, scrubber: Scrubber): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || NOT_RELAYED.has(k)) continue;
    out[k] = typeof v === 'string' ? scrubber.text(v) : v.map((x) => scrubber.text(x));
  }
  return out;
}

/**
 * The request body, streamed to the agent: 413 past the route's limit, 408 when it stalls
 * (limits.bodyTimeoutMs), 499 when the client goes away, 400 when it ends short.
 */
async function* limitedBody(ctx: RequestContext, source: ClientBody, limit: number, progress: BodyProgress): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) {
      progress.bytes += chunk.length;
      if (progress.bytes > limit) throw source.encoding ? Errors.tooLargeDecoded(limit, source.encoding) : Errors.tooLarge(limit);
      yield chunk;
    }
    if (!ctx.req.complete) throw Errors.bodyIncomplete();
  } catch (e) {
    progress.fault ??= e instanceof GatewayError ? e : Errors.clientGone();
    throw e;
  }
}

/** An upload's rewriting (multipart/form-data): a fault it finds in the client's body is the client's. */
async function* faultsOf(body: AsyncIterable<Buffer>, progress: BodyProgress): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (e) {
    progress.fault ??= e instanceof GatewayError ? e : Errors.clientGone();
    throw e;
  }
}

/**
 * A failed upstream call that was the client's doing: its body's fault, the client gone, or the total
 * time running out while the agent was still waiting for the client's next bytes (a slow, steady upload).
 */
function clientFault(ctx: RequestContext, progress: BodyProgress, e: unknown, route: CompiledAgentRoute): GatewayError | undefined {
  const gone = ctx.cancellation.cancelled || ctx.res.destroyed || ctx.req.socket.destroyed;
  // Nobody is left to read a 413 or 400: the outcome is the client's leaving.
  if (gone && progress.fault?.status !== 413 && progress.fault?.status !== 408) return Errors.clientGone();
  if (progress.fault) return progress.fault;
  if (progress.source?.awaitingClient && isTimeout(e)) return Errors.bodyTooSlow(route.totalMs, `agent route '${route.name}' timeouts.totalMs`);
  return undefined;
}

/** Whether the request has a body at all: a length above zero, or a chunked one. */
/** Whether a request has a body (RFC 9112 §6.3): chunked, or a Content-Length above 0. */
export function carriesBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  if (headers['transfer-encoding'] !== undefined || (declaredLength(headers) ?? 0) > 0) return true;
  // HTTP/2 frames a body without either header: the request's HEADERS frame says whether one follows (END_STREAM).
  if (req.httpVersionMajor !== 2 || declaredLength(headers) !== undefined) return false;
  return !(req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders;
}

function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const n = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
