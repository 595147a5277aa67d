import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import globalTeardown from './global-teardown';
import { OUTER_TMPDIR_ENV, TEMP_ROOT_ENV } from './temp-root';

// The run's own leak check, on a stand-in for the run's temp root (the real one is checked after every file has run).
describe('the leak check after a test run', () => {
  const saved = { root: process.env[TEMP_ROOT_ENV], outer: process.env[OUTER_TMPDIR_ENV], tmpdir: process.env.TMPDIR };
  afterEach(() => {
    for (const [key, value] of [[TEMP_ROOT_ENV, saved.root], [OUTER_TMPDIR_ENV, saved.outer], ['TMPDIR', saved.tmpdir]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  function fakeRun(files: Record<string, string[]>): string {
    const root = mkdtempSync(join(tmpdir(), 'fake-run-'));
    for (const [file, entries] of Object.entries(files)) {
      mkdirSync(join(root, file));
      for (const entry of entries) writeFileSync(join(root, file, entry), '');
    }
    process.env[TEMP_ROOT_ENV] = root;
    process.env[OUTER_TMPDIR_ENV] = '/outer';
    return root;
  }

  test('fails naming each entry a test file left, and removes them all the same', () => {
    const root = fakeRun({ 'dataplane_reload-Ab12Cd': ['aigw-config-x1', 'aigw-config-x2'], 'constructs_synth-Ef34Gh': [] });
    expect(() => globalTeardown()).toThrow(
      'The tests left 2 entries in the temp directory (<test file>-XXXXXX/<entry>):\n' +
        '  dataplane_reload-Ab12Cd/aigw-config-x1\n  dataplane_reload-Ab12Cd/aigw-config-x2\n',
    );
    expect(existsSync(root)).toBe(false);
    expect(process.env.TMPDIR).toBe('/outer');
  });

  test('passes when every test file cleaned up, its folder included or left empty (a worker jest recycled before the file ran there)', () => {
    const root = fakeRun({ 'constructs_synth-Ef34Gh': [] });
    expect(() => globalTeardown()).not.toThrow();
    expect(existsSync(root)).toBe(false);
  });
});
