import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock';
import type { RedisLimitStore } from './redis-store';
import { checkEntries, type ConsumeEntry, type ConsumeResult, type LimitStore } from './store';
import { GATEWAY_CONFIG_DEFAULTS } from '../../specs/defaults';

/**
 * The smallest lease worth holding, in charges: a lease that would serve fewer than 10 charges of a
 * check's size saves too few Redis round trips to pay for the budget it holds back from the other
 * replicas (and the early refusals that causes), so such a check is counted exactly, in Redis. Low
 * limits (under 1000 requests at 1 %) thus stay exact by themselves.
 */
export const MIN_LEASE_UNITS = 10;

/** Share of a counter's limit taken per lease, in percent, unless the config says otherwise. */
export const DEFAULT_LEASE_PERCENT: number = GATEWAY_CONFIG_DEFAULTS.redis.leasePercent;

/** Rounds of taking leases one consume may need when concurrent consumes keep using up what it took. */
const MAX_LEASE_ROUNDS = 4;

/** After a background refill failed (Redis unreachable), consumes wait this long before starting another. */
const REFILL_RETRY_MS = 1_000;

/**
 * The lease: KEYS are counters; ARGV holds limit, wanted, ttlMs for each key, in order (each key once).
 * Grants each key min(wanted, limit - current), so the counter never passes its limit, INCRBYs the grant,
 * and sets the expiry only on a key the INCRBY created. Returns {grant, count after} for each key.
 */
export const LEASE_LUA = `
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local current = tonumber(redis.call('GET', key) or '0')
  local room = tonumber(ARGV[3 * i - 2]) - current
  local grant = tonumber(ARGV[3 * i - 1])
  if grant > room then grant = room end
  if grant < 0 then grant = 0 end
  local count = current
  if grant > 0 then
    count = redis.call('INCRBY', key, grant)
    if count == grant then
      redis.call('PEXPIRE', key, ARGV[3 * i])
    end
  end
  out[2 * i - 1] = grant
  out[2 * i] = count
end
return out
`;

interface LeaseCommand {
  aigwRateLimitLease(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<unknown>;
}

/** What this replica knows of one counter. */
interface Lease {
  readonly key: string;
  /** Units this replica has charged to the Redis counter and not used yet. */
  remaining: number;
  /** The Redis counter as this replica last saw it (its own unused units included). */
  seen: number;
  /** The lease size for the counter's limit (0: counted exactly). */
  size: number;
  limit: number;
  ttlMs: number;
  /** The last lease call was cut short by the limit: Redis has no room left (until a refund or a new window). */
  full: boolean;
  /** When the Redis counter expires (its window's end plus grace), in clock time: then this lease is dropped. */
  readonly expiresAt: number;
  /** The lease call on its way for this counter, which concurrent consumes share. */
  inflight?: Promise<void>;
}

export interface LeasedLimitStoreOptions {
  /** Share of each counter's limit one lease takes, in percent (0 < p <= 100). Default 1. */
  readonly leasePercent?: number;
  readonly clock?: Clock;
  /** How often (in clock time) leases of ended windows are dropped from memory, on access. Default 10 s. */
  readonly sweepIntervalMs?: number;
  readonly logger?: Logger;
}

/** The lease size of a counter with this limit: `max(1, floor(limit × leasePercent / 100))`. */
export function leaseSize(limit: number, leasePercent: number): number {
  return Math.max(1, Math.floor((limit * leasePercent) / 100));
}

/**
 * Counters in Redis, charged in leases: per counter, this replica charges a share of the limit (a lease)
 * to the Redis counter at once, then admits locally from it, so that most checks cost no Redis round trip.
 * A lease that runs below half its size is refilled in the background, so steady traffic never waits.
 * A check whose lease would serve fewer than MIN_LEASE_UNITS charges is passed to the Redis store as is.
 *
 * The bound: every unit admitted was charged to Redis first, and a lease never takes the Redis counter past
 * the limit, so admitted requests never exceed a request rule's limit across all replicas; token rules
 * overshoot by no more than the estimate error exact counting already has. The price is early refusal: the
 * unused lease units other replicas hold (at most (replicas − 1) × lease size per counter and window) may
 * be refused while budget is left. With Redis unreachable, a check that fits the local lease is still
 * admitted (its units were counted in Redis); one that needs Redis rejects, as with the Redis store.
 */
export class LeasedLimitStore implements LimitStore {
  public readonly kind = 'redis' as const;
  public readonly keyPrefix: string;
  public readonly leasePercent: number;
  private readonly leases = new Map<string, Lease>();
  private readonly clock: Clock;
  private readonly sweepIntervalMs: number;
  private readonly logger?: Logger;
  private nextSweepAt: number;
  private refillBlockedUntil = 0;

