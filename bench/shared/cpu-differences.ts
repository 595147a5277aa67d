import type { RunFigures } from './comparison-figures';
import type { Summary } from './stats';

/**
 * How a comparison bench (extensions, WAF) sets a scenario against its yardstick: aigw CPU per call and p99, pooled and
 * round by round. A run carries aigw's CPU from schedstat when the kernel has it (`gatewaySchedCpuS`), else from /proc ticks.
 */
export interface CpuRun extends RunFigures {
  readonly gatewaySchedCpuS?: number;
}

/** A scenario's runs and what was pooled over them. */
export interface CpuScenario<R extends CpuRun = CpuRun> {
  readonly runs: readonly R[];
  readonly latency: Summary;
  /** aigw's CPU per call, µs, over all the runs. */
  readonly cpuUsPerCall: number;
}

/** One run's aigw CPU per call, µs: from schedstat (ns) when the run has it, else from /proc ticks. */
export const cpuUs = (r: CpuRun): number => {
  const seconds = r.gatewaySchedCpuS ?? r.gatewayCpuS;
  return r.ok > 0 && seconds !== undefined ? (seconds * 1e6) / r.ok : Number.NaN;
};

/** The middle value (the mean of the two middle ones for an even count): a nearest-rank median would lean to the lower. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mid = sorted.length / 2;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `a` minus `b`, pooled and round by round (the same round of each: they ran within seconds of each other). */
export interface Difference {
  readonly pooled: number;
  readonly rounds: number[];
  readonly median: number;
}

function difference(a: CpuScenario, b: CpuScenario, pooled: (f: CpuScenario) => number, perRun: (r: CpuRun) => number): Difference {
  const rounds = a.runs.map((run) => {
    const other = b.runs.find((x) => x.round === run.round);
    return other ? perRun(run) - perRun(other) : Number.NaN;
  });
  return { pooled: pooled(a) - pooled(b), rounds, median: median(rounds) };
}

/** aigw CPU per call added, µs. */
export const cpuDifference = (a: CpuScenario, b: CpuScenario): Difference => difference(a, b, (f) => f.cpuUsPerCall, cpuUs);
/** p99 added, ms (a difference of percentiles, not a percentile of differences). */
export const p99Difference = (a: CpuScenario, b: CpuScenario): Difference => difference(a, b, (f) => f.latency.p99, (r) => r.latency.p99);
