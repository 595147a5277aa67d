import { randomBytes } from 'crypto';
import { Errors, GatewayError } from '../errors';
import { sendJson, sendRpcError, SseWriter, sseEvent } from './answer';
import type { McpBus } from './bus';
import type { CallLog } from './calls';
import type { CompiledMcpProxy } from './compile';
import { type Exchange, type SessionExchange, sessionHeader } from './front';
import { errorResponse, type JsonRpcMessage, RPC_CODES, rpcCodeOf, RpcErrors } from './jsonrpc';
import { negotiate } from './protocol';
import { inspect, inspectAnswers } from './relay';
import { holdServerStream } from './server-streams';
import { busOf, envelope, isResponse, type JsonObject, openEnvelope, openSessionRef, type SseChannels, sseChannels } from './sse-channels';
import { ENDPOINT_TIMEOUT_MS, SseUpstream } from './sse-upstream';
import { callMcpUpstream, discard, readBounded, upstreamFault } from './upstream';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

/**
 * The client side of an MCP proxy whose upstream speaks the legacy HTTP+SSE transport: what the
 * Streamable HTTP front (proxy.ts) and the legacy front (legacy-sse.ts) do with a session's messages,
 * on whichever replica they land. Each message is POSTed to the upstream's message endpoint (the one
 * sealed in the session token); its answer, and the server requests and notifications that come
 * meanwhile, arrive from the replica holding the upstream stream (sse-upstream.ts) over the McpBus,
 * and go to the client as the front's transport says: an SSE answer to the POST, the GET stream, or
 * the legacy client's stream. Answers pass relay.ts's `inspect` (tool lists filtered by grants, the
 * accounting closed) and the scrubber (the upstream credential never reaches a client).
 */

/** Requests of one session waiting for their answer on this replica: the bus, the client streams and the holder each hold them. */
const MAX_PENDING_PER_SESSION = 64;
/** What a client stream may have received and not yet written (a client slow to read): past it, the stream fails. */
const MAX_INBOX_BYTES = 64 * 1024 * 1024;
/** How often a waiting stream checks that the holder is alive (its liveness key, refreshed every 10 s, lives 30 s). */
const LIVE_CHECK_MS = 10_000;
/** The refusal of a message POST is an error message: a few KiB. */
const MAX_REFUSAL_BYTES = 64 * 1024;
const POST_ACCEPT = 'application/json, text/event-stream';

const pendingBySession = new Map<string, number>();

/** initialize: opens the upstream stream, initializes the upstream session over it, seals the gateway's session. */
export async function sseInitialize(x: Exchange, message: Request, calls: CallLog): Promise<void> {
  const route = x.route as CompiledMcpProxy;
  const { holder, answer } = await initializeUpstream(x, message, calls);
  const result = answer.result as { protocolVersion?: unknown } | undefined;
  const headers: Record<string, string> = {};
  if (result && typeof result === 'object') {
    headers['mcp-session-id'] = x.ctx.snapshot.mcpSessions.seal({
      server: route.name,
      consumer: x.consumer.name,
      version: typeof result.protocolVersion === 'string' ? result.protocolVersion : negotiate(message.params?.protocolVersion),
      // Where any replica POSTs this session's messages, and the holder id naming its channels (sse-channels.ts).
      upstream: holder.ref,
      issuedAt: Math.floor(Date.now() / 1000),
    });
    // Counted by the holder, on this replica, until it ends for whatever reason (DELETE, idle, TTL, the upstream, a reload).
    holder.countSession(x.deps.metrics);
  } else {
    // The upstream refused to initialize: no session, nothing to hold.
    holder.close('the upstream refused initialize');
  }
  calls.answered(message.id, answer);
  const body = route.upstream.scrubber.buffer(Buffer.from(JSON.stringify(answer), 'utf8'));
  x.ctx.res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': body.length });
  x.ctx.res.end(body);
}

/**
 * The upstream stream opened and the upstream session initialized over it (the client's initialize,
 * asked for a revision the gateway speaks): the holder and the upstream's answer. Any failure ends the
 * stream and is a GatewayError, the initialize request closed in `calls`.
 */
