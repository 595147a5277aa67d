import type { RateLimitConfig } from '../../specs';

export type RateLimitWindow = RateLimitConfig['window'];

/** A window is the half-open interval [start, end), in ms since the epoch. */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

const FIXED_MS: Record<Exclude<RateLimitWindow, 'month'>, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * The fixed window that holds `nowMs`. second/minute/hour/day are fixed lengths aligned to the
 * epoch (so a day is a UTC day); month is the UTC calendar month.
 */
export function windowBounds(window: RateLimitWindow, nowMs: number): WindowBounds {
  if (window === 'month') {
    const d = new Date(nowMs);
    const year = d.getUTCFullYear();
    const month = d.getUTCMonth();
    return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  }
  const length = FIXED_MS[window];
  const start = Math.floor(nowMs / length) * length;
  return { start, end: start + length };
}
