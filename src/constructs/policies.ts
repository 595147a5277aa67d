import type { RATE_LIMIT_SCOPES, RATE_LIMIT_WINDOWS } from '../specs';

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
