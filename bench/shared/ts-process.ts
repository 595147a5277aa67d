import { relative } from 'path';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import { start, type StartedProc, waitFor } from '../dataplane/procs';

export interface TsScript {
  /** The process's name in logs and errors. */
  readonly name: string;
  /** What the wait names when the script is not ready in time, e.g. 'the simulator'. */
  readonly what: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** The script is ready when its stdout so far says so. */
  readonly ready: (stdout: string) => boolean;
  readonly timeoutMs: number;
}

/**
 * Starts a bench's TypeScript helper process (an upstream, the simulator) with ts-node on the load
 * generator's CPU, and waits until it is ready. `command` is how the report shows it, with paths
 * inside the repo relative to it.
 */
export async function startTsScript(repoRoot: string, s: TsScript): Promise<{ proc: StartedProc; command: string }> {
  const proc = start(s.name, process.execPath, ['-r', 'ts-node/register/transpile-only', s.script, ...s.args], {
    cpu: LOADGEN_CPU,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    logFile: s.logFile,
    captureStdout: true,
  });
  await waitFor(s.what, async () => s.ready(proc.stdout()), s.timeoutMs, proc);
  const shown = [s.script, ...s.args].map((a) => (a.startsWith(`${repoRoot}/`) ? relative(repoRoot, a) : a));
  return { proc, command: `taskset -c ${LOADGEN_CPU} node -r ts-node/register/transpile-only ${shown.join(' ')}` };
}
