import { join } from 'path';
import { REPO_ROOT } from './repo-paths';
import { startTsScript } from './ts-process';
import { freePort, type StartedProc } from '../dataplane/procs';

/**
 * The bundled upstream simulator (bench/dataplane/simulator.ts: src/simulator as compiled in `libDir`)
 * on the load generator's CPU, `chunks` pieces per streamed answer; ready when it prints its URL.
 */
export async function startSimulator(o: { readonly libDir: string; readonly logDir: string; readonly chunks: number; readonly timeoutMs: number }): Promise<{ proc: StartedProc; upstream: string; command: string }> {
  const port = await freePort();
  const upstream = `http://127.0.0.1:${port}`;
  const { proc, command } = await startTsScript(REPO_ROOT, {
    name: 'simulator',
    what: 'the simulator',
    script: join(REPO_ROOT, 'bench', 'dataplane', 'simulator.ts'),
    args: [String(port), String(o.chunks), o.libDir],
    logFile: join(o.logDir, 'simulator.log'),
    ready: (stdout) => stdout.includes(upstream),
    timeoutMs: o.timeoutMs,
  });
  return { proc, upstream, command };
}
