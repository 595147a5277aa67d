import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * Scratch directories of a test file (or describe block), each removed by an `afterAll` registered
 * where `tempDirs()` is called. Call it at the top of the file or block, after registering any
 * `afterAll` that must still see the directories (e.g. one that stops a server watching them):
 * jest runs `afterAll` hooks in the order they were registered.
 */
export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
