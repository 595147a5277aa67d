import type { PoliciesConfig, RATE_LIMIT_SCOPES, RATE_LIMIT_WINDOWS } from '../specs';
import { listOf } from './props-input';

export interface RateLimitProps {
  /** What is counted. @default 'requests' */
  readonly kind?: 'requests' | 'tokens';
  /** Requests or tokens allowed per window. */
  readonly limit: number;
  readonly window: (typeof RATE_LIMIT_WINDOWS)[number];
  /** Who shares the budget. @default 'consumer' */
  readonly scope?: (typeof RATE_LIMIT_SCOPES)[number];
}

export interface CorsProps {
  readonly allowOrigins: string[];
  /** @default ['GET', 'POST', 'OPTIONS'] */
  readonly allowMethods?: string[];
  /** @default ['authorization', 'content-type', 'x-api-key'] */
  readonly allowHeaders?: string[];
  /** @default 600 */
  readonly maxAgeSeconds?: number;
}

/** The built-in policies of a route. */
export interface RoutePolicyProps {
  /** Require a consumer API key. @default true */
  readonly keyAuth?: boolean;
  /** @default [] */
  readonly rateLimits?: RateLimitProps[];
  /** What a limit check does when Redis is unreachable. @default 'failOpen' */
  readonly onRedisUnavailable?: 'failOpen' | 'failClosed';
  /** @default - the gateway's limit (10 MiB) */
  readonly maxBodyBytes?: number;
  /** @default - no CORS headers */
  readonly cors?: CorsProps;
  /** Overrides the backends' first-byte and total timeouts on this route. @default - the backends' */
  readonly timeouts?: { readonly firstByteMs?: number; readonly totalMs?: number };
}

/** A route's policies with the defaults above filled in. */
export interface ResolvedRoutePolicies {
  readonly keyAuth: boolean;
  readonly rateLimits: readonly Required<RateLimitProps>[];
  readonly onRedisUnavailable: 'failOpen' | 'failClosed';
  readonly maxBodyBytes?: number;
  readonly cors?: Required<CorsProps>;
  readonly timeouts?: { readonly firstByteMs?: number; readonly totalMs?: number };
}

/** The defaults of RoutePolicyProps, RateLimitProps and CorsProps (a plain-JS value of the wrong type is kept for the config schema to report). */
export function resolvePolicies(p: RoutePolicyProps | undefined): ResolvedRoutePolicies {
  return {
    keyAuth: p?.keyAuth ?? true,
    rateLimits: listOf(p?.rateLimits, (r) => ({ kind: r?.kind ?? 'requests', limit: r?.limit, window: r?.window, scope: r?.scope ?? 'consumer' })),
    onRedisUnavailable: p?.onRedisUnavailable ?? 'failOpen',
    maxBodyBytes: p?.maxBodyBytes,
    timeouts: p?.timeouts ? { ...p.timeouts } : undefined,
    cors: p?.cors
      ? {
        allowOrigins: p.cors.allowOrigins,
        allowMethods: p.cors.allowMethods ?? ['GET', 'POST', 'OPTIONS'],
        allowHeaders: p.cors.allowHeaders ?? ['authorization', 'content-type', 'x-api-key'],
        maxAgeSeconds: p.cors.maxAgeSeconds ?? 600,
      }
      : undefined,
  };
}

/** The `policies` part of a route's config. */
export function policiesConfig(p: ResolvedRoutePolicies): PoliciesConfig {
  return {
    keyAuth: { enabled: p.keyAuth },
    rateLimits: listOf(p.rateLimits, (r, i) => ({ name: `${r?.kind}-per-${r?.window}-${i}`, kind: r?.kind, limit: r?.limit, window: r?.window, scope: r?.scope })),
    onRedisUnavailable: p.onRedisUnavailable,
    ...(p.maxBodyBytes !== undefined && { maxBodyBytes: p.maxBodyBytes }),
    ...(p.timeouts && { timeouts: { ...p.timeouts } }),
    ...(p.cors && { cors: { ...p.cors } }),
  };
}
