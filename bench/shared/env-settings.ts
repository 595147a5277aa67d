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

/** The defaults a comparison bench's settings differ in; the rest are the same for every one. */
export interface ComparisonDefaults {
  readonly rounds: number;
  readonly roundS: number;
  readonly shortRounds: number;
}

/**
 * A side-by-side bench's settings from `BENCH_<NAME>_*` (agents, responses, extensions): connections, rounds and their
 * lengths, the paced rate (0: derived from the closed-loop throughput), warm-up, stream chunks, aigw's node flags and
 * whether logs are kept; `BENCH_QUIET_WAIT_S` is shared by all.
 */
export function comparisonSettings(prefix: string, defaults: ComparisonDefaults) {
  return {
    connections: Math.max(1, envNumber(`${prefix}_CONNECTIONS`, 50)),
    rounds: Math.max(1, envNumber(`${prefix}_ROUNDS`, defaults.rounds)),
    roundS: envNumber(`${prefix}_ROUND_S`, defaults.roundS),
    shortRounds: envNumber(`${prefix}_SHORT_ROUNDS`, defaults.shortRounds),
    shortRoundS: envNumber(`${prefix}_SHORT_ROUND_S`, 3),
    /** 0: derived from the closed-loop throughput. */
    rate: envNumber(`${prefix}_RATE`, 0),
    warmupS: envNumber(`${prefix}_WARMUP_S`, 2),
    streamChunks: Math.max(1, envNumber(`${prefix}_STREAM_CHUNKS`, 10)),
    quietWaitS: envNumber('BENCH_QUIET_WAIT_S', 5),
    aigwNodeFlags: (process.env[`${prefix}_AIGW_NODE_FLAGS`] ?? '').split(' ').filter(Boolean),
    keepLogs: process.env[`${prefix}_KEEP_LOGS`] === '1',
  };
}
