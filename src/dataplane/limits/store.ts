/** One counter to check and charge. */
export interface ConsumeEntry {
  readonly key: string;
  /** The most the counter may hold after this charge. */
  readonly limit: number;
  /** What this check adds: 1 for a request rule, the pre-charged estimate for a token rule. A positive integer. */
  readonly amount: number;
  /** Expiry of the counter, set only when this charge creates it. */
  readonly ttlMs: number;
}

export type ConsumeResult =
  /** Every amount was added; `counts[i]` is entry i's counter after the charge. */
  | { readonly admitted: true; readonly counts: readonly number[] }
  /** Nothing was added; entry `failed` (an index into the entries) had no room; `counts[i]` is entry i's current counter. */
  | { readonly admitted: false; readonly failed: number; readonly counts: readonly number[] };

/** Where counters live: this process (LocalLimitStore) or Redis, shared by every replica (RedisLimitStore). */
export interface LimitStore {
  readonly kind: 'local' | 'redis';
  /** Prepended to every counter key the limiter builds. */
  readonly keyPrefix: string;
  /**
   * All or nothing, atomically: admits only if `current + amount <= limit` for every entry
   * (an entry listed twice counts both amounts), and then adds every amount; otherwise adds nothing.
   * Rejects when the store cannot be reached.
   */
  consume(entries: readonly ConsumeEntry[]): Promise<ConsumeResult>;
  /** Adds `delta` (possibly negative) to a counter that still exists; a counter that expired stays gone. */
  adjust(key: string, delta: number, ttlMs: number): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Amounts, limits and TTLs are integers (Redis INCRBY and PEXPIRE take nothing else). */
export function checkEntries(entries: readonly ConsumeEntry[]): void {
  for (const e of entries) {
    if (!Number.isSafeInteger(e.amount) || e.amount < 1) throw new RangeError(`rate limit charge for ${e.key}: amount ${e.amount} is not a positive integer`);
    if (!Number.isSafeInteger(e.limit) || e.limit < 0) throw new RangeError(`rate limit charge for ${e.key}: limit ${e.limit} is not an integer >= 0`);
    if (!Number.isSafeInteger(e.ttlMs) || e.ttlMs < 1) throw new RangeError(`rate limit charge for ${e.key}: ttlMs ${e.ttlMs} is not a positive integer`);
  }
}
