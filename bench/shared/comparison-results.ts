/** The results file of a bench that compares the gateway with the upstream called directly. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadAverage, machineFacts } from './run-facts';

export interface ComparisonResults<S, C> {
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  settings: S;
  machine: Record<string, string>;
  versions: Record<string, string>;
  commands: Record<string, string>;
  configChanges: string[];
  verification: string[];
  comparisons: C[];
  /** Seconds spent waiting for other load to drop before rounds. */
  quietWaitedS: number;
  errors: string[];
}

/** A run's results as it starts (results.json keeps this order). `env`: the settings it was given, `NAME=value …`. */
export function startResults<S, C>(settings: S, versions: Record<string, string>, env: string): ComparisonResults<S, C> {
  return {
    startedAt: new Date().toISOString(),
    settings,
    machine: machineFacts(),
    versions,
    commands: { env },
    configChanges: [],
    verification: [],
    comparisons: [],
    quietWaitedS: 0,
    errors: [],
  };
}

/** Stamps the end of the run (`startedMs`: its performance.now() at the start) and writes results.json to `outDir`. */
export function finishResults(results: ComparisonResults<unknown, unknown>, startedMs: number, outDir: string): void {
  results.finishedAt = new Date().toISOString();
  results.durationS = (performance.now() - startedMs) / 1000;
  results.machine.loadAverageEnd = loadAverage();
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/** The run's temp dir (configs, logs: removed at the end) and its logs dir; creates `outDir` too. */
export function makeRunDirs(prefix: string, outDir: string): { workDir: string; logDir: string } {
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  return { workDir, logDir };
}
