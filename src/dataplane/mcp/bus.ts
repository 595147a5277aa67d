/**
 * How the replicas of one gateway reach each other for MCP: named channels that carry strings, and a
 * little shared state with a time to live. The legacy HTTP+SSE transport needs both: its stream is
 * held by one replica while its POSTs land on any (Higress relays the same way, through Redis pub/sub).
 *
 * Two implementations: `LocalMcpBus` (this process alone: a gateway without `redis`, or one replica)
 * and the Redis one (bus-redis.ts: PUBLISH/SUBSCRIBE on a connection of its own, SET/GET with EX under
 * the config's `redis.keyPrefix`). Callers never know which they have, except through `shared`.
 */
export interface McpBus {
  /** Whether other replicas see what goes on this bus (Redis), or only this process does. */
  readonly shared: boolean;
  /**
   * Delivers `data` to every subscriber of `channel`, on every replica. Resolves to how many
   * subscribers received it: 0 means nobody holds the channel (a stream that ended, or never was).
   * Rejects when the bus cannot be reached.
   */
  publish(channel: string, data: string): Promise<number>;
  /**
   * Calls `onMessage` for each message published to `channel` from now on, in the order they were
   * published by any one publisher. Resolves once the subscription is in place (a publish after that
   * reaches it) to the function that ends it; rejects when the bus cannot be reached, unless `lasting`.
   */
  subscribe(channel: string, onMessage: (data: string) => void, options?: SubscribeOptions): Promise<() => void>;
  /** Stores `value` under `key` for `ttlSeconds`. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** The value under `key`, or undefined once it expired or was deleted. */
  get(key: string): Promise<string | undefined>;
  /** Starts `key`'s time to live again; false when the key is gone. */
  touch(key: string, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Adds `delta` to the integer under `key` (0 when absent) and returns the new value; a key it creates lives
   * `ttlSeconds`, one it finds keeps its time to live. Rejects when the value is not an integer.
   */
  incrBy(key: string, delta: number, ttlSeconds: number): Promise<number>;
  /**
   * Registers `fn` to run when close() starts (a reload that replaced the bus, or shutdown): what holds
   * streams or subscriptions on this bus ends them then, rather than dangling on a bus nobody serves.
   */
  onClose(fn: () => void): void;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * A subscription for the life of the bus (the gateway-wide channel every replica listens to): it
   * resolves at once even while the bus is unreachable, and is put in place whenever it is reached.
   */
  readonly lasting?: boolean;
}

/** What one process keeps at most in its bus state (sessions, legacy streams, extension KV): entries, and characters of values. */
export const LOCAL_STATE_LIMITS = { entries: 100_000, chars: 64 * 1024 * 1024 } as const;

/** The bus of one process: channels and state in memory, exactly as the Redis one behaves for a single replica. */
export class LocalMcpBus implements McpBus {
  public readonly shared = false;
  private readonly channels = new Map<string, Set<(data: string) => void>>();
  private readonly closeListeners: Array<() => void> = [];
  /** The characters of every value in `state`: what LOCAL_STATE_LIMITS.chars bounds. */
  private stateBytes = 0;
  private readonly state = new Map<
    string,
    { value: string; expiresAt: number }
  >();

  public async publish(channel: string, data: string): Promise<number> {
    const subscribers = this.channels.get(channel);
    if (!subscribers) return 0;
    // Asynchronous like a network bus: a subscriber never runs inside its publisher's call.
    const receivers = [...subscribers];
    queueMicrotask(() => {
      for (const deliver of receivers) deliver(data);
    });
    return receivers.length;
  }

  public async subscribe(channel: string, onMessage: (data: string) => void): Promise<() => void> {
    // A wrapper of its own: the same function subscribed twice is two subscriptions.
    const deliver = (data: string): void => onMessage(data);
    let subscribers = this.channels.get(channel);
    if (!subscribers) this.channels.set(channel, (subscribers = new Set()));
    subscribers.add(deliver);
    return () => {
      subscribers.delete(deliver);
      if (subscribers.size === 0 && this.channels.get(channel) === subscribers) {this.channels.delete(channel);}
    };
  }

