/**
 * Long synchronous work cut into slices, so that a reload shares the event loop with requests: a
 * resumable job is a generator that yields between units of work (a route, a chunk of config), and
 * `runSliced` runs it for up to `budgetMs` at a time, giving the loop a turn (setImmediate) in between.
 */

/** A job that yields between units of work and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** How long the longest synchronous slice of a job ran: a reload reports it as `blockedMs`. */
export class SliceClock {
  private longest = 0;
  private started: number | undefined;

  public get longestMs(): number {
    return this.longest;
  }

  /** A synchronous stretch starts (after an await, or at a reload's start). */
  public begin(): void {
    this.started = performance.now();
  }

  /** The stretch begun last ends (before an await that yields to the event loop). */
  public end(): void {
    if (this.started === undefined) return;
    this.longest = Math.max(this.longest, performance.now() - this.started);
    this.started = undefined;
  }
}

/** The longest a slice runs before the loop gets a turn: requests then wait at most about this long behind a reload. */
const SLICE_BUDGET_MS = 4;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `steps` to the end in slices of about `budgetMs`, each timed on `clock`; throws what the job throws. */
export async function runSliced<T>(steps: Steps<T>, clock: SliceClock, budgetMs: number = SLICE_BUDGET_MS): Promise<T> {
  for (;;) {
    // A turn first: the slice must not run on into the synchronous code that called this.
    await turn();
    clock.begin();
    const deadline = performance.now() + budgetMs;
    try {
      for (;;) {
        const step = steps.next();
        if (step.done) return step.value;
        if (performance.now() >= deadline) break;
      }
    } finally {
      clock.end();
    }
  }
}

/** Runs `steps` to the end at once (startup, and callers that want the result now). */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
