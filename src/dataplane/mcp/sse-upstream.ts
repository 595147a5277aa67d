import { randomBytes } from 'crypto';
import { Errors } from '../errors';
import { boundedForLog } from '../log-bounds';
import { eventData, SseFramer } from '../sse';
import { callUpstream, type UpstreamResponse } from '../upstream-call';
import type { McpBus } from './bus';
import type { CompiledMcpProxy, CompiledMcpRoute } from './compile';
import type { Exchange } from './front';
import { mediaType } from './relay';
import { busOf, envelope, isResponse, type JsonObject, openEnvelope, type SseChannels, sseChannels, sessionRef } from './sse-channels';
import { discard, transportError } from './upstream';

/**
 * The upstream side of an MCP proxy whose upstream speaks the legacy HTTP+SSE transport (MCP
 * 2024-11-05, `upstream.transport: 'sse'`): GET the upstream's URL, read its first event (`endpoint`,
 * the URL to POST messages to), and from then on every answer, server request and notification of the
 * upstream session arrives on that one stream.
 *
 * The stream is held by the replica whose client initialized the session, for the session's life: until
 * the DELETE, the session TTL, the upstream ending it, no client using it for HOLDER_IDLE_MS (a client
 * that left without DELETE, as the SDK's close() does), a reload that removes or changes its server, or
 * the bus it listens on being replaced. A consumer holds at most MAX_HOLDERS_PER_CONSUMER of one
 * server's streams on a replica: each is an upstream socket, and initialize is one short request. Each message read from it goes onto the
 * McpBus (sse-channels.ts): answers to every client stream of the session (the one that sent the request
 * takes it), server requests and notifications to one client stream chosen by the rule below. The
 * client streams, on any replica, are sse-client.ts. The holder also keeps a liveness key on the bus, so
 * that another replica can tell a session whose holder is gone (404: initialize again) from a slow upstream.
 *
 * Who gets a server request or notification (the legacy transport does not say which client request it
 * belongs to), in this order:
 * 1. a progress notification: the POST stream whose request carried its progressToken;
 * 2. the oldest POST stream still waiting for answers: a server request made during a tool call
 *    (elicitation/create, sampling/createMessage) reaches the client on that call's stream, as the spec
 *    asks of a request related to a client request (with one call pending, it is that call's);
 * 3. the newest GET stream (the spec's place for messages unrelated to a client request);
 * 4. none open: kept (at most MAX_QUEUED) until a client stream opens, so a roots/list sent before the
 *    client opened its GET stream is not lost.
 * A stream that is gone (its channel has no subscriber) is skipped for the next one.
 */

/** Time to the upstream's `endpoint` event (and to its answer's head): the session cannot start without it. */
export const ENDPOINT_TIMEOUT_MS = 10_000;
/** One event the upstream is still writing may not grow past this (as relay.ts bounds Streamable HTTP streams). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;
/** The endpoint is sealed into the session token, whose length is bounded: a real one is a path and a session id. */
const MAX_ENDPOINT_CHARS = 1_024;
/** What may come before the endpoint event (comments, a retry field): a few KiB at most. */
const MAX_BEFORE_ENDPOINT = 16 * 1024;
/** Server messages kept while no client stream is open: a few (roots/list, list_changed) is normal; more is an upstream talking to nobody. */
const MAX_QUEUED = 256;
/** The liveness key's time to live, and how often the holder refreshes it: a holder gone for a TTL is dead. */
export const LIVE_TTL_SECONDS = 30;
const LIVE_TOUCH_MS = 10_000;
/** Node's timers hold at most this (~24.8 days); a longer session TTL is cut there. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * How long a holder stays with no client stream open and no client message: a client that left without
 * DELETE never comes back, and its upstream stream would otherwise be held for the whole session TTL.
 * An open client stream (a pending call, a GET stream, a legacy client's stream) keeps it, however long.
 */
const HOLDER_IDLE_MS = 10 * 60_000;
/** Upstream streams one consumer holds of one server on one replica: far above any real client, far below what exhausts sockets. */
const MAX_HOLDERS_PER_CONSUMER = 256;

