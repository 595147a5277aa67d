/**
 * Defaults of the config contract that both halves need: the constructs fill them in where props
 * say nothing (each construct's constructor, beside its `@default` doc), and the data plane falls
 * back to them where an optional config field is absent. Stated here once.
 */
export const GATEWAY_CONFIG_DEFAULTS = {
  /** Per-gateway limits (`limits` in the config). */
  limits: {
    /** Largest request body, unless a route says otherwise: 10 MiB. */
    maxBodyBytes: 10 * 1024 * 1024,
    headersTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    /** Longest silence between two pieces of a request body (optional in the config). */
    bodyTimeoutMs: 30_000,
    /** Deepest nesting a JSON request body may have (optional in the config). */
    maxJsonDepth: 128,
  },
  /** Calls to a backend or an agent. */
  timeouts: { connectMs: 5_000, firstByteMs: 60_000, totalMs: 600_000 },
  /** Retries of a backend's calls. */
  retries: { attempts: 2, onStatus: [429, 502, 503, 504] as readonly number[], backoffBaseMs: 100 },
  /** A backend's circuit breaker: consecutive failures that take it out, and for how long. */
  circuitBreaker: { failureThreshold: 5, cooldownMs: 10_000 },
  /** Gateway-wide MCP settings (`mcp`): how long a session id is honoured after initialize; a day. */
  mcp: { sessionTtlSeconds: 86_400 },
  /** How replicas count rate limits in Redis (`redis.counting`, `redis.leasePercent`): leases of 1 % of each limit. */
  redis: { counting: 'lease', leasePercent: 1 },
} as const;
