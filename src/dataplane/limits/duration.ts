/**
 * A reset duration the way OpenAI writes its `x-ratelimit-reset-*` headers (Go's duration format):
 * `500ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`. Millisecond precision; negative durations read `0s`.
 */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1_000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = `${Math.floor(millis / 1_000)}${millis % 1_000 === 0 ? '' : `.${String(millis % 1_000).padStart(3, '0').replace(/0+$/, '')}`}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/** `Retry-After`: whole seconds until `endMs`, rounded up, at least 1. */
export function retryAfterSeconds(endMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((endMs - nowMs) / 1_000));
}
