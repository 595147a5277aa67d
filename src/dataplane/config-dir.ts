import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'fs';
import { join } from 'path';
import { decodeConfigShards, type DecodeResult } from '../specs';

/**
 * Reads the files of a mounted config directory. With kubelet's atomic update, DIR/..data is a
 * symlink to a timestamped folder that is swapped in one rename: reading through its resolved
 * target gives one consistent set, never a mix of old and new shards.
 */
export function readConfigDir(dir: string): Map<string, Buffer> {
  const dataLink = join(dir, '..data');
  const root = existsSync(dataLink) ? realpathSync(dataLink) : dir;
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(root)) {
    if (name.startsWith('..')) continue;
    const path = join(root, name);
    if (statSync(path).isFile()) files.set(name, readFileSync(path));
  }
  return files;
}

/** Reads and decodes DIR: a complete shard set with one hash, validated against GatewayConfig. */
export function loadConfigDir(dir: string): DecodeResult {
  let files: Map<string, Buffer>;
  try {
    files = readConfigDir(dir);
  } catch (e) {
    return { ok: false, reason: `cannot read config directory ${dir}: ${(e as Error).message}` };
  }
  return decodeConfigShards(files);
}