const bounds = { idleMs: HOLDER_IDLE_MS, maxPerConsumer: MAX_HOLDERS_PER_CONSUMER };

/** Tests only: a tiny idle time or cap, so that reaching them takes milliseconds and a few sessions. Without an argument, the defaults again. */
export function setSseHolderBoundsForTests(next: Partial<typeof bounds> = {}): void {
  bounds.idleMs = next.idleMs ?? HOLDER_IDLE_MS;
  bounds.maxPerConsumer = next.maxPerConsumer ?? MAX_HOLDERS_PER_CONSUMER;
}

/** Holders (and streams being opened) by server and consumer, on this replica. */
const holdersOf = new Map<string, number>();

function countHolder(key: string, by: 1 | -1): void {
  const n = (holdersOf.get(key) ?? 0) + by;
  if (n > 0) holdersOf.set(key, n);
  else holdersOf.delete(key);
}

/** The buses whose close ends their holders (registered once per bus). */
const watchedBuses = new WeakSet<McpBus>();

interface ClientStream {
  readonly id: string;
  readonly kind: 'post' | 'get';
  readonly tokens: ReadonlySet<string | number>;
}

/** The streams this replica holds, by the upstream pool they use (closed with it, compile.ts closeMcpServers). */
const held = new Set<SseUpstream>();

export class SseUpstream {
  /**
   * Opens the upstream stream for a client's initialize: resolves once the endpoint event came, was on
   * the upstream's own origin, and the holder listens on the bus. The client leaving meanwhile, the
   * upstream failing, or no endpoint within ENDPOINT_TIMEOUT_MS, is a GatewayError (nothing is held).
   */
  public static async open(x: Exchange): Promise<SseUpstream> {
    const route = x.route as CompiledMcpProxy;
    const up = route.upstream;
    const consumer = x.consumer.name;
    const slot = `${route.name}\n${consumer}`;
    // Counted from the start: concurrent initializes must not all pass the check before any holds.
    if ((holdersOf.get(slot) ?? 0) >= bounds.maxPerConsumer) throw Errors.mcpTooManySessions(route.name, consumer, bounds.maxPerConsumer);
    if (!up.breaker.allow()) throw Errors.mcpCircuitOpen(route.name);
    countHolder(slot, 1);
    let kept = false;
    const headers = { ...up.headers, accept: 'text/event-stream' };
    // Not callMcpUpstream: that call ends with its client request, and this stream outlives it.
    const call = callUpstream(up.pool, { path: up.path, method: 'GET', headers, body: undefined, headersTimeoutMs: ENDPOINT_TIMEOUT_MS, bodyTimeoutMs: 0 });
    let gone = false;
    const stopListening = x.ctx.cancellation.onCancel(() => {
      gone = true;
      call.abort(new Error('the client went away'));
    });
    try {
      let response: UpstreamResponse;
      try {
        response = await call.response;
      } catch (e) {
        if (gone) {
          up.breaker.abandon();
          throw Errors.clientGone();
        }
        up.breaker.failure();
        throw transportError(route, e);
      }
      const status = response.statusCode;
      if (status >= 400) {
        await discard(response);
        if (status >= 500) up.breaker.failure();
        if (status === 401 || status === 403) throw Errors.upstreamAuth(route.name);
        if (status >= 500) throw Errors.upstreamFailed(route.name, status);
        // 404, 405: the configured URL is not an HTTP+SSE endpoint (a config mistake, not the upstream failing).
        throw Errors.mcpUpstreamBadAnswer(route.name, `its SSE endpoint answered a GET with HTTP ${status}; check upstream.url and upstream.transport`);
      }
      const type = mediaType(response);
      if (type !== 'text/event-stream') {
        await discard(response);
        throw Errors.mcpUpstreamBadAnswer(route.name, `a GET answered with '${type}', not an SSE stream`);
      }
      up.breaker.success();
      const holder = new SseUpstream(route, busOf(x.deps), x.deps.logger, response);
      // The holder gives its count back whenever it ends, from here on: the stream may end at any await below.
      holder.slot = slot;
      kept = true;
      const data = await holder.firstEndpoint(() => gone);
      try {
        holder.endpoint = checkEndpoint(route, data);
      } catch (e) {
        // Nothing is posted anywhere: the stream ends here, and the upstream is charged for it.
        holder.discard();
        up.breaker.failure();
        throw e;
      }
      holder.channels = sseChannels(route.name, holder.id);
      holder.ref = sessionRef(holder.id, holder.endpoint);
      await holder.start(x.ctx.snapshot.mcpSessionTtlSeconds);
      return holder;
    } finally {
      stopListening();
      if (!kept) countHolder(slot, -1);
    }
  }

