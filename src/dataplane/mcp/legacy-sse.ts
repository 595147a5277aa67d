import { createHash, randomBytes } from 'crypto';
import type { Logger } from 'pino';
import { readBody } from '../body';
import { Cancellation } from '../cancellation';
import { Errors } from '../errors';
import type { RequestContext } from '../request-context';
import { eventData } from '../sse';
import { admitMessage } from './admit';
import { sendRpcError, SseWriter, sseEvent } from './answer';
import { type McpBus, replicaState } from './bus';
import { CallLog } from './calls';
import { type CompiledMcpProxy, MCP_FIRST_BYTE_MS } from './compile';
import { type Exchange, parseBody, type SessionExchange } from './front';
import { checkMessage, errorResponse, type JsonRpcMessage, rpcCodeOf, RpcErrors } from './jsonrpc';
import { answerRequest, initializeResult } from './local';
import { checkAccept, checkContentType, headerVersion, negotiate } from './protocol';
import { MAX_JSON_BYTES, mediaType, relayJsonText, relaySse } from './relay';
import { endSseUpstreamSession, exchangeViaSseUpstream, followSseUpstream } from './sse-client';
import { callMcpUpstream, discard, readBounded, refusedAnswer, upstreamHeaders } from './upstream';
import { inspectBody } from '../waf/inspection';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) for older clients: GET `<path>/sse` opens a stream
 * whose first event (`endpoint`) names the message URL, `<path>/message?sessionId=…`; each message
 * POSTed there is answered 202 as soon as it is checked and admitted, and its answer comes on the
 * stream. The gateway speaks Streamable HTTP to proxied upstreams either way.
 *
 * Across replicas (Higress does the same through Redis pub/sub): the stream's state (its server and
 * consumer, the negotiated revision, the upstream's session id) is kept on the MCP bus (bus.ts) under
 * the stream's name, and the replica holding the stream listens on a channel of that name. A POST on
 * any replica finds the state (in memory when it holds the stream, else on the bus), handles the
 * message there, and writes each answer event to the stream directly or through the channel. Without
 * `redis` the bus is this process's alone: a POST must reach the replica holding its stream.
 *
 * What runs after a 202 runs on no request's life, so it is bounded here: at most MAX_PENDING_PER_STREAM
 * messages of a stream at once where their POSTs land (429 past it), each with a deadline (an error on the
 * stream, the upstream call abandoned), all cancelled when the stream closes (the holding replica says so on
 * the stream's `gone` channel). A closed stream ends the upstream session it opened, and a client that does
 * not read its stream has it ended once its buffered answers pass maxBufferedBytes.
 */

/** What the bus keeps of a stream, for the replicas that get its POSTs. */
interface StreamState {
  readonly server: string;
  readonly consumer: string;
  /** The revision initialize negotiated. */
  version: string | undefined;
  /** The proxied upstream's Streamable HTTP session id, once its initialize answered. */
  upstream: string | undefined;
}

/** A stream this replica holds. */
interface HeldStream {
  readonly name: string;
  readonly state: StreamState;
  readonly out: SseWriter;
  /** The exchange that opened it: who the stream is for, on which server. */
  readonly opened: Exchange;
  /** The bus it listens on: a reload that replaces the bus ends the streams of the old one. */
  readonly bus: McpBus;
  /** An HTTP+SSE upstream's server messages that no request is waiting for, followed onto this stream once initialize named the upstream session. */
  unfollow?: () => void;
  closed?: boolean;
}

/** What goes on a stream's channel: an event to write, or the state an initialize set (published before its answer). */
type ChannelMessage = { readonly event: string } | { readonly state: { readonly version?: string; readonly upstream?: string } };

/** The legacy revision: what a stream speaks until initialize says otherwise. */
const LEGACY_VERSION = '2024-11-05';
/** A stream's state outlives its replica by at most this long (a replica that dies deletes nothing)... */
const STATE_TTL_SECONDS = 60;
/** ...because the holding replica starts its time to live again this often while the stream is open. */
const TOUCH_MS = 20_000;
const STREAM_ID = /^[0-9a-f]{32}$/;
/** Messages of one stream being answered at once on one replica (counted where their POSTs land): past it, a POST is refused. */
export const MAX_PENDING_PER_STREAM = 64;
/**
 * How long one message may be answered for after its 202 (the proxied call's total timeout): past it, its
 * request gets an error on the stream and the upstream call is abandoned.
 */
let deadlineMs: number = MCP_FIRST_BYTE_MS;
/**
 * What a held stream may have buffered for a client slow to read (sse-client.ts's MAX_INBOX_BYTES): answers
 * published from other replicas cannot wait for the client, so past it the stream ends and the client reconnects.
 */
let maxBufferedBytes = 64 * 1024 * 1024;
/** A closed stream's upstream session is ended by a DELETE that nobody waits for: this long at most. */
const END_SESSION_MS = 5_000;

/** For tests: a short deadline, a small buffer cap. Not configuration. */
export function setLegacyBoundsForTests(bounds: { readonly deadlineMs?: number; readonly maxBufferedBytes?: number }): void {
  deadlineMs = bounds.deadlineMs ?? MCP_FIRST_BYTE_MS;
  maxBufferedBytes = bounds.maxBufferedBytes ?? 64 * 1024 * 1024;
}

/**
 * The messages of one stream being answered on this replica (their work runs after the POST's 202, on no
 * request's life): each one's cancel, for when the stream goes away. On a shared bus, while a stream not
 * held here has work, this replica listens on its `gone` channel, where the holding replica says it closed.
 */
interface StreamWork {
  readonly pending: Map<Cancellation, () => void>;
  unsubscribe?: () => void;
  done?: boolean;
}

/** Per bus (not carried by a reload that replaces it, unlike replicaState): the work listens on that bus. */
const workByBus = new WeakMap<McpBus, Map<string, StreamWork>>();
/** Buses whose close ends their streams (registered once per bus). */
const watchedBuses = new WeakSet<McpBus>();

function workOn(bus: McpBus): Map<string, StreamWork> {
  let work = workByBus.get(bus);
  if (!work) workByBus.set(bus, (work = new Map()));
  return work;
}

function goneChannel(name: string): string {
  return `${name}:gone`;
}

function streamsOn(bus: McpBus): Map<string, HeldStream> {
  return replicaState(bus, 'legacy-streams', () => new Map<string, HeldStream>());
}

/** The stream's key and channel: bound to its server and consumer, so the same id under another binding names nothing. */
function streamName(server: string, consumer: string, id: string): string {
  const binding = createHash('sha256').update(JSON.stringify([server, consumer]), 'utf8').digest('hex').slice(0, 32);
  return `legacy:${binding}:${id}`;
}

/** GET `<path>/sse`: the stream, and the `endpoint` event that names where to POST. */
export async function openLegacyStream(x: Exchange): Promise<void> {
  const { ctx, route, deps } = x;
  const refusal = checkAccept(ctx.req);
  if (refusal) throw refusal;
  const bus = deps.mcpBus;
  watchBus(bus);
  // 128 random bits: the id is not guessable, and it is good only with this stream's consumer key anyway.
  const id = randomBytes(16).toString('hex');
  const name = streamName(route.name, x.consumer.name, id);
  const state: StreamState = { server: route.name, consumer: x.consumer.name, version: undefined, upstream: undefined };
  let held: HeldStream | undefined;
  let unsubscribe: (() => void) | undefined;
  try {
    // Listening and stored before the endpoint event: a POST sent the moment it arrives finds both.
    unsubscribe = await bus.subscribe(name, (data) => held && deliver(held, data));
    await bus.set(name, JSON.stringify(state), STATE_TTL_SECONDS);
  } catch (e) {
    unsubscribe?.();
    // Debug: the bus warns of the outage once (bus-redis.ts), and clients retrying streams would flood the log.
    deps.logger.debug({ err: e, server: route.name }, 'legacy SSE stream refused: the MCP bus (redis) does not answer');
    throw Errors.mcpStreamsUnreachable(route.name);
  }
  const forget = (): void => {
    unsubscribe!();
    void bus.delete(name).catch(() => undefined);
  };
  // The client may have left while the bus answered.
  if (ctx.res.destroyed) return forget();
  held = { name, state, out: new SseWriter(ctx, {}), opened: x, bus };
  const streams = streamsOn(bus);
  streams.set(id, held);
  const stream = held;
  const touch = setInterval(() => void keepState(bus, stream), TOUCH_MS);
  touch.unref();
  ctx.res.once('close', () => {
    clearInterval(touch);
    streams.delete(id);
    stream.closed = true;
    stream.unfollow?.();
    forget();
    // Its messages still being answered are abandoned, here and on the replicas their POSTs reached.
    cancelStreamWork(bus, name);
    if (bus.shared) void bus.publish(goneChannel(name), '1').catch(() => 0);
    endUpstreamSession(stream);
  });
  void held.out.write(`event: endpoint\ndata: ${route.match.pathPrefix.replace(/\/+$/, '')}/message?sessionId=${id}\n\n`);
}

/** The stream's state kept alive on the bus; stored again if the bus lost it (a Redis restart). */
async function keepState(bus: McpBus, stream: HeldStream): Promise<void> {
  try {
    if (!(await bus.touch(stream.name, STATE_TTL_SECONDS))) await bus.set(stream.name, JSON.stringify(stream.state), STATE_TTL_SECONDS);
  } catch {
    // Redis away: the next touch tries again; meanwhile POSTs on other replicas get 503 or 404.
  }
}

/** A message on a held stream's channel, from the replica that got the POST. */
function deliver(stream: HeldStream, data: string): void {
  let message: ChannelMessage;
  try {
    message = JSON.parse(data) as ChannelMessage;
  } catch {
    return;
  }
  if ('state' in message) {
    const { version, upstream } = message.state;
    if (typeof version === 'string') stream.state.version = version;
    if (typeof upstream === 'string') stream.state.upstream = upstream;
    void followUpstream(stream);
  } else if (typeof message.event === 'string') {
    writeBounded(stream, message.event);
  }
}

/**
 * An answer event onto a held stream, buffered in the response if the client is slow to read. Backpressure
 * cannot reach a publisher on another replica, and waiting for it here would keep each POST's answers in
 * memory instead: so a client that does not read has its stream ended past maxBufferedBytes (it reconnects).
 */
function writeBounded(stream: HeldStream, event: string): void {
  const res = stream.opened.ctx.res;
  if (stream.closed || res.destroyed) return;
  if (res.writableLength + Buffer.byteLength(event) > maxBufferedBytes) {
    stream.closed = true;
    stream.opened.deps.logger.warn(
      { server: stream.state.server, consumer: stream.state.consumer, limit: maxBufferedBytes },
      'legacy SSE stream ended: its client reads slower than its answers come (over the buffer limit); the client must reconnect',
    );
    res.destroy();
    return;
  }
  void stream.out.write(event);
}

/** Cancels the work of a stream's messages on this replica: it closed (or its answers found nobody). */
function cancelStreamWork(bus: McpBus, name: string): void {
  const work = workOn(bus).get(name);
  if (work) for (const gone of [...work.pending.values()]) gone();
}

/**
 * The streams held on `bus` end cleanly (their clients reconnect: onto the new bus when a reload replaced
 * this one, onto another replica when this one drains), and the work of their messages is cancelled.
 * Returns how many streams ended.
 */
export function endLegacyStreams(bus: McpBus): number {
  let ended = 0;
  for (const stream of [...streamsOn(bus).values()]) {
    // The map is carried to the new bus: streams opened on the new one stay.
    if (stream.bus !== bus || stream.closed) continue;
    ended++;
    stream.out.end();
    // A client that stopped reading never lets end() flush: the stream would keep the old bus open.
    setTimeout(() => stream.out.destroy(), 1_000).unref();
  }
  for (const name of [...workOn(bus).keys()]) cancelStreamWork(bus, name);
  return ended;
}

/**
 * When `bus` closes, what is still on it ends. A held stream keeps its request's lease on the bus, so a
 * replaced bus closes only once its streams are gone: what this ends then is the work of messages whose
 * POSTs (answered 202) landed before the reload. The streams themselves end at the swap (endLegacyStreams).
 */
function watchBus(bus: McpBus): void {
  if (watchedBuses.has(bus)) return;
  watchedBuses.add(bus);
  bus.onClose(() => void endLegacyStreams(bus));
}

/**
 * The stream closed: the proxied upstream's session it opened ends too (a DELETE for a Streamable HTTP
 * upstream, the holder told to close for an HTTP+SSE one). Nobody waits for it, and it fails quietly.
 */
function endUpstreamSession(stream: HeldStream): void {
  const x = stream.opened;
  const { upstream } = stream.state;
  if (x.route.server !== 'proxy' || upstream === undefined) return;
  const route = x.route;
  const version = stream.state.version ?? LEGACY_VERSION;
  const session = { server: route.name, consumer: x.consumer.name, version, upstream, issuedAt: 0 };
  // Its own cancellation: the request that opened the stream is over.
  const cancellation = new Cancellation();
  const s: SessionExchange = { ...x, ctx: { ...x.ctx, cancellation }, version, session };
  const failed = (e: unknown): void => x.deps.logger.debug({ err: e, server: route.name }, 'legacy SSE stream closed; ending its upstream session failed');
  if (route.config.upstream.transport === 'sse') return void endSseUpstreamSession(s).catch(failed);
  const timer = setTimeout(() => cancellation.cancel(), END_SESSION_MS);
  timer.unref();
  void (async () => {
    const { response, release } = await callMcpUpstream(s.ctx, route, 'DELETE', upstreamHeaders(route, session, version, 'application/json, text/event-stream'));
    try {
      await discard(response);
    } finally {
      release();
    }
  })()
    .catch(failed)
    .finally(() => clearTimeout(timer));
}

/**
 * For a proxy whose upstream speaks HTTP+SSE too: the upstream's server requests and notifications that
 * no pending request takes (roots/list, list_changed …) come onto the client's stream, which this replica
 * holds. Started once initialize named the upstream session, on the replica holding the stream.
 */
async function followUpstream(stream: HeldStream): Promise<void> {
  const x = stream.opened;
  const { version, upstream } = stream.state;
  if (x.route.server !== 'proxy' || x.route.config.upstream.transport !== 'sse' || stream.unfollow || upstream === undefined || version === undefined) return;
  // Claimed before the await: a second state message must not start a second follower.
  stream.unfollow = () => undefined;
  const session = { server: x.route.name, consumer: x.consumer.name, version, upstream, issuedAt: 0 };
  try {
    const stop = await followSseUpstream({ ...x, session, version }, (m) => stream.out.write(sseEvent(m)));
    if (stream.closed) stop?.();
    else stream.unfollow = stop;
  } catch (e) {
    x.deps.logger.warn({ err: e, server: x.route.name }, 'legacy SSE stream cannot follow its HTTP+SSE upstream');
  }
}

/** POST `<path>/message?sessionId=…`: one message, checked as on Streamable HTTP; 202, its answer on the stream. */
export async function legacyMessage(x: Exchange): Promise<void> {
  const { ctx, route, deps } = x;
  const id = new URLSearchParams(ctx.query).get('sessionId');
  // Another consumer's or another server's stream is as unknown as one that never was, and nothing is forwarded.
  const link = id !== null && STREAM_ID.test(id) ? await findStream(x, id) : undefined;
  if (!link) throw Errors.mcpSessionNotFound(route.name);
  const refusal = checkContentType(ctx.req);
  if (refusal) throw refusal;
  const claimed = headerVersion(ctx.req);
  const value = parseBody(await readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth), ctx.snapshot.maxJsonDepth);
  inspectBody(ctx, value);
  if (Array.isArray(value)) throw Errors.mcpInvalidMessage('batches are not served on the legacy HTTP+SSE transport; send one message per POST');
  const checked = checkMessage(value);
  if (!checked.ok) throw Errors.mcpInvalidMessage(checked.detail);
  const m = checked.message;
  const calls = new CallLog(ctx, route, x.consumer.name, deps);
  const work = link.begin();
  if (!work) {
    const error = Errors.mcpTooManyPending(route.name, MAX_PENDING_PER_STREAM);
    calls.done(m.kind === 'response' ? 'response' : m.method, 'limited', undefined, rpcCodeOf(error));
    return sendRpcError(ctx, error, m.kind === 'request' ? m.id : null);
  }
  const version = claimed ?? link.state.version ?? LEGACY_VERSION;
  // The stream is the session: the revision and the upstream's session id it holds.
  const session = { server: route.name, consumer: x.consumer.name, version, upstream: link.state.upstream, issuedAt: 0 };
  // The answer is worked out after the POST's 202, so not on the POST's cancellation (which never fires once
  // it is answered): on the work's own, which the deadline or the stream going away fires.
  const wctx: RequestContext = { ...ctx, cancellation: work.cancellation };
  const s: SessionExchange = { ...x, ctx: wctx, version, session };

  let denied: Record<string, unknown> | undefined;
  try {
    denied = await admitMessage(x, m, calls);
  } catch (e) {
    work.end();
    throw e;
  }
  // Checked and admitted (or refused, which its answer on the stream says): the client need not wait for the answer.
  accepted(x);
  work.onGone(() => {
    // Nobody to tell: the requests end as abandoned.
    for (const open of calls.pending()) calls.finish(open, 'aborted');
  });
  const timer = setTimeout(() => {
    const timeout = Errors.upstreamTimeout(route.name, 'total', deadlineMs);
    const error = RpcErrors.transport(rpcCodeOf(timeout), `MCP server '${route.name}': ${timeout.message}`);
    for (const open of calls.pending()) {
      calls.finish(open, 'upstream_failed', error.code);
      void link.send(errorResponse(open, error));
    }
    // Not charged to the breaker: the wait may be the client's own doing (a tool waiting on an elicitation it
    // never answers), and 64 such calls of one consumer must not take the upstream away from every other.
    if (route.server === 'proxy') route.upstream.breaker.abandon();
    work.stop();
  }, deadlineMs);
  timer.unref();
  const answered = answer(s, link, m, calls, denied).catch((e: unknown) => {
    if (work.cancellation.cancelled) return undefined;
    deps.logger.error({ err: e, server: route.name }, 'legacy SSE message failed');
    if (m.kind === 'request' && calls.isOpen(m.id)) {
      const error = RpcErrors.transport(-32603, 'Internal error: the gateway failed to answer this request.');
      calls.finish(m.id, 'error', error.code);
      return link.send(errorResponse(m.id, error));
    }
    return undefined;
  });
  // Settled by the answer, or at once when the work is cancelled (whatever it still waits for is abandoned).
  const settled = Promise.race([answered, work.stopped]).finally(() => {
    clearTimeout(timer);
    work.end();
  });
  // The access lines wait for the answer, which comes after the POST's 202 closed.
  calls.hold(settled);
}