  public constructor(
    /** The Redis store underneath: its client, circuit and scripts; exact checks and settlements go to it. */
    public readonly redis: RedisLimitStore,
    options: LeasedLimitStoreOptions = {},
  ) {
    const percent = options.leasePercent ?? DEFAULT_LEASE_PERCENT;
    if (!(percent > 0 && percent <= 100)) {
      throw new RangeError(`redis.leasePercent: ${percent} is not a share in percent above 0 and at most 100; use e.g. 1 (the default)`);
    }
    this.leasePercent = percent;
    this.keyPrefix = redis.keyPrefix;
    this.clock = options.clock ?? systemClock;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    this.logger = options.logger;
    this.nextSweepAt = this.clock.now() + this.sweepIntervalMs;
    redis.client.defineCommand('aigwRateLimitLease', { lua: LEASE_LUA });
  }

  /** Counters this replica holds state for (leases of ended windows may linger until the next sweep). */
  public get size(): number {
    return this.leases.size;
  }

  /** The unused units this replica holds for `key` (0 when none). For tests and diagnostics. */
  public leaseOf(key: string): number {
    return this.leases.get(key)?.remaining ?? 0;
  }

  /**
   * `counts` are what the rate-limit headers show: the Redis counter as this replica last saw it, plus
   * this replica's local use since (that is, minus the lease units it still holds unused).
   */
  public consume(entries: readonly ConsumeEntry[]): Promise<ConsumeResult> {
    try {
      checkEntries(entries);
    } catch (err) {
      return Promise.reject(err);
    }
    const now = this.clock.now();
    if (now >= this.nextSweepAt) this.sweep(now);
    const n = entries.length;
    // The fast path: every entry fits a lease this replica holds; decided here, without Redis.
    let i = 0;
    for (; i < n; i++) {
      const e = entries[i]!;
      const lease = this.leases.get(e.key);
      // The entry's own limit too: rules of other routes with other limits may share this counter (a consumer-scope rule).
      if (lease === undefined || lease.remaining < e.amount || countOf(lease) + e.amount > e.limit) break;
      lease.remaining -= e.amount;
    }
    if (i === n) {
      const counts = new Array<number>(n);
      let refill = false;
      for (let j = 0; j < n; j++) {
        const lease = this.leases.get(entries[j]!.key)!;
        counts[j] = countOf(lease);
        refill ||= lease.remaining * 2 < lease.size && lease.inflight === undefined && !lease.full;
      }
      if (refill) this.refillAhead(entries, now);
      return Promise.resolve({ admitted: true, counts });
    }
    for (let j = 0; j < i; j++) this.leases.get(entries[j]!.key)!.remaining += entries[j]!.amount;
    return this.consumeWithRedis(entries, now);
  }

