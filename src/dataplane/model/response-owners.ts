import { STORED_RESPONSE_DAYS } from '../endpoints';
import { type McpBus, replicaState } from '../mcp/bus';

/**
 * Whose a response kept by a backend is, and where it is kept: recorded when the gateway relays a native
 * Responses API answer, read when a call by id (`GET /v1/responses/{id}`, `previous_response_id`…) comes.
 * The backend keeps every consumer's responses under the gateway's one key, so this record is what stops
 * one consumer from reading, deleting or continuing another's.
 */
export interface ResponseOwner {
  /** The route it was created on: it is reached on that route only. */
  readonly route: string;
  /** The consumer who created it; '' on a route without key auth. */
  readonly consumer: string;
  /** The backend that keeps it: calls by id go there, whatever the route's weights would pick. */
  readonly backend: string;
  /** The model entry it was created with (a metric label of the calls by id). */
  readonly model: string;
}

const TTL_SECONDS = STORED_RESPONSE_DAYS * 86_400;
/** Under the config's `redis.keyPrefix`, beside the MCP bus's keys. */
const KEY_PREFIX = 'response-owner:';
/**
 * Without Redis, one replica remembers this many responses (the oldest forgotten first): bounded, since a
 * record lives 30 days. About 200 bytes each.
 */
export const LOCAL_RESPONSE_OWNERS = 100_000;

/** The records of a replica without Redis, in insertion order (the oldest first). */
type LocalOwners = Map<string, { readonly owner: ResponseOwner; readonly expiresAt: number }>;

function localOwners(bus: McpBus): LocalOwners {
  return replicaState(bus, 'response-owners', (): LocalOwners => new Map());
}

/** Records whose response `id` is: in Redis, shared by every replica, when the gateway has one; else in this replica. Rejects when Redis does not answer. */
export async function rememberOwner(bus: McpBus, id: string, owner: ResponseOwner): Promise<void> {
  if (bus.shared) {
    await bus.set(KEY_PREFIX + id, JSON.stringify([owner.route, owner.consumer, owner.backend, owner.model]), TTL_SECONDS);
    return;
  }
  const owners = localOwners(bus);
  owners.delete(id);
  owners.set(id, { owner, expiresAt: Date.now() + TTL_SECONDS * 1000 });
  if (owners.size > LOCAL_RESPONSE_OWNERS) owners.delete(owners.keys().next().value!);
}

/** Whose response `id` is; undefined when the gateway has no record of it (never relayed, expired, deleted). Rejects when Redis does not answer. */
export async function ownerOf(bus: McpBus, id: string): Promise<ResponseOwner | undefined> {
  if (!bus.shared) {
    const owners = localOwners(bus);
    const entry = owners.get(id);
    if (entry !== undefined && entry.expiresAt <= Date.now()) owners.delete(id);
    return entry !== undefined && entry.expiresAt > Date.now() ? entry.owner : undefined;
  }
  const value = await bus.get(KEY_PREFIX + id);
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((v) => typeof v === 'string')) return undefined;
  const [route, consumer, backend, model] = parsed as string[];
  return { route, consumer, backend, model };
}

/** Forgets response `id` (its backend deleted it). */
export async function forgetOwner(bus: McpBus, id: string): Promise<void> {
  if (bus.shared) await bus.delete(KEY_PREFIX + id);
  else localOwners(bus).delete(id);
}