/** The stream a POST names, when it is this server's and this consumer's: held here, or found on the bus. */
async function findStream(x: Exchange, id: string): Promise<StreamLink | undefined> {
  const bus = x.deps.mcpBus;
  const name = streamName(x.route.name, x.consumer.name, id);
  const held = streamsOn(bus).get(id);
  if (held) return held.name === name ? new StreamLink(bus, id, name, held.state, x.deps.logger) : undefined;
  if (!bus.shared) return undefined;
  let stored: string | undefined;
  try {
    stored = await bus.get(name);
  } catch (e) {
    x.deps.logger.debug({ err: e, server: x.route.name }, 'legacy SSE message refused: the MCP bus (redis) does not answer');
    throw Errors.mcpStreamsUnreachable(x.route.name);
  }
  let state: StreamState | undefined;
  try {
    state = stored === undefined ? undefined : (JSON.parse(stored) as StreamState);
  } catch {
    return undefined;
  }
  if (!state || state.server !== x.route.name || state.consumer !== x.consumer.name) return undefined;
  return new StreamLink(bus, id, name, { ...state }, x.deps.logger);
}

/** One message's answer, onto the stream. */
async function answer(
  s: SessionExchange,
  link: StreamLink,
  m: JsonRpcMessage,
  calls: CallLog,
  denied: Record<string, unknown> | undefined,
): Promise<void> {
  if (denied) return link.send(denied);
  if (m.kind !== 'request') calls.done(m.kind === 'response' ? 'response' : m.method, 'ok');
  if (m.kind === 'request' && m.method === 'initialize') link.watchInitialize(m.id);
  if (s.route.server === 'local') {
    if (m.kind !== 'request') return;
    const result = m.method === 'initialize' ? initializeLocal(s, m) : await answerRequest(s, m);
    calls.answered(m.id, result);
    return link.send(result);
  }
  if (s.route.server === 'proxy' && s.route.config.upstream.transport === 'sse') {
    await exchangeViaSseUpstream(s, m, calls, (message) => link.send(message), (endpoint) => link.upstreamSession(endpoint));
  } else {
    await proxyLegacy(s, link, m, calls);
  }
  // Cancelled: the deadline or the stream's end closed the requests.
  if (s.ctx.cancellation.cancelled) return;
  // Still open: the upstream's stream broke off before the answer. The client's call fails, its stream carries on.
  for (const id of calls.pending()) {
    const error = RpcErrors.upstreamFailed(s.route.name, 'the upstream stream broke off before the answer');
    calls.finish(id, 'upstream_failed', error.code);
    await link.send(errorResponse(id, error));
  }
}