async function initializeUpstream(x: Exchange, message: Request, calls: CallLog): Promise<{ holder: SseUpstream; answer: JsonObject }> {
  const route = x.route as CompiledMcpProxy;
  let holder: SseUpstream;
  try {
    holder = await SseUpstream.open(x);
  } catch (e) {
    calls.finish(message.id, e instanceof GatewayError && e.status === 429 ? 'limited' : 'upstream_failed');
    throw e;
  }
  const forwarded = { ...message.raw, params: { ...(message.params ?? {}), protocolVersion: negotiate(message.params?.protocolVersion) } };
  const link = { bus: busOf(x.deps), channels: holder.channels, endpoint: holder.endpoint };
  const inbox = new Inbox();
  const listener = await Listener.open(link, 'post', [], inbox);
  try {
    if (!listener) throw Errors.mcpUpstreamBadAnswer(route.name, 'its SSE stream ended during initialize');
    const refusal = await postMessage(x, link.endpoint, forwarded);
    if (refusal) throw refusal;
    const timer = setTimeout(() => inbox.end(`no answer to initialize within ${ENDPOINT_TIMEOUT_MS} ms`), ENDPOINT_TIMEOUT_MS);
    const stopListening = x.ctx.cancellation.onCancel(() => inbox.end('the client went away'));
    try {
      for (;;) {
        const m = await inbox.next();
        if (m === undefined) throw Errors.mcpUpstreamBadAnswer(route.name, `no answer to initialize: ${inbox.why}`);
        if (isResponse(m) && m.id === message.id) return { holder, answer: m };
      }
    } finally {
      clearTimeout(timer);
      stopListening();
    }
  } catch (e) {
    holder.close('initialize failed');
    calls.finish(message.id, 'upstream_failed');
    throw e;
  } finally {
    listener?.close();
  }
}

/** A session's messages (a 2025-03-26 batch included); `answered` are the gateway's own answers (denied tools), joined to the upstream's. */
export async function sseMessages(
  s: SessionExchange,
  forward: readonly JsonRpcMessage[],
  answered: readonly JsonObject[],
  batch: boolean,
  calls: CallLog,
): Promise<void> {
  const { ctx } = s;
  const link = await linkOf(s);
  const requests = forward.filter((m): m is Request => m.kind === 'request');
  const single = !batch && requests.length === 1 ? requests[0]!.id : null;
  if (requests.length === 0) {
    // Notifications and the client's answers to server requests (an elicitation's): posted, nothing to wait for.
    // The holder is told the session is in use (it opens no stream the holder would see).
    void link.bus.publish(link.channels.toHolder, envelope({ t: 'touch' })).catch(() => 0);
    for (const m of forward) {
      const refusal = await postMessage(s, link.endpoint, m.raw);
      calls.done(m.kind === 'response' ? 'response' : (m as { method: string }).method, refusal ? 'upstream_failed' : 'ok');
      if (refusal) return sendRpcError(ctx, refusal);
    }
    if (answered.length === 0) return void ctx.res.writeHead(202, sessionHeader(s)).end();
    return sendJson(ctx, 200, batch ? answered : answered[0], sessionHeader(s));
  }
  const pending = pendingBySession.get(link.channels.answers) ?? 0;
  if (pending + requests.length > MAX_PENDING_PER_SESSION) {
    for (const r of requests) calls.finish(r.id, 'error', RPC_CODES.serverError);
    const error = RpcErrors.transport(
      RPC_CODES.serverError,
      `Too many requests pending: MCP server '${s.route.name}' relays at most ${MAX_PENDING_PER_SESSION} unanswered requests per session on one gateway replica. Wait for some answers, or cancel some.`,
    );
    return sendJson(ctx, 429, errorResponse(single, error), sessionHeader(s));
  }
  pendingBySession.set(link.channels.answers, pending + requests.length);
  const inbox = new Inbox();
  const listener = await Listener.open(link, 'post', progressTokens(requests), inbox);
  try {
    if (!listener) {
      for (const r of requests) calls.finish(r.id, 'error');
      throw Errors.mcpSessionNotFound(s.route.name);
    }
    // Posted in order; one the upstream does not take is answered here, the others go on.
    const failed: JsonObject[] = [];
    let lone: GatewayError | undefined;
    for (const m of forward) {
      const refusal = await postMessage(s, link.endpoint, m.raw);
      if (m.kind !== 'request') {
        calls.done(m.kind === 'response' ? 'response' : m.method, refusal ? 'upstream_failed' : 'ok');
        continue;
      }
      if (!refusal) continue;
      const error = RpcErrors.upstreamFailed(s.route.name, refusal.message);
      calls.finish(m.id, 'upstream_failed', error.code);
      failed.push(errorResponse(m.id, error));
      lone = refusal;
    }
    if (calls.pending().length === 0) {
      // Nothing reached the upstream: a lone request's failure as its HTTP status, several as JSON-RPC errors.
      if (single !== null && lone && answered.length === 0) return sendRpcError(ctx, lone, single);
      const all = [...answered, ...failed];
      return sendJson(ctx, 200, batch ? all : all[0], sessionHeader(s));
    }
    const writer = new SseWriter(ctx, sessionHeader(s));
    for (const a of [...answered, ...failed]) await writer.write(sseEvent(a));
    await follow(s, link, inbox, calls, (m) => writer.write(scrubbed(s, m)));
    writer.end();
  } finally {
    listener?.close();
    const left = (pendingBySession.get(link.channels.answers) ?? requests.length) - requests.length;
    if (left > 0) pendingBySession.set(link.channels.answers, left);
    else pendingBySession.delete(link.channels.answers);
  }
}

