import { Errors, GatewayError } from '../errors';
import { eventData, SseFramer } from '../sse';
import type { UpstreamResponse } from '../upstream-call';
import { sendRpcError, SseWriter } from './answer';
import { CallLog, type CallResult } from './calls';
import type { CompiledMcpProxy } from './compile';
import { type Exchange, type SessionExchange, sessionHeader } from './front';
import type { JsonRpcId, JsonRpcMessage } from './jsonrpc';
import { negotiate } from './protocol';
import { mediaType, relayAnswer, relaySse } from './relay';
import { holdServerStream } from './server-streams';
import { sseDelete, sseInitialize, sseMessages, sseStream } from './sse-client';
import { callMcpUpstream, discard, readBounded, refusedAnswer, upstreamHeaders } from './upstream';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

interface InitAnswer {
  readonly events: string[];
  readonly answer: Record<string, unknown> | undefined;
}

/**
 * An MCP proxy (`kind: 'proxy'`, an upstream speaking Streamable HTTP; one speaking the legacy
 * HTTP+SSE transport is sse-client.ts's, each function below hands it over first): each client message relayed to
 * the upstream as the gateway parsed and checked it (re-serialized, so the upstream reads exactly what
 * was checked), under the upstream's own session; its answers relayed back (relay.ts) under the
 * gateway's session id. The upstream's session id never reaches the client, nor the client's key the upstream.
 */

const POST_ACCEPT = 'application/json, text/event-stream';
/** An answer to initialize is a few KiB: read whole (the session id is sealed from it before the client's head goes out). */
const MAX_INIT_BYTES = 1024 * 1024;
/** Longest upstream session id sealed into the gateway's; the spec allows visible ASCII only. */
const UPSTREAM_SESSION_ID = /^[\x21-\x7e]{1,1024}$/;

export async function proxyInitialize(x: Exchange, message: Request, calls: CallLog): Promise<void> {
  const { ctx } = x;
  const route = x.route as CompiledMcpProxy;
  if (speaksSse(route)) return sseInitialize(x, message, calls);
  // The upstream is asked for a revision the gateway speaks: the one it will then hold the session to.
  const negotiated = negotiate(message.params?.protocolVersion);
  const forwarded = { ...message.raw, params: { ...(message.params ?? {}), protocolVersion: negotiated } };
  const headers = { ...upstreamHeaders(route, undefined, undefined, POST_ACCEPT), 'content-type': 'application/json' };
  const { response, release } = await callOrFail(x, calls, headers, JSON.stringify(forwarded));
  try {
    if (await refused(x, calls, response, message.id)) return;
    const sse = mediaType(response) === 'text/event-stream';
    let events: string[] = [];
    let text = '';
    let answer: Record<string, unknown> | undefined;
    try {
      if (sse) {({ events, answer } = await readUntilAnswer(response, message.id));} else {
        text = await readBounded(response, MAX_INIT_BYTES);
        answer = asObject(JSON.parse(text));
      }
    } catch (e) {
      route.upstream.breaker.failure();
      throw Errors.mcpUpstreamBadAnswer(route.name, `its answer to initialize: ${(e as Error).message}`);
    }
    if (!answer) throw Errors.mcpUpstreamBadAnswer(route.name, 'no answer to initialize');
    const result = asObject(answer.result);
    const out: Record<string, string> = {};
    if (result) {
      const upstream = response.headers['mcp-session-id'];
      const version = typeof result.protocolVersion === 'string' ? result.protocolVersion : negotiated;
      out['mcp-session-id'] = ctx.snapshot.mcpSessions.seal({
        server: route.name,
        consumer: x.consumer.name,
        version,
        upstream: typeof upstream === 'string' && UPSTREAM_SESSION_ID.test(upstream) ? upstream : undefined,
        issuedAt: Math.floor(Date.now() / 1000),
      });
      x.deps.metrics.mcpSessionsActive.inc({ server: route.name });
    }
    calls.answered(message.id, answer);
    const scrub = (s: string): Buffer => route.upstream.scrubber.buffer(Buffer.from(s, 'utf8'));
    if (sse) {
      const writer = new SseWriter(ctx, out);
      for (const event of events) await writer.write(scrub(event));
      writer.end();
      return;
    }
    const body = scrub(text);
    ctx.res.writeHead(200, { ...out, 'content-type': 'application/json', 'content-length': body.length });
    ctx.res.end(body);
  } finally {
    release();
  }
}