function initializeLocal(s: SessionExchange, m: Request): Record<string, unknown> {
  return initializeResult(s, m, negotiate(m.params?.protocolVersion));
}

/** One message to the proxied upstream over Streamable HTTP; whatever it answers goes onto the client's stream. */
async function proxyLegacy(s: SessionExchange, link: StreamLink, m: JsonRpcMessage, calls: CallLog): Promise<void> {
  const route = s.route as CompiledMcpProxy;
  const init = m.kind === 'request' && m.method === 'initialize';
  const raw = init ? { ...m.raw, params: { ...(m.params ?? {}), protocolVersion: negotiate(m.params?.protocolVersion) } } : m.raw;
  const headers = { ...upstreamHeaders(route, s.session, init ? undefined : s.version, 'application/json, text/event-stream'), 'content-type': 'application/json' };
  const fail = async (detail: string): Promise<void> => {
    if (m.kind !== 'request' || !calls.isOpen(m.id)) return;
    const error = RpcErrors.upstreamFailed(route.name, detail);
    calls.finish(m.id, 'upstream_failed', error.code);
    await link.send(errorResponse(m.id, error));
  };
  let exchange: Awaited<ReturnType<typeof callMcpUpstream>>;
  try {
    exchange = await callMcpUpstream(s.ctx, route, 'POST', headers, JSON.stringify(raw));
  } catch (e) {
    return fail((e as Error).message);
  }
  const { response, release } = exchange;
  try {
    if (response.statusCode >= 400) {
      // The client's stream is where answers go: the refusal becomes the request's error there.
      const error = await refusedAnswerText(s, response);
      return await fail(error);
    }
    const sid = response.headers['mcp-session-id'];
    if (init && typeof sid === 'string') link.upstreamSession(sid);
    if (mediaType(response) === 'text/event-stream') return await relaySse(s, calls, response, link);
    const text = await readBounded(response, MAX_JSON_BYTES).catch(() => '');
    if (text === '') return;
    // Re-serialized: an event's data must be one line.
    const relayed = relayJsonText(s, calls, text, []);
    const body = (relayed instanceof Promise ? await relayed : relayed).toString('utf8');
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return await fail('an answer that is not JSON');
    }
    for (const one of Array.isArray(message) ? message : [message]) await link.send(one);
  } finally {
    release();
  }
}

