/**
 * The bench's upstream: the project's UpstreamSimulator (compiled, from lib/), unchanged, in one
 * long-lived process, with one difference from `lib/simulator/main.js`: the simulator records every
 * request it receives (for tests), which over a bench's ~10^6 requests would grow its heap by
 * gigabytes and slow every later run with GC; here the record is emptied every second.
 *
 *   node -r ts-node/register/transpile-only bench/dataplane/simulator.ts PORT [STREAM_CHUNKS] [LIB_DIR]
 *
 * Prints the URL once listening; stops on SIGTERM/SIGINT.
 */
import { join } from 'path';

// Compiled code at run time (lib/, or the bench's snapshot of it), typed from src/.
const libDir = process.argv[4] ?? join(__dirname, '..', '..', 'lib');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UpstreamSimulator } = require(join(libDir, 'simulator')) as typeof import('../../src/simulator');

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? '0');
  const streamChunks = Number(process.argv[3] ?? '10');
  const sim = await UpstreamSimulator.start({ port, host: '127.0.0.1', name: 'bench', streamChunks });
  const trim = setInterval(() => {
    sim.requests.length = 0;
  }, 1_000);
  process.stdout.write(`${sim.url}\n`);
  const stop = () => {
    clearInterval(trim);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`simulator: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
