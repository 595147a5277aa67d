import { timingSafeEqual } from 'crypto';
import type { IncomingHttpHeaders } from 'http';
import { type CompiledConsumer, type CompiledModel, type CompiledModelRoute, type CompiledRoute, keyDigest, type Snapshot } from './compile/snapshot';
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
  const consumer = consumerWithKey(snapshot, key);
  return consumer ? { kind: 'consumer', consumer } : { kind: 'unknown-key' };
}

/** The consumer whose API key `key` is: what the built-in key auth and key-auth's `authenticate` both ask. */
export function consumerWithKey(snapshot: Snapshot, key: string): CompiledConsumer | undefined {
  // Keys are stored only as sha256 digests; the final comparison is constant-time.
  const digest = keyDigest(key);
  const consumer = snapshot.consumersByDigest.get(digest.toString('hex'));
  return consumer && timingSafeEqual(consumer.keyDigest, digest) ? consumer : undefined;
}

function mayUse(consumer: CompiledConsumer, route: CompiledRoute): boolean {
  // A server named in the tool-level grants is granted, limited to those tools (mcp/tools.ts applies the limit).
  if (route.kind === 'mcp') return consumer.all || consumer.mcpServers.has(route.name) || consumer.mcpTools.has(route.name);
  return consumer.all || consumer.routes.has(route.name);
}

/**
 * Key auth for a route: 401 without a valid key, 403 without a grant. Routes without key auth admit
 * anyone, whatever key they send; MCP servers always need a key (their grants decide which tools a
 * caller sees). Called by the authorize stage only, for every kind of route.
 */
export function authorize(route: CompiledRoute, caller: Caller): void {
  if (route.kind !== 'mcp' && !route.config.policies.keyAuth.enabled) return;
  if (caller.kind === 'unknown-key') throw Errors.badKey();
  if (caller.kind === 'anonymous') throw Errors.noKey();
  if (mayUse(caller.consumer, route)) return;
  // A grant to an agent exposed as a model of this route admits the caller to the route; which model it
  // may use is checked once the body names one (authorizeModel).
  if (route.kind === 'model' && route.agentModels.some((agent) => mayUse(caller.consumer, agent))) return;
  throw route.kind === 'mcp' ? Errors.mcpNotGranted(caller.consumer.name, route.name) : Errors.notGranted(caller.consumer.name, route.name);
}

/**
 * The model a request names, on a route that also serves agents as models: an agent's model needs a grant to
 * the agent route (and follows its key auth), any other model a grant to the route itself.
 */
export function authorizeModel(route: CompiledModelRoute, model: CompiledModel, caller: Caller): void {
  if (model.owner) return authorize(model.owner.asModel!, caller);
  // authorize() has refused callers without a valid key where the route wants one.
  authorizeRoute(route, caller);
}

/** A caller's grant to the route itself (not to an agent exposed as a model on it): what a call on a stored response needs. */
export function authorizeRoute(route: CompiledModelRoute, caller: Caller): void {
  if (!route.config.policies.keyAuth.enabled || caller.kind !== 'consumer' || mayUse(caller.consumer, route)) return;
  throw Errors.notGranted(caller.consumer.name, route.name);
}

/**
 * Key auth for the model list, which spans the routes under one host and path: a caller sees the
 * routes without key auth and those it is granted; 401 only when it would see nothing for want of a key.
 */
export function visibleRoutes<R extends Exclude<CompiledRoute, { kind: 'mcp' }>>(routes: readonly R[], caller: Caller): readonly R[] {
  if (caller.kind === 'consumer') return routes.filter((r) => !r.config.policies.keyAuth.enabled || mayUse(caller.consumer, r));
  const open = routes.filter((r) => !r.config.policies.keyAuth.enabled);
  if (open.length === 0) throw caller.kind === 'unknown-key' ? Errors.badKey() : Errors.noKey();
  return open;
}
