import { getHeapStatistics, setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';

/** What the trimmer reads of the heap: committed and used bytes (v8.getHeapStatistics by default). */
export interface HeapReading {
  readonly totalBytes: number;
  readonly usedBytes: number;
}

export interface HeapTrimOptions {
  /** How many requests the process has started so far: the trimmer runs only while this stays the same. */
  readonly requestsStarted: () => number;
  /** Requests being served now. */
  readonly inFlight: () => number;
  /** Called after each trim, with its pause and the committed heap it gave back. Must not throw. */
  readonly onTrim?: (pauseMs: number, releasedBytes: number) => void;
  /** How often the process is looked at. @default 2000 */
  readonly intervalMs?: number;
  /** How long no request may have started before a trim. @default 30000 */
  readonly quietMs?: number;
  /** Committed but unused heap below this is left alone. @default 16 MiB */
  readonly minSlackBytes?: number;
  /** Least time between two trims. @default 10000 */
  readonly minGapMs?: number;
  /** For tests: the heap reading and the collector. */
  readonly readHeap?: () => HeapReading;
  readonly collect?: () => void;
  readonly now?: () => number;
}

const MiB = 1024 * 1024;

/**
 * Gives memory back when the process is quiet.
 *
 * A burst (a warm-up, thousands of new keep-alive connections each sending one request) promotes
 * request garbage to the old generation and grows the young one to its maximum (32 MiB committed);
 * V8 does not shrink either until a full collection, and a quiet proxy allocates too little to
 * trigger one. Measured in the data-plane bench: 10,000 idle connections after one request each
 * left 5.2 KiB of committed heap per connection, of which 3.7 KiB was live (mostly node:http's
 * per-socket objects) and the rest garbage never collected.
 *
 * So when no request has started for `quietMs` and none is in flight, and the heap holds at least
 * `minSlackBytes` it does not use, the trimmer runs one full collection, which also shrinks the young
 * generation. That pause (tens of ms on a 100 MiB heap) is taken only when nobody is waiting; a
 * request that arrives during it waits for it. The quiet time is long on purpose: the young
 * generation then has to grow again, and traffic that comes back within seconds (the data-plane
 * bench's capacity search trimmed between its 6 s steps with a 4 s quiet time, and its p99 doubled)
 * would pay for that in more frequent young collections. At most one trim per `minGapMs`.
 */
export class HeapTrim {
  private timer: NodeJS.Timeout | undefined;
  private lastStarted: number;
  /** When a request was last seen starting (or the trimmer started). */
  private activeAt: number;
  private lastTrimAt = Number.NEGATIVE_INFINITY;
  private readonly intervalMs: number;
  private readonly quietMs: number;
  private readonly minSlackBytes: number;
  private readonly minGapMs: number;
  private readonly readHeap: () => HeapReading;
  private readonly collect: () => void;
  private readonly now: () => number;

  public constructor(private readonly options: HeapTrimOptions) {
    this.intervalMs = options.intervalMs ?? 2_000;
    this.quietMs = options.quietMs ?? 30_000;
    this.minSlackBytes = options.minSlackBytes ?? 16 * MiB;
    this.minGapMs = options.minGapMs ?? 10_000;
    this.readHeap = options.readHeap ?? v8Heap;
    this.collect = options.collect ?? fullCollection();
    this.now = options.now ?? Date.now;
    this.activeAt = this.now();
    this.lastStarted = options.requestsStarted();
  }

  public start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  public stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look; trims when no request started for `quietMs` and none is in flight. Returns whether it trimmed. */
  public check(): boolean {
    const started = this.options.requestsStarted();
    const now = this.now();
    if (started !== this.lastStarted || this.options.inFlight() > 0) this.activeAt = now;
    this.lastStarted = started;
    if (now - this.activeAt < this.quietMs || now - this.lastTrimAt < this.minGapMs) return false;
    const before = this.readHeap();
    if (before.totalBytes - before.usedBytes < this.minSlackBytes) return false;
    const t0 = performance.now();
    this.collect();
    const pauseMs = performance.now() - t0;
    this.lastTrimAt = this.now();
    this.options.onTrim?.(pauseMs, Math.max(0, before.totalBytes - this.readHeap().totalBytes));
    return true;
  }
}

function v8Heap(): HeapReading {
  const s = getHeapStatistics();
  return { totalBytes: s.total_heap_size, usedBytes: s.used_heap_size };
}

/**
 * V8's full collection, which Node exposes only behind `--expose-gc`. Setting the flag at run time and
 * reading `gc` from a new context gives the same function without changing how the process is started.
 */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => gc();
}