  private readonly streams: ClientStream[] = [];
  private readonly queued: JsonObject[] = [];
  /** Deliveries in the order the upstream sent them. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopListening: (() => void) | undefined;
  /** Runs while no client stream is open: its end closes the holder. */
  private idle: NodeJS.Timeout | undefined;
  /** This holder's count in holdersOf, given back on close. */
  private slot: string | undefined;
  /** The gauge of sessions, once a session was sealed on this holder (countSession): brought down on close. */
  private gauge: Exchange['deps']['metrics']['mcpSessionsActive'] | undefined;
  /** 128 random bits naming the session's channels: the upstream's endpoint need not differ between sessions. */
  public readonly id = randomBytes(16).toString('base64url');
  /** Known once the endpoint event came (until then, only `open` uses the holder). */
  public endpoint = '';
  /** What the session token carries (sse-channels.ts sessionRef): the id and the endpoint. */
  public ref = '';
  public channels!: SseChannels;
  /** The stream's first phase: the endpoint event's data, or why it did not come. */
  private endpointFound!: { resolve: (data: string) => void; reject: (e: Error) => void };
  /** Messages read after the endpoint and before the holder listens on the bus: delivered once it does. */
  private early: string[] | undefined = [];

  private constructor(
    /** The route it serves: an unchanged server's holders move to the route of the snapshot a reload installs (handOverSseUpstreams). */
    public route: CompiledMcpProxy,
    private readonly bus: McpBus,
    private readonly logger: Exchange['deps']['logger'],
    private readonly response: UpstreamResponse,
  ) {}

