/**
 * What the WAF bench records of each scenario's run in a round and over a comparison's rounds, and how a scenario is
 * read against the yardstick (no WAF): a difference pooled over the rounds and round by round.
 */
import type { ScenarioKey } from './scenarios';
import type { ShapeKey } from './requests';
import { type RunFigures as SharedRunFigures, type SideTotals, sumRuns } from '../shared/comparison-figures';
import { summarize } from '../shared/stats';

export interface RunFigures extends SharedRunFigures {
  /** aigw's CPU seconds in the run from the scheduler's ns accounting (bench/extensions/thread-cpu.ts); undefined without schedstat. */
  readonly gatewaySchedCpuS?: number;
}

export interface ScenarioFigures extends SideTotals<RunFigures> {
  /** aigw's CPU per request, µs, over all the runs (schedstat when the kernel has it, else /proc ticks). */
  readonly cpuUsPerCall: number;
  /** The simulator's CPU per request, µs, for scale. */
  readonly upstreamCpuUsPerCall: number;
}

export interface Comparison {
  readonly key: string;
  readonly title: string;
  readonly shape: ShapeKey;
  readonly paced: boolean;
  /** The paced rate, requests/s; absent for a closed loop. */
  readonly rate?: number;
  readonly seconds: number;
  /** The order the scenarios ran in, round by round. */
  readonly orders: ScenarioKey[][];
  readonly scenarios: Partial<Record<ScenarioKey, ScenarioFigures>>;
}

/** One run's aigw CPU per request, µs: from schedstat (ns) when the run has it, else from /proc ticks. */
export const cpuUs = (r: RunFigures): number => {
  const seconds = r.gatewaySchedCpuS ?? r.gatewayCpuS;
  return r.ok > 0 && seconds !== undefined ? (seconds * 1e6) / r.ok : Number.NaN;
};

/** A scenario's runs of one comparison and every latency sample (ms) of them, added up. */
export function scenarioFigures(runs: RunFigures[], latenciesMs: readonly number[]): ScenarioFigures {
  const sum = sumRuns(runs);
  const schedS = runs.every((r) => r.gatewaySchedCpuS !== undefined) ? runs.reduce((a, r) => a + r.gatewaySchedCpuS!, 0) : undefined;
  return {
    runs,
    latency: summarize(latenciesMs),
    ok: sum.ok,
    errors: sum.errors,
    perS: sum.perS,
    cpuUsPerCall: sum.ok > 0 ? ((schedS ?? sum.gatewayCpuS) * 1e6) / sum.ok : Number.NaN,
    upstreamCpuUsPerCall: sum.ok > 0 ? (sum.upstreamCpuS * 1e6) / sum.ok : Number.NaN,
  };
}

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

function difference(a: ScenarioFigures, b: ScenarioFigures, pooled: (f: ScenarioFigures) => number, perRun: (r: RunFigures) => number): Difference {
  const rounds = a.runs.map((run) => {
    const other = b.runs.find((x) => x.round === run.round);
    return other ? perRun(run) - perRun(other) : Number.NaN;
  });
  return { pooled: pooled(a) - pooled(b), rounds, median: median(rounds) };
}

/** aigw CPU per request added, µs. */
export const cpuDifference = (a: ScenarioFigures, b: ScenarioFigures): Difference => difference(a, b, (f) => f.cpuUsPerCall, cpuUs);
/** p99 latency added, ms (a difference of percentiles, not a percentile of differences). */
export const p99Difference = (a: ScenarioFigures, b: ScenarioFigures): Difference => difference(a, b, (f) => f.latency.p99, (r) => r.latency.p99);
