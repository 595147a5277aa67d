import { copyFileSync, cpSync, mkdirSync, rmSync } from 'fs';
import { join } from 'path';

/**
 * Copies lib/ (with package.json, which lib/specs/version.js reads) to `buildDir`: others may compile
 * lib/ while a bench runs, and every process of a run must run the same code. `buildDir` must be
 * inside the repo, so that the copy still resolves the repo's node_modules. Returns the copy's lib/.
 */
export function snapshotLib(repoRoot: string, buildDir: string): string {
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  cpSync(join(repoRoot, 'lib'), join(buildDir, 'lib'), { recursive: true });
  copyFileSync(join(repoRoot, 'package.json'), join(buildDir, 'package.json'));
  return join(buildDir, 'lib');
}
