import { existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { encodeConfigShards, type GatewayConfig } from '../../src/specs';
import { tempDirs } from '../support/temp-dirs';

// Removed after each file that imports these helpers. Its users stop the servers reading a directory
// inside the test (finally) or in afterEach, which jest runs before this afterAll.
const tempDir = tempDirs();

/** The files a gateway's ConfigMap shards project into its config volume. */
export function shardFiles(config: GatewayConfig, maxShardRawBytes?: number): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const shard of encodeConfigShards(config, maxShardRawBytes)) {
    for (const [k, v] of Object.entries(shard.data)) files.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(shard.binaryData)) files.set(k, Buffer.from(v, 'base64'));
  }
  return files;
}

/**
 * Writes files as kubelet does for a projected volume: a timestamped folder, `..data` pointing
 * at it, and one symlink per key through `..data`. Returns a function that swaps in a new set
 * atomically (a rename of the `..data` link), as kubelet does on update.
 */
export function kubeletDir(files: Map<string, Buffer>): { dir: string; swap: (next: Map<string, Buffer>) => void } {
  const dir = tempDir('aigw-config-');
  let generation = 0;
  const writeGeneration = (set: Map<string, Buffer>): string => {
    const name = `..2026_11_29_00_00_0${generation++}.000000`;
    mkdirSync(join(dir, name));
    for (const [k, v] of set) writeFileSync(join(dir, name, k), v);
    return name;
  };
  symlinkSync(writeGeneration(files), join(dir, '..data'));
  for (const k of files.keys()) symlinkSync(join('..data', k), join(dir, k));
  return {
    dir,
    swap: (next) => {
      const name = writeGeneration(next);
      symlinkSync(name, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      for (const k of next.keys()) if (!existsSync(join(dir, k))) symlinkSync(join('..data', k), join(dir, k));
    },
  };
}

export function plainDir(files: Map<string, Buffer>): string {
  const dir = tempDir('aigw-config-');
  for (const [k, v] of files) writeFileSync(join(dir, k), v);
  return dir;
}