  public async set(
    key: string,
    value: string,
    ttlSeconds: number,
  ): Promise<void> {
    this.store(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  /**
   * Keeps an entry within the bounds (LOCAL_STATE_LIMITS): Redis would expire and evict; here, past a bound, the
   * expired entries are swept, then the oldest written dropped, so that keys nobody reads again (a cache of unique
   * prompts, a replay guard) cannot grow the process without end.
   */
  private store(key: string, entry: { value: string; expiresAt: number }): void {
    const previous = this.state.get(key);
    if (previous) {
      this.stateBytes -= previous.value.length;
      this.state.delete(key);
    }
    this.state.set(key, entry);
    this.stateBytes += entry.value.length;
    if (this.state.size <= LOCAL_STATE_LIMITS.entries && this.stateBytes <= LOCAL_STATE_LIMITS.chars) return;
    const now = Date.now();
    for (const [k, e] of this.state) {
      if (e.expiresAt > now) continue;
      this.state.delete(k);
      this.stateBytes -= e.value.length;
    }
    for (const [k, e] of this.state) {
      if (this.state.size <= LOCAL_STATE_LIMITS.entries && this.stateBytes <= LOCAL_STATE_LIMITS.chars) break;
      this.state.delete(k);
      this.stateBytes -= e.value.length;
    }
  }

  public async get(key: string): Promise<string | undefined> {
    const entry = this.state.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      await this.delete(key);
      return undefined;
    }
    return entry.value;
  }

  public async touch(key: string, ttlSeconds: number): Promise<boolean> {
    const entry = this.state.get(key);
    if (!entry || entry.expiresAt <= Date.now()) return false;
    entry.expiresAt = Date.now() + ttlSeconds * 1000;
    return true;
  }

  public async delete(key: string): Promise<void> {
    const entry = this.state.get(key);
    if (entry) this.stateBytes -= entry.value.length;
    this.state.delete(key);
  }

  public async incrBy(key: string, delta: number, ttlSeconds: number): Promise<number> {
    const current = await this.get(key);
    const base = current === undefined ? 0 : Number(current);
    if (!Number.isSafeInteger(base)) throw new Error(`the value under '${key}' is not an integer`);
    const value = base + delta;
    const entry = this.state.get(key);
    this.store(key, { value: String(value), expiresAt: entry ? entry.expiresAt : Date.now() + ttlSeconds * 1000 });
    return value;
  }

  public onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  public async close(): Promise<void> {
    runCloseListeners(this.closeListeners);
    this.channels.clear();
    this.state.clear();
    this.stateBytes = 0;
  }
}

/** Runs (once) what registered with onClose; one that throws does not keep the others from running. */
export function runCloseListeners(listeners: Array<() => void>): void {
  for (const fn of listeners.splice(0)) {
    try {
      fn();
    } catch {
      // A close listener only ends its own streams; the bus closes regardless.
    }
  }
}

/**
 * What one replica keeps in memory beside its bus (the streams it holds, the sessions it knows ended),
 * by name, one slot per bus: two gateways in one process (tests) keep theirs apart.
 */
const replicaSlots = new WeakMap<McpBus, Map<string, unknown>>();

export function replicaState<T>(bus: McpBus, name: string, create: () => T): T {
  let slots = replicaSlots.get(bus);
  if (!slots) replicaSlots.set(bus, (slots = new Map()));
  if (!slots.has(name)) slots.set(name, create());
  return slots.get(name) as T;
}

/** A reload that replaces the bus (its `redis` changed) keeps what the replica knew: the new bus takes the old one's state. */
export function carryReplicaState(from: McpBus, to: McpBus): void {
  const slots = replicaSlots.get(from);
  if (slots) replicaSlots.set(to, slots);
}
