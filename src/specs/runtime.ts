/**
 * The data plane's runtime interface, stated once: its command line, ports, probe paths, mount
 * paths and flags. The constructs render the Deployment from it; the CLI and the Dockerfile follow it.
 */

/** The executable the image's entrypoint runs. */
export const AIGW_BINARY = 'aigw';

/** Container ports. */
export const PORTS = {
  /** Client traffic (HTTP). */
  traffic: 8080,
  /** Client traffic (TLS), used when a Domain carries a certificate. */
  trafficTls: 8443,
  /** Health, readiness and Prometheus metrics. */
  admin: 9901,
} as const;

/** Admin listener paths. */
export const PROBE_PATHS = {
  liveness: '/healthz',
  readiness: '/readyz',
  metrics: '/metrics',
  /**
   * The first phase of a shutdown: the replica reports not-ready at once, keeps accepting, and
   * answers after `DRAIN.delayMs`, so kubelet sends SIGTERM only once endpoints and load balancers
   * have had time to stop routing to it. Answered on loopback only: the Deployment's preStop hook
   * runs `preStopArgv()` inside the container.
   */
  preStop: '/prestop',
} as const;

/**
 * Graceful shutdown, stated once: the Deployment's preStop hook and `terminationGracePeriodSeconds`
 * and `aigw serve`'s drain (`--drain-delay-ms`, `--drain-timeout-ms`) follow it.
 */
export const DRAIN = {
  /** Not ready but still accepting, this long, before the listener closes (the preStop hook's wait, or the first phase of SIGTERM when no hook ran). */
  delayMs: 5_000,
  /** Then in-flight requests and streams get at most this long to finish. */
  timeoutMs: 30_000,
} as const;

/** Seconds kubelet waits after starting termination: the delay, the drain, and a margin to flush logs. */
export const TERMINATION_GRACE_PERIOD_SECONDS = Math.ceil((DRAIN.delayMs + DRAIN.timeoutMs) / 1000) + 5;

/** Where the pod mounts what the data plane reads. */
export const MOUNT_PATHS = {
  /** The config shards (a projected volume of ConfigMaps, with kubelet's `..data` swap). */
  config: '/etc/aigw/config',
  /** Each referenced Secret key, as `<secretName>/<key>`. */
  secrets: '/var/run/secrets/aigw',
  /** The only writable path: a memory-backed emptyDir (the root filesystem is read-only). */
  tmp: '/tmp',
} as const;

/** Hardware acceleration flags. Each is off unless passed. */
export const ACCEL_FLAGS = {
  tls: '--tls-accel=qat',
  compression: '--compress-accel=qat',
  /** What to do when the accelerator is missing at start: fall back to software, or fail. */
  fallbackSoftware: '--accel-fallback=software',
  fallbackFail: '--accel-fallback=fail',
} as const;

/** Kubernetes extended resources requested for Intel QAT. */
export const QAT_RESOURCES = {
  /** Crypto instances, for TLS offload. */
  tls: 'qat.intel.com/cy',
  /** Compression instances. */
  compression: 'qat.intel.com/dc',
} as const;

/**
 * The node label that marks a node with Intel QAT: set by Node Feature Discovery with the rules
 * Intel's device plugins ship. A gateway with fallback 'software' prefers such nodes.
 */
export const QAT_NODE_LABEL = 'intel.feature.node.kubernetes.io/qat';

/** The numeric non-root user the image runs as. */
export const RUN_AS_USER = 10001;

/** The data-plane image. The default tag is the library's version (see version.ts). */
export const IMAGE_REPOSITORY = 'ghcr.io/cdktf-ai-gateway/aigw';

/** Distinct Kubernetes Secrets one gateway may mount; beyond this, put many keys in one Secret. */
export const MAX_SECRETS_PER_GATEWAY = 32;

export interface ServeArgs {
  /** @default MOUNT_PATHS.config */
  readonly configDir?: string;
  /** @default MOUNT_PATHS.secrets */
  readonly secretsDir?: string;
  /** @default PORTS.traffic */
  readonly port?: number;
  /** @default PORTS.admin */
  readonly adminPort?: number;
  /** @default false */
  readonly tlsAcceleration?: boolean;
  /** @default false */
  readonly compressionAcceleration?: boolean;
  /** Only rendered when an accelerator is on. @default 'software' */
  readonly accelerationFallback?: 'software' | 'fail';
}

/** The full argv of `aigw serve`, including the binary: the container command and the image entrypoint. */
export function serveArgv(args: ServeArgs = {}): string[] {
  const argv = [
    AIGW_BINARY,
    'serve',
    '--config',
    args.configDir ?? MOUNT_PATHS.config,
    '--secrets',
    args.secretsDir ?? MOUNT_PATHS.secrets,
    '--port',
    String(args.port ?? PORTS.traffic),
    '--admin-port',
    String(args.adminPort ?? PORTS.admin),
  ];
  if (args.tlsAcceleration) argv.push(ACCEL_FLAGS.tls);
  if (args.compressionAcceleration) argv.push(ACCEL_FLAGS.compression);
  if (args.tlsAcceleration || args.compressionAcceleration) {
    argv.push(args.accelerationFallback === 'fail' ? ACCEL_FLAGS.fallbackFail : ACCEL_FLAGS.fallbackSoftware);
  }
  return argv;
}

/** The Deployment's preStop hook (an exec, run by kubelet inside the container): `aigw prestop`. */
export function preStopArgv(adminPort: number = PORTS.admin): string[] {
  return [AIGW_BINARY, 'prestop', '--admin-port', String(adminPort)];
}

/** Path of a mounted secret key inside the secrets dir. */
export function secretFilePath(secretsDir: string, secretName: string, key: string): string {
  return `${secretsDir}/${secretName}/${key}`;
}
