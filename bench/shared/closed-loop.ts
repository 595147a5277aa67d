import { setTimeout as sleep } from 'timers/promises';

/** What one operation resolves: its sample on success; on failure, what was wrong, or false when there is nothing to say. */
export type Outcome<S extends number | object> = S | string | false;

/** What a run of load did: successful operations, failed ones (with the first failure's words), and its length. */
export interface LoopCounts {
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
}

export interface LoopResult<S> extends LoopCounts {
  /** Each successful operation's sample, in the order they ended. */
  readonly samples: S[];
}

/**
 * `workers` closed loops of `op` for `durationMs`, one operation in flight each. With `ratePerS`, the
 * loops together send at most that many per second (each next call leaves on schedule or when the
 * last one returned, whichever is later), so latency is measured below saturation, not as queueing.
 */
export async function closedLoops<S extends number | object>(workers: number, durationMs: number, op: (worker: number) => Promise<Outcome<S>>, ratePerS?: number): Promise<LoopResult<S>> {
  const samples: S[] = [];
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
        const outcome = await op(w);
        if (outcome === false || typeof outcome === 'string') {
          errors++;
          if (outcome !== false) firstError ??= outcome.slice(0, 200);
        } else {
          samples.push(outcome);
        }
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message.slice(0, 200);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  return { ok: samples.length, errors, firstError, seconds: (performance.now() - t0) / 1000, samples };
}
