import { mkdtempSync, readdirSync, rmdirSync, rmSync } from 'fs';
import { join, relative } from 'path';
import { TestEnvironment } from 'jest-environment-node';
import { CDKTF_OUTDIR_PREFIX, TEMP_ROOT_ENV } from './temp-root';

/**
 * jest's node environment, with a temp directory of its own for each test file: while the file
 * runs, TMPDIR points to `<run temp root>/<test file>-XXXXXX` (see temp-root.ts), so whatever the
 * file (or a process it spawns) leaves behind is named after it by global-teardown.ts.
 */
export default class TempDirEnvironment extends TestEnvironment {
  private readonly fileTmp: string | undefined;
  private readonly outerTmp: string | undefined;

  public constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    const [config, context] = args;
    const root = process.env[TEMP_ROOT_ENV];
    const outerTmp = process.env.TMPDIR;
    // e.g. `dataplane_reload-Xy12Ab` for test/dataplane/reload.test.ts.
    const name = relative(join(config.projectConfig.rootDir, 'test'), context.testPath).replace(/\.test\.ts$/, '').replace(/[\\/]/g, '_');
    const fileTmp = root ? mkdtempSync(join(root, `${name}-`)) : undefined;
    // Before super(): it copies process.env into the test's sandbox. os.tmpdir() and spawned processes read the real one.
    if (fileTmp) process.env.TMPDIR = fileTmp;
    super(...args);
    this.fileTmp = fileTmp;
    this.outerTmp = outerTmp;
  }

  public override async teardown(): Promise<void> {
    await super.teardown();
    if (this.outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = this.outerTmp;
    if (!this.fileTmp) return;
    // cdktf's Testing.app() makes a folder per app and offers no way to remove it: no test can clean these up.
    for (const entry of readdirSync(this.fileTmp)) {
      if (entry.startsWith(CDKTF_OUTDIR_PREFIX)) rmSync(join(this.fileTmp, entry), { recursive: true, force: true });
    }
    // Empty: the file left nothing. Anything else stays for global-teardown.ts to report, and is named
    // here too: what is there now may be gone by the end of the run (a file still being written and removed).
    const left = readdirSync(this.fileTmp);
    if (left.length === 0) rmdirSync(this.fileTmp);
    else process.stderr.write(`[temp] ${relative(process.env[TEMP_ROOT_ENV] ?? '', this.fileTmp)} holds at its teardown: ${left.slice(0, 20).join(', ')}\n`);
  }
}
