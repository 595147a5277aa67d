import { createHash } from 'crypto';
import type { Logger } from 'pino';
import {
  createRedisStore,
  LeasedLimitStore,
  type LimitStore,
  LocalLimitStore,
  RateLimiter,
  RedisLimitStore,
  resolveRedisStoreOptions,
  type RedisStoreOptions,
} from './limits';
import { carryReplicaState, LocalMcpBus, type McpBus } from './mcp/bus';
import { createRedisMcpBus, RedisMcpBus } from './mcp/bus-redis';
import { listenForEndedSessions } from './mcp/session';
import type { GatewayMetrics } from './metrics';
import type { SecretSource } from './secrets';
import { GATEWAY_CONFIG_DEFAULTS, type GatewayConfig } from '../specs';

/** Where a config's rate-limit counters live: the store and the limiter over it, built together; and the MCP bus over the same Redis. */
export interface LimitBackend {
  readonly store: LimitStore;
  readonly limiter: RateLimiter;
  /** How replicas reach each other for MCP (legacy streams, ended sessions): over `redis` when the config has it. */
  readonly mcpBus: McpBus;
  /**
   * What the store was built from (the `redis` block, with a digest of its password, or `local`):
   * a reload builds a new backend only when this changes.
   */
  readonly identity: string;
}

/** How a Redis store counts (`redis.counting` and `redis.leasePercent`, defaults filled in). */
export interface LimitCounting {
  readonly counting: 'lease' | 'exact';
  readonly leasePercent: number;
}

/** The store settings a config asks for, resolved (its password read from `secrets`). Throws naming a missing secret. */
export function limitStoreSettings(
  config: GatewayConfig,
  secrets: SecretSource,
): { options?: RedisStoreOptions; counting?: LimitCounting; identity: string } {
  if (!config.redis) return { identity: 'local' };
  const options = resolveRedisStoreOptions(config.redis, secrets);
  const counting: LimitCounting = {
    counting: config.redis.counting ?? GATEWAY_CONFIG_DEFAULTS.redis.counting,
    leasePercent: boundedLeasePercent(config.redis.leasePercent ?? GATEWAY_CONFIG_DEFAULTS.redis.leasePercent, config.limits.bandwidthReplicas ?? 1),
  };
  const password = options.password === undefined ? '' : createHash('sha256').update(options.password, 'utf8').digest('hex');
  // Counting is part of it: a reload that changes it builds a new store (leases held under the old settings are left to expire).
  const identity = JSON.stringify(['redis', options.address, options.keyPrefix, options.user ?? '', password, counting.counting, counting.leasePercent]);
  return { options, counting, identity };
}

/**
 * Units other replicas hold unused may be refused early: at most (replicas − 1) leases per counter. The share
 * each replica leases is cut so that the others together hold at most 10% of a limit (limits.bandwidthReplicas:
 * the fixed replica count of a Dedicated gateway, minReplicas of a Serverless one). With 154 replicas and 1%, the
 * replicas would otherwise hold more than the whole limit. A lease that then covers fewer than 10 charges is exact.
 */
export function boundedLeasePercent(leasePercent: number, replicas: number): number {
  return replicas <= 1 ? leasePercent : Math.min(leasePercent, 10 / (replicas - 1));
}

/** The store for `settings`: in this process without Redis; in Redis, charged in leases unless counting is `exact`. */
function createLimitStore(settings: ReturnType<typeof limitStoreSettings>, logger: Logger): LimitStore {
  if (!settings.options) return new LocalLimitStore();
  const redis = createRedisStore(settings.options, logger);
  if (settings.counting?.counting === 'exact') return redis;
  return new LeasedLimitStore(redis, { leasePercent: settings.counting?.leasePercent, logger });
}

/** A new store, limiter and MCP bus for `settings`, reporting into `metrics`; the bus takes over what `previous`'s knew. */
export function createLimitBackend(
  settings: ReturnType<typeof limitStoreSettings>,
  logger: Logger,
  metrics: GatewayMetrics,
  previous?: LimitBackend,
): LimitBackend {
  const store = createLimitStore(settings, logger);
  const limiter = new RateLimiter({
    store,
    logger,
    hooks: {
      onDecision: (decision) => metrics.rateLimitDecisions.inc({ decision }),
      onBackendError: (_err, op) => metrics.rateLimitBackendErrors.inc({ op }),
    },
  });
  const mcpBus: McpBus = settings.options ? createRedisMcpBus(settings.options, logger) : new LocalMcpBus();
  if (previous) carryReplicaState(previous.mcpBus, mcpBus);
  void listenForEndedSessions(mcpBus).catch(() => undefined);
  return { store, limiter, mcpBus, identity: settings.identity };
}

/**
 * Waits up to `timeoutMs` for a Redis store (and the MCP bus beside it) to connect. Never fails: until Redis answers, each
 * route's onRedisUnavailable policy decides, so a slow Redis delays nothing but this wait.
 */
export async function whenConnected(backend: LimitBackend, timeoutMs: number, logger: Logger, address?: string): Promise<void> {
  const { mcpBus } = backend;
  const store = backend.store instanceof LeasedLimitStore ? backend.store.redis : backend.store;
  await Promise.all([
    store instanceof RedisLimitStore
      ? store.waitUntilReady(timeoutMs).catch(() => logger.warn({ redis: address }, "redis not reachable yet; limits follow each route's onRedisUnavailable policy"))
      : undefined,
    // Until it is, a legacy SSE stream cannot open (503): its answers could not reach it.
    mcpBus instanceof RedisMcpBus ? mcpBus.whenReady(timeoutMs).catch(() => undefined) : undefined,
  ]);
}

/** Closes a store no request uses any more, after the current turn so that settlements issued as its last request ended are sent first. */
export function closeLimitBackend(backend: LimitBackend): void {
  setImmediate(() => {
    void backend.store.close().catch(() => undefined);
    void backend.mcpBus.close().catch(() => undefined);
  });
}
