import { existsSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import type { IConstruct } from 'constructs';
import type { CapacitySpec, Edition } from '../specs';

/** The context key that sets the lock file's path. */
export const LOCK_FILE_CONTEXT_KEY = 'aigw:lockFile';
export const LOCK_FILE_NAME = 'aigw.lock.json';

/** What the lock remembers of one gateway, keyed by construct path. */
export interface LockEntry {
  readonly edition: Edition;
  readonly spec?: CapacitySpec;
  readonly imageVersion: string;
}

export interface LockState {
  /** Where the lock lives; undefined when nothing is read or written (as in unit tests). */
  readonly path?: string;
  readonly entries: Readonly<Record<string, LockEntry>>;
  /** Why the file could not be read, if it could not. */
  readonly error?: string;
}

/** The context key wins; else `aigw.lock.json` beside the `cdktf.json` found walking up from the working directory. */
export function locateLockFile(root: IConstruct, cwd: string = process.cwd()): string | undefined {
  const fromContext = root.node.tryGetContext(LOCK_FILE_CONTEXT_KEY) as unknown;
  if (typeof fromContext === 'string' && fromContext.length > 0) return fromContext;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdktf.json'))) return join(dir, LOCK_FILE_NAME);
    if (dirname(dir) === dir) return undefined;
  }
}

export function readLock(path: string | undefined): LockState {
  if (!path || !existsSync(path)) return { path, entries: {} };
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { gateways?: Record<string, LockEntry> };
    if (!parsed || typeof parsed !== 'object' || typeof parsed.gateways !== 'object' || parsed.gateways === null) {
      return { path, entries: {}, error: 'it has no "gateways" object' };
    }
    return { path, entries: parsed.gateways };
  } catch (e) {
    return { path, entries: {}, error: (e as Error).message };
  }
}

/** Writes the lock only when its content changes, keys sorted, so that it diffs cleanly. */
export function writeLock(path: string, entries: Record<string, LockEntry>): void {
  const sorted = Object.fromEntries(Object.keys(entries).sort().map((k) => [k, entries[k]]));
  const text = `${JSON.stringify({ lockVersion: 1, gateways: sorted }, null, 2)}\n`;
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text);
}