  /**
   * Token settlement. On a leased counter, a refund returns units to the lease (beyond one lease size, to
   * Redis, so that no replica holds back more than a lease), and an overrun uses lease units, charging to
   * Redis (the adjust script) what the lease cannot cover. Exactly counted keys go to Redis as they are.
   */
  public adjust(key: string, delta: number, ttlMs: number): Promise<void> {
    if (!Number.isSafeInteger(delta)) return Promise.reject(new RangeError(`rate limit adjustment for ${key}: delta ${delta} is not an integer`));
    const lease = this.leases.get(key);
    if (delta === 0) return Promise.resolve();
    if (lease === undefined || lease.size === 0) return this.redis.adjust(key, delta, ttlMs);
    if (delta < 0) {
      lease.remaining -= delta;
      const excess = lease.remaining - lease.size;
      if (excess <= 0) return Promise.resolve();
      lease.remaining = lease.size;
      lease.seen -= excess;
      return this.redis.adjust(key, -excess, ttlMs);
    }
    const covered = Math.min(delta, lease.remaining);
    lease.remaining -= covered;
    const rest = delta - covered;
    if (rest === 0) return Promise.resolve();
    lease.seen += rest;
    return this.redis.adjust(key, rest, ttlMs);
  }

  public close(): Promise<void> {
    this.leases.clear();
    return this.redis.close();
  }

