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

/** Who is calling: a known consumer, no key, or a key no consumer has. */
export type Caller = { readonly kind: 'consumer'; readonly consumer: CompiledConsumer } | { readonly kind: 'anonymous' } | { readonly kind: 'unknown-key' };

export function identify(snapshot: Snapshot, headers: IncomingHttpHeaders): Caller {
  const key = presentedKey(headers);
  if (key === undefined) return { kind: 'anonymous' };
  // Keys are stored only as sha256 digests; the final comparison is constant-time.
  const digest = keyDigest(key);
  const consumer = snapshot.consumersByDigest.get(digest.toString('hex'));
  if (!consumer || !timingSafeEqual(consumer.keyDigest, digest)) return { kind: 'unknown-key' };
  return { kind: 'consumer', consumer };
}

export function mayUse(consumer: CompiledConsumer, route: CompiledRoute): boolean {
  return consumer.all || consumer.routes.has(route.name);
}

/** Key auth for a route: 401 without a valid key, 403 without a grant. Routes without key auth admit anyone, whatever key they send. */
export function authorize(route: CompiledRoute, caller: Caller): void {
  if (!route.config.policies.keyAuth.enabled) return;
  if (caller.kind === 'unknown-key') throw Errors.badKey();
  if (caller.kind === 'anonymous') throw Errors.noKey();
  if (!mayUse(caller.consumer, route)) throw Errors.notGranted(caller.consumer.name, route.name);
}
