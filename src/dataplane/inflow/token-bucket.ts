import type { TickSource } from '../capacity';

/** The smallest burst: one socket read's worth, so that a slow rate still lets a whole read through at once. */
export const MIN_BURST_BYTES = 64 * 1024;

/** The burst a rate allows: a tenth of a second of it, at least MIN_BURST_BYTES. */
export function burstBytes(bytesPerSecond: number): number {
  return Math.max(MIN_BURST_BYTES, Math.floor(bytesPerSecond / 10));
}

/**
 * A token bucket of bytes that may go into debt: a reader takes what it has already read (the bytes are in
 * memory, there is nothing to refuse), and is told how long to stop reading so that the debt is paid off before
 * it reads again. Every taker shares the debt, so readers that take in turn wait in turn and together read
 * at the rate. O(1) per take, no timers: the caller sets its own.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private perMs: number;
  private burst: number;

  public constructor(
    bytesPerSecond: number,
    private readonly clock: TickSource = { now: () => performance.now() },
  ) {
    this.perMs = bytesPerSecond / 1000;
    this.burst = burstBytes(bytesPerSecond);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** The rate the bucket refills at, in bytes per second. */
  public get bytesPerSecond(): number {
    return this.perMs * 1000;
  }

  /** A new rate from now on: what was earned until now at the old one is kept, within the new burst. */
  public setRate(bytesPerSecond: number): void {
    this.refill();
    this.perMs = bytesPerSecond / 1000;
    this.burst = burstBytes(bytesPerSecond);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Takes `bytes` already read; returns how many milliseconds the reader waits before reading more (0: none). */
  public take(bytes: number): number {
    this.refill();
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : -this.tokens / this.perMs;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }
}