/**
 * Where one POST's answers go: the stream itself when this replica holds it, else the stream's channel.
 * Writes are kept in order (a publish is asynchronous), and an initialize's answer first stores the
 * session's state (revision, upstream session id) for every replica, so the client's next message,
 * sent once it reads that answer, finds it wherever it lands.
 */
class StreamLink {
  private queue: Promise<void> = Promise.resolve();
  private initialize: { readonly id: string | number; upstream?: string } | undefined;
  /** This POST's work: once stopped, nothing more of it goes onto the stream. */
  private work: MessageWork | undefined;

  public constructor(
    private readonly bus: McpBus,
    private readonly id: string,
    private readonly name: string,
    /** The stream's state as this POST found it (the held stream's own object when held here). */
    public readonly state: StreamState,
    private readonly logger: Logger,
  ) {}

  /** This POST's message counted among its stream's pending work on this replica; undefined when the stream has MAX_PENDING_PER_STREAM. */
  public begin(): MessageWork | undefined {
    const all = workOn(this.bus);
    let stream = all.get(this.name);
    if (stream && stream.pending.size >= MAX_PENDING_PER_STREAM) return undefined;
    if (!stream) {
      stream = { pending: new Map() };
      all.set(this.name, stream);
      // The holding replica cancels directly; another listens for the holder's word while it has work.
      if (this.bus.shared && streamsOn(this.bus).get(this.id)?.name !== this.name) listenForGone(this.bus, this.name, stream);
    }
    this.work = new MessageWork(this.bus, this.name, stream);
    return this.work;
  }

