import type {
  ExtensionDefinition,
  ExtensionKv,
  ExtensionRequest,
  JsonObject,
  JsonValue,
  LogContext,
  RequestHookContext,
  ResponseHookContext,
  StreamChunkContext,
  StreamEvent,
} from '../../../src/extensions';
import type { MarketplaceManifest } from '../../../src/extensions/catalog-types';

/** A KV in memory, with the TTLs it was given (the gateway's is Redis or this replica's memory). */
export class MemoryKv implements ExtensionKv {
  public readonly entries = new Map<string, { value: string; ttlSeconds: number }>();
  public async get(key: string) {
    return this.entries.get(key)?.value;
  }
  public async set(key: string, value: string, ttlSeconds: number) {
    this.entries.set(key, { value, ttlSeconds });
  }
  public async delete(key: string) {
    this.entries.delete(key);
  }
  public async incrBy(key: string, delta: number, ttlSeconds: number) {
    const next = Number(this.entries.get(key)?.value ?? 0) + delta;
    this.entries.set(key, { value: String(next), ttlSeconds: this.entries.get(key)?.ttlSeconds ?? ttlSeconds });
    return next;
  }
}

/** A request's parts, its body any object literal (tests write OpenAI and Anthropic bodies whose union types are not JsonObject's). */
export type RequestInit = Partial<Omit<ExtensionRequest, 'body'>> & { body?: object };

export interface Answered {
  status: number;
  body: JsonValue;
  headers?: Record<string, string>;
}

/**
 * One request through one extension's hooks, as the gateway would run them: the config parsed by the manifest,
 * one scratch space and KV for the whole request, and what `respond` answered (the request then went no further).
 */
export class HookRun {
  public readonly scratch: Record<string, unknown> = {};
  public readonly logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  public answered: Answered | undefined;
  public readonly request: ExtensionRequest;
  private readonly config: JsonObject;
  private readonly definition: ExtensionDefinition<JsonObject>;

  public constructor(
    manifest: MarketplaceManifest,
    config: JsonObject = {},
    request: RequestInit = {},
    private readonly kv: ExtensionKv = new MemoryKv(),
    private readonly who: { consumer?: string; route?: string; model?: string } = { consumer: 'team-a', route: 'chat', model: 'gpt-4o' },
  ) {
    this.definition = manifest.definition as ExtensionDefinition<JsonObject>;
    this.config = this.definition.parseConfig ? this.definition.parseConfig(config) : config;
    this.request = { method: 'POST', path: '/v1/chat/completions', query: '', remoteAddress: '127.0.0.1', headers: {}, ...request, body: request.body as JsonObject | undefined };
  }

  /** Runs onRequest; returns what it answered, if it did. */
  public async onRequest(): Promise<Answered | undefined> {
    const ctx: RequestHookContext<JsonObject> = {
      ...this.base(),
      request: this.request,
      respond: (status, body, headers) => {
        this.answered = { status, body, headers };
        return { status };
      },
      respondText: (status, text, headers) => {
        this.answered = { status, body: text, headers };
        return { status };
      },
      // No marketplace extension identifies consumers.
      authenticate: () => undefined,
    };
    await this.definition.onRequest?.(ctx);
    return this.answered;
  }

  /** Runs onResponse on a non-streamed JSON answer; returns the answer as the client would get it. */
  public async onResponse(body: object, status = 200, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const response = { status, headers, body: body as JsonValue, streamed: false };
    const ctx: ResponseHookContext<JsonObject> = { ...this.base(), request: this.request, response };
    await this.definition.onResponse?.(ctx);
    return response;
  }

  /**
   * Runs onRequest and onResponse as the gateway does, counting the reads and writes of the parsed bodies: the
   * gateway parses a body only when a hook reads it, and sends one a hook touched re-serialized (no longer the bytes
   * it received). Returns the counts.
   */
  public async bodyAccesses(answer: object | undefined, status = 200, streamed = false): Promise<{ request: number; response: number }> {
    const counts = { request: 0, response: 0 };
    countAccesses(this.request, 'body', () => counts.request++);
    await this.onRequest();
    const response = { status, headers: {}, body: answer as JsonValue | undefined, streamed };
    countAccesses(response, 'body', () => counts.response++);
    await this.definition.onResponse?.({ ...this.base(), request: this.request, response });
    return counts;
  }

  /** Runs onResponse (streamed) then onStreamChunk on each event; returns the events as sent (dropped ones left out). */
  public async stream(events: (object | string)[]): Promise<string[]> {
    const response = { status: 200, headers: { 'content-type': 'text/event-stream' }, body: undefined, streamed: true };
    await this.definition.onResponse?.({ ...this.base(), request: this.request, response });
    const sent: string[] = [];
    for (const e of events) {
      const event: StreamEvent = { event: undefined, data: typeof e === 'string' ? e : JSON.stringify(e) };
      let dropped = false;
      const drop = () => void (dropped = true);
      const ctx: StreamChunkContext<JsonObject> = { ...this.base(), request: this.request, event, drop, end: () => undefined };
      await this.definition.onStreamChunk?.(ctx);
      if (!dropped) sent.push(event.data);
    }
    return sent;
  }

  /** Runs onLog with this access record; returns the fields it added. */
  public onLog(record: Record<string, unknown> = { status: 200 }): Record<string, string | number | boolean> {
    const ctx: LogContext<JsonObject> = { ...this.base(), record, fields: {} };
    this.definition.onLog?.(ctx);
    return ctx.fields;
  }

  private base() {
    const log = (level: string) => (message: string, fields?: Record<string, unknown>) => void this.logs.push({ level, message, fields });
    return {
      extension: this.definition.name,
      config: this.config,
      consumer: this.who.consumer,
      route: { name: this.who.route ?? 'chat', kind: 'model' as const },
      model: this.who.model,
      log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      scratch: this.scratch,
      kv: this.kv,
      signal: new AbortController().signal,
    };
  }
}

/** Replaces `holder[key]` with an accessor that calls `counted` on each read or write, keeping the value. */
function countAccesses(holder: object, key: string, counted: () => void): void {
  let value: unknown = (holder as Record<string, unknown>)[key];
  Object.defineProperty(holder, key, {
    get: () => {
      counted();
      return value;
    },
    set: (v: unknown) => {
      counted();
      value = v;
    },
  });
}

/** The parse error `parseConfig` throws for this config, or undefined when it passes. */
export function configError(manifest: MarketplaceManifest, config: JsonObject): string | undefined {
  try {
    manifest.definition.parseConfig?.(config);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
