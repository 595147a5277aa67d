import pino, { type DestinationStream, type Logger } from 'pino';
import type { AccessLogField } from '../specs';

/**
 * Lines on stdout go out in batches, as nginx's `access_log ... buffer=` does: written when 4 KiB are
 * held, and at least every 200 ms while any line is held. One write per line was the largest single
 * cost at a fixed 1,500 requests/s (BENCHMARKS.md: `writeString` 29% of the process's busy time, the
 * kernel's share of a write per access line). A line waits at most `flushIntervalMs`; a process that
 * exits writes what it holds (pino's exit hook, and `flushLogs` at the end of a drain); one killed
 * with SIGKILL loses at most that.
 */
export const LOG_BATCH = { minBytes: 4_096, flushIntervalMs: 200 } as const;

/**
 * JSON logs: one access line per request, plus lifecycle events. Credentials are never logged:
 * the access record has a fixed shape with no headers or bodies, so there is nothing to redact per line.
 * On stdout, lines are written asynchronously in batches (LOG_BATCH); `flushLogs` empties the buffer.
 */
export function createLogger(destination?: DestinationStream, level: string = process.env.AIGW_LOG_LEVEL ?? 'info'): Logger {
  const logger = pino({ level, base: { service: 'aigw' } }, destination ?? batchedDestination(1));
  ownLoggers.add(logger);
  return logger;
}

/** What an access line ends with, whichever writer wrote it. */
const ACCESS_LINE_END = '"msg":"access"}\n';

/** What the batch reads of pino's asynchronous destination (sonic-boom): what it holds, and whether a write is under way. */
interface SonicBoomState {
  readonly _len: number;
  readonly _writing: boolean;
  readonly destroyed: boolean;
}

/**
 * Lines to `fd` through pino's asynchronous destination, which holds them until LOG_BATCH.minBytes.
 * Only access lines wait: any other line (config, errors, drain: rare, and read by people) goes out
 * at once with whatever is held before it. `flushPeriodically` writes out a batch that stays short.
 */
export class BatchedDestination implements DestinationStream {
  private readonly boom: ReturnType<typeof pino.destination>;
  /** A line that must go out at once arrived while a write was under way: write what is held when it ends. */
  private urgent = false;

  public constructor(fd: number) {
    this.boom = pino.destination({ dest: fd, sync: false, minLength: LOG_BATCH.minBytes });
    // 'drain': a write ended and less than a batch is held, which sonic-boom would otherwise keep.
    this.boom.on('drain', () => {
      if (!this.urgent) return;
      this.urgent = false;
      this.flushHeld();
    });
  }

  public write(line: string): void {
    this.boom.write(line);
    if (line.endsWith(ACCESS_LINE_END)) return;
    if ((this.boom as unknown as SonicBoomState)._writing) this.urgent = true;
    else this.boom.flush();
  }

  /** pino's `logger.flush(cb)`. */
  public flush(cb?: (err?: Error) => void): void {
    this.boom.flush(cb);
  }

  /** Writes out what is held, unless nothing is or a write is under way (which takes what is held when it ends). */
  public flushHeld(): void {
    const state = this.boom as unknown as SonicBoomState;
    if (state._len > 0 && !state._writing && !state.destroyed) this.boom.flush();
  }
}

export function batchedDestination(fd: number): BatchedDestination {
  return new BatchedDestination(fd);
}

/** Loggers made by createLogger: plain pino with no formatters, hooks or multistream, so writeAccessLine may write for them. */
const ownLoggers = new WeakSet<Logger>();

