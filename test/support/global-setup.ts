import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { OUTER_TMPDIR_ENV, TEMP_ROOT_ENV } from './temp-root';

/**
 * jest globalSetup: the run's private temp directory. It runs in jest's main process before any
 * worker starts, so the workers (and every process a test spawns) inherit the variables.
 */
export default function globalSetup(): void {
  const outer = tmpdir();
  const root = mkdtempSync(join(outer, 'aigw-jest-'));
  // ts-node (the processes tests spawn) keeps a compile cache in the temp directory: keep it where it
  // always is, outside the run, so that it stays a cache shared by runs rather than a leftover of each.
  process.env.V8_COMPILE_CACHE_CACHE_DIR ??= join(outer, `v8-compile-cache-${process.getuid?.() ?? 0}`, process.versions.v8);
  process.env[OUTER_TMPDIR_ENV] = process.env.TMPDIR ?? '';
  process.env[TEMP_ROOT_ENV] = root;
  process.env.TMPDIR = root;
}
