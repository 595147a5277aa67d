/** What every bench driver does around its measuring: stopping what it started, and its main's frame. */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { type MarkedSection, writeMarkedSection } from './marked-section';
import { REPO_ROOT } from './repo-paths';
import { killAllNow, stopAll } from '../dataplane/procs';

/** On a signal, stops every process the bench started, then exits; on any exit, kills what is left at once. */
export function stopProcessesOnExit(log: (line: string) => void): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping every process this bench started`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', killAllNow);
}

/** The benches run the compiled gateway (lib/). */
export function requireCompiledLib(repoRoot: string): void {
  if (!existsSync(join(repoRoot, 'lib', 'cli', 'aigw.js'))) throw new Error('lib/ is missing: compile first (npx tsc -p tsconfig.json), or run bash bench/run.sh');
}

/** Runs a driver's main: a failure is logged with its stack and sets a failing exit code. */
export function runDriver(main: () => Promise<void>, log: (line: string) => void): void {
  main().catch((e) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  });
}

export interface SectionBench<R extends { readonly errors: readonly string[]; readonly durationS?: number }> {
  readonly log: (line: string) => void;
  /** Where results.json and section.md go. */
  readonly outDir: string;
  /** The section's heading as the log names it, e.g. `"## MCP"`. */
  readonly title: string;
  /** The section's markers in BENCHMARKS.md (at the repo's root). */
  readonly markers: Omit<MarkedSection, 'file'>;
  /** BENCH_RENDER=1 also rewrites section.md (the agents bench does; the MCP bench leaves it as its last run wrote it). */
  readonly renderRewritesSectionMd: boolean;
  readonly render: (results: R) => string;
  /** Measures; resolves the results, which it has written to results.json. */
  readonly measure: () => Promise<R>;
}

/**
 * The main of a bench that owns one section of BENCHMARKS.md: measures, writes section.md and the
 * section, prints it; failed sections set a failing exit code. BENCH_RENDER=1 measures nothing and
 * re-renders the section from the last run's results.json.
 */
export async function sectionBenchMain<R extends { readonly errors: readonly string[]; readonly durationS?: number }>(b: SectionBench<R>): Promise<void> {
  stopProcessesOnExit(b.log);
  const resultsFile = `${relative(REPO_ROOT, b.outDir)}/results.json`;
  const section: MarkedSection = { file: join(REPO_ROOT, 'BENCHMARKS.md'), ...b.markers };
  if (process.env.BENCH_RENDER === '1') {
    const results = JSON.parse(readFileSync(join(b.outDir, 'results.json'), 'utf8')) as R;
    const markdown = b.render(results);
    if (b.renderRewritesSectionMd) writeFileSync(join(b.outDir, 'section.md'), markdown);
    writeMarkedSection(section, markdown);
    b.log(`re-rendered the ${b.title} section of BENCHMARKS.md from ${resultsFile}`);
    return;
  }
  requireCompiledLib(REPO_ROOT);
  const results = await b.measure();
  const markdown = b.render(results);
  writeFileSync(join(b.outDir, 'section.md'), markdown);
  writeMarkedSection(section, markdown);
  b.log(`wrote the ${b.title} section of BENCHMARKS.md (${results.durationS?.toFixed(0)} s; ${resultsFile})`);
  process.stdout.write(`${markdown}\n`);
  if (results.errors.length > 0) {
    b.log(`sections that failed: ${results.errors.join(' | ')}`);
    process.exitCode = 1;
  }
}
