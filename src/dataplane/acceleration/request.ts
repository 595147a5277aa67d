import type { GatewayConfig } from '../../specs';

export type AccelerationFeature = 'tls' | 'compression';
export const ACCELERATION_FEATURES: readonly AccelerationFeature[] = ['tls', 'compression'];
export type AccelerationFallback = 'software' | 'fail';

/** What is asked of each feature: the config's `acceleration` block's shape. */
export type AccelerationRequest = GatewayConfig['acceleration'];

/** `aigw serve`'s acceleration flags, as given. */
export interface AccelerationFlags {
  readonly tls?: boolean;
  readonly compression?: boolean;
  readonly fallback?: AccelerationFallback;
}

/**
 * What `aigw serve` acts on: a feature is on when its flag or the config turns it on, and its
 * fallback is `--accel-fallback` when given, else the config's. The Deployment renders the flags
 * from the same config, so in a pod both agree; without flags (`aigw serve` by hand) the config
 * alone decides, so what a config declares is served either way.
 */
export function requestedAcceleration(flags: AccelerationFlags, config: AccelerationRequest | undefined): AccelerationRequest {
  const one = (feature: AccelerationFeature) => ({
    enabled: (feature === 'tls' ? flags.tls : flags.compression) === true || config?.[feature].enabled === true,
    fallback: flags.fallback ?? config?.[feature].fallback ?? 'software',
  });
  return { tls: one('tls'), compression: one('compression') };
}
