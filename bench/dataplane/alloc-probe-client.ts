/**
 * The bench's side of alloc-probe.ts: transpiles the probe to plain CommonJS for `node -r`, and reads
 * the samples it writes when signalled (SIGUSR2).
 *
 * Why a .ts transpiled at run time and not a .js under bench/: the probe stays type-checked with the
 * rest of the bench (test/tsconfig.json includes bench/**\/*.ts) and in knip's view, while aigw still
 * runs it from plain node, as it runs in production (no ts-node hook in the measured process).
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';
import { PROBE_FILE_ENV, PROBE_LOOP_DELAY_ENV, type ProbeSample } from './alloc-probe';
import type { Allocation } from './cpu-types';

export { PROBE_FILE_ENV, PROBE_LOOP_DELAY_ENV };

/** Transpiles alloc-probe.ts into `dir` (once per dir); returns the .js path to pass to `node -r`. */
export function compileProbe(dir: string): string {
  const out = join(dir, 'alloc-probe.js');
  if (existsSync(out)) return out;
  const source = readFileSync(join(__dirname, 'alloc-probe.ts'), 'utf8');
  const { outputText } = transpileModule(source, { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 }, fileName: 'alloc-probe.ts' });
  writeFileSync(out, outputText);
  return out;
}

/** The samples one probed process has written, and how to ask it for another. */
export class ProbeReader {
  public constructor(
    private readonly pid: number,
    public readonly file: string,
  ) {}

  /** Every sample written so far, oldest first. */
  public samples(): ProbeSample[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ProbeSample);
  }

  /** Signals the process and waits (≤ 5 s) for the sample it writes. */
  public async sample(): Promise<ProbeSample> {
    const before = this.samples().length;
    process.kill(this.pid, 'SIGUSR2');
    return (await this.waitFor(before + 1))[before];
  }

  /** Waits (≤ 5 s) until at least `count` samples are written; throws naming the file otherwise. */
  public async waitFor(count: number): Promise<ProbeSample[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const all = this.samples();
      if (all.length >= count) return all;
      if (Date.now() > deadline) throw new Error(`alloc probe of pid ${this.pid}: ${all.length} samples in ${this.file} after 5 s, expected ${count}; was it preloaded (node -r) with ${PROBE_FILE_ENV} set?`);
      await sleep(20);
    }
  }
}

/** Bytes allocated and GCs between two samples, per `requests` requests. */
export function allocationBetween(a: ProbeSample, b: ProbeSample, requests: number): Allocation {
  return {
    bytesPerRequest: requests > 0 ? (b.allocatedBytes - a.allocatedBytes) / requests : Number.NaN,
    gcCount: b.gcCount - a.gcCount,
    gcPauseMs: b.gcPauseMs - a.gcPauseMs,
  };
}
