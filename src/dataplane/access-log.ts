import pino, { type DestinationStream, type Logger } from 'pino';

/** JSON logs: one access line per request, plus lifecycle events. Credentials are never logged. */
export function createLogger(destination?: DestinationStream, level: string = process.env.AIGW_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'aigw' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: these never reach a log call, but a future one must not leak them.
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["api-key"]', 'apiKey'], censor: '[redacted]' },
    },
    destination,
  );
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