  /** Drops the leases of counters whose window (and grace) has ended: Redis has dropped the counters too. */
  private sweep(now: number): void {
    this.nextSweepAt = now + this.sweepIntervalMs;
    for (const [key, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(key);
  }

  /** The lease state of an entry's counter, created empty, its size following the entry's limit and amount. */
  private leaseFor(e: ConsumeEntry, now: number): Lease {
    let lease = this.leases.get(e.key);
    if (lease === undefined) {
      lease = { key: e.key, remaining: 0, seen: 0, size: 0, limit: e.limit, ttlMs: e.ttlMs, full: false, expiresAt: now + e.ttlMs };
      this.leases.set(e.key, lease);
    }
    const size = leaseSize(e.limit, this.leasePercent);
    lease.size = size >= MIN_LEASE_UNITS * e.amount ? size : 0;
    lease.limit = e.limit;
    lease.ttlMs = e.ttlMs;
    return lease;
  }

  /** Some entry does not fit its lease: take leases (one script for every short counter), pass exact ones to Redis, then decide. */
  private async consumeWithRedis(entries: readonly ConsumeEntry[], now: number): Promise<ConsumeResult> {
    const n = entries.length;
    const leases = entries.map((e) => this.leaseFor(e, now));
    // An entry is exact when its counter has no lease size for it and its lease (if any) cannot cover it.
    // So is one whose counter, as last seen, leaves no room under its own limit (a lower limit of another rule on the same counter,
    // or one lowered by a reload): Redis decides it against the real counter, as exact counting does.
    const exact = entries.map((e, i) => (leases[i]!.size === 0 && leases[i]!.remaining < e.amount) || countOf(leases[i]!) + e.amount > e.limit);
    let failed = -1;
    for (let round = 0; ; round++) {
      const short = new Map<Lease, number>();
      for (let i = 0; i < n; i++) if (!exact[i]) short.set(leases[i]!, (short.get(leases[i]!) ?? 0) + entries[i]!.amount);
      for (const [lease, need] of short) if (lease.remaining >= need) short.delete(lease);
      if (short.size === 0) {
        failed = -1;
        break;
      }
      // After a round, a counter still short whose Redis counter has no room left (or the last round) refuses.
      if (round > 0) {
        failed = entries.findIndex((_e, i) => !exact[i] && short.has(leases[i]!) && leases[i]!.full);
        if (failed >= 0) break;
        if (round >= MAX_LEASE_ROUNDS) {
          // Still short with room left in Redis: concurrent checks took each lease as it came. Not a refusal: Redis decides these exactly.
          for (let i = 0; i < n; i++) if (!exact[i] && short.has(leases[i]!)) exact[i] = true;
          continue;
        }
      }
      const joined: Promise<void>[] = [];
      const asked: Lease[] = [];
      const wanted: number[] = [];
      for (const [lease, need] of short) {
        if (lease.inflight) {
          joined.push(lease.inflight);
        } else {
          asked.push(lease);
          // The shortfall, plus a lease to serve the next checks.
          wanted.push(need - lease.remaining + Math.max(lease.size, 1));
        }
      }
      if (asked.length > 0) joined.push(this.takeLeases(asked, wanted));
      await Promise.all(joined);
    }
    if (failed >= 0) return { admitted: false, failed, counts: leases.map(countOf) };

    // Every leased entry fits: take its units, then let Redis decide the exact ones, giving the units back if it refuses.
    for (let i = 0; i < n; i++) if (!exact[i]) leases[i]!.remaining -= entries[i]!.amount;
    const counts = leases.map(countOf);
    const exactIndexes: number[] = [];
    for (let i = 0; i < n; i++) if (exact[i]) exactIndexes.push(i);
    if (exactIndexes.length > 0) {
      let result: ConsumeResult;
      try {
        result = await this.redis.consume(exactIndexes.map((i) => entries[i]!));
      } catch (err) {
        this.giveBack(entries, leases, exact);
        throw err;
      }
      exactIndexes.forEach((entryIndex, k) => {
        leases[entryIndex]!.seen = result.counts[k]! + leases[entryIndex]!.remaining;
        counts[entryIndex] = result.counts[k]!;
      });
      if (!result.admitted) {
        this.giveBack(entries, leases, exact);
        for (let i = 0; i < n; i++) if (!exact[i]) counts[i] = countOf(leases[i]!);
        return { admitted: false, failed: exactIndexes[result.failed]!, counts };
      }
    }
    this.refillAhead(entries, now);
    return { admitted: true, counts };
  }

  private giveBack(entries: readonly ConsumeEntry[], leases: readonly Lease[], exact: readonly boolean[]): void {
    for (let i = 0; i < entries.length; i++) if (!exact[i]) leases[i]!.remaining += entries[i]!.amount;
  }

  /** Starts one background lease call for the entries' leases that ran below half their size. Never rejects. */
  private refillAhead(entries: readonly ConsumeEntry[], now: number): void {
    if (now < this.refillBlockedUntil) return;
    let asked: Lease[] | undefined;
    let wanted: number[] | undefined;
    for (const e of entries) {
      const lease = this.leases.get(e.key);
      if (lease === undefined || lease.size === 0 || lease.inflight !== undefined || lease.remaining * 2 >= lease.size || lease.full) continue;
      if (asked?.includes(lease)) continue;
      (asked ??= []).push(lease);
      // Up to one lease size held, so that no replica holds back more than that.
      (wanted ??= []).push(lease.size - lease.remaining);
    }
    if (asked === undefined) return;
    this.takeLeases(asked, wanted!).catch((err: unknown) => {
      this.refillBlockedUntil = this.clock.now() + REFILL_RETRY_MS;
      this.logger?.debug({ err }, 'rate limit lease refill failed; checks use the units left, then follow onRedisUnavailable');
    });
  }

  /** One lease script for `asked` (each counter once), shared through each lease's `inflight` by concurrent consumes. */
  private takeLeases(asked: readonly Lease[], wanted: readonly number[]): Promise<void> {
    const keys = asked.map((l) => l.key);
    const args = asked.flatMap((l, i) => [l.limit, wanted[i]!, Math.max(1, Math.ceil(l.ttlMs))]);
    const call = this.redis
      .run((client: Redis) => (client as unknown as LeaseCommand).aigwRateLimitLease(keys.length, ...keys, ...args))
      .then((reply) => {
        if (!Array.isArray(reply) || reply.length !== 2 * asked.length) throw new Error('unexpected reply from the rate limit lease script');
        asked.forEach((lease, i) => {
          const grant = Number(reply[2 * i]);
          lease.remaining += grant;
          lease.seen = Number(reply[2 * i + 1]);
          lease.full = grant < wanted[i]!;
        });
      });
    for (const lease of asked) lease.inflight = call;
    const done = (): void => {
      for (const lease of asked) if (lease.inflight === call) lease.inflight = undefined;
    };
    call.then(done, done);
    return call;
  }
}

/** What the headers show: the Redis counter as last seen, less the units this replica holds unused. */
function countOf(lease: Lease): number {
  return Math.max(0, lease.seen - lease.remaining);
}
