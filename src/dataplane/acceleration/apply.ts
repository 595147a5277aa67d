import type { Logger } from 'pino';
import { ACCELERATION_MODES, type AccelerationOutcome } from './detect';
import { ACCELERATION_FEATURES } from './request';

/** What reporting needs of a running data plane. */
export interface AccelerationTarget {
  readonly logger: Logger;
  readonly metrics: { readonly accelerationMode: { set(labels: { feature: string; mode: string }, value: number): void } };
  holdReadiness(name: string, reason: string | undefined): void;
}

/**
 * The readiness holds for what is required (fallback `fail`) and missing: by name
 * (`acceleration:<feature>`), each a reason `/readyz` shows as `not ready: <reason>`.
 */
export function accelerationHolds(outcome: AccelerationOutcome): Record<string, string> {
  const holds: Record<string, string> = {};
  for (const feature of ACCELERATION_FEATURES) {
    const f = outcome[feature];
    if (f.mode === 'unavailable') holds[`acceleration:${feature}`] = `${feature} acceleration (QAT) is required (fallback: fail) and unavailable: ${f.reason}`;
  }
  return holds;
}

/**
 * Says how each feature runs: the gauge (1 for its mode, 0 for the others), one info line for
 * what runs on QAT, ONE warn line for what fell back to software, and for what is required and
 * missing (`fail`) an error line and a readiness hold: the process stays up and answers its admin
 * port, so `/readyz` (503) and `/metrics` say why, and no traffic is routed to it.
 */
export function applyAcceleration(outcome: AccelerationOutcome, target: AccelerationTarget): void {
  for (const feature of ACCELERATION_FEATURES) {
    for (const mode of ACCELERATION_MODES) target.metrics.accelerationMode.set({ feature, mode }, outcome[feature].mode === mode ? 1 : 0);
  }
  for (const [name, reason] of Object.entries(accelerationHolds(outcome))) {
    target.holdReadiness(name, reason);
    target.logger.error({ hold: name }, `not ready: ${reason}`);
  }
  const offloaded: Record<string, string> = {};
  const software: Record<string, string> = {};
  for (const feature of ACCELERATION_FEATURES) {
    const f = outcome[feature];
    if (f.requested && f.mode === 'qat') offloaded[feature] = f.how;
    if (f.requested && f.mode === 'software') software[feature] = f.reason;
  }
  if (Object.keys(offloaded).length > 0) target.logger.info(offloaded, 'hardware acceleration: QAT in use');
  if (Object.keys(software).length > 0) target.logger.warn(software, 'hardware acceleration unavailable (fallback: software): running in software');
}
