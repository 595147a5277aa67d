/**
 * The types of the extension API (index.ts exports them). Hooks run at fixed points of the request path,
 * by phase then priority (descending), each under a time budget and its extension's failure policy.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** When an extension runs, as Higress orders its plugins: authentication, then authorization, then statistics, then the rest. */
export const EXTENSION_PHASES = ['authn', 'authz', 'stats', 'default'] as const;
export type ExtensionPhase = (typeof EXTENSION_PHASES)[number];

export type RouteKind = 'model' | 'agent' | 'mcp';

/** Log lines of an extension: the gateway's logger, each line naming the extension. */
export interface ExtensionLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The longest time a KV entry may live: 32 days, so that a calendar month's counter outlives its month. */
export const KV_MAX_TTL_SECONDS = 32 * 86_400;

/**
 * A small key-value store for caches and quotas: the gateway's Redis (shared by every replica) when its config
 * has one, else this replica's memory. Keys are the extension's own (prefixed with its name by the gateway).
 * Every call rejects when Redis does not answer: the hook's failure policy then decides.
 */
export interface ExtensionKv {
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlSeconds` (an integer from 1 to KV_MAX_TTL_SECONDS). */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Adds `delta` to the integer under `key` (0 when absent, created with `ttlSeconds`) and returns the new value. */
  incrBy(key: string, delta: number, ttlSeconds: number): Promise<number>;
}

/** What every hook sees. */
export interface HookContext<C extends JsonObject = JsonObject> {
  /** The extension's name in the gateway (the construct's `name`). */
  readonly extension: string;
  /** The extension's config, as declared (checked against its schema at synth and at load). */
  readonly config: Readonly<C>;
  /** The calling consumer's name: the one whose key the request carries (or key-auth found); undefined for a caller with no known key. */
  readonly consumer: string | undefined;
  readonly route: { readonly name: string; readonly kind: RouteKind };
  /** The model the request names (model routes): the client's, or what an earlier onRequest hook changed it to (model-mapper); undefined elsewhere. */
  readonly model: string | undefined;
  readonly log: ExtensionLogger;
  /** This request's scratch space, this extension's own: what onRequest leaves here, onResponse and onLog find. */
  readonly scratch: Record<string, unknown>;
  readonly kv: ExtensionKv;
  /** Aborted when the hook's time budget is spent or the client left: an async hook should stop then. */
  readonly signal: AbortSignal;
}

/** The client's request as the hooks see it. */
export interface ExtensionRequest {
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The query string, with its `?`, or ''. */
  readonly query: string;
  /** The address of the peer that connected to the gateway (a proxy's, behind one): IPv4 or IPv6 text, no port. */
  readonly remoteAddress: string;
  /**
   * Lower-case names. onRequest may set or delete entries: what it sets is sent to the upstream too (never the
   * credential headers, which the gateway sets itself).
   */
  readonly headers: Record<string, string>;
  /** The JSON body (model and agent requests); onRequest may change it in place or replace it. Undefined for other bodies. */
  body: JsonObject | undefined;
  /** The body's bytes as the client sent them, as text (what a signature or a hash covers); undefined for uploads and streamed bodies. */
  readonly rawBody?: string;
}

/** The answer as onResponse sees it. */
export interface ExtensionResponse {
  status: number;
  /** Lower-case names; set an entry to set a response header, delete it to drop one. */
  readonly headers: Record<string, string>;
  /** A non-streamed JSON answer, parsed: change it in place or replace it. Undefined for a stream or a body that is not JSON. */
  body: JsonValue | undefined;
  /** Whether the answer is a stream (its events go through onStreamChunk). */
  readonly streamed: boolean;
}

/** A hook's answer in place of the upstream's: returned by `respond`. */
export interface Responded {
  readonly status: number;
}

export interface RequestHookContext<C extends JsonObject = JsonObject> extends HookContext<C> {
  readonly request: ExtensionRequest;
  /** Answers the request with this JSON body (and headers): nothing reaches the upstream, and no later extension's onRequest runs. */
  respond(status: number, body: JsonValue, headers?: Record<string, string>): Responded;
  /**
   * Answers with this text as it is (a replayed event stream: `content-type: text/event-stream`), as `respond` does
   * otherwise. @default content-type text/plain; charset=utf-8
   */
  respondText(status: number, text: string, headers?: Record<string, string>): Responded;
  /**
   * Looks `key` up among the gateway's consumers (the same keys, stored as digests, that the built-in key auth checks,
   * compared in constant time). When a consumer has it, the request is that consumer's from then on: later hooks'
   * `ctx.consumer`, the per-consumer rate and token limits, metrics and the access line. Returns the consumer's name,
   * or undefined when no consumer has the key (nothing changes then), or when the built-in key auth already admitted
   * another consumer on the route's grants (a hook cannot move a request to someone else's grants). Grants are not
   * checked otherwise: the caller decides whom it admits (key-auth's `allow`).
   */
  authenticate(key: string): string | undefined;
}

export interface ResponseHookContext<C extends JsonObject = JsonObject> extends HookContext<C> {
  readonly request: Readonly<ExtensionRequest>;
  readonly response: ExtensionResponse;
}

/** One server-sent event of a streamed answer, framed and parsed. */
export interface StreamEvent {
  /** The `event:` field; undefined when the event has none. */
  event: string | undefined;
  /** The `data:` field. Change it to rewrite the event. */
  data: string;
}

export interface StreamChunkContext<C extends JsonObject = JsonObject> extends HookContext<C> {
  readonly request: Readonly<ExtensionRequest>;
  readonly event: StreamEvent;
  /** This event is not sent. */
  drop(): void;
  /** The stream ends after this event (sent unless dropped): the client gets no more. */
  end(): void;
}

export interface LogContext<C extends JsonObject = JsonObject> extends HookContext<C> {
  /**
   * The access record as it will be written (read only). A model or agent request that ended with no usage report
   * (the client left mid-stream) carries `estimatedTokens`: its prompt's estimate, the text relayed before it left not
   * counted.
   */
  readonly record: Readonly<Record<string, unknown>>;
  /** Fields this extension adds to the access line, under `ext.<extension>`: strings, numbers and booleans, bounded by the gateway. */
  readonly fields: Record<string, string | number | boolean>;
}

/** The MCP server and tool of a `tools/call`, as onToolCall and onToolResult see them. */
export interface ToolCall {
  /** The MCP server's name in the gateway (the route). */
  readonly server: string;
  /**
   * The tool's name as the client called it. In onToolResult, '' for a result the gateway relays without knowing its
   * call: one that reaches the client on a resumed stream (`Last-Event-ID`) or a GET stream, or a task's result
   * (`arguments` is then `{}` too).
   */
  readonly tool: string;
  /** The call's `arguments`: onToolCall may change them in place or replace them (what the upstream then gets). */
  arguments: JsonObject;
}

export interface ToolCallContext<C extends JsonObject = JsonObject> extends HookContext<C> {
  readonly request: Readonly<ExtensionRequest>;
  readonly call: ToolCall;
  /**
   * Answers this call with a tool error (`isError: true` and this text) in place of the upstream: the model sees the
   * refusal and can go on, as with any tool error. Other calls of the same message are not affected.
   */
  refuse(message: string): Responded;
}

/** A tool's result as onToolResult sees it: the JSON-RPC `result` of a `tools/call` (content, structuredContent, isError). */
export interface ToolResultContext<C extends JsonObject = JsonObject> extends HookContext<C> {
  readonly request: Readonly<ExtensionRequest>;
  readonly call: Readonly<ToolCall>;
  /** The `result` object: change it in place or replace it; undefined when the call ended in a JSON-RPC error. */
  result: JsonObject | undefined;
}

/** A request on the admin listener to `/extensions/<extension>/…`, admitted by the gateway's admin token. */
export interface AdminRequest {
  readonly method: string;
  /** The path below `/extensions/<extension>`, starting with `/` (`/` for the extension's own root), as sent (percent-encoded). */
  readonly path: string;
  /**
   * That path's segments, each percent-decoded on its own (`/consumers/team%2Fbob/topup` → `['consumers', 'team/bob',
   * 'topup']`), empty segments left out: match on these, so that a name holding a `/` can be addressed.
   */
  readonly segments: readonly string[];
  /** The query's parameters (the last value of a repeated one). */
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body of a POST, PUT or PATCH; undefined otherwise. */
  readonly body: JsonValue | undefined;
}

export interface AdminContext<C extends JsonObject = JsonObject> {
  readonly extension: string;
  readonly config: Readonly<C>;
  readonly log: ExtensionLogger;
  readonly kv: ExtensionKv;
  readonly request: AdminRequest;
  /** The gateway's consumer names (to check a name an operator sends). */
  readonly consumers: readonly string[];
  readonly signal: AbortSignal;
}

/** An admin call's answer: sent as JSON. */
export interface AdminAnswer {
  readonly status: number;
  readonly body: JsonValue;
}

type HookResult = void | Promise<void>;

export interface ExtensionDefinition<C extends JsonObject = JsonObject> {
  /** The extension's own name (a custom extension's construct `name` must match it). */
  readonly name: string;
  /** Checks and completes the config at load (a zod schema's `parse` fits): throws naming what is wrong. @default the config as it is */
  readonly parseConfig?: (config: JsonObject) => C;
  /** After auth, before limits and routing: may change headers and body, or answer with `ctx.respond`. */
  onRequest?(ctx: RequestHookContext<C>): void | Responded | Promise<void | Responded>;
  /** The answer's status and headers, and a non-streamed answer's body, before they go to the client. */
  onResponse?(ctx: ResponseHookContext<C>): HookResult;
  /** Each event of a streamed answer, before it goes to the client. */
  onStreamChunk?(ctx: StreamChunkContext<C>): HookResult;
  /**
   * After a streamed answer's last event went out, whole (not when the client left or the upstream broke): what
   * onStreamChunk gathered in `ctx.scratch` may be kept (a cache) or checked. Its failure cannot change the answer.
   */
  onStreamEnd?(ctx: ResponseHookContext<C>): HookResult;
  /** The access record, once the request ended: add fields to its line. Synchronous. */
  onLog?(ctx: LogContext<C>): void;
  /** Each `tools/call` to an MCP server, before it goes upstream (or to the HTTP tool backend): may change its arguments or refuse it. */
  onToolCall?(ctx: ToolCallContext<C>): void | Responded | Promise<void | Responded>;
  /** Each `tools/call` result, before it goes to the client (streamed answers included): may change it. */
  onToolResult?(ctx: ToolResultContext<C>): HookResult;
  /**
   * Calls to `/extensions/<extension>/…` on the admin listener (an operator's API: balances, top-ups, cache purges),
   * served only to a caller presenting the gateway's admin token (`adminToken`), never without one.
   */
  onAdmin?(ctx: AdminContext<C>): AdminAnswer | Promise<AdminAnswer>;
}
