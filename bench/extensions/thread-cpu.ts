import { readdirSync, readFileSync } from 'fs';

/**
 * A process's CPU time in seconds from the scheduler's own accounting, in nanoseconds: the first field of
 * /proc/<pid>/task/<tid>/schedstat, summed over its threads (the main thread, libuv's pool, V8's helpers).
 * /proc/<pid>/stat counts in clock ticks of 10 ms, which at a few thousand calls per run is ±5 µs per call, as
 * large as the differences this bench reads; schedstat is exact. Undefined when the kernel has no schedstat
 * (the bench then reads the ticks). A thread that exits between two readings takes its time with it: aigw's
 * threads live as long as the process.
 */
export function schedCpuSeconds(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch (e) {
      // A thread that ended since the listing counts for nothing; a kernel without schedstat has the file for none.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && tid === String(pid)) return undefined;
    }
  }
  return ns / 1e9;
}
