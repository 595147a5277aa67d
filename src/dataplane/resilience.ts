import { GATEWAY_CONFIG_DEFAULTS } from '../specs';

/** Exponential backoff with full jitter: a random delay in [0, base · 2^attempt), capped. */
export function backoffDelayMs(attempt: number, baseMs: number, random: () => number = Math.random, capMs = 5_000): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** Sleeps, or resolves early when the request is aborted (the client went away). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit keeps the backend out. */
  readonly cooldownMs: number;
}


/**
 * Takes a failing backend out for a cool-down: closed → open after `failureThreshold` consecutive
 * failures; after `cooldownMs` one trial request is let through (half-open); its success closes
 * the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  public constructor(
    // The contract's default: a config without `circuitBreaker` (agents, backends that set none) gets the constructs' default.
    private readonly settings: BreakerSettings = GATEWAY_CONFIG_DEFAULTS.circuitBreaker,
    private readonly clock: { now(): number } = Date,
  ) {}

  public get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed';
    return this.clock.now() - this.openedAt >= this.settings.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may go to the backend now (takes the half-open trial slot if it does). */
  public allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  public success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  /**
   * The attempt ended saying nothing about the backend (the client left, or its own request was at
   * fault): a half-open trial slot it held is given back, so the next request can be the trial.
   * Without this, a trial that ends that way would keep the circuit from ever closing.
   */
  public abandon(): void {
    this.trialInFlight = false;
  }

  public failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.openedAt !== undefined || this.failures >= this.settings.failureThreshold) this.openedAt = this.clock.now();
  }
}