/** GET: the server requests and notifications the holder gives this stream (the rule in sse-upstream.ts), until the session or the client ends. */
export async function sseStream(s: SessionExchange): Promise<void> {
  const link = await linkOf(s);
  const inbox = new Inbox();
  const listener = await Listener.open(link, 'get', [], inbox);
  if (!listener) throw Errors.mcpSessionNotFound(s.route.name);
  try {
    const writer = new SseWriter(s.ctx, sessionHeader(s));
    holdServerStream(s.deps.mcpBus, s.ctx.res, () => inbox.end('the gateway is draining'));
    const stopListening = s.ctx.cancellation.onCancel(() => inbox.end('the client went away'));
    s.ctx.res.once('close', () => inbox.end('the client went away'));
    const live = watchLiveness(link, inbox);
    try {
      for (;;) {
        const m = await inbox.next();
        if (m === undefined) break;
        // Answers are for the POST streams that sent their requests.
        if (!isResponse(m)) await writer.write(scrubbed(s, m));
      }
    } finally {
      clearInterval(live);
      stopListening();
    }
    writer.end();
  } finally {
    listener.close();
  }
}

/** DELETE: the holder, wherever it is, ends the upstream stream (the upstream's session ends with it). */
export async function sseDelete(s: SessionExchange): Promise<void> {
  const link = linkNames(s);
  // Nobody listening: the holder is already gone, and with it the upstream session. Either way the session is over.
  // The gauge of sessions comes down on the holder's replica, when the holder ends.
  await link.bus.publish(link.channels.toHolder, envelope({ t: 'close' })).catch(() => 0);
  s.ctx.res.writeHead(200, sessionHeader(s)).end();
}

/**
 * For the legacy HTTP+SSE front (legacy-sse.ts), whose client's stream is held by that front: one
 * checked and admitted client message, exchanged with the HTTP+SSE upstream. `s.session.upstream` is
 * what the initialize call returned (undefined before). `deliver` gets each message for the client, in
 * order, already inspected and scrubbed: the answer(s) to the message's request, and the server requests
 * and notifications that came while it was pending; it resolves once the request is answered (at once
 * for a notification or a response). Returns, for initialize, the session to keep for later calls
 * (`upstream`: the endpoint, `version`: the negotiated revision); `onUpstream` gets the endpoint before
 * the initialize answer is delivered, so the front can store it before the client sends its next message.
 * An upstream failure is a JSON-RPC error delivered for the request, never a throw. Server messages that
 * come while no request is pending go to a stream opened with `followSseUpstream`.
 */
