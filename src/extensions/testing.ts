/**
 * A small harness for unit tests of extensions: the contexts each hook receives, built in memory (a KV with TTLs,
 * a logger that records its lines), without a gateway. Not for production use.
 */
import type {
  ExtensionKv,
  ExtensionLogger,
  ExtensionRequest,
  ExtensionResponse,
  JsonObject,
  JsonValue,
  LogContext,
  Responded,
  RequestHookContext,
  ResponseHookContext,
  RouteKind,
  StreamChunkContext,
  StreamEvent,
} from './types';

/** An ExtensionKv in this process's memory, with TTLs (checked on read) and a count of calls per operation. */
export class MemoryKv implements ExtensionKv {
  public readonly calls = { get: 0, set: 0, delete: 0, incrBy: 0 };
  private readonly entries = new Map<string, { value: string; expires: number }>();

  public async get(key: string): Promise<string | undefined> {
    this.calls.get++;
    const entry = this.entries.get(key);
    if (entry && entry.expires <= Date.now()) this.entries.delete(key);
    return this.entries.get(key)?.value;
  }

  public async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.calls.set++;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error(`ttlSeconds must be a positive integer, found ${ttlSeconds}`);
    this.entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 });
  }

  public async delete(key: string): Promise<void> {
    this.calls.delete++;
    this.entries.delete(key);
  }

  public async incrBy(key: string, delta: number, ttlSeconds: number): Promise<number> {
    this.calls.incrBy++;
    const current = Number((await this.get(key)) ?? '0') + delta;
    const entry = this.entries.get(key);
    this.entries.set(key, { value: String(current), expires: entry?.expires ?? Date.now() + ttlSeconds * 1000 });
    return current;
  }

  /** The keys stored now (expired ones excluded). */
  public keys(): string[] {
    const now = Date.now();
    return [...this.entries].filter(([, e]) => e.expires > now).map(([k]) => k);
  }
}

export interface LoggedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

/** A logger that keeps its lines in `lines`. */
export function recordingLogger(): ExtensionLogger & { readonly lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at = (level: LoggedLine['level']) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** What a test may set about the request; the rest has defaults (an OpenAI chat request on route `chat`). */
export interface TestRequestOptions {
  readonly extension?: string;
  readonly consumer?: string;
  readonly route?: { readonly name: string; readonly kind: RouteKind };
  readonly model?: string;
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  readonly remoteAddress?: string;
  readonly headers?: Record<string, string>;
  readonly body?: JsonObject;
  /** Shared between the contexts of one request, as the gateway keeps one scratch per extension and request. */
  readonly scratch?: Record<string, unknown>;
  readonly kv?: ExtensionKv;
  /** The gateway's consumers by API key, for `authenticate` (key-auth). @default - none */
  readonly consumerKeys?: Readonly<Record<string, string>>;
}

/** What `respond` / `respondText` were called with, when a hook answered. */
export interface TestAnswer {
  readonly status: number;
  readonly body?: JsonValue;
  readonly text?: string;
  readonly headers: Record<string, string>;
}

export type TestRequestContext<C extends JsonObject> = RequestHookContext<C> & {
  /** The hook's own answer, if it answered. */
  answer: TestAnswer | undefined;
  readonly log: ReturnType<typeof recordingLogger>;
};

function base<C extends JsonObject>(config: C, options: TestRequestOptions) {
  return {
    extension: options.extension ?? 'test',
    config,
    consumer: options.consumer,
    route: options.route ?? { name: 'chat', kind: 'model' as const },
    model: options.model ?? (typeof options.body?.model === 'string' ? options.body.model : undefined),
    log: recordingLogger(),
    scratch: options.scratch ?? {},
    kv: options.kv ?? new MemoryKv(),
    signal: new AbortController().signal,
  };
}

function request(options: TestRequestOptions): ExtensionRequest {
  return {
    method: options.method ?? 'POST',
    path: options.path ?? '/v1/chat/completions',
    query: options.query ?? '',
    remoteAddress: options.remoteAddress ?? '127.0.0.1',
    headers: { ...(options.headers ?? {}) },
    body: options.body === undefined ? undefined : (JSON.parse(JSON.stringify(options.body)) as JsonObject),
  };
}

/** The context onRequest gets. */
export function requestContext<C extends JsonObject>(config: C, options: TestRequestOptions = {}): TestRequestContext<C> {
  const ctx: TestRequestContext<C> = {
    ...base(config, options),
    request: request(options),
    answer: undefined,
    respond(status: number, body: JsonValue, headers: Record<string, string> = {}): Responded {
      ctx.answer = { status, body, headers };
      return { status };
    },
    respondText(status: number, text: string, headers: Record<string, string> = {}): Responded {
      ctx.answer = { status, text, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } };
      return { status };
    },
    authenticate(key: string): string | undefined {
      const keys = options.consumerKeys ?? {};
      const name = Object.hasOwn(keys, key) ? keys[key] : undefined;
      // As the gateway does: the request is the consumer's from then on.
      if (name !== undefined) (ctx as { consumer: string | undefined }).consumer = name;
      return name;
    },
  };
  return ctx;
}

export interface TestResponseOptions {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: JsonValue;
  readonly streamed?: boolean;
}

/** The context onResponse and onStreamEnd get. */
export function responseContext<C extends JsonObject>(
  config: C,
  options: TestRequestOptions = {},
  response: TestResponseOptions = {},
): ResponseHookContext<C> & { readonly log: ReturnType<typeof recordingLogger> } {
  const res: ExtensionResponse = {
    status: response.status ?? 200,
    headers: { 'content-type': response.streamed ? 'text/event-stream' : 'application/json', ...(response.headers ?? {}) },
    body: response.body === undefined ? undefined : (JSON.parse(JSON.stringify(response.body)) as JsonValue),
    streamed: response.streamed ?? false,
  };
  return { ...base(config, options), request: request(options), response: res };
}

/** The context onStreamChunk gets for one event, with what the hook did to it (`dropped`, `ended`). */
export function streamChunkContext<C extends JsonObject>(
  config: C,
  options: TestRequestOptions,
  event: StreamEvent,
): StreamChunkContext<C> & { dropped: boolean; ended: boolean; readonly log: ReturnType<typeof recordingLogger> } {
  const ctx = {
    ...base(config, options),
    request: request(options),
    event: { ...event },
    dropped: false,
    ended: false,
    drop() {
      ctx.dropped = true;
    },
    end() {
      ctx.ended = true;
    },
  };
  return ctx;
}

/** The context onLog gets; `fields` collects what the hook added. */
export function logContext<C extends JsonObject>(
  config: C,
  options: TestRequestOptions = {},
  record: Record<string, unknown> = {},
): LogContext<C> & { readonly log: ReturnType<typeof recordingLogger> } {
  return { ...base(config, options), record, fields: {} };
}

/** Parses SSE text into events, as the gateway frames them: for tests that check a replayed stream. */
export function parseSse(text: string): StreamEvent[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}
