import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo, Socket } from 'net';
import type { Logger } from 'pino';
import { Cancellation } from './cancellation';
import { PROBE_PATHS } from '../specs';
import { createLogger, flushLogs } from './access-log';
import { QpsCeiling, rejectConnection } from './capacity';
import { closeSnapshot, compileSnapshot, type Snapshot } from './compile/snapshot';
import { loadConfigDir } from './config-dir';
import { Errors, sendError } from './errors';
import { createRedisStore, type LimitStore, LocalLimitStore, RateLimiter, RedisLimitStore, resolveRedisStoreOptions } from './limits';
import { GatewayMetrics } from './metrics';
import { handleRequest } from './pipeline';
import type { RequestContext } from './request-context';
import type { SecretSource } from './secrets';
import type { GatewayConfig } from '../specs';

export interface DataPlaneOptions {
  /** The config to serve: already decoded (in-process use), or read from a shard directory. */
  readonly config: { readonly config: GatewayConfig; readonly hash: string } | { readonly dir: string };
  readonly secrets: SecretSource;
  /** @default the config's listener port; 0 picks a free one */
  readonly port?: number;
  /** @default the config's admin port; 0 picks a free one */
  readonly adminPort?: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** @default JSON logs on stdout */
  readonly logger?: Logger;
  /** Longest a drain waits for in-flight requests and streams. @default 30000 */
  readonly drainTimeoutMs?: number;
}

export class StartupError extends Error {}

/** What a reload did. */
export type ReloadResult = { result: 'applied'; hash: string; swapMs: number } | { result: 'unchanged'; hash: string } | { result: 'rejected'; reason: string };

/** One gateway's data plane: the traffic listener, the admin listener and the current config snapshot. */
export class DataPlane {
  /** Loads, validates and compiles the config, then listens. Throws StartupError naming what is wrong. */
  public static async start(options: DataPlaneOptions): Promise<DataPlane> {
    let decoded: { config: GatewayConfig; hash: string };
    if ('dir' in options.config) {
      const result = loadConfigDir(options.config.dir);
      if (!result.ok) throw new StartupError(`config ${options.config.dir}: ${result.reason}`);
      decoded = result;
    } else {
      decoded = options.config;
    }
    let snapshot: Snapshot;
    try {
      snapshot = compileSnapshot(decoded.config, decoded.hash, options.secrets);
    } catch (e) {
      throw new StartupError((e as Error).message);
    }
    let store: LimitStore;
    try {
      store = decoded.config.redis ? createRedisStore(resolveRedisStoreOptions(decoded.config.redis, options.secrets)) : new LocalLimitStore();
    } catch (e) {
      throw new StartupError((e as Error).message);
    }
    const plane = new DataPlane(snapshot, options, store);
    if (store instanceof RedisLimitStore) {
      // Not fatal: until Redis answers, each route's onRedisUnavailable policy decides.
      await store.waitUntilReady(3_000).catch(() => plane.logger.warn({ redis: decoded.config.redis?.address }, 'redis not reachable at start; limits follow each route\'s onRedisUnavailable policy'));
    }
    await plane.listen(options.port ?? decoded.config.listeners.port, options.adminPort ?? decoded.config.listeners.adminPort, options.host ?? '0.0.0.0');
    return plane;
  }