export async function exchangeViaSseUpstream(
  s: SessionExchange,
  message: JsonRpcMessage,
  calls: CallLog,
  deliver: (message: JsonObject) => void | Promise<void>,
  onUpstream?: (endpoint: string) => void,
): Promise<{ upstream: string; version: string } | undefined> {
  const route = s.route as CompiledMcpProxy;
  const fail = async (detail: string): Promise<undefined> => {
    if (message.kind !== 'request') return undefined;
    const error = RpcErrors.upstreamFailed(route.name, detail);
    calls.finish(message.id, 'upstream_failed', error.code);
    await deliver(errorResponse(message.id, error));
    return undefined;
  };
  if (message.kind === 'request' && message.method === 'initialize') {
    try {
      const { holder, answer } = await initializeUpstream(s, message, calls);
      onUpstream?.(holder.ref);
      const changed = inspect(s, calls, answer) as JsonObject | undefined;
      const scrubbedAnswer = scrubbedObject(s, changed ?? answer);
      if (scrubbedAnswer) await deliver(scrubbedAnswer);
      const version = (answer.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
      return { upstream: holder.ref, version: typeof version === 'string' ? version : negotiate(message.params?.protocolVersion) };
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      // The consumer's cap of sessions (sse-upstream.ts): its own error, naming the fix, not an upstream failure (already counted 'limited').
      if (e.status === 429) return void (await deliver(errorResponse(message.id, { code: rpcCodeOf(e), message: e.message })));
      return fail(e.message);
    }
  }
  let link: Link;
  try {
    link = await linkOf(s);
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    return fail(e.message);
  }
  if (message.kind !== 'request') {
    void link.bus.publish(link.channels.toHolder, envelope({ t: 'touch' })).catch(() => 0);
    const refusal = await postMessage(s, link.endpoint, message.raw);
    if (refusal) s.deps.logger.warn({ server: route.name, err: refusal.message }, 'mcp: the HTTP+SSE upstream refused a notification or response');
    return undefined;
  }
  const inbox = new Inbox();
  const listener = await Listener.open(link, 'post', progressTokens([message]), inbox);
  if (!listener) return fail('the session is over; initialize again');
  try {
    const refusal = await postMessage(s, link.endpoint, message.raw);
    if (refusal) return await fail(refusal.message);
    await follow(s, link, inbox, calls, async (m) => {
      const clean = scrubbedObject(s, m);
      if (clean) await deliver(clean);
    });
    return undefined;
  } finally {
    listener.close();
  }
}

/**
 * For the legacy front: the legacy client's stream as the session's server-to-client stream (like a
 * GET stream), delivering the server requests and notifications the holder gives it. Resolves to the
 * function that ends it (call it when the legacy stream closes), or undefined when the session is over.
 */
export async function followSseUpstream(
  s: SessionExchange,
  deliver: (message: JsonObject) => void | Promise<void>,
): Promise<(() => void) | undefined> {
  const link = linkNames(s);
  const inbox = new Inbox();
  const listener = await Listener.open(link, 'get', [], inbox);
  if (!listener) return undefined;
  void (async () => {
    for (;;) {
      const m = await inbox.next();
      if (m === undefined) break;
      const clean = isResponse(m) ? undefined : scrubbedObject(s, m);
      if (clean) await deliver(clean);
    }
  })()
    // A delivery that fails (the legacy stream broke) ends the following; never an unhandled rejection.
    .catch((e: unknown) => s.deps.logger.warn({ server: s.route.name, err: e instanceof Error ? e.message : String(e) }, 'mcp: a legacy stream stopped following its HTTP+SSE upstream'))
    .finally(() => listener.close());
  return () => inbox.end('the legacy stream closed');
}

/** Where a session's messages go and how to reach its holder. */
interface Link {
  readonly bus: McpBus;
  readonly channels: SseChannels;
  readonly endpoint: string;
}

function linkNames(s: SessionExchange): Link {
  // Sealed by sseInitialize (sessionRef): a token without one was issued for another transport of the server.
  const ref = s.session.upstream === undefined ? undefined : openSessionRef(s.session.upstream);
  if (ref === undefined) throw Errors.mcpSessionNotFound(s.route.name);
  return { bus: busOf(s.deps), channels: sseChannels(s.route.name, ref.holderId), endpoint: ref.endpoint };
}

/** The session's link, once its holder is known to be alive: a session whose holder is gone is "not found" (initialize again). */
async function linkOf(s: SessionExchange): Promise<Link> {
  const link = linkNames(s);
  let live: string | undefined;
  try {
    live = await link.bus.get(link.channels.live);
  } catch (e) {
    throw Errors.mcpUpstreamBadAnswer(s.route.name, `the MCP bus could not be reached: ${(e as Error).message}`);
  }
  if (live === undefined) throw Errors.mcpSessionNotFound(s.route.name);
  return link;
}

/**
 * Writes what comes for this exchange until every request in `calls` is answered: answers to its own
 * requests (inspected), and the server messages the holder gave this stream. The upstream stream
 * ending, or the holder going away, answers what is still pending with a JSON-RPC error.
 */
async function follow(s: SessionExchange, link: Link, inbox: Inbox, calls: CallLog, write: (m: JsonObject) => void | Promise<void>): Promise<void> {
  const stopListening = s.ctx.cancellation.onCancel(() => inbox.end('the client went away'));
  const live = watchLiveness(link, inbox);
  try {
    while (calls.pending().length > 0) {
      const m = await inbox.next();
      if (m === undefined) {
        if (s.ctx.cancellation.cancelled) return;
        for (const id of calls.pending()) {
          const error = RpcErrors.upstreamFailed(s.route.name, inbox.why);
          calls.finish(id, 'upstream_failed', error.code);
          await write(errorResponse(id, error));
        }
        return;
      }
      if (isResponse(m)) {
        const id = m.id as string | number | null;
        // Another stream's answer (the channel carries the whole session's).
        if (!calls.isOpen(id)) continue;
        // Through onToolResult too, when the config has such hooks (a promise only when one is async).
        const inspected = inspectAnswers(s, calls, m);
        await write(((inspected instanceof Promise ? await inspected : inspected) as JsonObject | undefined) ?? m);
      } else {
        await write(m);
      }
    }
  } finally {
    clearInterval(live);
    stopListening();
  }
}

/** Ends `inbox` when the holder's liveness key is gone: the replica holding the upstream stream died (a slow upstream keeps it). */
function watchLiveness(link: Link, inbox: Inbox): NodeJS.Timeout {
  const timer = setInterval(() => {
    link.bus.get(link.channels.live).then(
      (live) => live === undefined && inbox.end('the replica holding the upstream stream is gone; initialize again'),
      () => undefined,
    );
  }, LIVE_CHECK_MS);
  timer.unref();
  return timer;
}

/**
 * One message POSTed to the upstream's message endpoint (always on the upstream's origin, sealed at
 * initialize). undefined once taken (202); else why not, as a GatewayError. The breaker is told by
 * callMcpUpstream: only the upstream's own failures charge it, never a client that leaves.
 */
async function postMessage(x: Exchange, endpoint: string, raw: unknown): Promise<GatewayError | undefined> {
  const route = x.route as CompiledMcpProxy;
  const headers = { ...route.upstream.headers, 'accept': POST_ACCEPT, 'content-type': 'application/json' };
  let exchange: Awaited<ReturnType<typeof callMcpUpstream>>;
  try {
    exchange = await callMcpUpstream(x.ctx, route, 'POST', headers, JSON.stringify(raw), endpoint);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  const { response, release } = exchange;
  try {
    const status = response.statusCode;
    if (status < 400) {
      await discard(response);
      return undefined;
    }
    const fault = await upstreamFault(route, response);
    if (fault) return fault;
    const text = await readBounded(response, MAX_REFUSAL_BYTES).catch(() => '');
    return Errors.upstreamRejected(status, `The upstream of MCP server '${route.name}' refused the message with HTTP ${status}: ${route.upstream.scrubber.text(text).slice(0, 200)}`);
  } finally {
    release();
  }
}

function progressTokens(requests: readonly Request[]): (string | number)[] {
  const tokens: (string | number)[] = [];
  for (const r of requests) {
    const token = (r.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
    if (typeof token === 'string' || typeof token === 'number') tokens.push(token);
  }
  return tokens;
}

function scrubbed(x: Exchange, m: JsonObject): Buffer {
  return (x.route as CompiledMcpProxy).upstream.scrubber.buffer(Buffer.from(sseEvent(m), 'utf8'));
}

function scrubbedObject(x: Exchange, m: JsonObject): JsonObject | undefined {
  return scrubbedOrReplaced(m, (text) => (x.route as CompiledMcpProxy).upstream.scrubber.text(text), x.route.name, (why) =>
    x.deps.logger.warn({ server: x.route.name, err: why }, 'mcp: a message of an HTTP+SSE upstream was dropped'),
  );
}

/**
 * `m` with `scrub` applied to its JSON text. A redaction can leave text that is no JSON (one right after
 * a backslash eats the escape): the message is then replaced, never thrown on. An answer becomes a
 * JSON-RPC error for its id, so the client's request is still answered; a server request or
 * notification is dropped, and `dropped` says so. Exported for its unit test.
 */
export function scrubbedOrReplaced(
  m: JsonObject,
  scrub: (text: string) => string,
  server: string,
  dropped: (why: string) => void,
): JsonObject | undefined {
  try {
    return JSON.parse(scrub(JSON.stringify(m))) as JsonObject;
  } catch (e) {
    const id = m.id;
    const why = `removing the upstream's credential from it left no valid JSON (${(e as Error).message})`;
    if (isResponse(m) && (typeof id === 'string' || typeof id === 'number')) return errorResponse(id, RpcErrors.upstreamFailed(server, `a message ${why}`)) as JsonObject;
    dropped(why);
    return undefined;
  }
}

/** The messages one client stream received from the bus, in order, bounded; ended (with why) by the session's end or the client's. */
class Inbox {
  private readonly items: JsonObject[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;
  private wake: (() => void) | undefined;
  private ended: string | undefined;

  public get why(): string {
    return this.ended ?? '';
  }

  public get isEnded(): boolean {
    return this.ended !== undefined;
  }

  public push(m: JsonObject, size: number): void {
    if (this.ended !== undefined) return;
    this.bytes += size;
    if (this.bytes > MAX_INBOX_BYTES) return this.end(`the client reads slower than the upstream writes (over ${MAX_INBOX_BYTES} bytes waiting)`);
    this.items.push(m);
    this.sizes.push(size);
    this.wake?.();
  }

  public end(why: string): void {
    if (this.ended !== undefined) return;
    this.ended = why;
    this.wake?.();
  }

  /** What is left, and the inbox ended. */
  public takeAll(): JsonObject[] {
    this.end('closed');
    this.sizes.length = 0;
    this.bytes = 0;
    return this.items.splice(0);
  }

  /** The next message, or undefined once ended (messages received before the end come first). */
  public async next(): Promise<JsonObject | undefined> {
    while (this.items.length === 0) {
      if (this.ended !== undefined) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    this.bytes -= this.sizes.shift()!;
    return this.items.shift();
  }
}

/** A client stream's subscriptions (the session's answers, its own channel) and its registration with the holder. */
class Listener {
  /** Listening, and known to the holder; undefined when no holder listens (the session is over). */
  public static async open(link: Link, kind: 'post' | 'get', tokens: readonly (string | number)[], inbox: Inbox): Promise<Listener | undefined> {
    const l = new Listener(link, inbox);
    try {
      l.stops.push(await link.bus.subscribe(link.channels.answers, (data) => l.onAnswer(data)));
      l.stops.push(await link.bus.subscribe(link.channels.stream(l.id), (data) => l.onDirected(data)));
      if ((await link.bus.publish(link.channels.toHolder, envelope({ t: 'hello', id: l.id, kind, tokens }))) > 0) return l;
    } catch {
      // An unreachable bus: as if no holder listened.
    }
    l.close();
    return undefined;
  }

  private readonly id = randomBytes(12).toString('base64url');
  private readonly stops: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly link: Link,
    private readonly inbox: Inbox,
  ) {}

  public close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.stops) stop();
    // Server messages given to this stream and not written (its requests were answered first): the holder gives them to another.
    for (const m of this.inbox.takeAll()) {
      if (!isResponse(m)) void this.link.bus.publish(this.link.channels.toHolder, envelope({ t: 'bounce', id: this.id, m })).catch(() => 0);
    }
    void this.link.bus.publish(this.link.channels.toHolder, envelope({ t: 'bye', id: this.id })).catch(() => 0);
  }

  private onAnswer(data: string): void {
    const e = openEnvelope(data);
    if (e?.t === 'm' && isResponse(e.m)) this.inbox.push(e.m, data.length);
    else if (e?.t === 'end') this.inbox.end(`the upstream stream ended (${e.why})`);
  }

  private onDirected(data: string): void {
    const e = openEnvelope(data);
    if (e?.t !== 'm') return;
    // Given to this stream as it ended: the holder gives it to another.
    if (this.closed || this.inbox.isEnded) {
      void this.link.bus.publish(this.link.channels.toHolder, envelope({ t: 'bounce', id: this.id, m: e.m })).catch(() => 0);
      return;
    }
    this.inbox.push(e.m, data.length);
  }
}

/** For the legacy front: its client's stream closed, so the session's holder ends the upstream stream (as a DELETE would). */
export async function endSseUpstreamSession(s: SessionExchange): Promise<void> {
  const link = linkNames(s);
  await link.bus.publish(link.channels.toHolder, envelope({ t: 'close' })).catch(() => 0);
}
