import type { IncomingHttpHeaders } from 'http';
import { pipeline, Readable, type Transform } from 'stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'zlib';
import type { Dispatcher } from 'undici';
import { drained } from './backpressure';
import { DEFAULT_BODY_TIMEOUT_MS } from './body';
import { ClientBody } from './client-body';
import type { CompiledAgentRoute } from './compile/snapshot';
import { Errors, GatewayError } from './errors';
import type { ProxyEvents } from './model-proxy';
import type { RequestContext } from './request-context';
import type { Scrubber } from './scrub';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and what the gateway sets itself: never copied in either direction. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length'];
/**
 * The client's credentials for the gateway: never forwarded, the agent gets the route's own key.
 * `accept-encoding` is replaced by `identity`: the answer must be readable to be scrubbed.
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'authorization', 'x-api-key', 'api-key', 'cookie', 'proxy-authorization', 'accept-encoding']);
/** Dropped from the agent's answer: the body may be scrubbed (its length changes) or decoded. */
const NOT_RELAYED = new Set([...HOP_BY_HOP, 'content-encoding']);
const DECODERS: Record<string, () => Transform> = { 'gzip': createGunzip, 'x-gzip': createGunzip, 'deflate': createInflate, 'br': createBrotliDecompress };

/** How far the client's body got: a fault there (413, 408, 499, 400) is the client's, never the agent's. */
interface BodyProgress {
  bytes: number;
  fault?: GatewayError;
}

/** An agent route: the request streams through to the agent's API, body and response unbuffered. */
export async function proxyAgentRequest(ctx: RequestContext, route: CompiledAgentRoute, events: ProxyEvents): Promise<void> {
  const declared = declaredLength(ctx.req.headers);
  if (declared !== undefined && declared > route.maxBodyBytes) throw Errors.tooLarge(route.maxBodyBytes);
  // Built from the route's base URL and the checked path only: nothing of the request line names the upstream.
  const path = `${route.upstream.basePath}${route.paths.upstreamPath(ctx.path)}${ctx.query}`;
  ctx.record.backend = route.upstream.config.name;

  const progress: BodyProgress = { bytes: 0 };
  const method = ctx.req.method ?? 'GET';
  const source = method === 'GET' || method === 'HEAD' ? undefined : new ClientBody(ctx.req, ctx.snapshot.config.limits.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
  const body = source && Readable.from(limitedBody(ctx, source, route.maxBodyBytes, progress));
  try {
    await exchange(ctx, route, path, method, body, progress, events);
  } finally {
    // No stall timer or body listener outlives the request, however it ended.
    source?.stop();
  }
}

/** Sends the request to the agent and relays its answer. */
async function exchange(
  ctx: RequestContext,
  route: CompiledAgentRoute,
  path: string,
  method: string,
  body: Readable | undefined,
  progress: BodyProgress,
  events: ProxyEvents,
): Promise<void> {
  const upstream = route.upstream;
  let response: Dispatcher.ResponseData;
  events.onDispatch();
  try {
    response = await upstream.pool.request({
      path,
      method: method as Dispatcher.HttpMethod,
      headers: { ...forwardedHeaders(ctx.req.headers), ...upstream.headers, 'accept-encoding': 'identity' },
      body,
      signal: ctx.cancellation.signal,
    });
  } catch (e) {
    // Agent routes have no circuit breaker, so nothing shared is charged; a client fault is named as the client's.
    throw clientFault(ctx, progress) ?? transportError(upstream.config.name, e, upstream.config.timeouts.firstByteMs);
  }
  if (response.statusCode === 401 || response.statusCode === 403) {
    await response.body.dump();
    throw Errors.upstreamAuth(upstream.config.name);
  }
  // HEAD, 204 and 304 have no body whatever their Content-Encoding says: nothing to decode (a decoder
  // would fail on the empty stream and break the client's connection).
  const bodiless = method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304;
  const encoding = bodiless ? 'identity' : String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const decoder = encoding === 'identity' || encoding === '' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && encoding !== '' && !decoder) {
    await response.body.dump();
    throw Errors.upstreamEncoding(upstream.config.name, encoding);
  }
  events.onFirstByte();
  ctx.res.writeHead(response.statusCode, relayedHeaders(response.headers, route.upstream.scrubber));
  await relay(ctx, decoder ? decoded(response.body, decoder()) : response.body, route.upstream.scrubber, events);
}

/** The agent's answer, scrubbed of its key, streamed as it arrives. */
async function relay(ctx: RequestContext, source: AsyncIterable<Buffer>, scrubber: Scrubber, events: ProxyEvents): Promise<void> {
  const scrub = scrubber.stream();
  let first = true;
  const send = async (bytes: Buffer) => {
    if (bytes.length === 0) return;
    if (first) {
      first = false;
      events.onFirstToken();
    }
    if (!ctx.res.write(bytes)) await drained(ctx);
  };
  try {
    for await (const chunk of source) await send(scrub.push(chunk));
    await send(scrub.flush());
    ctx.res.end();
  } catch {
    // Headers are out: breaking the connection is the only honest signal left.
    ctx.res.destroy();
  }
}

/** A compressed answer, decoded so it can be scrubbed; an error on either side ends the iteration. */
function decoded(body: Readable, decoder: Transform): AsyncIterable<Buffer> {
  pipeline(body, decoder, () => undefined);
  return decoder;
}

/** The client's headers an agent may see: no hop-by-hop headers, none the Connection header names, no credentials. */
function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((h) => h.trim()) : [];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string' && !NOT_FORWARDED.has(k) && !named.includes(k)) out[k] = v;
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
      if (progress.bytes > limit) throw Errors.tooLarge(limit);
      yield chunk;
    }
    if (!ctx.req.complete) throw Errors.bodyIncomplete();
  } catch (e) {
    progress.fault ??= e instanceof GatewayError ? e : Errors.clientGone();
    throw e;
  }
}

/** A failed upstream call that was the client's doing: its body's fault, or the client gone. */
function clientFault(ctx: RequestContext, progress: BodyProgress): GatewayError | undefined {
  const gone = ctx.cancellation.cancelled || ctx.res.destroyed || ctx.req.socket.destroyed;
  // Nobody is left to read a 413 or 400: the outcome is the client's leaving.
  if (gone && progress.fault?.status !== 413 && progress.fault?.status !== 408) return Errors.clientGone();
  return progress.fault;
}

function transportError(backend: string, e: unknown, firstByteMs: number): GatewayError {
  const code = (e as { code?: string }).code ?? 'error';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return Errors.upstreamTimeout(backend, 'first byte', firstByteMs);
  return Errors.upstreamUnreachable(backend, code);
}

function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const n = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

