import { rmSync } from 'fs';
import { attempt } from './attempt';
import { type ComparisonResults, finishResults, makeRunDirs } from './comparison-results';
import { stopAll } from '../dataplane/procs';

/**
 * The frame of one run of a bench comparing the gateway with the upstream called directly: its temp
 * dir, its sections (a failed one is recorded and the next runs), and its end whatever happened:
 * clients closed, every process stopped, results.json written, the temp dir removed.
 */
export abstract class ComparisonBench<R extends ComparisonResults<unknown, unknown>> {
  /** Configs and logs of this run; removed at the end. */
  protected readonly workDir: string;
  protected readonly logDir: string;

  protected constructor(
    public readonly results: R,
    tmpPrefix: string,
    protected readonly outDir: string,
    private readonly log: (line: string) => void,
  ) {
    ({ workDir: this.workDir, logDir: this.logDir } = makeRunDirs(tmpPrefix, outDir));
  }

  /** Measures; resolves the results (also in results.json). */
  public async run(): Promise<R> {
    const t0 = performance.now();
    try {
      await this.measure();
    } finally {
      await this.closeClients();
      await stopAll();
      finishResults(this.results, t0, this.outDir);
      this.cleanUp();
    }
    return this.results;
  }

  /** Sets up and runs every section (through `attempt`). */
  protected abstract measure(): Promise<void>;

  /** Closes the load's connections (before the processes stop). */
  protected abstract closeClients(): Promise<void>;

  /** After results.json is written. */
  protected cleanUp(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** One section: a failure is logged and recorded in results.errors; resolves its value, or undefined when it failed. */
  protected attempt<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    return attempt(name, fn, this.results.errors, this.log);
  }
}
