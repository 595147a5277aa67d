import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { Http2SecureServer, ServerHttp2Session } from 'http2';
import type { AddressInfo, Socket } from 'net';
import type { Logger } from 'pino';
import { isLoopbackAddress } from './admin-access';
import { Cancellation } from './cancellation';
import { DRAIN, PROBE_PATHS } from '../specs';
import { createLogger, flushLogs, flushPeriodically } from './access-log';
import { QpsCeiling, rejectConnection } from './capacity';
import { closeSnapshot, handOverSnapshot, type Snapshot } from './compile/snapshot';
import { compressResponse } from './compression/response';
import { compileConfig, compileConfigSliced, type ConfigSource, readConfig } from './config-load';
import { Errors, sendError } from './errors';
import { isExtensionAdminPath, serveExtensionAdmin } from './extensions/admin';
import { extensionOrder } from './extensions/compile';
import { HeapTrim } from './heap-trim';
import { Leases } from './leases';
import { closeLimitBackend, createLimitBackend, type LimitBackend, limitStoreSettings, whenConnected } from './limit-backend';
import type { RateLimiter } from './limits';
import { endLegacyStreams } from './mcp/legacy-sse';
import { endServerStreams } from './mcp/server-streams';
import { GatewayMetrics } from './metrics';
import { handleRequest } from './pipeline';
import type { GatewayConfig } from '../specs';
import { decoderFor } from './reload/decoder';
import { SliceClock } from './reload/sliced';
import type { RequestContext } from './request-context';
import { readRequestTarget, refuseConnect, splitUrl } from './request-target';
import type { RecordingSecrets, SecretSource } from './secrets';
import { snapshotPools, type SystemMetricSources } from './system-metrics';
import { applyTimeouts, createTlsListener, goAway, isHttp2, useCertificates } from './tls/listener';
import { reportUnserved } from './unserved';

export interface DataPlaneOptions {
  /** The config to serve: already decoded (in-process use), or read from a shard directory. */
  readonly config: ConfigSource;
  readonly secrets: SecretSource;
  /** @default the config's listener port; 0 picks a free one */
  readonly port?: number;
  /** @default the config's admin port; 0 picks a free one */
  readonly adminPort?: number;
  /** The TLS listener's port, used when a Domain has TLS. @default the config's `listeners.tlsPort`; 0 picks a free one */
  readonly tlsPort?: number;
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** @default JSON logs on stdout */
  readonly logger?: Logger;
  /**
   * Reasons readiness is held from the first probe on, by name (`holdReadiness`): what is known to be
   * missing before the listeners open (a required accelerator), so no probe is ever answered ready. @default {}
   */
  readonly readinessHolds?: Readonly<Record<string, string>>;
  /** Longest a drain waits for in-flight requests and streams. @default DRAIN.timeoutMs */
  readonly drainTimeoutMs?: number;
  /**
   * How long the replica stays not-ready but still accepting before it closes its listener: the
   * preStop hook's wait, or the first phase of a SIGTERM when no hook ran. @default DRAIN.delayMs
   */
  readonly drainDelayMs?: number;
  /** Run a full collection when the process is quiet and its heap holds unused memory (heap-trim.ts); `aigw serve` turns it on. @default false */
  readonly heapTrim?: boolean;
}

export class StartupError extends Error {}

/** What a reload did. */
export type ReloadResult = { result: 'applied'; hash: string; swapMs: number } | { result: 'unchanged'; hash: string } | { result: 'rejected'; reason: string };

