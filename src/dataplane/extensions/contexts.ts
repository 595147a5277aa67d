import type { IncomingHttpHeaders } from 'http';
import type {
  ExtensionKv,
  ExtensionLogger,
  ExtensionRequest,
  ExtensionResponse,
  HookContext,
  JsonObject,
  JsonValue,
  RequestHookContext,
  Responded,
  RouteKind,
} from '../../extensions';
import { difyRequestOf, difyUserMover } from '../agents/dify-consumer';
import { consumerWithKey } from '../auth';
import type { RequestContext } from '../request-context';
import type { CompiledExtension, CompiledExtensions } from './compile';
import { extensionKv } from './kv';
import type { HookCall, HookEnv } from './runner';
import type { PipelineDeps } from '../stages/stage';

/** An answer a hook gave in place of the upstream's (`respond`, `respondText`). */
export interface HookAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** Headers a hook may not set on the answer: the gateway frames the body itself. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * What the extensions of one request share: created by the request-extensions stage (or the account stage, for
 * onLog alone) only when the config has extensions, so that a request without any allocates none of it.
 */
export class RequestExtensions implements HookEnv {
  public readonly metrics: PipelineDeps['metrics'];
  public readonly logger: PipelineDeps['logger'];
  /** The request as hooks see it; built on first use. */
  private view: RequestView | undefined;
  private readonly scratches = new Map<string, Record<string, unknown>>();
  private kvs: Map<string, ExtensionKv> | undefined;
  /** The headers onRequest set that go upstream (credential and framing headers left out). */
  public upstreamHeaders: Record<string, string> | undefined;
  /** The client's headers onRequest removed (lower-case): not forwarded where the gateway forwards client headers. */
  public removedHeaders: ReadonlySet<string> | undefined;
  /** An onRequest hook answered the request. */
  public answer: HookAnswer | undefined;
  /** The answer's status and headers once onResponse ran (for onStreamEnd). */
  public response: ResponseView | undefined;

  public constructor(
    public readonly ctx: RequestContext,
    private readonly deps: PipelineDeps,
    public readonly compiled: CompiledExtensions,
  ) {
    this.metrics = deps.metrics;
    this.logger = deps.logger;
  }

  public get cancellation(): RequestContext['cancellation'] {
    return this.ctx.cancellation;
  }

  public get request(): RequestView {
    return (this.view ??= new RequestView(this.ctx));
  }

  /** Whether the request view was built (so onRequest may have changed it). */
  public get requestSeen(): RequestView | undefined {
    return this.view;
  }

  /** What every hook of `ext` sees, with `extra` (the hook's own fields); `call` gives its signal. */
  public context<T extends object>(ext: CompiledExtension, call: HookCall, extra: T): HookContext & T {
    const ctx = this.ctx;
    const route = ctx.route;
    const base = new BaseContext(call, ext.name, ext.config, this.scratch(ext.name), this.kv(ext), loggerFor(this.logger, ext.name));
    base.consumer = ctx.record.consumer;
    base.route = { name: ctx.record.route ?? route?.name ?? '', kind: route?.kind ?? 'model' };
    base.model = ctx.request?.requested;
    return Object.assign(base, extra);
  }

  private scratch(name: string): Record<string, unknown> {
    let scratch = this.scratches.get(name);
    if (!scratch) this.scratches.set(name, (scratch = {}));
    return scratch;
  }

  private kv(ext: CompiledExtension): ExtensionKv {
    const kvs = (this.kvs ??= new Map());
    let kv = kvs.get(ext.name);
    if (!kv) kvs.set(ext.name, (kv = extensionKv(this.deps.mcpBus, ext.kvPrefix)));
    return kv;
  }

  /**
   * `respond` / `respondText` of one onRequest call: the first answer wins, and a call that already ended (an
   * async hook abandoned over its budget, answering late) answers nothing: the request has moved on.
   */
  public responder(call: HookCall): Pick<RequestHookContext, 'respond' | 'respondText' | 'authenticate'> {
    return {
      authenticate: (key) => (call.ended || typeof key !== 'string' || key === '' ? undefined : this.becomeConsumer(key)),
      respond: (status, body, headers) => this.answerWith(call, status, JSON.stringify(body ?? null), { 'content-type': 'application/json', ...lowerCased(headers) }),
      respondText: (status, text, headers) => {
        if (typeof text !== 'string') throw new TypeError(`respondText takes a string (found ${typeof text})`);
        return this.answerWith(call, status, text, { 'content-type': 'text/plain; charset=utf-8', ...lowerCased(headers) });
      },
    };
  }

  /** The request is the consumer's whose key this is (key-auth): limits, metrics, the access line and later hooks see it. */
  private becomeConsumer(key: string): string | undefined {
    const ctx = this.ctx;
    const consumer = consumerWithKey(ctx.snapshot, key);
    if (!consumer) return undefined;
    const previous = ctx.caller.kind === 'consumer' ? ctx.caller.consumer.name : undefined;
    // The built-in key auth admitted the request on its caller's grants: another key cannot make it someone else's.
    if (previous !== undefined && previous !== consumer.name && builtInKeyAuth(ctx)) {
      this.logger.warn({ consumer: previous }, "an extension's authenticate named another consumer than the one the built-in key auth admitted: refused");
      return undefined;
    }
    ctx.caller = { kind: 'consumer', consumer };
    ctx.record.consumer = consumer.name;
    // An agent exposed as a model is told who calls it: the consumer the request now belongs to.
    const agentCall = ctx.request?.agentCall;
    if (agentCall) ctx.request = { ...ctx.request!, agentCall: { ...agentCall, consumer: consumer.name } };
    // A Dify route's `user` was set by the read stage for the caller then: it is the new consumer's namespace now.
    if (ctx.agentRequest?.protocol === 'dify' && previous !== consumer.name) {
      const move = difyUserMover(previous, consumer.name);
      ctx.agentRequest = difyRequestOf(ctx.agentRequest, move);
      // An earlier hook read the body: the view holds the old user, and is what goes upstream.
      const body = this.view?.touched ? this.view.body : undefined;
      if (typeof body?.user === 'string') body.user = move(body.user);
    }
    return consumer.name;
  }

