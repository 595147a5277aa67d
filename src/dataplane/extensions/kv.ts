import { type ExtensionKv, KV_MAX_TTL_SECONDS as MAX_TTL_SECONDS } from '../../extensions';
import type { McpBus } from '../mcp/bus';

/** Longest key an extension may use (after its prefix): keys are the extension's own, not a place for payloads. */
const MAX_KEY_CHARS = 1024;

/**
 * An extension's KV over the request's bus: Redis (under the config's `redis.keyPrefix`, next to the MCP keys)
 * when the gateway has one, this replica's memory otherwise. Every key under `ext:<extension>:`, so that two
 * extensions never read each other's. Bad arguments reject, as Redis errors do: the hook's policy decides.
 */
export function extensionKv(bus: McpBus, prefix: string): ExtensionKv {
  const key = (k: string): string => {
    if (typeof k !== 'string' || k === '' || k.length > MAX_KEY_CHARS) throw new TypeError(`kv: a key is a string of 1 to ${MAX_KEY_CHARS} characters (found ${describe(k)})`);
    return prefix + k;
  };
  const ttl = (seconds: number): number => {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) throw new TypeError(`kv: ttlSeconds is an integer from 1 to ${MAX_TTL_SECONDS} (found ${describe(seconds)})`);
    return seconds;
  };
  return {
    get: async (k) => bus.get(key(k)),
    set: async (k, value, seconds) => {
      if (typeof value !== 'string') throw new TypeError(`kv: a value is a string (found ${describe(value)}); JSON.stringify an object first`);
      await bus.set(key(k), value, ttl(seconds));
    },
    delete: async (k) => bus.delete(key(k)),
    incrBy: async (k, delta, seconds) => {
      if (!Number.isSafeInteger(delta)) throw new TypeError(`kv: incrBy's delta is an integer (found ${describe(delta)})`);
      return bus.incrBy(key(k), delta, ttl(seconds));
    },
  };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `a string of ${value.length} characters` : typeof value === 'number' ? String(value) : typeof value;
}
