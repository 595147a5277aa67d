/**
 * Preloaded into the aigw process under test (`node -r <this, transpiled to .js> lib/cli/aigw.js serve …`):
 * counts the bytes the process allocates on the V8 heap and, when asked, measures its longest event-loop stall.
 * It runs from plain node (the bench transpiles it with `typescript.transpileModule` into its temp dir,
 * see alloc-probe-client.ts), imports node built-ins only, and does no per-request work: the byte count
 * comes from GC callbacks (v8.GCProfiler, Node ≥ 18.15), the stall from libuv's loop-delay histogram.
 *
 * Its cost, measured with an allocation-heavy loop on one core: the GC profiler ~60 µs per GC (aigw runs
 * a few to ~15 GCs a second: ≤ 0.2% of a core); the loop-delay histogram at 1 ms resolution wakes the
 * loop up to 1,000 times a second, ~3% of a core when idle, so it is on only with
 * AIGW_BENCH_PROBE_LOOP_DELAY=1 (the reload section), never in the CPU-per-request runs.
 *
 * Bytes allocated = Σ over GCs (usedHeapSize before this GC − usedHeapSize after the previous GC)
 *                 + (usedHeapSize now − usedHeapSize after the last GC).
 * Only the V8 heap: Buffer contents live outside it and are not counted.
 *
 * On SIGUSR2 it appends one JSON line (ProbeSample) to the file named by AIGW_BENCH_PROBE_FILE, and
 * resets the loop-delay histogram (so loopDelayMaxMs is the longest stall since the previous signal;
 * the other figures are running totals since the probe started). Without the histogram the loop
 * figures are null.
 */
import { appendFileSync } from 'fs';
import { monitorEventLoopDelay } from 'perf_hooks';
import { GCProfiler, getHeapStatistics } from 'v8';

/** One line of the probe's file. */
export interface ProbeSample {
  /** V8 heap bytes allocated since the probe started. */
  readonly allocatedBytes: number;
  /** GCs since the probe started. */
  readonly gcCount: number;
  /** Time spent in those GCs, ms. */
  readonly gcPauseMs: number;
  /** The longest event-loop delay since the previous signal, ms (null: the histogram is off). */
  readonly loopDelayMaxMs: number | null;
  /** p99 of the event-loop delay since the previous signal, ms (null: the histogram is off). */
  readonly loopDelayP99Ms: number | null;
  /** Date.now() when written. */
  readonly at: number;
}

export const PROBE_FILE_ENV = 'AIGW_BENCH_PROBE_FILE';
/** `1`: also run the loop-delay histogram (1 ms resolution). */
export const PROBE_LOOP_DELAY_ENV = 'AIGW_BENCH_PROBE_LOOP_DELAY';

/** The GCProfiler's statistics entry (only the fields used here). */
interface GcEntry {
  readonly cost: number;
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

function install(file: string, withLoopDelay: boolean): void {
  // Bytes allocated up to the last GC seen, and the heap's size right after that GC.
  let allocatedThroughLastGc = 0;
  let usedAfterLastGc = getHeapStatistics().used_heap_size;
  let gcCount = 0;
  let gcPauseUs = 0;
  let profiler = new GCProfiler();
  profiler.start();
  const loopDelay = withLoopDelay ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
  loopDelay?.enable();

  process.on('SIGUSR2', () => {
    // The profiler hands its GC records over only when stopped: stop, fold them in, start a new one.
    const entries = (profiler.stop()?.statistics ?? []) as unknown as GcEntry[];
    profiler = new GCProfiler();
    profiler.start();
    for (const gc of entries) {
      allocatedThroughLastGc += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - usedAfterLastGc);
      usedAfterLastGc = gc.afterGC.heapStatistics.usedHeapSize;
      gcCount++;
      // GCProfiler's cost is in microseconds.
      gcPauseUs += gc.cost;
    }
    const sample: ProbeSample = {
      allocatedBytes: allocatedThroughLastGc + Math.max(0, getHeapStatistics().used_heap_size - usedAfterLastGc),
      gcCount,
      gcPauseMs: gcPauseUs / 1000,
      loopDelayMaxMs: loopDelay ? loopDelay.max / 1e6 : null,
      loopDelayP99Ms: loopDelay ? loopDelay.percentile(99) / 1e6 : null,
      at: Date.now(),
    };
    loopDelay?.reset();
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  });
}

// Preloaded with -r: installs only when told where to write (the bench's own process imports this file for
// PROBE_FILE_ENV and the types, and never has the variable set).
const probeFile = process.env[PROBE_FILE_ENV];
if (probeFile) install(probeFile, process.env[PROBE_LOOP_DELAY_ENV] === '1');
