import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../specs';
import type { SecretSource } from '../secrets';
import { ADJUST_LUA, CONSUME_LUA } from './redis-scripts';
import { checkEntries, type ConsumeEntry, type ConsumeResult, type LimitStore } from './store';
import { StoreCircuit, type StoreCircuitState } from './store-circuit';

export type RedisConfig = NonNullable<GatewayConfig['redis']>;

export interface RedisStoreOptions {
  /** `host:port`. */
  readonly address: string;
  readonly keyPrefix: string;
  readonly user?: string;
  /** The resolved password (see resolveRedisStoreOptions for the SecretRef). */
  readonly password?: string;
  /** A command that gets no answer in this long fails (and the limiter applies onRedisUnavailable). Default 500. */
  readonly commandTimeoutMs?: number;
  /** Default 2000. */
  readonly connectTimeoutMs?: number;
  /** While the store's circuit is open, how long between a failed PING and the next. Default 250. */
  readonly probeIntervalMs?: number;
}

/** The scripts, as ioredis defineCommand adds them: EVALSHA, falling back to EVAL on NOSCRIPT. */
interface ScriptCommands {
  aigwRateLimitConsume(numKeys: number, ...keysThenArgs: (string | number)[]): Promise<unknown>;
  aigwRateLimitAdjust(key: string, delta: number, ttlMs: number): Promise<unknown>;
}

/** Reconnect forever, backing off to one attempt every 2 s, so the gateway uses Redis again when it is back. */
export function redisRetryDelayMs(attempt: number): number {
  return Math.min(attempt * 100, 2_000);
}

/** The config's `redis` block, with its password SecretRef read from `secrets`. Throws naming where it looked. */
export function resolveRedisStoreOptions(config: RedisConfig, secrets: SecretSource): RedisStoreOptions {
  let password: string | undefined;
  if (config.password) {
    password = secrets.read(config.password);
    if (password === undefined || password === '') {
      throw new Error(`redis.password: secret ${config.password.secretName}/${config.password.key} not found (looked in ${secrets.describe(config.password)})`);
    }
  }
  return { address: config.address, keyPrefix: config.keyPrefix, user: config.user, password };
}

export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`redis address '${address}' is not host:port`);
  return { host: address.slice(0, colon), port };
}

function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new Error(`unexpected reply from the rate limit script: ${String(value)}`);
  return n;
}

/**
 * Counters in Redis, shared by every replica. One Lua script per check makes check-and-charge atomic
 * across replicas. Commands fail at once while Redis is unreachable (no offline queue, no retries),
 * and the client keeps reconnecting in the background. A Redis that is connected but does not answer
 * (frozen, overloaded) costs one command timeout: then the store's circuit opens and every command
 * fails at once until a background PING (or a reconnect) gets an answer.
 */
export class RedisLimitStore implements LimitStore {
  public readonly kind = 'redis' as const;
  private readonly scripts: ScriptCommands;
  private down = false;
  private closing = false;
  private readonly circuit: StoreCircuit;

  public constructor(
    public readonly client: Redis,
    public readonly keyPrefix: string,
    private readonly logger?: Logger,
    private readonly address: string = `${client.options.host}:${client.options.port}`,
    probeIntervalMs?: number,
  ) {
    this.circuit = new StoreCircuit({
      name: `redis ${address}`,
      probe: () => client.ping(),
      probeIntervalMs,
      onOpen: (err) => this.logger?.warn({ err, redis: this.address }, 'redis did not answer; rate limits follow each route\'s onRedisUnavailable, without waiting for redis, until it answers a probe'),
      onClose: () => this.logger?.info({ redis: this.address }, 'redis answers again; rate limits are counted in redis'),
    });
    client.defineCommand('aigwRateLimitConsume', { lua: CONSUME_LUA });
    client.defineCommand('aigwRateLimitAdjust', { numberOfKeys: 1, lua: ADJUST_LUA });
    this.scripts = client as unknown as ScriptCommands;
    // Without a listener ioredis prints every failed reconnect; log the outage once instead.
    client.on('error', (err: Error) => {
      if (this.down || this.closing) return;
      this.down = true;
      this.logger?.warn({ err, redis: this.address }, 'redis is unreachable; reconnecting in the background');
    });
    client.on('close', () => {
      if (this.down || this.closing) return;
      this.down = true;
      this.logger?.warn({ redis: this.address }, 'redis connection closed; reconnecting in the background');
    });
    client.on('ready', () => {
      if (this.down) this.logger?.info({ redis: this.address }, 'redis is reachable again');
      this.down = false;
      // Connected and through ioredis's ready check (INFO answered): Redis answers.
      this.circuit.reset();
    });
  }

  /** ioredis's connection status: `ready` when commands can be sent. */
  public get status(): string {
    return this.client.status;
  }

  /** `open` while commands fail at once because Redis did not answer the last one. */
  public get circuitState(): StoreCircuitState {
    return this.circuit.state;
  }

  /** Resolves once the circuit is closed (Redis answered). For tests: the limiter never waits. */
  public whenAnswering(): Promise<void> {
    return this.circuit.whenClosed();
  }

  public async consume(entries: readonly ConsumeEntry[]): Promise<ConsumeResult> {
    checkEntries(entries);
    if (entries.length === 0) return { admitted: true, counts: [] };
    const keys = entries.map((e) => e.key);
    const args = entries.flatMap((e) => [e.limit, e.amount, e.ttlMs]);
    const reply = await this.circuit.run(() => this.scripts.aigwRateLimitConsume(keys.length, ...keys, ...args));
    if (!Array.isArray(reply) || reply.length !== entries.length + 2) throw new Error('unexpected reply from the rate limit script');
    const [admitted, failed, ...rest] = reply.map(toCount);
    if (admitted === 1) return { admitted: true, counts: rest };
    return { admitted: false, failed: failed! - 1, counts: rest };
  }

  public async adjust(key: string, delta: number, ttlMs: number): Promise<void> {
    if (!Number.isSafeInteger(delta)) throw new RangeError(`rate limit adjustment for ${key}: delta ${delta} is not an integer`);
    if (delta === 0) return;
    await this.circuit.run(() => this.scripts.aigwRateLimitAdjust(key, delta, Math.max(1, Math.ceil(ttlMs))));
  }

  /**
   * Runs `command` on this store's client through its circuit (failing at once while it is open), so that a
   * store layered on this one (LeasedLimitStore) shares its outage handling instead of keeping a second one.
   */
  public run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    return this.circuit.run(() => command(this.client));
  }

  /** Resolves once the client is connected; rejects after `timeoutMs`. For startup and tests: the limiter never waits. */
  public waitUntilReady(timeoutMs = 10_000): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`redis at ${this.address} did not become ready within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.client.once('ready', onReady);
    });
  }

  public async close(): Promise<void> {
    this.closing = true;
    this.circuit.dispose();
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.client.disconnect();
  }
}

/**
 * A store over a new ioredis client that fails fast while Redis is down (no offline queue, no
 * per-request retries, a 500 ms command timeout) and reconnects forever in the background.
 */
export function createRedisStore(options: RedisStoreOptions, logger?: Logger): RedisLimitStore {
  const { host, port } = parseAddress(options.address);
  const client = new Redis({
    host,
    port,
    username: options.user,
    password: options.password,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    retryStrategy: redisRetryDelayMs,
    // close() on a client whose socket already dropped would otherwise hold the process open for 2 s.
    disconnectTimeout: 200,
  });
  return new RedisLimitStore(client, options.keyPrefix, logger, options.address, options.probeIntervalMs);
}
