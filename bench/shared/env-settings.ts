/** A bench setting from the environment: unset, empty or `auto` is the fallback; anything else must be a non-negative number. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' || raw === 'auto' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return n;
}

/** The settings this run was given, as `NAME=value …` (sorted): the report's command line shows them. */
export function settingsLine(prefix: string, names: readonly string[]): string {
  return Object.entries(process.env)
    .filter(([k]) => k.startsWith(prefix) || names.includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(' ');
}