  /** The answer to request `id` is an initialize result: its revision becomes the stream's. */
  public watchInitialize(id: string | number): void {
    this.initialize = { id };
  }

  /** The upstream's session id, stored with the revision when the initialize answer goes out. */
  public upstreamSession(sid: string): void {
    if (this.initialize) this.initialize.upstream = sid;
  }

  public send(message: unknown): Promise<void> {
    return this.write(sseEvent(message));
  }

  /** Whole SSE events (the relay's writer). Never rejects: a stream that is gone takes nothing. */
  public write(bytes: Buffer | string): Promise<void> {
    if (this.work?.cancellation.cancelled) return this.queue;
    const event = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
    this.queue = this.queue.then(() => this.deliver(event)).catch((e: unknown) => this.logger.warn({ err: e }, 'legacy SSE answer not delivered'));
    return this.queue;
  }

  private async deliver(event: string): Promise<void> {
    if (this.initialize) await this.maybeInitialized(event);
    const held = streamsOn(this.bus).get(this.id);
    if (held?.name === this.name) return writeBounded(held, event);
    // Not held here: on the channel of the replica that holds it (none any more when the client left).
    const receivers = await this.bus.publish(this.name, JSON.stringify({ event } satisfies ChannelMessage));
    if (receivers === 0) {
      this.logger.debug({ stream: this.name }, 'legacy SSE stream gone; its answer is dropped');
      // Nobody holds the stream any more: whatever else is answered for it here is abandoned.
      cancelStreamWork(this.bus, this.name);
    }
  }

