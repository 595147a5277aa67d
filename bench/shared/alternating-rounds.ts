/**
 * The gateway against the upstream called directly, in one run, in alternating rounds (gateway,
 * direct, gateway, direct …) so that the machine's noise hits both.
 */
import { closedLoops, type LoopResult, type Outcome } from './closed-loop';
import { type MachineLoad, type ProcessCpu, withProcessCpu } from './machine-load';

export const SIDES = ['gateway', 'direct'] as const;
export type Side = (typeof SIDES)[number];

/** One side's load in a comparison. */
export interface SideLoad<S extends number | object> {
  /** Before the side's warm-up: what its workers need (sessions, …), opened once per comparison. */
  readonly prepare?: () => Promise<void>;
  readonly op: (worker: number) => Promise<Outcome<S>>;
}

/** One side's run of one round, as measured. */
export type MeasuredRun<S> = { readonly value: LoopResult<S> } & ProcessCpu & MachineLoad;

export interface RoundsPlan<S extends number | object, R> {
  readonly rounds: number;
  readonly roundS: number;
  readonly workers: number;
  /** An unrecorded run of each side before the rounds (JIT, connection pools); 0: none. */
  readonly warmupS: number;
  /** Total rate of a paced comparison (calls/s); absent: a closed loop, as fast as it goes. */
  readonly rate?: number;
  readonly sides: Record<Side, SideLoad<S>>;
  readonly pids: { readonly gateway: number; readonly upstream: number };
  /** Before each round: waits for the machine to be quiet. */
  readonly beforeRound: () => Promise<void>;
  /** What the bench records of one side's run in one round (and logs). */
  readonly record: (side: Side, round: number, m: MeasuredRun<S>) => R;
}

/** Each side's recorded runs, and every sample of its runs pooled. */
export async function alternatingRounds<S extends number | object, R>(plan: RoundsPlan<S, R>): Promise<Record<Side, { runs: R[]; samples: S[] }>> {
  const out: Record<Side, { runs: R[]; samples: S[] }> = { gateway: { runs: [], samples: [] }, direct: { runs: [], samples: [] } };
  for (const side of SIDES) {
    await plan.sides[side].prepare?.();
    if (plan.warmupS > 0) await closedLoops(plan.workers, plan.warmupS * 1000, plan.sides[side].op, plan.rate);
  }
  for (let round = 1; round <= plan.rounds; round++) {
    await plan.beforeRound();
    for (const side of SIDES) {
      const m = await withProcessCpu(plan.pids, () => closedLoops(plan.workers, plan.roundS * 1000, plan.sides[side].op, plan.rate));
      out[side].samples.push(...m.value.samples);
      out[side].runs.push(plan.record(side, round, m));
    }
  }
  return out;
}
