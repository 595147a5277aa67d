/**
 * Child processes of the data-plane bench: started pinned to a core, tracked, and always stopped
 * (by pid; run.sh also kills the whole process group on exit). Plus /proc readings (RSS, CPU time).
 */
import { type ChildProcess, spawn } from 'child_process';
import { closeSync, createWriteStream, openSync, readdirSync, readFileSync } from 'fs';
import { setTimeout as sleep } from 'timers/promises';
import { freePorts } from '../../src/cli/dev-processes';

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** Whether the process has exited. */
  readonly gone: () => boolean;
  /** The last output (stdout + stderr), for error messages. */
  readonly tail: () => string;
}

const running = new Set<Proc>();

export interface StartOptions {
  /** `taskset -c <cpu>`; undefined: not pinned. */
  readonly cpu?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Write stdout and stderr to this file (else they are only kept as a short tail). */
  readonly logFile?: string;
  /** Collect stdout in memory (wrk, hey): the `stdout()` of the result. */
  readonly captureStdout?: boolean;
  /** Give the process a stdin pipe (`child.stdin`); else stdin is /dev/null. */
  readonly stdinPipe?: boolean;
}

export interface StartedProc extends Proc {
  readonly stdout: () => string;
}

/**
 * Starts `command args`, pinned with taskset when `cpu` is given. With `logFile`, stdout and stderr go
 * straight to the file (an fd of the child: no pipe through this process, whose core is busy with the
 * load generators, so a contender's log writes never wait for the bench to read them).
 */
export function start(name: string, command: string, args: readonly string[], options: StartOptions = {}): StartedProc {
  const [cmd, argv] = options.cpu !== undefined ? ['taskset', ['-c', options.cpu, command, ...args]] : [command, [...args]];
  const logFd = options.logFile && !options.captureStdout ? openSync(options.logFile, 'a') : undefined;
  const stdin = options.stdinPipe ? 'pipe' : 'ignore';
  const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: logFd !== undefined ? [stdin, logFd, logFd] : [stdin, 'pipe', 'pipe'] });
  if (logFd !== undefined) closeSync(logFd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let tail = '';
  let out = '';
  const log = options.logFile && logFd === undefined ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const keep = (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-4000);
    log?.write(d);
  };
  child.stdout?.on('data', (d: Buffer) => {
    keep(d);
    if (options.captureStdout) out += d.toString('utf8');
  });
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      running.delete(proc);
      // Let the pipes drain before the log stream closes.
      setImmediate(() => log?.end());
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const fileTail = () => {
    try {
      return readFileSync(options.logFile!, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  const proc: StartedProc = { name, child, pid: child.pid, exited, gone: () => done, tail: () => (logFd !== undefined ? fileTail() : tail), stdout: () => out };
  running.add(proc);
  return proc;
}

/** Runs a command to completion; rejects on a non-zero exit or after `timeoutMs` (the process is killed). */
export async function run(name: string, command: string, args: readonly string[], options: StartOptions & { timeoutMs: number }): Promise<string> {
  const proc = start(name, command, args, { ...options, captureStdout: true });
  const timer = setTimeout(() => void stop(proc, 2_000), options.timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} exited with ${code}: ${proc.tail().slice(-1500)}`);
  return proc.stdout();
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stop(proc: Proc, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.gone()) return;
  try {
    process.kill(proc.pid, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Stops every process this bench started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stop(p, 3_000)));
}

/** Last resort on exit: SIGKILL whatever is left, synchronously. */
export function killAllNow(): void {
  for (const p of running) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** A free TCP port on 127.0.0.1 (the `aigw dev` helper's). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** Polls `check` every 100 ms until it returns true; throws after `timeoutMs` or when `proc` exits. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.gone()) throw new Error(`${proc.name} exited before ${what}: ${proc.tail().slice(-1500)}`);
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `: ${proc.tail().slice(-1500)}` : ''}`);
}

/** Resident set size of a process in KiB (VmRSS), or undefined if it is gone. */
export function rssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/** Peak resident set size in KiB (VmHWM). */
export function peakRssKiB(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100;

/** A process and its descendants. */
export function processTree(rootPid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // raced with an exit
    }
  }
  const out: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    for (const [child, ppid] of parents) if (ppid === pid) queue.push(child);
  }
  return out;
}

/** VmRSS of a process and its descendants, in KiB. */
export function treeRssKiB(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + (rssKiB(pid) ?? 0), 0);
}

/** Busy CPU seconds since boot from /proc/stat: the whole machine (`cpu`) or one core (`cpu0`, `cpu1`). */
export function machineBusySeconds(line = 'cpu'): number {
  const row = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${line} `));
  if (!row) return Number.NaN;
  const fields = row.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
  return busy / CLOCK_TICKS;
}

/**
 * User + system CPU seconds of a process and all its descendants (nginx master + worker, ...);
 * with `includeReaped`, also what their exited (waited-for) children used.
 */
export function treeCpuSeconds(rootPid: number, includeReaped = false): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may contain spaces) start after the last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + (includeReaped ? Number(fields[13]) + Number(fields[14]) : 0) });
    } catch {
      // raced with an exit
    }
  }
  let ticks = 0;
  const queue = [rootPid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return ticks / CLOCK_TICKS;
}

/** The soft limit on open files of a process (`Max open files` in /proc/PID/limits). */
export function openFilesLimit(pid: number | 'self' = 'self'): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return line ? Number(line.split(/\s+/)[3]) : Number.NaN;
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}