  private async maybeInitialized(event: string): Promise<void> {
    const data = eventData(event);
    let message: { id?: unknown; result?: { protocolVersion?: unknown } } | undefined;
    try {
      message = data === undefined ? undefined : (JSON.parse(data) as typeof message);
    } catch {
      return;
    }
    const version = message?.result?.protocolVersion;
    if (message?.id !== this.initialize!.id || typeof version !== 'string') return;
    const upstream = this.initialize!.upstream;
    this.initialize = undefined;
    this.state.version = version;
    if (upstream !== undefined) this.state.upstream = upstream;
    await this.bus.set(this.name, JSON.stringify(this.state), STATE_TTL_SECONDS);
    const held = streamsOn(this.bus).get(this.id);
    // The holding replica keeps its own copy (its fast path): told before the answer goes out on the same channel.
    if (held?.name !== this.name) await this.bus.publish(this.name, JSON.stringify({ state: { version, upstream } } satisfies ChannelMessage));
    else void followUpstream(held);
  }
}

/** One message's work after its 202: counted in its stream's, cancelled by its deadline or the stream's end. */
class MessageWork {
  public readonly cancellation = new Cancellation();
  /** Resolves once the work is cancelled. */
  public readonly stopped: Promise<void>;
  private goneHandlers: (() => void)[] = [];

