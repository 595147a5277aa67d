/** What the comparison benches record of each run, each side and each comparison. */
import type { MeasuredRun, Side } from './alternating-rounds';
import type { LoopCounts } from './closed-loop';
import type { Summary } from './stats';

/** What every comparison bench records of one side's run in one round. */
export interface RunFigures extends LoopCounts {
  readonly round: number;
  readonly perS: number;
  /** Time to the last byte (or as the operation timed itself). */
  readonly latency: Summary;
  /** CPU seconds of the gateway process in the run (gateway side only). */
  readonly gatewayCpuS?: number;
  /** CPU seconds of the upstream process in the run. */
  readonly upstreamCpuS: number;
  /** Busy CPU of processes that are not this bench, in cores. */
  readonly foreignCores: number;
  readonly cpu0Busy: number;
  readonly cpu1Busy: number;
}

/** A run's figures; `extra` (a bench's own figures) goes right after `latency`. */
export function runFigures<E extends object>(side: Side, round: number, m: MeasuredRun<unknown>, latency: Summary, extra: E): RunFigures & E {
  const r = m.value;
  return {
    round,
    ok: r.ok,
    errors: r.errors,
    firstError: r.firstError,
    seconds: r.seconds,
    perS: r.ok / r.seconds,
    latency,
    ...extra,
    gatewayCpuS: side === 'gateway' ? m.gatewayCpuS : undefined,
    upstreamCpuS: m.upstreamCpuS,
    foreignCores: m.foreignCores,
    cpu0Busy: m.cpu0Busy,
    cpu1Busy: m.cpu1Busy,
  };
}

/** One side's runs added up. */
export function sumRuns(runs: readonly RunFigures[]): { ok: number; errors: number; perS: number; gatewayCpuS: number; upstreamCpuS: number } {
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  return {
    ok,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    perS: seconds > 0 ? ok / seconds : 0,
    gatewayCpuS: runs.reduce((a, r) => a + (r.gatewayCpuS ?? 0), 0),
    upstreamCpuS: runs.reduce((a, r) => a + r.upstreamCpuS, 0),
  };
}

/**
 * The total rate of a paced comparison: `setting` when given (not 0); else 30% of the closed loop's
 * lower throughput, in steps of 50 (at least 50), so both sides run below saturation; 200 when the
 * closed loop failed.
 */
export function pacedRate(setting: number, closed: { readonly gateway: { readonly perS: number }; readonly direct: { readonly perS: number } } | undefined): number {
  return setting || (closed ? Math.max(50, Math.round((0.3 * Math.min(closed.gateway.perS, closed.direct.perS)) / 50) * 50) : 200);
}

/** What every comparison bench records of one side over its rounds. */
export interface SideTotals<R extends RunFigures = RunFigures> {
  readonly runs: R[];
  /** Every run's latencies pooled. */
  readonly latency: Summary;
  readonly ok: number;
  readonly errors: number;
  readonly perS: number;
}

/** One comparison of the gateway with the upstream called directly. */
export interface ComparisonOf<F> {
  readonly key: string;
  readonly title: string;
  /** What one operation is, on each side. */
  readonly gatewayOp: string;
  readonly directOp: string;
  /** Total rate of a paced comparison (calls/s), absent for a closed loop (as fast as it goes). */
  readonly rate?: number;
  readonly seconds: number;
  readonly gateway: F;
  readonly direct: F;
}
