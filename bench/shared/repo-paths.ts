import { join, resolve } from 'path';

/** The repo's root (this file is in bench/shared/). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * Where a bench writes results.json and section.md (bench/out/<name>), and its snapshot of lib/
 * (inside the repo, so that it resolves the repo's node_modules).
 */
export function benchOutDirs(name: string): { outDir: string; buildDir: string } {
  const outDir = join(REPO_ROOT, 'bench', 'out', name);
  return { outDir, buildDir: join(outDir, 'build') };
}

/** The markers around a bench's section of BENCHMARKS.md. */
export function sectionMarkers(bench: string): { start: string; end: string } {
  return { start: `<!-- ${bench}:start -->`, end: `<!-- ${bench}:end -->` };
}
