/**
 * The agents bench's load: raw HTTP with undici (keep-alive pool, its dispatch API: no stream objects
 * per request), so the client's own cost stays small next to what is measured. Each request is timed
 * to its last byte, and to the first byte of content (the first answer text of a stream: OpenAI's
 * first non-empty `content`, Dify's first non-empty `answer`), which is when a user sees something.
 * Runs are closed loops of N workers, one request in flight each; with a pace the workers together
 * send at most `rate` per second (as bench/mcp/load.ts), so latency is measured below saturation.
 */
import { setTimeout as sleep } from 'timers/promises';
import { Pool } from 'undici';

export interface TimedAnswer {
  readonly status: number;
  readonly text: string;
  /** ms from sending to the last byte. */
  readonly totalMs: number;
  /** ms from sending to the first chunk in which `firstContent` matched, if it did. */
  readonly firstContentMs?: number;
}

/** One origin's keep-alive pool. */
export class TimedHttp {
  private readonly pool: Pool;

  public constructor(
    public readonly origin: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /** POSTs `body`; `firstContent` marks the first content byte in the body received so far. */
  public post(path: string, headers: Record<string, string>, body: string, firstContent?: RegExp): Promise<TimedAnswer> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      let status = 0;
      let text = '';
      let firstContentMs: number | undefined;
      this.pool.dispatch(
        { origin: this.origin, path, method: 'POST', headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseData: (_controller, chunk) => {
            text += chunk.toString('utf8');
            if (firstContent && firstContentMs === undefined && firstContent.test(text)) firstContentMs = performance.now() - t0;
          },
          onResponseEnd: () => resolve({ status, text, totalMs: performance.now() - t0, firstContentMs }),
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  }

  public close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** What one successful operation measured, ms. */
export interface Sample {
  readonly totalMs: number;
  readonly firstContentMs?: number;
}

export interface LoadResult {
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  /** Each successful operation's time to its last byte, ms, unsorted. */
  readonly totals: number[];
  /** Each successful streamed operation's time to its first content byte, ms, unsorted. */
  readonly firsts: number[];
}

/**
 * `workers` closed loops of `op` for `durationMs`. `op` resolves a Sample on success, or a string
 * saying what was wrong. With `ratePerS`, the loops together send at most that many per second (each
 * next call leaves on schedule or when the last one returned, whichever is later).
 */
export async function closedLoop(workers: number, durationMs: number, op: () => Promise<Sample | string>, ratePerS?: number): Promise<LoadResult> {
  const totals: number[] = [];
  const firsts: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const end = t0 + durationMs;
  const interval = ratePerS ? (1000 * workers) / ratePerS : 0;
  const loop = async (w: number): Promise<void> => {
    // Spread the paced workers' first sends over one interval, so they do not leave in step.
    let due = t0 + (interval * w) / workers;
    for (;;) {
      if (interval > 0) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        due += interval;
      }
      if (performance.now() >= end) return;
      try {
        const outcome = await op();
        if (typeof outcome === 'string') {
          errors++;
          firstError ??= outcome.slice(0, 200);
        } else {
          totals.push(outcome.totalMs);
          if (outcome.firstContentMs !== undefined) firsts.push(outcome.firstContentMs);
        }
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message.slice(0, 200);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  return { ok: totals.length, errors, firstError, seconds: (performance.now() - t0) / 1000, totals, firsts };
}
