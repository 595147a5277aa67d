import { compileSnapshot, type Snapshot } from './compile/snapshot';
import { loadConfigDir } from './config-dir';
import { RecordingSecrets, type SecretSource } from './secrets';
import type { GatewayConfig } from '../specs';

/** A config as `DataPlane` gets it: decoded already (in-process use), or a shard directory to read. */
export type ConfigSource = { readonly config: GatewayConfig; readonly hash: string } | { readonly dir: string };

export type Decoded = { ok: true; config: GatewayConfig; hash: string } | { ok: false; reason: string };

/**
 * Reads and validates the config. Never throws: whatever goes wrong (an unreadable directory, a
 * value the schema chokes on) is a reason, so neither a start nor a reload can crash the process.
 */
export function readConfig(source: ConfigSource): Decoded {
  if (!('dir' in source)) return { ok: true, config: source.config, hash: source.hash };
  try {
    const loaded = loadConfigDir(source.dir);
    return loaded.ok ? loaded : { ok: false, reason: oneLine(loaded.reason) };
  } catch (e) {
    return { ok: false, reason: `the config could not be read (${oneLine(messageOf(e))})` };
  }
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

/** A heading and its list of problems as one log- and terminal-friendly line: `invalid config: a: x; b: y`. */
export function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length > 1 && lines[0].endsWith(':')) return `${lines[0]} ${lines.slice(1).join('; ')}`;
  return lines.join('; ');
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
