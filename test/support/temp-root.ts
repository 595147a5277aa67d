import { readdirSync } from 'fs';
import { join } from 'path';

/**
 * One test run's private temp directory (see global-setup.ts, environment.ts, global-teardown.ts).
 * /tmp is shared with other runs and other programs, so "nothing left behind" can only be checked
 * in a directory that belongs to this run alone; every test file gets a folder of its own inside it
 * (as its TMPDIR), so what a file leaves is named after the file.
 */
export const TEMP_ROOT_ENV = 'AIGW_TEST_TEMP_ROOT';
/** TMPDIR as it was before the run, restored by the global teardown. */
export const OUTER_TMPDIR_ENV = 'AIGW_TEST_OUTER_TMPDIR';

/**
 * What cdktf's `Testing.app()` creates: a `cdktf.outdir.*` folder for every app, which nothing can
 * remove (the App has no dispose), so the test environment removes them after each file.
 */
export const CDKTF_OUTDIR_PREFIX = 'cdktf.outdir.';

/** Every entry under `root`, one level into each test file's folder (`<file folder>/<entry>`), sorted. */
export function leftovers(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    if (!entry.isDirectory()) return [entry.name];
    // An empty folder of a test file is no leftover of its tests: jest made it for a worker that it then
    // recycled (workerIdleMemoryLimit) before the file ran there, and ran the file again on a new worker.
    return readdirSync(join(root, entry.name)).sort().map((name) => `${entry.name}/${name}`);
  });
}