  /**
   * Starts the one reading of the stream (framed, each event bounded), and resolves to the first
   * `endpoint` event's data. The upstream failing, going silent for ENDPOINT_TIMEOUT_MS, or sending a
   * few KiB without an endpoint, is its failure; the client leaving is not.
   */
  private async firstEndpoint(gone: () => boolean): Promise<string> {
    const route = this.route;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.response.abort(new Error('no endpoint event'));
    }, ENDPOINT_TIMEOUT_MS);
    const found = new Promise<string>((resolve, reject) => (this.endpointFound = { resolve, reject }));
    this.read();
    try {
      return await found;
    } catch (e) {
      this.discard();
      if (gone()) {
        route.upstream.breaker.abandon();
        throw Errors.clientGone();
      }
      route.upstream.breaker.failure();
      if (timedOut) throw Errors.upstreamTimeout(route.name, 'the SSE endpoint event', ENDPOINT_TIMEOUT_MS);
      throw Errors.mcpUpstreamBadAnswer(route.name, (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Listens for the session's client streams, keeps the liveness key, and relays what the upstream sent meanwhile. */
  private async start(ttlSeconds: number): Promise<void> {
    const endedMeanwhile = (): Error => Errors.mcpUpstreamBadAnswer(this.route.name, 'its SSE stream ended as the session started');
    // The upstream may end its stream at any await here (close() has run): nothing is started after it.
    if (this.closed) throw endedMeanwhile();
    held.add(this);
    try {
      const stop = await this.bus.subscribe(this.channels.toHolder, (data) => this.onClient(data));
      if (this.closed) stop();
      else this.stopListening = stop;
      if (!this.closed) await this.bus.set(this.channels.live, '1', LIVE_TTL_SECONDS);
    } catch (e) {
      this.close('the MCP bus could not be reached');
      throw Errors.mcpUpstreamBadAnswer(this.route.name, `the MCP bus could not be reached: ${(e as Error).message}`);
    }
    if (this.closed) {
      void this.bus.delete(this.channels.live).catch(() => undefined);
      throw endedMeanwhile();
    }
    const touch = setInterval(() => {
      void this.bus
        .touch(this.channels.live, LIVE_TTL_SECONDS)
        .then((alive) => (alive || this.closed ? undefined : this.bus.set(this.channels.live, '1', LIVE_TTL_SECONDS)))
        .catch((e: Error) => this.logger.warn({ server: this.route.name, err: e.message }, 'mcp: the liveness key of an HTTP+SSE upstream stream could not be refreshed'));
    }, LIVE_TOUCH_MS);
    const expire = setTimeout(() => this.close('the session reached mcp.sessionTtlSeconds'), Math.min(ttlSeconds * 1000, MAX_TIMER_MS));
    for (const t of [touch, expire]) {
      t.unref();
      this.timers.push(t);
    }
    if (!watchedBuses.has(this.bus)) {
      watchedBuses.add(this.bus);
      // A reload that replaced the bus (its `redis` changed): nobody reaches this holder on the old one
      // any more. Ended, so its clients get 404 and initialize again, rather than a holder that dangles.
      const bus = this.bus;
      bus.onClose(() => {
        for (const h of [...held]) if (h.bus === bus) h.close("the gateway's MCP bus was replaced (its redis changed)");
      });
    }
    const early = this.early ?? [];
    this.early = undefined;
    for (const event of early) this.onEvent(event);
    this.armIdle();
  }

  /** A session was sealed on this holder: counted in `aigw_mcp_sessions_active` until the holder ends, whatever ends it. */
  public countSession(metrics: Exchange['deps']['metrics']): void {
    if (this.closed || this.gauge) return;
    this.gauge = metrics.mcpSessionsActive;
    this.gauge.inc({ server: this.route.name });
  }

  /** Starts the idle time again when no client stream is open; stops it while one is. */
  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (this.closed || this.streams.length > 0) return;
    const ms = bounds.idleMs;
    this.idle = setTimeout(() => this.close(`no client used the session for ${ms} ms`), ms);
    this.idle.unref();
  }

  /** Ends a stream that never became a session's. */
  private discard(): void {
    this.closed = true;
    this.releaseSlot();
    this.response.abort(new Error('the session did not start'));
  }

  private releaseSlot(): void {
    if (this.slot !== undefined) countHolder(this.slot, -1);
    this.slot = undefined;
  }

  /** Ends the upstream stream (the upstream then ends its session) and tells every waiting client stream. Idempotent. */
  public close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    held.delete(this);
    this.releaseSlot();
    this.gauge?.dec({ server: this.route.name });
    this.gauge = undefined;
    clearTimeout(this.idle);
    for (const t of this.timers) clearTimeout(t);
    this.stopListening?.();
    this.response.abort(new Error(why));
    // Before the endpoint came there are no channels yet: nobody listens, nothing to delete.
    if (!this.channels) return;
    const ignore = (): undefined => undefined;
    void this.bus.delete(this.channels.live).catch(ignore);
    void this.bus.publish(this.channels.answers, envelope({ t: 'end', why })).catch(ignore);
  }

  /** The stream's one reading: the endpoint first, then every message; the upstream ending or breaking off closes the session. */
  private read(): void {
    const framer = new SseFramer();
    let unframed = 0;
    let beforeEndpoint = 0;
    let endpoint = false;
    this.response
      .forEachChunk((chunk) => {
        const events = framer.push(chunk);
        if (!endpoint) {
          beforeEndpoint += chunk.length;
          if (beforeEndpoint > MAX_BEFORE_ENDPOINT) throw new Error(`no endpoint event in its first ${MAX_BEFORE_ENDPOINT} bytes`);
        }
        if (events.length === 0) {
          unframed += chunk.length;
          if (unframed > MAX_EVENT_BYTES) throw new Error(`an SSE event over ${MAX_EVENT_BYTES} bytes`);
          return undefined;
        }
        unframed = 0;
        for (const event of events) {
          if (!endpoint) {
            // The spec's first event; anything before it has no session to belong to.
            if (eventName(event) !== 'endpoint') continue;
            endpoint = true;
            this.endpointFound.resolve(eventData(event) ?? '');
          } else if (this.early) {
            if (this.early.length >= MAX_QUEUED) throw new Error(`over ${MAX_QUEUED} messages before the session started`);
            this.early.push(event);
          } else {
            this.onEvent(event);
          }
        }
        // The upstream waits while the bus is slow: its messages are never held here without bound.
        return this.chain;
      })
      .then(
        () => {
          if (!endpoint) return this.endpointFound.reject(new Error('the stream ended before its endpoint event'));
          this.close('the upstream ended its SSE stream');
        },
        (e: Error) => {
          // Before the endpoint, `open` charges the upstream (or not, when the client left).
          if (!endpoint) return this.endpointFound.reject(e);
          if (this.closed) return;
          // Not charged to the breaker: one crash breaks every session's stream at once, which is one failure,
          // not as many as there were sessions; whether the upstream is down, the next connection to it says.
          this.logger.warn({ server: this.route.name, err: boundedForLog(e.message ?? String(e)) }, 'mcp: an HTTP+SSE upstream stream broke off');
          this.close(`the upstream stream broke off (${boundedForLog(e.message ?? String(e))})`);
        },
      )
      // Never an unhandled rejection (the process would end): whatever the handlers above threw is logged.
      .catch((e: unknown) => this.logger.error({ server: this.route.name, err: e }, 'mcp: an HTTP+SSE upstream stream failed'));
  }

  private onEvent(event: string): void {
    if (!isMessageEvent(event)) return;
    const data = eventData(event);
    if (data === undefined || data === '') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) return;
    this.deliver(message as JsonObject);
  }

  /** A message from a client stream, on any replica. */
  private onClient(data: string): void {
    const e = openEnvelope(data);
    if (!e || this.closed) return;
    switch (e.t) {
      case 'hello': {
        this.streams.push({ id: e.id, kind: e.kind, tokens: new Set(e.tokens) });
        this.armIdle();
        // What waited for a stream goes to the one that just opened (or, by the rule, a better one).
        for (const m of this.queued.splice(0)) this.deliver(m);
        return;
      }
      case 'bye':
        return this.forget(e.id);
      case 'bounce':
        this.forget(e.id);
        return this.deliver(e.m);
      case 'close':
        return this.close('the client ended the session');
      case 'touch':
        return this.armIdle();
      default:
        return;
    }
  }

  private forget(id: string): void {
    const i = this.streams.findIndex((s) => s.id === id);
    if (i >= 0) this.streams.splice(i, 1);
    if (this.streams.length === 0) this.armIdle();
  }

  private deliver(m: JsonObject): void {
    this.chain = this.chain.then(() => this.send(m)).catch((e: Error) => this.logger.warn({ server: this.route.name, err: e.message }, 'mcp: a message of an HTTP+SSE upstream could not be relayed'));
  }

  private async send(m: JsonObject): Promise<void> {
    const data = envelope({ t: 'm', m });
    if (isResponse(m)) {
      await this.bus.publish(this.channels.answers, data);
      return;
    }
    for (;;) {
      const target = this.pick(m);
      if (!target) {
        this.queued.push(m);
        if (this.queued.length > MAX_QUEUED) {
          this.queued.shift();
          this.logger.warn({ server: this.route.name, max: MAX_QUEUED }, 'mcp: an HTTP+SSE upstream sent more server messages than are kept while no client stream is open; the oldest was dropped');
        }
        return;
      }
      if ((await this.bus.publish(this.channels.stream(target.id), data)) > 0) return;
      // Nobody listens there any more (a replica that went away without its bye).
      this.forget(target.id);
    }
  }

  /** The rule of the module's comment. */
  private pick(m: JsonObject): ClientStream | undefined {
    const token = m.method === 'notifications/progress' ? (m.params as { progressToken?: unknown } | undefined)?.progressToken : undefined;
    if (typeof token === 'string' || typeof token === 'number') {
      const owner = this.streams.find((s) => s.tokens.has(token));
      if (owner) return owner;
    }
    return this.streams.find((s) => s.kind === 'post') ?? [...this.streams].reverse().find((s) => s.kind === 'get');
  }
}

