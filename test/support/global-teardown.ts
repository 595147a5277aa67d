import { existsSync, rmSync } from 'fs';
import { leftovers, OUTER_TMPDIR_ENV, TEMP_ROOT_ENV } from './temp-root';

const SHOWN = 30;

/**
 * jest globalTeardown: the run fails when its tests left anything in the temp directory, naming
 * each entry under the test file that made it. The directory is removed either way, so a failing
 * run leaves nothing behind either.
 */
export default function globalTeardown(): void {
  const root = process.env[TEMP_ROOT_ENV];
  const outer = process.env[OUTER_TMPDIR_ENV];
  if (outer) process.env.TMPDIR = outer;
  else delete process.env.TMPDIR;
  delete process.env[TEMP_ROOT_ENV];
  delete process.env[OUTER_TMPDIR_ENV];
  if (!root || !existsSync(root)) return;
  const left = leftovers(root);
  rmSync(root, { recursive: true, force: true });
  if (left.length === 0) return;
  const shown = left.slice(0, SHOWN).map((name) => `  ${name}`).join('\n');
  const more = left.length > SHOWN ? `\n  … and ${left.length - SHOWN} more` : '';
  throw new Error(
    `The tests left ${left.length} ${left.length === 1 ? 'entry' : 'entries'} in the temp directory (<test file>-XXXXXX/<entry>):\n${shown}${more}\n` +
      'Remove what a test creates in afterAll/afterEach, e.g. with tempDirs() from test/support/temp-dirs.ts.',
  );
}
