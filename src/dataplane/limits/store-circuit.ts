/**
 * Refused without asking the store: its circuit is open. The limiter treats it like any store failure
 * (the route's onRedisUnavailable decides), but no request waited for it.
 */
export class StoreCircuitOpenError extends Error {
  public constructor(store: string) {
    super(`rate limit store ${store} did not answer its last command; deciding without it until a probe gets an answer`);
    this.name = 'StoreCircuitOpenError';
  }
}

export type StoreCircuitState = 'closed' | 'open';

export interface StoreCircuitOptions {
  /** What the errors and logs call the store, e.g. `redis 10.0.0.5:6379`. */
  readonly name: string;
  /** Asks the store for a cheap answer (Redis PING). Run in the background, one at a time, while open. */
  readonly probe: () => Promise<unknown>;
  /** Wait between one probe's failure and the next probe. Default 250 ms. */
  readonly probeIntervalMs?: number;
  readonly onOpen?: (err: unknown) => void;
  readonly onClose?: () => void;
}

/**
 * A circuit in front of a limit store. A frozen Redis (connected, never answering) costs each command
 * the full command timeout; so once one command has failed (timed out or errored) the circuit opens and
 * every call fails at once, without touching the store, while a background probe asks the store
 * (one probe at a time, `probeIntervalMs` apart). The first answer, from a probe or from any command
 * that was already on its way, closes it. No request ever waits to find out whether the store is back.
 */
export class StoreCircuit {
  private open = false;
  private disposed = false;
  private probeTimer?: NodeJS.Timeout;
  private closedWaiters: (() => void)[] = [];
  private readonly probeIntervalMs: number;

  public constructor(private readonly options: StoreCircuitOptions) {
    this.probeIntervalMs = options.probeIntervalMs ?? 250;
  }

  public get state(): StoreCircuitState {
    return this.open ? 'open' : 'closed';
  }

  /** Runs `command` while closed; fails at once with StoreCircuitOpenError while open. */
  public async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.open) throw new StoreCircuitOpenError(this.options.name);
    let result: T;
    try {
      result = await command();
    } catch (err) {
      this.trip(err);
      throw err;
    }
    this.reset();
    return result;
  }

  /** Opens the circuit (if closed) and starts probing. */
  public trip(err: unknown): void {
    if (this.open || this.disposed) return;
    this.open = true;
    this.options.onOpen?.(err);
    this.scheduleProbe();
  }

  /** The store answered: closes the circuit (if open). */
  public reset(): void {
    if (!this.open) return;
    this.open = false;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.options.onClose?.();
    const waiters = this.closedWaiters;
    this.closedWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when the circuit is (or next becomes) closed. For startup checks and tests. */
  public whenClosed(): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** Stops probing for good (the store is closing). */
  public dispose(): void {
    this.disposed = true;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private scheduleProbe(): void {
    if (this.disposed || !this.open || this.probeTimer) return;
    this.probeTimer = setTimeout(() => void this.probeOnce(), this.probeIntervalMs);
    // A probe never keeps the process alive on its own.
    this.probeTimer.unref();
  }

  private async probeOnce(): Promise<void> {
    try {
      await this.options.probe();
    } catch {
      this.probeTimer = undefined;
      this.scheduleProbe();
      return;
    }
    this.probeTimer = undefined;
    this.reset();
  }
}