  public constructor(
    private readonly bus: McpBus,
    private readonly name: string,
    private readonly stream: StreamWork,
  ) {
    this.stopped = new Promise<void>((resolve) => this.cancellation.onCancel(resolve));
    stream.pending.set(this.cancellation, () => this.gone());
  }

  /** What to do, before the cancel, when the stream goes away. */
  public onGone(handler: () => void): void {
    this.goneHandlers.push(handler);
  }

  public stop(): void {
    this.cancellation.cancel();
  }

  /** Settled: no longer counted (the last one of a stream stops listening for its end). */
  public end(): void {
    const { stream } = this;
    if (!stream.pending.delete(this.cancellation) || stream.pending.size > 0) return;
    stream.done = true;
    stream.unsubscribe?.();
    if (workOn(this.bus).get(this.name) === stream) workOn(this.bus).delete(this.name);
  }

  private gone(): void {
    if (this.cancellation.cancelled) return;
    for (const handler of this.goneHandlers.splice(0)) handler();
    this.stop();
  }
}

/** On a replica that does not hold the stream: its work cancelled when the holder says the stream closed. */
function listenForGone(bus: McpBus, name: string, stream: StreamWork): void {
  const cancelAll = (): void => {
    for (const gone of [...stream.pending.values()]) gone();
  };
  void bus
    .subscribe(goneChannel(name), cancelAll)
    .then(async (unsubscribe) => {
      if (stream.done) return unsubscribe();
      stream.unsubscribe = unsubscribe;
      // Closed before the subscription was in place: its state is deleted too.
      if ((await bus.get(name)) === undefined) cancelAll();
    })
    .catch(() => undefined);
}

/** An upstream refusal as a line of text (the breaker was told by the call). */
async function refusedAnswerText(s: SessionExchange, response: Awaited<ReturnType<typeof callMcpUpstream>>['response']): Promise<string> {
  if (response.statusCode >= 500 || response.statusCode === 401 || response.statusCode === 403) {
    const error = await refusedAnswer(s.ctx, s.route as CompiledMcpProxy, response);
    return error?.message ?? `HTTP ${response.statusCode}`;
  }
  const text = await readBounded(response, 64 * 1024).catch(() => '');
  return `HTTP ${response.statusCode}: ${(s.route as CompiledMcpProxy).upstream.scrubber.text(text).slice(0, 200)}`;
}

function accepted(x: Exchange): void {
  x.ctx.res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
}