  private answerWith(call: HookCall, status: number, body: string, headers: Record<string, string>): Responded {
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new TypeError(`respond: the status is an integer from 200 to 599 (found ${String(status)})`);
    for (const name of FRAMING_HEADERS) delete headers[name];
    if (call.ended) this.logger.warn({ status }, 'an extension answered after its onRequest call had ended (over its time budget): ignored');
    else this.answer ??= { status, body, headers };
    return { status };
  }
}

/** Whether the request's route has the built-in key auth on (MCP servers always have it). */
function builtInKeyAuth(ctx: RequestContext): boolean {
  const route = ctx.route;
  return route !== undefined && (route.kind === 'mcp' || route.config.policies.keyAuth.enabled);
}

/** A hook's context: a class, so that its `signal` is a getter on the prototype (made only if a hook reads it). */
class BaseContext implements HookContext {
  public consumer: string | undefined;
  public route: { readonly name: string; readonly kind: RouteKind } = { name: '', kind: 'model' };
  public model: string | undefined;

  public constructor(
    private readonly call: HookCall,
    public readonly extension: string,
    public readonly config: JsonObject,
    public readonly scratch: Record<string, unknown>,
    public readonly kv: ExtensionKv,
    public readonly log: ExtensionLogger,
  ) {}

  public get signal(): AbortSignal {
    return this.call.signal;
  }
}

/** Lower-case names, string values; nothing else gets through. */
function lowerCased(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers) for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function loggerFor(logger: PipelineDeps['logger'], extension: string): ExtensionLogger {
  const line = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => logger[level]({ ...fields, extension }, String(message).slice(0, 1000));
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/**
 * The request as hooks see it. `body` is read lazily: the parsed JSON of a model request (multipart: none), a Dify
 * or Model Studio request's JSON; a hook that reads or sets it marks it `touched`, and the stage then sends the
 * body as it is after the hooks (a request whose body no hook touched keeps the client's bytes).
 */
export class RequestView implements ExtensionRequest {
  public readonly method: string;
  public readonly path: string;
  public readonly query: string;
  public readonly remoteAddress: string;
  public readonly headers: Record<string, string>;
  /** The headers as the client sent them, to see what hooks set. */
  public readonly original: Readonly<Record<string, string>>;
  public touched = false;
  private value: JsonObject | undefined;
  private loaded = false;

  public constructor(private readonly ctx: RequestContext) {
    this.method = ctx.req.method ?? '';
    this.path = ctx.path;
    this.query = ctx.query;
    this.remoteAddress = peerAddress(ctx.req.socket.remoteAddress);
    this.original = headerMap(ctx.req.headers);
    this.headers = { ...this.original };
  }

  public get body(): JsonObject | undefined {
    this.touched = true;
    if (!this.loaded) {
      this.loaded = true;
      this.value = bodyOf(this.ctx);
    }
    return this.value;
  }

  public set body(value: JsonObject | undefined) {
    this.touched = true;
    this.loaded = true;
    this.value = value;
  }

  /** The body's bytes as the client sent them (what a signature covers), as text; undefined for an upload or no body. */
  public get rawBody(): string | undefined {
    const raw = this.ctx.request ? (this.ctx.request.multipart ? undefined : this.ctx.request.raw) : this.ctx.agentRequest?.body;
    return raw?.toString('utf8');
  }
}

/** The request's JSON body: a model request's (not an upload's form fields), a Dify or Model Studio request's. */
function bodyOf(ctx: RequestContext): JsonObject | undefined {
  if (ctx.request) return ctx.request.multipart ? undefined : (ctx.request.body as JsonObject);
  const native = ctx.agentRequest?.body;
  if (!native) return undefined;
  try {
    const parsed: unknown = JSON.parse(native.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function headerMap(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
    else if (Array.isArray(v)) out[name] = v.join(', ');
  }
  return out;
}

/** The socket's peer without the IPv4-mapped prefix Node gives on a dual-stack listener. */
function peerAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The answer as onResponse sees it: `body` read lazily, so that a hook that never reads it costs no parse. */
export class ResponseView implements ExtensionResponse {
  public touched = false;
  private value: JsonValue | undefined;
  private parsed = false;

  public constructor(
    public status: number,
    public readonly headers: Record<string, string>,
    private readonly text: string | undefined,
    public readonly streamed: boolean,
  ) {}

  public get body(): JsonValue | undefined {
    if (!this.parsed) {
      this.parsed = true;
      this.value = parseJson(this.text);
    }
    this.touched = this.value !== undefined || this.touched;
    return this.value;
  }

  public set body(value: JsonValue | undefined) {
    this.parsed = true;
    this.touched = true;
    this.value = value;
  }

  /** The body to send: the hooks' when one touched it, else the upstream's text as it was. */
  public bodyText(): string | undefined {
    if (!this.touched) return this.text;
    return this.value === undefined ? '' : JSON.stringify(this.value);
  }
}

function parseJson(text: string | undefined): JsonValue | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
