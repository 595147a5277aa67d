export { type Clock, ManualClock, systemClock } from './clock';
export { type RateLimitWindow, type WindowBounds, windowBounds } from './windows';
export { ANONYMOUS_CONSUMER, counterKey, type RateLimitScope, scopePart } from './keys';
export { formatResetDuration, retryAfterSeconds } from './duration';
export { rateLimitHeaders, type RuleUsage, tightest } from './headers';
export { type ConsumeEntry, type ConsumeResult, type LimitStore } from './store';
export { LocalLimitStore, type LocalLimitStoreOptions } from './local-store';
export { StoreCircuit, StoreCircuitOpenError, type StoreCircuitOptions, type StoreCircuitState } from './store-circuit';
export {
  createRedisStore,
  type RedisConfig,
  RedisLimitStore,
  redisRetryDelayMs,
  type RedisStoreOptions,
  resolveRedisStoreOptions,
} from './redis-store';
export {
  type Admission,
  RateLimiter,
  type RateLimiterHooks,
  type RateLimiterOptions,
  type RateLimitDecision,
  type RateLimitRequest,
  type TokenCharge,
} from './rate-limiter';
