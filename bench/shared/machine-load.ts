/** What the machine's cores and a bench's processes did while a run of load went on (from /proc). */
import { machineBusySeconds, treeCpuSeconds } from '../dataplane/procs';

export interface MachineLoad {
  /** Busy CPU of processes that are not this bench, in cores. */
  readonly foreignCores: number;
  /** Busy share of CPU 0 (load generator, upstream, other load), 0..1. */
  readonly cpu0Busy: number;
  /** Busy share of CPU 1 (the gateway, other load), 0..1. */
  readonly cpu1Busy: number;
}

export interface ProcessCpu {
  /** CPU seconds of the gateway process during the run. */
  readonly gatewayCpuS: number;
  /** CPU seconds of the upstream process during the run. */
  readonly upstreamCpuS: number;
}

interface Before {
  readonly machine: number;
  readonly cpu0: number;
  readonly cpu1: number;
  readonly own: number;
}

const before = (): Before => ({ machine: machineBusySeconds(), cpu0: machineBusySeconds('cpu0'), cpu1: machineBusySeconds('cpu1'), own: treeCpuSeconds(process.pid, true) });

function loadSince(b: Before, wallS: number): MachineLoad {
  return {
    // This driver's tree includes the processes it started (its children): what is left is other load.
    foreignCores: Math.max(0, (machineBusySeconds() - b.machine - (treeCpuSeconds(process.pid, true) - b.own)) / wallS),
    cpu0Busy: Math.min(1, (machineBusySeconds('cpu0') - b.cpu0) / wallS),
    cpu1Busy: Math.min(1, (machineBusySeconds('cpu1') - b.cpu1) / wallS),
  };
}

/** `fn`'s value, and the load on the machine while it ran. */
export async function withMachineLoad<T>(fn: () => Promise<T>): Promise<{ value: T } & MachineLoad> {
  const b = before();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  return { value, ...loadSince(b, wall) };
}

/** `fn`'s value, the CPU the gateway and the upstream process (with their children) used, and the load on the machine while it ran. */
export async function withProcessCpu<T>(pids: { readonly gateway: number; readonly upstream: number }, fn: () => Promise<T>): Promise<{ value: T } & ProcessCpu & MachineLoad> {
  const b = before();
  const g0 = treeCpuSeconds(pids.gateway);
  const u0 = treeCpuSeconds(pids.upstream);
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  return { value, gatewayCpuS: treeCpuSeconds(pids.gateway) - g0, upstreamCpuS: treeCpuSeconds(pids.upstream) - u0, ...loadSince(b, wall) };
}