/**
 * Each replaced route's successor in the snapshot a reload installed (null: its server was removed or
 * changed). A holder opened on a route while a reload replaced it joins the handover when that route's
 * snapshot is released (closeSseUpstreams).
 */
const successors = new WeakMap<CompiledMcpProxy, CompiledMcpProxy | null>();

function successorOf(route: CompiledMcpProxy): CompiledMcpProxy | null {
  let current: CompiledMcpProxy | null = route;
  while (current && successors.has(current)) current = successors.get(current)!;
  return current === route ? null : current;
}

/**
 * `route`'s snapshot is being released: its holders move to the route that replaced it when their server
 * is unchanged (opened while a reload ran, they missed the handover), else they end (the pool would wait for them forever).
 */
export function closeSseUpstreams(route: CompiledMcpProxy): void {
  for (const h of [...held]) {
    if (h.route !== route) continue;
    const next = successorOf(route);
    if (next) h.route = next;
    else h.close('the gateway released the configuration that opened it');
  }
}

/**
 * A reload installs a new snapshot: the holders of a server whose config (and credential) is unchanged
 * move to the new snapshot's route and live on, so the old snapshot's release no longer ends them (their
 * upstream stream stays on the old pool, which closes once they end); a removed or changed server's end
 * now. Called when the snapshot is installed, never at compile: a compiled snapshot that is not applied
 * must not take them.
 */
