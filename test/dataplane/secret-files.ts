import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** Secret name → key → value. */
export type SecretValues = Record<string, Record<string, string>>;

export interface MountedSecrets {
  /** The directory `aigw serve --secrets` reads. */
  readonly dir: string;
  /** Replaces every value at once, as kubelet does on a Secret update: a new generation and one rename of `..data`. */
  rotate(values: SecretValues): void;
  /** Removes the directory and everything in it. */
  remove(): void;
}

/**
 * Secrets laid out as kubelet mounts them, each generation a timestamped folder behind `..data`:
 * - `per-secret`: one volume per Secret, `<dir>/<secretName>/..data`, `<dir>/<secretName>/<key>` → `..data/<key>`;
 * - `projected`: one projected volume (what the constructs render), `<dir>/..data`,
 *   `<dir>/<secretName>` → `..data/<secretName>`, holding `<key>` files.
 */
export function mountSecrets(layout: 'per-secret' | 'projected', values: SecretValues): MountedSecrets {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-secrets-'));
  let generation = 0;
  /** Writes one generation of `files` (relative path → value) in `volume`, and points `..data` at it atomically. */
  const publish = (volume: string, files: Record<string, string>): void => {
    const name = `..2026_12_06_00_00_${String(generation++).padStart(2, '0')}.000000`;
    for (const [path, value] of Object.entries(files)) {
      mkdirSync(join(volume, name, path, '..'), { recursive: true });
      writeFileSync(join(volume, name, path), value);
    }
    let previous: string | undefined;
    try {
      previous = readlinkSync(join(volume, '..data'));
    } catch {
      // the first generation
    }
    symlinkSync(name, join(volume, '..data_tmp'));
    renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
    for (const top of new Set(Object.keys(files).map((p) => p.split('/')[0]))) {
      try {
        symlinkSync(join('..data', top), join(volume, top));
      } catch {
        // already linked through ..data
      }
    }
    // kubelet removes the previous generation once the new one is in place.
    if (previous) rmSync(join(volume, previous), { recursive: true, force: true });
  };
  const write = (all: SecretValues): void => {
    if (layout === 'projected') {
      publish(dir, Object.fromEntries(Object.entries(all).flatMap(([secret, keys]) => Object.entries(keys).map(([key, v]) => [`${secret}/${key}`, v]))));
      return;
    }
    for (const [secret, keys] of Object.entries(all)) {
      mkdirSync(join(dir, secret), { recursive: true });
      publish(join(dir, secret), keys);
    }
  };
  write(values);
  return { dir, rotate: write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