/** Messages of a session (a 2025-03-26 batch included); `answered` are the gateway's own answers (denied tools), joined to the upstream's. */
export async function proxyMessages(
  s: SessionExchange,
  forward: readonly JsonRpcMessage[],
  answered: readonly Record<string, unknown>[],
  batch: boolean,
  calls: CallLog,
): Promise<void> {
  if (speaksSse(s.route)) return sseMessages(s, forward, answered, batch, calls);
  const { ctx } = s;
  const body = JSON.stringify(batch ? forward.map((m) => m.raw) : forward[0]!.raw);
  const headers = { ...upstreamHeaders(s.route as CompiledMcpProxy, s.session, s.version, POST_ACCEPT), 'content-type': 'application/json' };
  const single = !batch && forward[0]!.kind === 'request' ? (forward[0] as Request).id : null;
  let exchange: Awaited<ReturnType<typeof callMcpUpstream>>;
  try {
    exchange = await callOrFail(s, calls, headers, body);
  } catch (e) {
    notices(calls, forward, 'upstream_failed');
    if (e instanceof GatewayError) return sendRpcError(ctx, e, single);
    throw e;
  }
  const { response, release } = exchange;
  try {
    if (await refused(s, calls, response, single)) return notices(calls, forward, 'error');
    notices(calls, forward, 'ok');
    if (calls.pending().length === 0) {
      // Only notifications and responses went on: the upstream has nothing to answer (202).
      await discard(response);
      if (answered.length === 0) return void ctx.res.writeHead(202, sessionHeader(s)).end();
      const text = JSON.stringify(batch ? answered : answered[0]);
      ctx.res.writeHead(200, { ...sessionHeader(s), 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return void ctx.res.end(text);
    }
    const unread = await relayAnswer(s, calls, response, sessionHeader(s), answered);
    if (!unread || ctx.cancellation.cancelled) return;
    (s.route as CompiledMcpProxy).upstream.breaker.failure();
    failPending(calls);
    return sendRpcError(ctx, Errors.mcpUpstreamBadAnswer(s.route.name, unread.message), single);
  } finally {
    release();
  }
}

/** GET: the upstream's server-to-client stream, relayed (its requests, notifications, replayed answers), kept alive. */
export async function proxyStream(s: SessionExchange): Promise<void> {
  if (speaksSse(s.route)) return sseStream(s);
  const { ctx } = s;
  const route = s.route as CompiledMcpProxy;
  const headers = upstreamHeaders(route, s.session, s.version, 'text/event-stream');
  const last = ctx.req.headers['last-event-id'];
  if (typeof last === 'string' && last.length <= 1024) headers['last-event-id'] = last;
  const { response, release } = await callMcpUpstream(ctx, route, 'GET', headers);
  try {
    if (response.statusCode === 405) {
      await discard(response);
      throw Errors.mcpNoServerStream(route.name);
    }
    const calls = new CallLog(ctx, route, s.consumer.name, s.deps);
    if (await refused(s, calls, response, null)) return;
    if (mediaType(response) !== 'text/event-stream') {
      await discard(response);
      throw Errors.mcpUpstreamBadAnswer(route.name, `a GET answered with '${String(response.headers['content-type'] ?? '')}', not an SSE stream`);
    }
    const writer = new SseWriter(ctx, sessionHeader(s));
    // A drain ends the client's stream and stops relaying (the upstream is not charged: nothing failed).
    holdServerStream(s.deps.mcpBus, ctx.res, () => {
      writer.end();
      ctx.cancellation.cancel();
    });
    await relaySse(s, calls, response, writer);
    writer.end();
  } finally {
    release();
  }
}

/** DELETE: the upstream's session ends with the gateway's. */
export async function proxyDelete(s: SessionExchange): Promise<void> {
  if (speaksSse(s.route)) return sseDelete(s);
  const { ctx } = s;
  const route = s.route as CompiledMcpProxy;
  const { response, release } = await callMcpUpstream(ctx, route, 'DELETE', upstreamHeaders(route, s.session, s.version, POST_ACCEPT));
  try {
    const status = response.statusCode;
    // 404: the upstream had already forgotten it. Either way the session is over.
    if ((status >= 200 && status < 300) || status === 404) s.deps.metrics.mcpSessionsActive.dec({ server: route.name });
    if (status >= 200 && status < 300) {
      await discard(response);
      return void ctx.res.writeHead(status, sessionHeader(s)).end();
    }
    const error = await refusedAnswer(ctx, route, response);
    if (error) throw error;
  } finally {
    release();
  }
}

/** An upstream speaking the legacy HTTP+SSE transport (`upstream.transport: 'sse'`): its sessions are sse-client.ts's. */
function speaksSse(route: Exchange['route']): boolean {
  return route.server === 'proxy' && route.config.upstream.transport === 'sse';
}

/** The call, or the failure that prevented it, with the open requests closed as the upstream's failure. */
async function callOrFail(x: Exchange, calls: CallLog, headers: Record<string, string>, body: string): ReturnType<typeof callMcpUpstream> {
  try {
    return await callMcpUpstream(x.ctx, x.route as CompiledMcpProxy, 'POST', headers, body);
  } catch (e) {
    failPending(calls);
    throw e;
  }
}

/** A non-success answer: relayed (a 4xx), or the gateway's 502 (401/403, 5xx). True when the client has its answer. */
async function refused(x: Exchange, calls: CallLog, response: UpstreamResponse, id: JsonRpcId | null): Promise<boolean> {
  if (response.statusCode < 400) return false;
  const error = await refusedAnswer(x.ctx, x.route as CompiledMcpProxy, response);
  for (const pending of calls.pending()) calls.finish(pending, error ? 'upstream_failed' : 'error');
  if (error) sendRpcError(x.ctx, error, id);
  return true;
}

function failPending(calls: CallLog): void {
  for (const id of calls.pending()) calls.finish(id, 'upstream_failed');
}

/** Notifications and the client's responses: accounted once the upstream took them (or did not). */
function notices(calls: CallLog, forward: readonly JsonRpcMessage[], result: CallResult): void {
  for (const m of forward) if (m.kind !== 'request') calls.done(m.kind === 'response' ? 'response' : m.method, result);
}

/**
 * An SSE answer to initialize, read up to the event that answers it (an upstream may keep the stream
 * open after it): the events so far, and the answer. Bounded by MAX_INIT_BYTES.
 */
async function readUntilAnswer(response: UpstreamResponse, id: JsonRpcId): Promise<InitAnswer> {
  const framer = new SseFramer();
  const events: string[] = [];
  let answer: Record<string, unknown> | undefined;
  let size = 0;
  const found = new Error('answered');
  try {
    await response.forEachChunk((chunk) => {
      size += chunk.length;
      if (size > MAX_INIT_BYTES) throw new Error(`over ${MAX_INIT_BYTES} bytes`);
      for (const event of framer.push(chunk)) {
        events.push(event);
        const data = eventData(event);
        const message = data ? asObject(safeParse(data)) : undefined;
        if (message && message.id === id && ('result' in message || 'error' in message)) {
          answer = message;
          // Stops the reading (and ends the upstream request): the answer is all initialize needs.
          throw found;
        }
      }
    });
  } catch (e) {
    if (e !== found) throw e;
  }
  return { events, answer };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
