import { systemClock, type Clock } from './clock';
import { checkEntries, type ConsumeEntry, type ConsumeResult, type LimitStore } from './store';

interface Counter {
  value: number;
  readonly expiresAt: number;
}

export interface LocalLimitStoreOptions {
  readonly clock?: Clock;
  readonly keyPrefix?: string;
  /** How often (in clock time) expired counters are dropped from memory. Default 10 s. */
  readonly sweepIntervalMs?: number;
}

/**
 * Counters in this process's memory, for gateways without Redis: each replica enforces the limits alone.
 * Expiry follows the injected clock; no timers run.
 */
export class LocalLimitStore implements LimitStore {
  public readonly kind = 'local' as const;
  public readonly keyPrefix: string;
  private readonly clock: Clock;
  private readonly counters = new Map<string, Counter>();
  private readonly sweepIntervalMs: number;
  private nextSweepAt: number;

  public constructor(options: LocalLimitStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.keyPrefix = options.keyPrefix ?? '';
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    this.nextSweepAt = this.clock.now() + this.sweepIntervalMs;
  }

  /** Counters currently held (expired ones may linger until the next sweep). */
  public get size(): number {
    return this.counters.size;
  }

  /** Synchronous inside, so atomic with respect to every other call. */
  public consume(entries: readonly ConsumeEntry[]): Promise<ConsumeResult> {
    try {
      checkEntries(entries);
    } catch (err) {
      return Promise.reject(err);
    }
    const now = this.clock.now();
    this.sweep(now);
    const counts = entries.map((e) => this.live(e.key, now)?.value ?? 0);
    const pending = new Map<string, number>();
    let failed = -1;
    entries.forEach((e, i) => {
      const total = (pending.get(e.key) ?? 0) + e.amount;
      pending.set(e.key, total);
      if (failed < 0 && counts[i]! + total > e.limit) failed = i;
    });
    if (failed >= 0) return Promise.resolve({ admitted: false, failed, counts });
    const after = entries.map((e) => {
      let counter = this.live(e.key, now);
      if (!counter) {
        counter = { value: 0, expiresAt: now + e.ttlMs };
        this.counters.set(e.key, counter);
      }
      counter.value += e.amount;
      return counter.value;
    });
    return Promise.resolve({ admitted: true, counts: after });
  }

  public adjust(key: string, delta: number, _ttlMs: number): Promise<void> {
    const counter = this.live(key, this.clock.now());
    if (counter) counter.value += delta;
    return Promise.resolve();
  }

  /** The counter's value, or undefined when it does not exist or has expired. */
  public peek(key: string): number | undefined {
    return this.live(key, this.clock.now())?.value;
  }

  public close(): Promise<void> {
    this.counters.clear();
    return Promise.resolve();
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.expiresAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.sweepIntervalMs;
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt <= now) this.counters.delete(key);
    }
  }
}