  public readonly metrics: GatewayMetrics;
  public readonly logger: Logger;
  public readonly limiter: RateLimiter;
  private current: Snapshot;
  /** Requests still running on each snapshot: an old one is closed when its last request ends. */
  private readonly holders = new Map<Snapshot, number>();
  private qps: QpsCeiling;
  private readonly traffic: Server;
  private readonly admin: Server;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    snapshot: Snapshot,
    private readonly options: DataPlaneOptions,
    private readonly store: LimitStore,
  ) {
    this.current = snapshot;
    this.holders.set(snapshot, 0);
    this.qps = new QpsCeiling(snapshot.config.limits.maxQps);
    this.logger = options.logger ?? createLogger();
    const config = snapshot.config;
    this.metrics = new GatewayMetrics({ gateway: config.metadata.name, ...config.observability.customLabels });
    if (config.observability.tier === 'full') this.metrics.collectSystemMetrics();
    this.limiter = new RateLimiter({
      store,
      logger: this.logger,
      hooks: {
        onDecision: (decision) => this.metrics.rateLimitDecisions.inc({ decision }),
        onBackendError: (_err, op) => this.metrics.rateLimitBackendErrors.inc({ op }),
      },
    });
    this.traffic = createServer(
      {
        keepAlive: true,
        // Against slow clients (slowloris): headers must arrive in time, idle keep-alive connections close,
        // and the check runs every second rather than Node's default 30.
        headersTimeout: config.limits.headersTimeoutMs,
        keepAliveTimeout: config.limits.idleTimeoutMs,
        requestTimeout: 300_000,
        connectionsCheckingInterval: 1_000,
      },
      (req, res) => this.onRequest(req, res),
    );
    this.traffic.on('connection', (socket: Socket) => {
      // The replica's share of the spec's client connections: one more gets a clean 503.
      if (this.sockets.size >= this.current.config.limits.maxClientConnections) {
        this.metrics.capacityRejections.inc({ reason: 'connections' });
        rejectConnection(socket);
        return;
      }
      this.sockets.add(socket);
      this.metrics.connections.set(this.sockets.size);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.metrics.connections.set(this.sockets.size);
      });
    });
    this.admin = createServer((req, res) => void this.onAdmin(req, res));
  }

  /** The snapshot new requests get. */
  public get snapshot(): Snapshot {
    return this.current;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.traffic.address() as AddressInfo).port}`;
  }

  public get adminUrl(): string {
    return `http://127.0.0.1:${(this.admin.address() as AddressInfo).port}`;
  }

  public get ready(): boolean {
    return !this.draining;
  }

  /** The config directory this plane was started from, if any. */
  public get configDir(): string | undefined {
    return 'dir' in this.options.config ? this.options.config.dir : undefined;
  }

  /**
   * Reads, validates and compiles the config directory again and, if it is a new complete set,
   * swaps it in with one reference assignment. Requests in flight finish on the snapshot they
   * started with. A bad config is rejected and the last good one keeps serving.
   */
  public reload(): ReloadResult {
    const dir = this.configDir;
    if (!dir) return { result: 'rejected', reason: 'this data plane was not started from a config directory' };
    const started = performance.now();
    const loaded = loadConfigDir(dir);
    if (!loaded.ok) return this.rejected(loaded.reason);
    if (loaded.hash === this.current.hash) {
      this.metrics.configReloads.inc({ result: 'unchanged' });
      return { result: 'unchanged', hash: loaded.hash };
    }
    let next: Snapshot;
    try {
      next = compileSnapshot(loaded.config, loaded.hash, this.options.secrets);
    } catch (e) {
      return this.rejected((e as Error).message);
    }
    this.swap(next);
    const swapMs = performance.now() - started;
    this.metrics.configReloads.inc({ result: 'applied' });
    this.metrics.configSwapSeconds.observe(swapMs / 1000);
    this.logger.info({ hash: next.hash, swapMs: Number(swapMs.toFixed(3)) }, 'config reloaded');
    return { result: 'applied', hash: next.hash, swapMs };
  }

  /** Makes `next` the snapshot new requests get; the old one is released when its last request ends. */
  public swap(next: Snapshot): void {
    const old = this.current;
    this.current = next;
    this.holders.set(next, this.holders.get(next) ?? 0);
    if (next.config.limits.maxQps !== old.config.limits.maxQps) this.qps = new QpsCeiling(next.config.limits.maxQps);
    if ((this.holders.get(old) ?? 0) === 0) this.release(old);
  }

  private release(snapshot: Snapshot): void {
    if (snapshot === this.current) return;
    this.holders.delete(snapshot);
    void closeSnapshot(snapshot);
  }

  private rejected(reason: string): ReloadResult {
    this.metrics.configReloads.inc({ result: 'rejected' });
    this.logger.error({ reason, serving: this.current.hash }, 'config rejected; the last good config keeps serving');
    return { result: 'rejected', reason };
  }

  /**
   * Graceful drain: report not-ready, stop accepting, let in-flight requests and streams finish
   * up to the deadline, then close what is left.
   */
  public async drain(timeoutMs: number = this.options.drainTimeoutMs ?? 30_000): Promise<void> {
    if (!this.draining) {
      this.draining = true;
      this.logger.info({ inFlight: this.inFlight, timeoutMs }, 'draining');
    }
    const closed = new Promise<void>((resolve) => this.traffic.close(() => resolve()));
    this.traffic.closeIdleConnections();
    const idle = this.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([idle.then(() => 'idle' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn({ inFlight: this.inFlight }, 'drain deadline reached; closing the remaining connections');
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await new Promise<void>((resolve) => this.admin.close(() => resolve()));
    this.admin.closeAllConnections();
    await closeSnapshot(this.current);
    await this.store.close().catch(() => undefined);
    this.logger.info('drained');
    await flushLogs(this.logger);
  }

  /** Stops at once (tests, errors): no waiting for in-flight requests. */
  public async close(): Promise<void> {
    await this.drain(0);
  }

  private async listen(port: number, adminPort: number, host: string): Promise<void> {
    await listenOn(this.traffic, port, host);
    await listenOn(this.admin, adminPort, host);
    this.logger.info({ url: this.url, admin: this.adminUrl, config: this.current.hash, gateway: this.current.config.metadata.name }, 'listening');
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.draining) {
      res.setHeader('connection', 'close');
      sendError(res, Errors.unavailable());
      return;
    }
    if (!this.qps.tryTake()) {
      this.metrics.capacityRejections.inc({ reason: 'qps' });
      sendError(res, Errors.overQps(this.current.config.limits.maxQps), { 'retry-after': '1' });
      return;
    }
    const snapshot = this.current;
    this.inFlight++;
    this.holders.set(snapshot, (this.holders.get(snapshot) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.holders.get(snapshot) ?? 1) - 1;
      this.holders.set(snapshot, left);
      if (left === 0 && snapshot !== this.current) this.release(snapshot);
      if (--this.inFlight === 0 && this.draining) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    });
    const [path, query] = splitUrl(req.url ?? '/');
    const host = hostOf(req.headers.host);
    // A client that goes away mid-request or mid-stream cancels the upstream request (see the pipeline's 'close').
    const ctx: RequestContext = {
      req,
      res,
      snapshot,
      startedAt: process.hrtime.bigint(),
      host,
      path,
      query,
      cancellation: new Cancellation(),
      caller: { kind: 'anonymous' },
      record: { method: req.method ?? '', path, host, status: 0, durationMs: 0 },
    };
    void handleRequest(ctx, { metrics: this.metrics, logger: this.logger, limiter: this.limiter });
  }

  private async onAdmin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = splitUrl(req.url ?? '/')[0];
    if (path === PROBE_PATHS.liveness) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === PROBE_PATHS.readiness) {
      return void res.writeHead(this.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(this.ready ? 'ready\n' : 'draining\n');
    }
    if (path === PROBE_PATHS.metrics) {
      const body = await this.metrics.registry.metrics();
      return void res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

/** The Host header, lower-cased, without its port. */
function hostOf(host: string | undefined): string {
  if (!host) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}
