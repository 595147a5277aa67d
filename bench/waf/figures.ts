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
