import { setTimeout as sleep } from 'timers/promises';
import { withMachineLoad } from './machine-load';

/** Other load (cores) below which the machine counts as quiet enough to start a round. */
const QUIET_CORES = 0.5;
/** The most a run waits for quiet in all, seconds. */
const QUIET_WAIT_TOTAL_S = 30;

/**
 * Waits, up to `eachS` and what is left of QUIET_WAIT_TOTAL_S over the run, until processes that are
 * not this bench use less than QUIET_CORES, so rounds are not measured under someone else's build.
 * Adds the time waited to `run.quietWaitedS`.
 */
export async function waitForQuiet(run: { quietWaitedS: number }, eachS: number): Promise<void> {
  const budget = Math.min(eachS, QUIET_WAIT_TOTAL_S - run.quietWaitedS);
  if (budget <= 0) return;
  const t0 = performance.now();
  for (;;) {
    const { foreignCores } = await withMachineLoad(() => sleep(500));
    if (foreignCores < QUIET_CORES || performance.now() - t0 + 500 > budget * 1000) break;
  }
  run.quietWaitedS += (performance.now() - t0) / 1000;
}
