import { offloadCompression, type CompressionOffloadOptions } from './compression';
import { findQatDevice } from './device';
import type { AccelerationPaths } from './paths';
import { ACCELERATION_FEATURES, type AccelerationFallback, type AccelerationFeature, type AccelerationRequest } from './request';
import { offloadTls, type Offload, type TlsOffloadOptions } from './tls';

export type AccelerationMode = 'qat' | 'software' | 'unavailable';
export const ACCELERATION_MODES: readonly AccelerationMode[] = ['qat', 'software', 'unavailable'];

/** How one feature runs, and why. */
export type FeatureAcceleration =
  | { readonly requested: false; readonly mode: 'software' }
  | { readonly requested: true; readonly mode: 'qat'; readonly how: string }
  | { readonly requested: true; readonly mode: 'software' | 'unavailable'; readonly fallback: AccelerationFallback; readonly reason: string };

export type AccelerationOutcome = Readonly<Record<AccelerationFeature, FeatureAcceleration>>;

export interface DetectOptions extends TlsOffloadOptions, CompressionOffloadOptions {}

/**
 * Decides each feature's mode at start: `qat` when the device and what drives it are there (TLS: the
 * engine is set now, or the provider is already active), else the fallback: `software`, or
 * `unavailable` with `fail`. Synchronous, so that it runs before any listener or TLS context exists.
 */
export function detectAcceleration(request: AccelerationRequest, paths: AccelerationPaths, options: DetectOptions = {}): AccelerationOutcome {
  const wanted = ACCELERATION_FEATURES.filter((f) => request[f].enabled);
  const device = wanted.length > 0 ? findQatDevice(paths) : undefined;
  const decide = (feature: AccelerationFeature): FeatureAcceleration => {
    if (!request[feature].enabled || device === undefined) return { requested: false, mode: 'software' };
    const offload: Offload = !device.found
      ? { ok: false, missing: device.reason }
      : withDevice(device.device, feature === 'tls' ? offloadTls(paths, options) : offloadCompression(paths, options));
    if (offload.ok) return { requested: true, mode: 'qat', how: offload.how };
    const fallback = request[feature].fallback;
    return { requested: true, mode: fallback === 'fail' ? 'unavailable' : 'software', fallback, reason: offload.missing };
  };
  return { tls: decide('tls'), compression: decide('compression') };
}

function withDevice(device: string, offload: Offload): Offload {
  return offload.ok ? { ok: true, how: `${offload.how}, device ${device}` } : { ok: false, missing: `QAT device ${device} found but ${offload.missing}` };
}
