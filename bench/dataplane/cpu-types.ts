/**
 * Result shapes of the data-plane bench's CPU-per-request, capacity-search and runtimes sections
 * (issue #18), kept out of dataplane-bench.ts so that the goals and the report import them alone.
 */
import type { RateResult } from './loadgen';

export type Kind = 'chat' | 'stream';

/** Other load on the machine during a run (as dataplane-bench.ts's Noise). */
interface RunNoise {
  foreignCores: number;
  cpu0Busy?: number;
  cpu1Busy?: number;
}

/** What the allocation probe (alloc-probe.ts) saw over a measured interval. */
export interface Allocation {
  /** V8 heap bytes allocated per completed request. */
  readonly bytesPerRequest: number;
  readonly gcCount: number;
  readonly gcPauseMs: number;
}

/** One contender at one fixed open-loop rate: its own CPU time per completed request. */
export interface CpuRow extends RunNoise {
  /** A ContenderKey of dataplane-bench.ts. */
  contender: string;
  kind: Kind;
  rate: number;
  result: RateResult;
  /** The contender's process tree: utime + stime over the measured interval, s. */
  cpuS: number;
  /** The measured interval (first recorded send → last recorded response), s. */
  measuredS: number;
  /** cpuS per completed request, µs. */
  usPerRequest: number;
  /** cpuS / measuredS. */
  cores: number;
  /** cores ≥ SATURATED_CORES: the contender used its whole core and could not keep the rate. */
  saturated: boolean;
  /** aigw with the probe preloaded. */
  allocation?: Allocation;
  /** The node binary that ran the contender (runtimes section): its `--version`. */
  node?: string;
}

/** A contender using this much of its one core is saturated. */
export const SATURATED_CORES = 0.95;

/** One step of the capacity search: Direct and aigw at the same open-loop rate. */
export interface CapacityStep extends RunNoise {
  rate: number;
  direct: RateResult;
  aigw: RateResult;
  /** aigw p99 − Direct p99: to the last byte (non-streaming) or the first SSE frame (streaming), ms. */
  overheadMs: number;
  pass: boolean;
  /** The bisection step between the last pass and the first fail. */
  bisect?: boolean;
}

/** The highest per-process rate at which aigw's p99 overhead over Direct stays within the budget. */
export interface CapacitySearch {
  kind: Kind;
  steps: CapacityStep[];
  /** The highest passing rate; 0 when the first step failed. */
  capacity: number;
  /** Every step passed: the capacity is at least the last rate tried. */
  atLeast: boolean;
  budgetMs: number;
}

/** One reload in the reload section, with the probe's view of the event loop. */
export interface ReloadStall {
  /** The longest event-loop stall from just before the swap to just after its `config reloaded` line, ms. */
  stallMs: number;
  /** The longest stall in the interval before it, with the same load and no swap, ms. */
  baselineMs?: number;
  /** `blockedMs` of the `config reloaded` line, when the gateway logs it. */
  blockedMs?: number;
}
