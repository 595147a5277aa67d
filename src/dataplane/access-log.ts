import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs: one access line per request, plus lifecycle events. Credentials are never logged:
 * the access record has a fixed shape with no headers or bodies, so there is nothing to redact per line.
 * On stdout, lines are written asynchronously, coalesced while a write is in flight (a synchronous write
 * per request was the largest single cost in the benchmark profile); `flushLogs` empties the buffer.
 */
export function createLogger(destination?: DestinationStream, level: string = process.env.AIGW_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: 'aigw' } }, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Writes out whatever the logger still buffers (before exit). */
export function flushLogs(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
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
  requestedModel?: string;
  servedModel?: string;
  backend?: string;
  provider?: string;
  inputTokens?: number;
  outputTokens?: number;
  stream?: boolean;
  error?: string;
  aborted?: boolean;
  /** Attempts beyond the first on the same backend. */
  retries?: number;
}
