export { ManualClock } from './clock';
export { windowBounds } from './windows';
export { ANONYMOUS_CONSUMER, counterKey } from './keys';
export { compileLimitPlan } from './plan';
export { formatResetDuration, retryAfterSeconds } from './duration';
export { type ConsumeEntry, type ConsumeResult, type LimitStore } from './store';
export { LocalLimitStore } from './local-store';
export { StoreCircuit, StoreCircuitOpenError } from './store-circuit';
export {
  createRedisStore,
  RedisLimitStore,
  redisRetryDelayMs,
  type RedisStoreOptions,
  resolveRedisStoreOptions,
} from './redis-store';
export { LEASE_LUA, LeasedLimitStore, leaseSize, MIN_LEASE_UNITS } from './leased-store';
export {
  type Admission,
  RateLimiter,
  type RateLimiterHooks,
  type RateLimitDecision,
  type RateLimitRequest,
} from './rate-limiter';
