import Redis from 'ioredis';
import type { Logger } from 'pino';
import { runCloseListeners, type McpBus, type SubscribeOptions } from './bus';
import { parseAddress, redisRetryDelayMs, type RedisStoreOptions } from '../limits/redis-store';

/**
 * The MCP bus of a gateway with `redis`: every replica sees it. Keys and channels live under
 * `<keyPrefix>mcp:`, next to the rate-limit counters and never among them.
 *
 * Two connections, because a Redis connection that subscribes can send nothing else: one for commands
 * (PUBLISH, SET, GET, EXPIRE, DEL) and one that holds the subscriptions, each channel subscribed once
 * per process however many callers listen to it. Both fail fast like the limit store (no offline queue,
 * no retries, a command timeout) and reconnect in the background; after a reconnect the subscriber
 * subscribes again to every channel that still has a listener (messages published while it was away
 * are lost: a stream's answers then never come, as when its replica goes away).
 */
export class RedisMcpBus implements McpBus {
  public readonly shared = true;
  private readonly prefix: string;
  /** Listeners by full channel name; a channel is subscribed while it has one. */
  private readonly listeners = new Map<string, Set<(data: string) => void>>();
  private down = false;
  private closing = false;
  /** What runs when close() starts (McpBus.onClose). */
  private readonly closeListeners: Array<() => void> = [];

  public constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    keyPrefix: string,
    private readonly logger?: Logger,
    private readonly address = `${commands.options.host}:${commands.options.port}`,
  ) {
    this.prefix = `${keyPrefix}mcp:`;
    subscriber.on('message', (channel: string, data: string) => {
      const listeners = this.listeners.get(channel);
      if (listeners) for (const deliver of [...listeners]) deliver(data);
    });
    // ioredis's own resubscription only knows the channels whose SUBSCRIBE went through; this one also
    // puts in place the lasting subscriptions made while Redis was unreachable.
    subscriber.on('ready', () => {
      const channels = [...this.listeners.keys()];
      if (channels.length > 0) subscriber.subscribe(...channels).catch(() => undefined);
    });
    for (const client of [commands, subscriber]) {
      // Without a listener ioredis prints every failed reconnect; log the outage once instead.
      client.on('error', (err: Error) => this.lost(err));
      client.on('close', () => this.lost());
      client.on('ready', () => {
        if (this.down && commands.status === 'ready' && subscriber.status === 'ready') {
          this.down = false;
          this.logger?.info({ redis: this.address }, 'redis is reachable again; MCP legacy streams are served across replicas');
        }
      });
    }
  }

  private lost(err?: Error): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.logger?.warn({ err, redis: this.address }, 'redis is unreachable for MCP sessions; reconnecting in the background');
  }

  public async publish(channel: string, data: string): Promise<number> {
    return this.commands.publish(this.prefix + channel, data);
  }

  public async subscribe(channel: string, onMessage: (data: string) => void, options: SubscribeOptions = {}): Promise<() => void> {
    const full = this.prefix + channel;
    // A wrapper of its own: the same function subscribed twice is two subscriptions.
    const deliver = (data: string): void => onMessage(data);
    let listeners = this.listeners.get(full);
    if (!listeners) this.listeners.set(full, (listeners = new Set()));
    listeners.add(deliver);
    const end = (): void => {
      listeners.delete(deliver);
      if (listeners.size > 0 || this.listeners.get(full) !== listeners) return;
      this.listeners.delete(full);
      if (this.subscriber.status === 'ready') this.subscriber.unsubscribe(full).catch(() => undefined);
    };
    if (this.subscriber.status === 'ready') {
      try {
        // Subscribing again to a channel this connection has is harmless, and waits for the one in flight.
        await this.subscriber.subscribe(full);
        return end;
      } catch (e) {
        if (!options.lasting) {
          end();
          throw e;
        }
      }
    } else if (!options.lasting) {
      end();
      throw new Error(`redis at ${this.address} is not connected (${this.subscriber.status})`);
    }
    // Lasting: in place whenever the subscriber is (its 'ready' subscribes again).
    return end;
  }

  public async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.commands.set(this.prefix + key, value, 'EX', ttlSeconds);
  }

  public async get(key: string): Promise<string | undefined> {
    return (await this.commands.get(this.prefix + key)) ?? undefined;
  }

  public async touch(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.commands.expire(this.prefix + key, ttlSeconds)) === 1;
  }

  public async delete(key: string): Promise<void> {
    await this.commands.del(this.prefix + key);
  }

  public async incrBy(key: string, delta: number, ttlSeconds: number): Promise<number> {
    // One round trip, atomic: the count, and a time to live for a key without one (the INCRBY created it).
    return Number(await this.commands.eval(INCR_BY_SCRIPT, 1, this.prefix + key, delta, ttlSeconds));
  }

  /** Resolves once both connections are ready; rejects after `timeoutMs`. For startup: nothing else waits. */
  public async whenReady(timeoutMs: number): Promise<void> {
    const ready = (client: Redis): Promise<void> =>
      client.status === 'ready'
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            client.off('ready', onReady);
            reject(new Error(`redis at ${this.address} did not become ready within ${timeoutMs} ms`));
          }, timeoutMs);
          timer.unref();
          const onReady = (): void => {
            clearTimeout(timer);
            resolve();
          };
          client.once('ready', onReady);
        });
    await Promise.all([ready(this.commands), ready(this.subscriber)]);
  }

  public onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  public async close(): Promise<void> {
    this.closing = true;
    // Before the listeners go: what ends its streams may still publish its last messages.
    runCloseListeners(this.closeListeners);
    this.listeners.clear();
    await Promise.all(
      [this.commands, this.subscriber].map(async (client) => {
        if (client.status === 'ready') {
          try {
            await client.quit();
            return;
          } catch {
            // fall through to a hard disconnect
          }
        }
        client.disconnect();
      }),
    );
  }
}

/** INCRBY, then EXPIRE on a key that has no time to live: what EXPIRE NX does, on Redis versions before 7 too. */
const INCR_BY_SCRIPT = "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end return v";

/** A bus over two new ioredis clients with the limit store's fail-fast settings (see createRedisStore). */
export function createRedisMcpBus(options: RedisStoreOptions, logger?: Logger): RedisMcpBus {
  const { host, port } = parseAddress(options.address);
  const client = (): Redis =>
    new Redis({
      host,
      port,
      username: options.user,
      password: options.password,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      retryStrategy: redisRetryDelayMs,
      // The bus subscribes again itself, on 'ready' (see the constructor).
      autoResubscribe: false,
      disconnectTimeout: 200,
    });
  return new RedisMcpBus(client(), client(), options.keyPrefix, logger, options.address);
}