export function handOverSseUpstreams(from: Iterable<CompiledMcpRoute>, to: Iterable<CompiledMcpRoute>): void {
  const next = new Map<string, CompiledMcpProxy>();
  for (const r of to) if (r.server === 'proxy') next.set(r.name, r);
  const previous = new Set<CompiledMcpRoute>(from);
  for (const r of previous) {
    if (r.server !== 'proxy') continue;
    const successor = next.get(r.name);
    successors.set(r, successor && sameUpstream(r, successor) ? successor : null);
  }
  for (const h of [...held]) {
    if (!previous.has(h.route)) continue;
    const successor = next.get(h.route.name);
    if (successor && sameUpstream(h.route, successor)) h.route = successor;
    else h.close(successor ? 'a reload changed its MCP server' : 'a reload removed its MCP server');
  }
}

function sameUpstream(a: CompiledMcpProxy, b: CompiledMcpProxy): boolean {
  return JSON.stringify(a.config) === JSON.stringify(b.config) && JSON.stringify(a.upstream.headers) === JSON.stringify(b.upstream.headers);
}

/**
 * The endpoint event's URL, resolved against the upstream's URL, as a path and query. An endpoint on
 * another origin is refused: the gateway sends its upstream credential and the clients' messages to the
 * declared upstream only (an upstream, or whoever answers for it, must not turn the gateway against another host).
 */
function checkEndpoint(route: CompiledMcpProxy, data: string): string {
  const declared = new URL(route.config.upstream.url);
  let url: URL | undefined;
  try {
    url = new URL(data.trim(), declared);
  } catch {
    url = undefined;
  }
  const refuse = (why: string): never => {
    throw Errors.mcpUpstreamBadAnswer(route.name, why);
  };
  if (!url) return refuse(`its endpoint event '${boundedForLog(data)}' is not a URL`);
  if (url.origin !== declared.origin) return refuse(`its endpoint event names another origin (${boundedForLog(url.origin)}) than upstream.url's (${declared.origin}); the gateway posts to the declared upstream only`);
  const path = `${url.pathname}${url.search}`;
  if (path.length > MAX_ENDPOINT_CHARS || !/^[\x21-\x7e]+$/.test(path)) return refuse(`its endpoint is over ${MAX_ENDPOINT_CHARS} characters or not visible ASCII`);
  return path;
}

function eventName(event: string): string {
  for (const line of event.split(/\r?\n/)) if (line.startsWith('event:')) return line.slice(6).trim();
  return 'message';
}

function isMessageEvent(event: string): boolean {
  return eventName(event) === 'message';
}
