/**
 * Notices a client that stops sending its body while the gateway waits for it. Nothing per chunk but
 * a counter, and no timer per body read: every watch with the same timeout is checked by one shared
 * sweep (an unref'd interval that lives while bodies are being read, and ends at the first sweep that
 * finds none, so one request at a time does not make and clear a timer each). At each sweep, a reader
 * that has been waiting since the last sweep with no byte arriving in between is stalled. A stall is
 * therefore noticed between one and two `timeoutMs` after the last byte. Time the reader spends not
 * waiting (the upstream pushing back) never counts against the client.
 */
export class StallWatch {
  private progress = 0;
  /** The progress count at the last sweep, when the reader was waiting then; -1 otherwise. */
  private seen = -1;
  private sweep: Sweep | undefined;

  public constructor(
    timeoutMs: number,
    private readonly waiting: () => boolean,
    private readonly onStall: () => void,
  ) {
    this.sweep = sweepFor(timeoutMs);
    this.sweep.add(this);
  }

  /** Bytes arrived. */
  public tick(): void {
    this.progress++;
  }

  public stop(): void {
    this.sweep?.remove(this);
    this.sweep = undefined;
  }

  /** One sweep: called by the shared interval only. */
  public check(): void {
    if (!this.waiting()) {
      this.seen = -1;
    } else if (this.seen === this.progress) {
      this.stop();
      this.onStall();
    } else {
      this.seen = this.progress;
    }
  }
}

/** The watches of one timeout and the interval that checks them, alive while there are some. */
class Sweep {
  private readonly watches = new Set<StallWatch>();
  private timer: NodeJS.Timeout | undefined;

  public constructor(private readonly timeoutMs: number) {}

  public add(watch: StallWatch): void {
    this.watches.add(watch);
    if (this.timer) return;
    this.timer = setInterval(this.run, this.timeoutMs);
    // A body read in progress is no reason to keep the process alive: the server's sockets are.
    this.timer.unref();
  }

  public remove(watch: StallWatch): void {
    this.watches.delete(watch);
  }

  private readonly run = (): void => {
    if (this.watches.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      SWEEPS.delete(this.timeoutMs);
      return;
    }
    // A watch that stalls removes itself mid-iteration: a Set allows that.
    for (const watch of this.watches) watch.check();
  };
}

/** One sweep per timeout value in use: bounded by the configs loaded (limits.bodyTimeoutMs). */
const SWEEPS = new Map<number, Sweep>();

function sweepFor(timeoutMs: number): Sweep {
  let sweep = SWEEPS.get(timeoutMs);
  if (!sweep) {
    sweep = new Sweep(timeoutMs);
    SWEEPS.set(timeoutMs, sweep);
  }
  return sweep;
}