/** One gateway's data plane: the traffic listener, the admin listener and the current config snapshot. */
export class DataPlane {
  /** Loads, validates and compiles the config, then listens. Throws StartupError naming what is wrong. */
  public static async start(options: DataPlaneOptions): Promise<DataPlane> {
    const where = 'dir' in options.config ? `config ${options.config.dir}: ` : '';
    const decoded = readConfig(options.config);
    if (!decoded.ok) throw new StartupError(`${where}${decoded.reason}`);
    const compiled = compileConfig(decoded.config, decoded.hash, options.secrets);
    if (!compiled.ok) throw new StartupError(`${where}${compiled.reason}`);
    let settings: ReturnType<typeof limitStoreSettings>;
    try {
      settings = limitStoreSettings(decoded.config, compiled.secrets);
    } catch (e) {
      await closeSnapshot(compiled.snapshot);
      throw new StartupError(`${where}${(e as Error).message}`);
    }
    const plane = new DataPlane(compiled.snapshot, compiled.secrets, options, settings);
    // Not fatal: until Redis answers, each route's onRedisUnavailable policy decides.
    await whenConnected(plane.limits.current, 3_000, plane.logger, decoded.config.redis?.address);
    try {
      await plane.listen(options.port ?? decoded.config.listeners.port, options.adminPort ?? decoded.config.listeners.adminPort, options.host ?? '0.0.0.0');
      await plane.listenTls();
    } catch (e) {
      await plane.close();
      throw new StartupError(`cannot listen: ${(e as Error).message}`);
    }
    return plane;
  }

  public readonly metrics: GatewayMetrics;
  public readonly logger: Logger;
  /** The snapshot new requests get; a replaced one is closed when its last request ends. */
  private readonly snapshots: Leases<Snapshot>;
  /** The rate-limit store and limiter new requests get; a replaced one (a reload changed `redis`) is closed when its last request ends. */
  private readonly limits: Leases<LimitBackend>;
  /** The secrets the current snapshot was compiled with (digests only), to see a rotation. */
  private secretsRead: RecordingSecrets;
  private qps: QpsCeiling;
  private readonly traffic: Server;
  /** HTTPS (HTTP/2 and HTTP/1.1) for the Domains with TLS: bound when the first such Domain is served. */
  private tls: Http2SecureServer | undefined;
  private readonly tlsSessions = new Set<ServerHttp2Session>();
  private readonly admin: Server;
  private readonly sockets = new Set<Socket>();
  /** One listener for every socket's 'close' (`this` is the socket): no closure per connection. */
  private readonly onSocketClose: (this: Socket) => void;
  private inFlight = 0;
  /** Requests started since the process began: the heap trimmer runs only while it stands still. */
  private requestsStarted = 0;
  private heapTrim?: HeapTrim;
  /** Stops the periodic write of access lines held in a batch (access-log.ts, LOG_BATCH). */
  private readonly stopLogFlush: () => void;
  /** Readiness reports 503 (the preStop phase): still accepting and serving. */
  private notReady = false;
  /** Other reasons readiness reports 503 while the process stays up for diagnosis (e.g. required hardware missing), by name. */
  private readonly readinessHolds = new Map<string, string>();
  /** The listener is closing: requests on kept-alive connections get 503 and `Connection: close`. */
  private draining = false;
  private preStopPhase?: { done: Promise<void>; timer: NodeJS.Timeout; end: () => void };
  private idleWaiters: (() => void)[] = [];
  /** The reload under way, if any: the next one starts after it. */
  private reloads: Promise<void> = Promise.resolve();
  private reloadsPending = 0;
  private drained?: Promise<void>;

  private constructor(
    snapshot: Snapshot,
    secretsRead: RecordingSecrets,
    private readonly options: DataPlaneOptions,
    limitSettings: ReturnType<typeof limitStoreSettings>,
  ) {
    this.secretsRead = secretsRead;
    for (const [name, reason] of Object.entries(options.readinessHolds ?? {})) this.readinessHolds.set(name, reason);
    this.qps = new QpsCeiling(snapshot.config.limits.maxQps);
    this.logger = options.logger ?? createLogger();
    this.stopLogFlush = flushPeriodically(this.logger);
    const config = snapshot.config;
    const sockets = this.sockets;
    const connections = (): void => this.metrics.connections.set(sockets.size);
    this.onSocketClose = function (this: Socket) {
      sockets.delete(this);
      connections();
    };
    this.metrics = new GatewayMetrics({ gateway: config.metadata.name, ...config.observability.customLabels }, snapshot.requestLabels?.names);
    // The inbound-bandwidth counters read the serving snapshot's bucket at each scrape (one bucket per replica, handed over on reload).
    this.metrics.readInboundBandwidth(() => this.snapshot.bandwidth.totals);
    if (config.observability.tier === 'full') this.metrics.collectSystemMetrics(this.systemSources());
    this.snapshots = new Leases(snapshot, (old) => void closeSnapshot(old));
    this.limits = new Leases(createLimitBackend(limitSettings, this.logger, this.metrics), closeLimitBackend);
    reportUnserved(config, this.logger, this.metrics.configUnserved);
    logExtensionOrder(snapshot, this.logger);
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
    // CONNECT would make the gateway a tunnel: 405, where Node alone would close without an answer.
    this.traffic.on('connect', (_req: IncomingMessage, socket: Socket) => refuseConnect(socket));
    this.traffic.on('connection', (socket: Socket) => this.onConnection(socket, rejectConnection));
    this.admin = createServer((req, res) => void this.onAdmin(req, res));
  }

