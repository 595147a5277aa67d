import { compileSnapshot, compileSnapshotSteps, type Snapshot } from './compile/snapshot';
import { decodeConfigDir, type Decoded, messageOf, oneLine } from './reload/decode-dir';
import { runSliced, type SliceClock } from './reload/sliced';
import { RecordingSecrets, type SecretSource } from './secrets';
import type { GatewayConfig } from '../specs';

/** A config as `DataPlane` gets it: decoded already (in-process use), or a shard directory to read. */
export type ConfigSource = { readonly config: GatewayConfig; readonly hash: string } | { readonly dir: string };

/**
 * Reads and validates the config. Never throws: whatever goes wrong (an unreadable directory, a
 * value the schema chokes on) is a reason, so neither a start nor a reload can crash the process.
 */
export function readConfig(source: ConfigSource): Decoded {
  if (!('dir' in source)) return { ok: true, config: source.config, hash: source.hash };
  return decodeConfigDir(source.dir);
}

export type Compiled = { ok: true; snapshot: Snapshot; secrets: RecordingSecrets } | { ok: false; reason: string };

/** Compiles a validated config with its secrets. Never throws; the secrets read are recorded for rotation checks. */
export function compileConfig(config: GatewayConfig, hash: string, secrets: SecretSource): Compiled {
  const recording = new RecordingSecrets(secrets);
  try {
    return { ok: true, snapshot: compileSnapshot(config, hash, recording), secrets: recording };
  } catch (e) {
    return { ok: false, reason: oneLine(messageOf(e)) };
  }
}

/**
 * `compileConfig` in slices of a few milliseconds (a reload's: requests get the event loop between
 * routes), each timed on `clock`. Same result, same reasons.
 */
export async function compileConfigSliced(config: GatewayConfig, hash: string, secrets: SecretSource, clock: SliceClock): Promise<Compiled> {
  const recording = new RecordingSecrets(secrets);
  try {
    return { ok: true, snapshot: await runSliced(compileSnapshotSteps(config, hash, recording), clock), secrets: recording };
  } catch (e) {
    return { ok: false, reason: oneLine(messageOf(e)) };
  }
}
