import { type ChildProcess } from 'child_process';
import { accessSync, constants } from 'fs';
import { createServer, type AddressInfo } from 'net';
import { delimiter, join } from 'path';
import { createInterface } from 'readline';

/** A failure `aigw dev` reports in one clear message (and exits 1), without a stack trace. */
export class DevError extends Error {}

const TAIL_LINES = 40;

/**
 * A process `aigw dev` started and must stop: keeps the tail of its output for error messages,
 * and knows when it has exited.
 */
export class ManagedProcess {
  /** Resolves when the process has exited (never rejects). */
  public readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly stderrTail: string[] = [];
  private readonly stdoutTail: string[] = [];
  private done = false;

  public constructor(
    public readonly label: string,
    private readonly proc: ChildProcess,
    /** Receives every output line, e.g. to show access logs; output is always drained so the child never blocks. */
    forward?: (line: string) => void,
  ) {
    this.exited = new Promise((resolve) => {
      proc.once('error', () => {
        // A spawn failure: no 'exit' follows.
        this.done = true;
        resolve({ code: null, signal: null });
      });
      proc.once('exit', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      });
    });
    proc.once('error', (e) => this.stderrTail.push(e.message));
    for (const [stream, tail] of [[proc.stdout, this.stdoutTail], [proc.stderr, this.stderrTail]] as const) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        forward?.(line);
      });
    }
  }

  public get running(): boolean {
    return !this.done;
  }

  /** The last lines of stderr, or of stdout when stderr was silent (the data plane logs to stdout). */
  public get tail(): string {
    return (this.stderrTail.length > 0 ? this.stderrTail : this.stdoutTail).join('\n');
  }

  /** SIGTERM, then wait for the exit; SIGKILL if it has not come after `graceMs`. */
  public async stop(graceMs = 10_000): Promise<void> {
    if (this.done) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Kills a detached child's whole process group (a shell and what it started). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** `n` distinct free ports on 127.0.0.1: all held open at once so that none is handed out twice. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** The full path of an executable on PATH, or undefined. */
export function onPath(command: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Polls `check` until it returns true. Fails with `what` and the process's output tail if the
 * process exits first or `timeoutMs` passes.
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  proc: ManagedProcess,
  what: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal.aborted) throw new DevError(`stopped while waiting for ${what}`);
    if (!proc.running) {
      const { code, signal: killedBy } = await proc.exited;
      throw new DevError(`${proc.label} exited (${killedBy ?? `code ${code}`}) before ${what}${proc.tail ? `:\n${proc.tail}` : ''}`);
    }
    if (await check()) return;
    if (Date.now() > deadline) throw new DevError(`${proc.label}: no ${what} after ${timeoutMs / 1000} s${proc.tail ? `; its output:\n${proc.tail}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
