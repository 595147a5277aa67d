import { timingSafeEqual } from 'crypto';
import type { IncomingHttpHeaders } from 'http';
import { type CompiledConsumer, type CompiledRoute, keyDigest, type Snapshot } from './compile/snapshot';
import { Errors } from './errors';

/** The key a client presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
}

/** The consumer whose key was presented, or undefined for no key. Throws 401 for an unknown key. */
export function identify(snapshot: Snapshot, headers: IncomingHttpHeaders): CompiledConsumer | undefined {
  const key = presentedKey(headers);
  if (key === undefined) return undefined;
  // Keys are stored only as sha256 digests; the final comparison is constant-time.
  const digest = keyDigest(key);
  const consumer = snapshot.consumersByDigest.get(digest.toString('hex'));
  if (!consumer || !timingSafeEqual(consumer.keyDigest, digest)) throw Errors.badKey();
  return consumer;
}

export function mayUse(consumer: CompiledConsumer, route: CompiledRoute): boolean {
  return consumer.all || consumer.routes.has(route.name);
}

/** Key auth for a route: the consumer, or 401/403. Routes without key auth admit anyone. */
export function authorize(route: CompiledRoute, consumer: CompiledConsumer | undefined): void {
  if (!route.config.policies.keyAuth.enabled) return;
  if (!consumer) throw Errors.noKey();
  if (!mayUse(consumer, route)) throw Errors.notGranted(consumer.name, route.name);
}
