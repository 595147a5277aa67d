import { existsSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { CAPACITY_SPEC_NAMES, type CapacitySpec, type Edition, EDITIONS } from '../specs';

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

const LockFileSchema = z.object({
  lockVersion: z.literal(1).optional(),
  gateways: z.record(
    z.string(),
    z.strictObject({
      edition: z.enum(EDITIONS),
      spec: z.enum(CAPACITY_SPEC_NAMES as [CapacitySpec, ...CapacitySpec[]]).optional(),
      imageVersion: z.string().min(1),
    }),
  ),
});

/**
 * The context key wins; else `aigw.lock.json` beside the `cdktf.json` found walking up from the
 * working directory. A cdktf `Testing.app()` (unit tests) reads and writes no lock unless the
 * context key names one: a test run from the project root must not rewrite the real lock.
 */
export function locateLockFile(root: IConstruct, cwd: string = process.cwd()): string | undefined {
  const fromContext = root.node.tryGetContext(LOCK_FILE_CONTEXT_KEY) as unknown;
  if (typeof fromContext === 'string' && fromContext.length > 0) return fromContext;
  if (root.node.tryGetContext('cdktfVersion') === 'stubbed') return undefined;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdktf.json'))) return join(dir, LOCK_FILE_NAME);
    if (dirname(dir) === dir) return undefined;
  }
}

export function readLock(path: string | undefined): LockState {
  if (!path || !existsSync(path)) return { path, entries: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return { path, entries: {}, error: (e as Error).message };
  }
  const parsed = LockFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { path, entries: {}, error: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { path, entries: parsed.data.gateways };
}

/** Writes the lock only when its content changes, keys sorted, so that it diffs cleanly. */
export function writeLock(path: string, entries: Record<string, LockEntry>): void {
  const sorted = Object.fromEntries(Object.keys(entries).sort().map((k) => [k, entries[k]]));
  const text = `${JSON.stringify({ lockVersion: 1, gateways: sorted }, null, 2)}\n`;
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text);
}
