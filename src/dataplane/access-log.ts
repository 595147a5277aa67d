import { writeSync } from 'fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { AccessLogField } from '../specs';

/**
 * Lines on stdout go out in batches, as nginx's `access_log ... buffer=64k` does: written when 64 KiB
 * are held, and at least every 200 ms while any line is held. One write per line was the largest
 * single cost at a fixed 1,500 requests/s (BENCHMARKS.md: `writeString` 29% of the process's busy
 * time, the kernel's share of a write per access line); batches of 4 KiB still left 9%. A line waits at
 * most `flushIntervalMs`; a process that exits writes what it holds (an exit hook, and `flushLogs` at
 * the end of a drain); one killed with SIGKILL loses at most that.
 */
export const LOG_BATCH = { minBytes: 65_536, flushIntervalMs: 200 } as const;

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

/**
 * Lines to `fd` through pino's asynchronous destination (sonic-boom, which queues while a write is under
 * way), held here in an array until LOG_BATCH.minBytes and handed over as one string. Held by sonic-boom
 * itself (its `minLength`), a batch is one string grown by `+=` and measured with Buffer.byteLength at
 * every line, which flattens it: 30 KB copied per request at 64 KiB (the bench's bytes allocated per
 * request went from 43 KB to 74 KB). Only access lines wait: any other line (config, errors, drain: rare,
 * and read by people) goes out at once with whatever is held before it. `flushPeriodically` writes out a
 * batch that stays short.
 */
export class BatchedDestination implements DestinationStream {
  private readonly boom: ReturnType<typeof pino.destination>;
  private held: string[] = [];
  /** UTF-16 units held: the threshold's measure (access lines are mostly ASCII, so about their bytes). */
  private heldUnits = 0;

  public constructor(private readonly fd: number) {
    this.boom = pino.destination({ dest: fd, sync: false });
    liveDestinations.add(this);
  }

  public write(line: string): void {
    this.held.push(line);
    this.heldUnits += line.length;
    if (this.heldUnits >= LOG_BATCH.minBytes || !line.endsWith(ACCESS_LINE_END)) this.flushHeld();
  }

  /** Hands what is held to the destination, as one write. */
  public flushHeld(): void {
    if (this.held.length === 0) return;
    const batch = this.held.length === 1 ? this.held[0]! : this.held.join('');
    this.held = [];
    this.heldUnits = 0;
    this.boom.write(batch);
  }

  /** pino's `logger.flush(cb)`: what is held goes to the destination; `cb` once the destination has written everything. */
  public flush(cb?: (err?: Error) => void): void {
    this.flushHeld();
    if ((this.boom as unknown as { _writing: boolean })._writing) this.boom.once('drain', () => cb?.());
    else cb?.();
  }

  /**
   * At exit: what the destination queued, then what is held here, synchronously (handed to the destination,
   * it would become an asynchronous write that the exit does not wait for).
   */
  public flushSync(): void {
    try {
      this.boom.flushSync();
    } catch {
      // stdout gone (EPIPE), or a write under way: what follows is still written.
    }
    if (this.held.length === 0) return;
    const batch = Buffer.from(this.held.join(''), 'utf8');
    this.held = [];
    this.heldUnits = 0;
    for (let offset = 0, tries = 0; offset < batch.length && tries < 100; tries++) {
      try {
        offset += writeSync(this.fd, batch, offset);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
    }
  }

  /** No longer written out at exit (its logger's data plane has drained and flushed). */
  public release(): void {
    this.flushHeld();
    liveDestinations.delete(this);
  }
}

/** Destinations whose held lines are written at process exit. */
const liveDestinations = new Set<BatchedDestination>();
process.once('exit', () => {
  for (const destination of liveDestinations) destination.flushSync();
});

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
  return () => {
    clearInterval(timer);
    stream.release();
  };
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