/** Writes out whatever the logger still buffers (before exit). */
export function flushLogs(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * Writes out a batch that has not reached LOG_BATCH.minBytes every LOG_BATCH.flushIntervalMs, for a logger
 * made by `createLogger` on a batched destination; an idle process writes nothing. Returns the function that stops it.
 */
export function flushPeriodically(logger: Logger): () => void {
  const stream = (logger as unknown as Record<symbol, unknown>)[streamSym];
  if (!ownLoggers.has(logger) || !(stream instanceof BatchedDestination)) return () => undefined;
  const timer = setInterval(() => stream.flushHeld(), LOG_BATCH.flushIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

const { chindingsSym, streamSym, timeSym } = pino.symbols;

/**
 * Writes one access line to the destination of a logger made by `createLogger`: the JSON pino would write for
 * `logger.info(record, 'access')` (level, time, the logger's bindings, the fields, msg), built as one
 * string from the record's fixed shape instead of pino's generic walk over its keys, which showed
 * as the largest single allocation site per request.
 */
export function writeAccessLine(logger: Logger, r: AccessRecord): void {
  // A logger passed in by an embedder may have formatters, hooks, redaction or a multistream: pino writes for it.
  if (!ownLoggers.has(logger)) return void logger.info(r, 'access');
  if (!logger.isLevelEnabled('info')) return;
  const internals = logger as unknown as Record<symbol, unknown>;
  const time = internals[timeSym] as () => string;
  let line = `{"level":30${time()}${internals[chindingsSym] as string},"method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)}`;
  line += `,"host":${JSON.stringify(r.host)},"status":${r.status},"durationMs":${num(r.durationMs)}`;
  if (r.overheadMs !== undefined) line += `,"overheadMs":${num(r.overheadMs)}`;
  if (r.ttftMs !== undefined) line += `,"ttftMs":${num(r.ttftMs)}`;
  if (r.route !== undefined) line += `,"route":${JSON.stringify(r.route)}`;
  if (r.consumer !== undefined) line += `,"consumer":${JSON.stringify(r.consumer)}`;
  if (r.requestedModel !== undefined) line += `,"requestedModel":${JSON.stringify(r.requestedModel)}`;
  if (r.modelEntry !== undefined) line += `,"modelEntry":${JSON.stringify(r.modelEntry)}`;
  if (r.servedModel !== undefined) line += `,"servedModel":${JSON.stringify(r.servedModel)}`;
  if (r.targetModel !== undefined) line += `,"targetModel":${JSON.stringify(r.targetModel)}`;
  if (r.backend !== undefined) line += `,"backend":${JSON.stringify(r.backend)}`;
  if (r.provider !== undefined) line += `,"provider":${JSON.stringify(r.provider)}`;
  if (r.inputTokens !== undefined) line += `,"inputTokens":${num(r.inputTokens)}`;
  if (r.outputTokens !== undefined) line += `,"outputTokens":${num(r.outputTokens)}`;
  if (r.estimatedTokens !== undefined) line += `,"estimatedTokens":${num(r.estimatedTokens)}`;
  if (r.stream !== undefined) line += `,"stream":${r.stream}`;
  if (r.error !== undefined) line += `,"error":${JSON.stringify(r.error)}`;
  if (r.errorDetail !== undefined) line += `,"errorDetail":${JSON.stringify(r.errorDetail)}`;
  if (r.aborted !== undefined) line += `,"aborted":${r.aborted}`;
  if (r.retries !== undefined) line += `,"retries":${num(r.retries)}`;
  if (r.requestId !== undefined) line += `,"requestId":${JSON.stringify(r.requestId)}`;
  if (r.wafRules !== undefined) line += `,"wafRules":${JSON.stringify(r.wafRules)}`;
  if (r.protocol !== undefined) line += `,"protocol":${JSON.stringify(r.protocol)}`;
  (internals[streamSym] as DestinationStream).write(`${line},"msg":"access"}\n`);
}

/**
 * The access record with only the fields the config selects (`observability.accessLog.fields`), and
 * what extensions added (`ext`), for pino to write: a selection is the operator's choice of what is
 * logged, so nothing else appears, not even the request line.
 */
export function selectAccessFields(r: AccessRecord, fields: readonly AccessLogField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) if (r[field] !== undefined) out[field] = r[field];
  const ext = (r as { ext?: unknown }).ext;
  if (ext !== undefined) out.ext = ext;
  return out;
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** What one access-log line says. */
export interface AccessRecord {
  method: string;
  path: string;
  host: string;
  status: number;
  durationMs: number;
  overheadMs?: number;
  ttftMs?: number;
  route?: string;
  consumer?: string;
  /** The model name the client sent, cut to a bounded length (log-bounds.ts). */
  requestedModel?: string;
  /** The configured model entry it matched: a metric label, from a set known at config load. */
  modelEntry?: string;
  /** The model name sent upstream (bounded like requestedModel: a `*` target sends the client's name). */
  servedModel?: string;
  /** The configured target model (the entry's name for a `*` target): a metric label. */
  targetModel?: string;
  backend?: string;
  provider?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Tokens charged to the limits from an estimate (prompt and relayed text) when the provider reported no usage. */
  estimatedTokens?: number;
  stream?: boolean;
  /** A code from a fixed list (errors.ts and the proxies' own few): it becomes a metric label. */
  error?: string;
  /** What the error code does not say (an upstream's transport error), bounded; logged, never a label. */
  errorDetail?: string;
  aborted?: boolean;
  /** Attempts beyond the first on the same backend. */
  retries?: number;
  /** Set when the WAF matched: the id its log line and its 403 carry. */
  requestId?: string;
  /** The WAF rules that matched, comma-separated (ids from a set fixed at load). */
  wafRules?: string;
  /** On the TLS listener: `HTTP/2` or `HTTP/1.1`, as ALPN chose (the plain listener's lines leave it out). */
  protocol?: 'HTTP/2' | 'HTTP/1.1';
}
