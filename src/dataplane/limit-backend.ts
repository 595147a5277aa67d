import { createHash } from 'crypto';
import type { Logger } from 'pino';
import { createRedisStore, type LimitStore, LocalLimitStore, RateLimiter, RedisLimitStore, resolveRedisStoreOptions, type RedisStoreOptions } from './limits';
import type { GatewayMetrics } from './metrics';
import type { SecretSource } from './secrets';
import type { GatewayConfig } from '../specs';

/** Where a config's rate-limit counters live: the store and the limiter over it, built together. */
export interface LimitBackend {
  readonly store: LimitStore;
  readonly limiter: RateLimiter;
  /**
   * What the store was built from (the `redis` block, with a digest of its password, or `local`):
   * a reload builds a new backend only when this changes.
   */
  readonly identity: string;
}

/** The store settings a config asks for, resolved (its password read from `secrets`). Throws naming a missing secret. */
export function limitStoreSettings(config: GatewayConfig, secrets: SecretSource): { options?: RedisStoreOptions; identity: string } {
  if (!config.redis) return { identity: 'local' };
  const options = resolveRedisStoreOptions(config.redis, secrets);
  const password = options.password === undefined ? '' : createHash('sha256').update(options.password, 'utf8').digest('hex');
  return { options, identity: JSON.stringify(['redis', options.address, options.keyPrefix, options.user ?? '', password]) };
}

/** A new store and limiter for `settings`, reporting into `metrics`. */
export function createLimitBackend(settings: ReturnType<typeof limitStoreSettings>, logger: Logger, metrics: GatewayMetrics): LimitBackend {
  const store: LimitStore = settings.options ? createRedisStore(settings.options, logger) : new LocalLimitStore();
  const limiter = new RateLimiter({
    store,
    logger,
    hooks: {
      onDecision: (decision) => metrics.rateLimitDecisions.inc({ decision }),
      onBackendError: (_err, op) => metrics.rateLimitBackendErrors.inc({ op }),
    },
  });
  return { store, limiter, identity: settings.identity };
}

/**
 * Waits up to `timeoutMs` for a Redis store to connect. Never fails: until Redis answers, each
 * route's onRedisUnavailable policy decides, so a slow Redis delays nothing but this wait.
 */
export async function whenConnected(backend: LimitBackend, timeoutMs: number, logger: Logger, address?: string): Promise<void> {
  if (!(backend.store instanceof RedisLimitStore)) return;
  await backend.store.waitUntilReady(timeoutMs).catch(() => logger.warn({ redis: address }, "redis not reachable yet; limits follow each route's onRedisUnavailable policy"));
}

/** Closes a store no request uses any more, after the current turn so that settlements issued as its last request ended are sent first. */
export function closeLimitBackend(backend: LimitBackend): void {
  setImmediate(() => void backend.store.close().catch(() => undefined));
}
