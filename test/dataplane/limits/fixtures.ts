import { Writable } from 'stream';
import pino, { type Logger } from 'pino';
import type { RateLimitDecision, RateLimiterHooks } from '../../../src/dataplane/limits';
import type { RateLimitConfig } from '../../../src/specs';

export function rule(partial: Partial<RateLimitConfig> & Pick<RateLimitConfig, 'kind' | 'limit'>): RateLimitConfig {
  return { name: `${partial.kind}-${partial.limit}`, window: 'minute', scope: 'consumer', ...partial };
}

/** A pino logger whose lines land in `lines`, parsed. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** Hooks that record what they are told. */
export interface RecordingHooks extends RateLimiterHooks {
  readonly decisions: { decision: RateLimitDecision; rule?: string }[];
  readonly errors: { op: string; err: unknown }[];
}

export function recordingHooks(): RecordingHooks {
  const decisions: { decision: RateLimitDecision; rule?: string }[] = [];
  const errors: { op: string; err: unknown }[] = [];
  return {
    decisions,
    errors,
    onDecision: (decision, r) => decisions.push({ decision, rule: r?.name }),
    onBackendError: (err, op) => errors.push({ err, op }),
  };
}