  /** The snapshot new requests get. */
  public get snapshot(): Snapshot {
    return this.snapshots.current;
  }

  /** The rate limiter new requests get (a reload that changes `redis` replaces it). */
  public get limiter(): RateLimiter {
    return this.limits.current.limiter;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.traffic.address() as AddressInfo).port}`;
  }

  /** `https://127.0.0.1:PORT` when a Domain has TLS, else undefined. */
  public get tlsUrl(): string | undefined {
    const address = this.tls?.address() as AddressInfo | null | undefined;
    return address ? `https://127.0.0.1:${address.port}` : undefined;
  }

  public get adminUrl(): string {
    return `http://127.0.0.1:${(this.admin.address() as AddressInfo).port}`;
  }

  /** What readiness reports: false from the preStop phase (or SIGTERM) on, and while a readiness hold is set. */
  public get ready(): boolean {
    return !this.notReady && this.readinessHolds.size === 0;
  }

  /**
   * Keeps readiness at 503 for `reason` (one line, shown in `/readyz`'s body) under `name`, or
   * lifts that hold with `undefined`. The process keeps serving its admin listener, so an operator
   * can read why; traffic stays away while any hold is set.
   */
  public holdReadiness(name: string, reason: string | undefined): void {
    if (reason === undefined) this.readinessHolds.delete(name);
    else this.readinessHolds.set(name, reason);
  }

  /** The config directory this plane was started from, if any. */
  public get configDir(): string | undefined {
    return 'dir' in this.options.config ? this.options.config.dir : undefined;
  }

  /** The mounted Secrets directory keys are read from, if any: the watcher watches it for rotations. */
  public get secretsDir(): string | undefined {
    return this.options.secrets.dir;
  }

  /**
   * Reads, validates and compiles the config directory again and swaps it in if it is a new
   * complete set, or if a Secret it uses was rotated. Everything a config sets is applied: routes,
   * keys, limits, header and idle timeouts, and the `redis` block (a new store, connected before
   * the swap). Requests in flight finish on the snapshot and store they started with. A bad config
   * is rejected and the last good one keeps serving. Never throws.
   *
   * The event loop keeps serving meanwhile: the directory is read and decoded on a worker thread,
   * and the config is unpacked and compiled here in slices of a few milliseconds. `blockedMs` in the
   * log is the longest synchronous stretch the reload ran on this thread.
   */
  public reload(): Promise<ReloadResult> {
    // One at a time, in order: each awaits (the worker, the sliced compile, Redis), and two at once could swap in the older config last.
    const run = this.reloadsPending === 0 ? this.reloadNow() : this.reloads.then(() => this.reloadNow());
    this.reloadsPending++;
    const settled = (): void => {
      this.reloadsPending--;
    };
    this.reloads = run.then(settled, settled);
    return run;
  }

  private async reloadNow(): Promise<ReloadResult> {
    const dir = this.configDir;
    if (!dir) return { result: 'rejected', reason: 'this data plane was not started from a config directory' };
    if (this.draining) return { result: 'rejected', reason: 'the gateway is shutting down' };
    const started = performance.now();
    const clock = new SliceClock();
    const loaded = await decoderFor(this, this.traffic).decode(dir, clock);
    // A close while the worker read: not a bad config, so no 'config rejected' line or metric.
    if (!loaded.ok) return this.draining ? { result: 'rejected', reason: 'the gateway is shutting down' } : this.rejected(loaded.reason);
    clock.begin();
    let rotated: string[] = [];
    if (loaded.hash === this.snapshot.hash) {
      rotated = this.secretsRead.changedIn(this.options.secrets);
      if (rotated.length === 0) {
        this.metrics.configReloads.inc({ result: 'unchanged' });
        return { result: 'unchanged', hash: loaded.hash };
      }
    }
    clock.end();
    const compiled = await compileConfigSliced(loaded.config, loaded.hash, this.options.secrets, clock);
    if (!compiled.ok) return this.rejected(compiled.reason);
    clock.begin();
    let limits = this.limits.current;
    try {
      const settings = limitStoreSettings(loaded.config, compiled.secrets);
      if (settings.identity !== limits.identity) limits = createLimitBackend(settings, this.logger, this.metrics, limits);
    } catch (e) {
      void closeSnapshot(compiled.snapshot);
      return this.rejected((e as Error).message);
    }
    const swapMs = performance.now() - started;
    if (limits !== this.limits.current) {
      clock.end();
      await whenConnected(limits, 3_000, this.logger, loaded.config.redis?.address);
      clock.begin();
    }
    if (this.draining) {
      void closeSnapshot(compiled.snapshot);
      if (limits !== this.limits.current) closeLimitBackend(limits);
      return { result: 'rejected', reason: 'the gateway is shutting down' };
    }
    const previous = this.snapshot.config;
    const redisChanged = limits !== this.limits.current;
    this.secretsRead = compiled.secrets;
    // Sessions of unchanged MCP servers live on: taken over only now that the new snapshot is sure to be installed.
    handOverSnapshot(this.snapshot, compiled.snapshot);
    this.snapshots.replace(compiled.snapshot);
    // A legacy SSE stream holds its request's lease on the old bus, which would then never close: the streams end now, their clients reconnect.
    const ended = redisChanged ? endLegacyStreams(this.limits.current.mcpBus) : 0;
    if (ended > 0) this.logger.info({ streams: ended }, 'legacy SSE streams ended: the MCP bus they listened on was replaced; their clients reconnect');
    this.limits.replace(limits);
    this.applySettings(previous, loaded.config);
    await this.useCertificates();
    this.metrics.configReloads.inc({ result: 'applied' });
    this.metrics.configSwapSeconds.observe(swapMs / 1000);
    clock.end();
    this.logger.info(
      { hash: loaded.hash, swapMs: Number(swapMs.toFixed(3)), blockedMs: Number(clock.longestMs.toFixed(3)), ...(rotated.length > 0 && { rotatedSecrets: rotated }), ...(redisChanged && { redis: loaded.config.redis?.address ?? 'local' }) },
      'config reloaded',
    );
    reportUnserved(loaded.config, this.logger, this.metrics.configUnserved);
    logExtensionOrder(compiled.snapshot, this.logger);
    return { result: 'applied', hash: loaded.hash, swapMs };
  }

  /** The settings that live outside the snapshot, applied to the running process. */
  private applySettings(previous: GatewayConfig, next: GatewayConfig): void {
    if (next.limits.maxQps !== previous.limits.maxQps) this.qps = new QpsCeiling(next.limits.maxQps);
    // Node reads both per connection check and per response, so open connections get the new values too.
    this.traffic.headersTimeout = next.limits.headersTimeoutMs;
    this.traffic.keepAliveTimeout = next.limits.idleTimeoutMs;
    if (this.tls) applyTimeouts(this.tls, next.limits);
    this.metrics.registry.setDefaultLabels({ gateway: next.metadata.name, ...next.observability.customLabels });
    if (next.observability.tier === 'full' && previous.observability.tier !== 'full') this.metrics.collectSystemMetrics(this.systemSources());
    const restart: string[] = [];
    // A metric family's label names are fixed once registered: new values of the same labels apply now, new names after a restart.
    if ((next.observability.requestLabels ?? []).map((l) => l.name).join() !== this.metrics.requestLabelNames.join()) restart.push('observability.requestLabels');
    // Acceleration is detected once, before the listeners open (and the Deployment's flags roll the pods with it).
    if (JSON.stringify(next.acceleration) !== JSON.stringify(previous.acceleration)) restart.push('acceleration');
    // Process metrics cannot be unregistered from a running process.
    if (next.observability.tier !== 'full' && previous.observability.tier === 'full') restart.push('observability.tier');
    // A listener's port is bound once (and the Deployment's container ports change with it, which rolls the pods).
    if (this.options.port === undefined && next.listeners.port !== previous.listeners.port) restart.push('listeners.port');
    if (this.options.adminPort === undefined && next.listeners.adminPort !== previous.listeners.adminPort) restart.push('listeners.adminPort');
    if (this.tls && this.options.tlsPort === undefined && next.listeners.tlsPort !== previous.listeners.tlsPort) restart.push('listeners.tlsPort');
    // The synthesized Deployment carries each of these in its pod template, so the same change rolls the pods.
    for (const field of restart) this.logger.warn({ field }, 'config setting requires restart; the running process keeps the previous value');
  }

  /** What the system tier reads at each scrape besides the process and the container: the serving snapshot's upstream pools. */
  private systemSources(): SystemMetricSources {
    return { pools: () => snapshotPools(this.snapshots.current) };
  }

  private rejected(reason: string): ReloadResult {
    this.metrics.configReloads.inc({ result: 'rejected' });
    this.logger.error({ reason, serving: this.snapshot.hash }, 'config rejected; the last good config keeps serving');
    return { result: 'rejected', reason };
  }

  /**
   * The first phase of a shutdown (the Deployment's preStop hook): readiness reports 503 at once so
   * endpoints and load balancers stop sending new clients here, while the listener keeps accepting
   * and serving those still routed to it. Resolves after the drain delay; calling it again gives the
   * same phase.
   */
  public preStop(delayMs: number = this.options.drainDelayMs ?? DRAIN.delayMs): Promise<void> {
    if (this.preStopPhase) return this.preStopPhase.done;
    this.notReady = true;
    this.logger.info({ delayMs, inFlight: this.inFlight }, 'not ready: still serving until the drain delay ends');
    let end = (): void => undefined;
    const done = new Promise<void>((resolve) => (end = resolve));
    const timer = setTimeout(end, delayMs);
    this.preStopPhase = { done, timer, end };
    return done;
  }

  /**
   * Graceful shutdown: the preStop phase if it has not run (not ready, still accepting, for the
   * drain delay), then stop accepting, let in-flight requests and streams finish up to the drain
   * timeout, and close what is left.
   */
  public drain(timeoutMs: number = this.options.drainTimeoutMs ?? DRAIN.timeoutMs): Promise<void> {
    this.drained ??= this.runDrain(timeoutMs);
    return this.drained;
  }

  private async runDrain(timeoutMs: number): Promise<void> {
    await this.preStop();
    if (!this.draining) {
      this.draining = true;
      this.logger.info({ inFlight: this.inFlight, timeoutMs }, 'draining');
      // MCP's long-lived server-to-client streams end now, cleanly: their clients reconnect to another replica.
      const bus = this.limits.current.mcpBus;
      const streams = endServerStreams(bus) + endLegacyStreams(bus);
      if (streams > 0) this.logger.info({ streams }, 'MCP server-to-client streams ended for the drain');
    }
    const closed = Promise.all([
      new Promise<void>((resolve) => this.traffic.close(() => resolve())),
      new Promise<void>((resolve) => (this.tls?.listening ? this.tls.close(() => resolve()) : resolve())),
    ]);
    this.traffic.closeIdleConnections();
    // HTTP/2: GOAWAY, so that clients open their next streams elsewhere while these finish.
    for (const session of this.tlsSessions) session.close();
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
    await closeSnapshot(this.snapshot);
    await this.limits.current.store.close().catch(() => undefined);
    await this.limits.current.mcpBus.close().catch(() => undefined);
    this.logger.info('drained');
    this.heapTrim?.stop();
    this.stopLogFlush();
    await flushLogs(this.logger);
  }

  /** Stops at once (tests, errors): no drain delay, no waiting for in-flight requests; cuts a drain under way short. */
  public async close(): Promise<void> {
    this.heapTrim?.stop();
    void this.preStop(0);
    clearTimeout(this.preStopPhase?.timer);
    this.preStopPhase?.end();
    if (this.drained) {
      for (const socket of this.sockets) socket.destroy();
      return this.drained;
    }
    await this.drain(0);
  }

  private async listen(port: number, adminPort: number, host: string): Promise<void> {
    await listenOn(this.traffic, port, host);
    await listenOn(this.admin, adminPort, host);
    if (this.options.heapTrim) {
      this.heapTrim = new HeapTrim({
        requestsStarted: () => this.requestsStarted,
        inFlight: () => this.inFlight,
        onTrim: (pauseMs, releasedBytes) => {
          this.metrics.heapTrims.inc();
          this.logger.debug({ pauseMs: Number(pauseMs.toFixed(1)), releasedBytes }, 'quiet: heap trimmed');
        },
      });
      this.heapTrim.start();
    }
    this.logger.info({ url: this.url, admin: this.adminUrl, config: this.snapshot.hash, gateway: this.snapshot.config.metadata.name }, 'listening');
  }

  /** TLS: HTTPS on the TLS port with the Domains' certificates, when the current config has any and the listener is not up yet. */
  private async listenTls(): Promise<void> {
    const certificates = this.snapshot.tls;
    if (!certificates || this.tls) return;
    const settings = {
      certificates: () => this.snapshot.tls,
      headersTimeoutMs: () => this.snapshot.config.limits.headersTimeoutMs,
      idleTimeoutMs: () => this.snapshot.config.limits.idleTimeoutMs,
    };
    const tls = createTlsListener(certificates, settings, (req, res) => this.onRequest(req, res, true));
    // No HTTP can be spoken before the handshake: a connection over the share is closed at once.
    tls.on('connection', (socket: Socket) => this.onConnection(socket, (s) => s.destroy()));
    // CONNECT would make the gateway a tunnel: 405, as on the plain port (HTTP/1.1 hands over the socket, HTTP/2 a response).
    tls.on('connect', (req: IncomingMessage, socketOrResponse: Socket | ServerResponse) => {
      if (isHttp2(req)) sendError(socketOrResponse as ServerResponse, Errors.methodRefused('CONNECT'));
      else refuseConnect(socketOrResponse as Socket);
    });
    tls.on('session', (session: ServerHttp2Session) => {
      this.tlsSessions.add(session);
      session.once('close', () => this.tlsSessions.delete(session));
    });
    const port = this.options.tlsPort ?? this.snapshot.config.listeners.tlsPort;
    await listenOn(tls, port, this.options.host ?? '0.0.0.0');
    this.tls = tls;
    for (const warning of certificates.warnings) this.logger.warn({ warning }, 'TLS certificate served with a problem');
    this.logger.info({ url: this.tlsUrl, domains: certificates.hosts, alpn: ['h2', 'http/1.1'] }, 'listening with TLS');
  }

  /** After a reload: the new certificates for clients without SNI, and the TLS listener if the first TLS Domain just arrived. */
  private async useCertificates(): Promise<void> {
    const certificates = this.snapshot.tls;
    if (!certificates) {
      // No Domain has TLS any more: the listener stops accepting, open connections finish what they are doing.
      if (this.tls) {
        this.tls.close();
        for (const session of this.tlsSessions) session.close();
        this.tls = undefined;
        this.logger.info('no Domain has TLS any more: the TLS listener is closed');
      }
      return;
    }
    for (const warning of certificates.warnings) this.logger.warn({ warning }, 'TLS certificate served with a problem');
    if (this.tls) return useCertificates(this.tls, certificates);
    try {
      await this.listenTls();
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'cannot listen with TLS; the Domains with TLS are served on the plain port only');
    }
  }

  /** Counts a client connection on either listener against the replica's share; one over it is turned away with `reject`. */
  private onConnection(socket: Socket, reject: (socket: Socket) => void): void {
    // The replica's share of the spec's client connections: one more gets a clean 503 (plain) or is closed (TLS).
    if (this.sockets.size >= this.snapshots.current.config.limits.maxClientConnections) {
      this.metrics.capacityRejections.inc({ reason: 'connections' });
      reject(socket);
      return;
    }
    this.sockets.add(socket);
    this.metrics.connections.set(this.sockets.size);
    socket.once('close', this.onSocketClose);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, overTls = false): void {
    if (this.draining) {
      closeAfter(req, res);
      sendError(res, Errors.unavailable());
      return;
    }
    if (!this.qps.tryTake()) {
      this.metrics.capacityRejections.inc({ reason: 'qps' });
      sendError(res, Errors.overQps(this.snapshot.config.limits.maxQps), { 'retry-after': '1' });
      return;
    }
    // Not ready (preStop): served, but the client reconnects for its next request, through the load balancer to another replica.
    if (this.notReady) closeAfter(req, res);
    const [snapshot, releaseSnapshot] = this.snapshots.acquire();
    const [limits, releaseLimits] = this.limits.acquire();
    this.inFlight++;
    this.requestsStarted++;
    res.once('close', () => {
      releaseSnapshot();
      releaseLimits();
      if (--this.inFlight === 0 && this.draining) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    });
    // Host, path and query from the request line (absolute-form included); a request the edge refuses still gets logged.
    const { host, path, query, refusal } = readRequestTarget(req);
    compressResponse(req, res);
    // A client that goes away mid-request or mid-stream cancels the upstream request (see the pipeline's 'close').
    const ctx: RequestContext = {
      req,
      res,
      snapshot,
      startedAt: process.hrtime.bigint(),
      host,
      path,
      query,
      refusal,
      cancellation: new Cancellation(),
      caller: { kind: 'anonymous' },
      errorFormat: 'openai',
      endpoint: undefined,
      route: undefined,
      storedResponse: undefined,
      request: undefined,
      agentRequest: undefined,
      admission: undefined,
      promptTokens: 0,
      extensions: undefined,
      waf: undefined,
      inspectedBody: undefined,
      payloads: undefined,
      record: { method: req.method ?? '', path, host, status: 0, durationMs: 0, ...(overTls && { protocol: isHttp2(req) ? 'HTTP/2' : 'HTTP/1.1' }) },
    };
    void handleRequest(ctx, { metrics: this.metrics, logger: this.logger, limiter: limits.limiter, mcpBus: limits.mcpBus });
  }

  private async onAdmin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = splitUrl(req.url ?? '/');
    if (isExtensionAdminPath(path)) {
      // Held for the call, as a request holds them: a reload does not close its store under it.
      const [snapshot, releaseSnapshot] = this.snapshots.acquire();
      const [limits, releaseLimits] = this.limits.acquire();
      res.once('close', () => {
        releaseSnapshot();
        releaseLimits();
      });
      return serveExtensionAdmin(req, res, path, query, { snapshot, mcpBus: limits.mcpBus, metrics: this.metrics, logger: this.logger });
    }
    if (path === PROBE_PATHS.liveness) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === PROBE_PATHS.readiness) {
      const body = this.ready ? 'ready\n' : this.notReady ? 'draining\n' : [...this.readinessHolds.values()].map((r) => `not ready: ${r}\n`).join('');
      return void res.writeHead(this.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
    }
    if (path === PROBE_PATHS.preStop) {
      // Only the pod itself (`aigw prestop`, the Deployment's exec hook) may take this replica out of service.
      if (!isLoopbackAddress(req.socket.remoteAddress)) {
        return void res.writeHead(403, { 'content-type': 'text/plain' }).end(`${PROBE_PATHS.preStop} is answered on loopback only: run 'aigw prestop' inside the pod\n`);
      }
      // The Deployment's preStop hook: kubelet sends SIGTERM once this answers.
      await this.preStop();
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('not ready; the drain delay has passed\n');
    }
    if (path === PROBE_PATHS.metrics) {
      // Prometheus asks for gzip: a replica's exposition is tens of KiB of repeated label text.
      compressResponse(req, res);
      const body = await this.metrics.registry.metrics();
      return void res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(body);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

/** One line at load: the extensions in the order they run (`phase/priority/name`), when there are any. */
function logExtensionOrder(snapshot: Snapshot, logger: Logger): void {
  if (snapshot.extensions.all.length > 0) logger.info({ extensions: extensionOrder(snapshot.extensions) }, 'extensions loaded, in run order');
}

/** The client's next request goes to a new connection: `Connection: close` on HTTP/1, GOAWAY on HTTP/2 (which has no such header). */
function closeAfter(req: IncomingMessage, res: ServerResponse): void {
  if (isHttp2(req)) goAway(req);
  else res.setHeader('connection', 'close');
}

function listenOn(server: Server | Http2SecureServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
