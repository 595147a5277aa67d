import { DataPlane, FileAndEnvSecrets, StartupError, ConfigWatcher } from '../dataplane';
import { accelerationHolds, accelerationPaths, applyAcceleration, detectAcceleration, requestedAcceleration, TEST_PATH_ENV } from '../dataplane/acceleration';
import { readConfig } from '../dataplane/config-load';
import { applyHeapTuning } from '../dataplane/heap-tuning';
import { ACCEL_FLAGS, DRAIN, MOUNT_PATHS } from '../specs';
import { parseFlags, portFlag, UsageError } from './args';

export const SERVE_USAGE = `aigw serve --config DIR [--secrets DIR] [--port N] [--tls-port N] [--admin-port N] [--host ADDR]
           [--drain-delay-ms N (default ${DRAIN.delayMs})] [--drain-timeout-ms N (default ${DRAIN.timeoutMs})]
           [${ACCEL_FLAGS.tls}] [${ACCEL_FLAGS.compression}] [--accel-fallback=software|fail]
           (acceleration: the flags, or the config's acceleration block, turn QAT on; the flag's fallback wins.
            Tests only: ${TEST_PATH_ENV.deviceDir} and ${TEST_PATH_ENV.sysfsDir} replace /dev and /sys for QAT detection)`;

/**
 * Runs one gateway until SIGTERM/SIGINT, then drains and exits 0: not ready but still serving for
 * the drain delay (skipped if the preStop hook already ran it), then stops accepting and lets
 * in-flight requests finish up to the drain timeout.
 */
export async function serve(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, {
    'config': 'string',
    'secrets': 'string',
    'port': 'string',
    'admin-port': 'string',
    'tls-port': 'string',
    'host': 'string',
    'tls-accel': 'string',
    'compress-accel': 'string',
    'accel-fallback': 'string',
    'drain-timeout-ms': 'string',
    'drain-delay-ms': 'string',
    // For supervisors (aigw dev): standard input is a pipe from the parent; when it closes, the parent is gone.
    'stop-on-stdin-close': 'boolean',
  });
  if (typeof flags.config !== 'string') throw new UsageError("'--config DIR' is required");
  for (const f of ['tls-accel', 'compress-accel'] as const) {
    if (flags[f] !== undefined && flags[f] !== 'qat') throw new UsageError(`'--${f}' supports only 'qat', found '${String(flags[f])}'`);
  }
  const fallback = flags['accel-fallback'] ?? 'software';
  if (fallback !== 'software' && fallback !== 'fail') throw new UsageError(`'--accel-fallback' must be 'software' or 'fail', found '${String(fallback)}'`);
  const drainTimeoutMs = millisecondsFlag('drain-timeout-ms', flags['drain-timeout-ms']);
  const drainDelayMs = millisecondsFlag('drain-delay-ms', flags['drain-delay-ms']);

  applyHeapTuning();
  // Before any listener or TLS context exists: a QAT engine must be OpenSSL's default before the first handshake.
  // An unreadable config is left to DataPlane.start to report.
  const decoded = readConfig({ dir: flags.config });
  const acceleration = detectAcceleration(
    requestedAcceleration(
      { tls: flags['tls-accel'] === 'qat', compression: flags['compress-accel'] === 'qat', fallback: flags['accel-fallback'] === undefined ? undefined : fallback },
      decoded.ok ? decoded.config.acceleration : undefined,
    ),
    accelerationPaths(),
  );
  let plane: DataPlane;
  try {
    plane = await DataPlane.start({
      config: { dir: flags.config },
      secrets: new FileAndEnvSecrets(typeof flags.secrets === 'string' ? flags.secrets : MOUNT_PATHS.secrets),
      port: portFlag('port', flags.port),
      adminPort: portFlag('admin-port', flags['admin-port']),
      tlsPort: portFlag('tls-port', flags['tls-port']),
      // Known before any listener opens: no probe is answered ready while a required accelerator is missing.
      readinessHolds: accelerationHolds(acceleration),
      host: typeof flags.host === 'string' ? flags.host : undefined,
      drainTimeoutMs,
      drainDelayMs,
      heapTrim: true,
    });
  } catch (e) {
    if (e instanceof StartupError) {
      process.stderr.write(`aigw serve: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  // At once after start (no I/O in between), so no probe is answered ready before a missing required accelerator holds readiness.
  applyAcceleration(acceleration, plane);
  // Hot reload: kubelet's updates of the config volume are swapped in; a bad config is rejected and the last good one keeps serving.
  const watcher = new ConfigWatcher(plane).start();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      plane.logger.info({ signal }, 'stopping');
      watcher.stop();
      void plane.drain().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    if (flags['stop-on-stdin-close']) {
      process.stdin.once('close', () => stop('stdin closed'));
      process.stdin.resume();
    }
  });
  return 0;
}

function millisecondsFlag(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3_600_000) throw new UsageError(`'--${name}' must be a whole number of milliseconds from 0 to 3600000, found '${String(value)}'`);
  return n;
}
