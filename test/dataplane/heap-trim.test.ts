import { HeapTrim, type HeapReading } from '../../src/dataplane/heap-trim';

const MiB = 1024 * 1024;
const QUIET_MS = 30_000;

/** A trimmer over a fake heap and clock: `collect` drops the committed heap to what is used. */
function harness(heap: { total: number; used: number }) {
  const process = { started: 0, inFlight: 0 };
  const clock = { now: 0 };
  const trims: { pauseMs: number; releasedBytes: number }[] = [];
  const trim = new HeapTrim({
    requestsStarted: () => process.started,
    inFlight: () => process.inFlight,
    onTrim: (pauseMs, releasedBytes) => trims.push({ pauseMs, releasedBytes }),
    minSlackBytes: 16 * MiB,
    minGapMs: 10_000,
    quietMs: QUIET_MS,
    readHeap: (): HeapReading => ({ totalBytes: heap.total, usedBytes: heap.used }),
    collect: () => {
      heap.total = heap.used;
    },
    now: () => clock.now,
  });
  /** A look `ms` after the previous one. */
  const lookAfter = (ms: number): boolean => {
    clock.now += ms;
    return trim.check();
  };
  return { trim, process, clock, trims, heap, lookAfter };
}

describe('HeapTrim', () => {
  it('trims only once no request has started for quietMs, and reports what it gave back', () => {
    const h = harness({ total: 150 * MiB, used: 90 * MiB });
    expect(h.lookAfter(0)).toBe(false);
    expect(h.lookAfter(QUIET_MS - 1)).toBe(false);
    h.process.started = 5; // traffic: the quiet time starts again
    expect(h.lookAfter(1)).toBe(false);
    expect(h.lookAfter(QUIET_MS - 1)).toBe(false);
    expect(h.lookAfter(1)).toBe(true);
    expect(h.trims).toEqual([{ pauseMs: expect.any(Number), releasedBytes: 60 * MiB }]);
    expect(h.heap.total).toBe(90 * MiB);
  });

  it('never trims while a request is in flight, even a long one that started before', () => {
    const h = harness({ total: 150 * MiB, used: 90 * MiB });
    h.process.inFlight = 1;
    expect(h.lookAfter(QUIET_MS)).toBe(false);
    expect(h.lookAfter(QUIET_MS)).toBe(false);
    h.process.inFlight = 0;
    expect(h.lookAfter(QUIET_MS - 1)).toBe(false);
    expect(h.lookAfter(1)).toBe(true);
  });

  it('leaves a heap with little unused memory alone', () => {
    const h = harness({ total: 100 * MiB, used: 90 * MiB });
    expect(h.lookAfter(QUIET_MS * 2)).toBe(false);
    expect(h.trims).toHaveLength(0);
  });

  it('trims at most once per minGapMs', () => {
    const h = harness({ total: 150 * MiB, used: 90 * MiB });
    expect(h.lookAfter(QUIET_MS)).toBe(true);
    h.heap.total = 150 * MiB; // garbage again
    expect(h.lookAfter(9_999)).toBe(false);
    expect(h.lookAfter(1)).toBe(true);
  });

  it("runs V8's full collection when no collector is given (set up at run time, no --expose-gc on the command line)", () => {
    const trims: number[] = [];
    const onTrim = (pauseMs: number): number => trims.push(pauseMs);
    const trim = new HeapTrim({ requestsStarted: () => 0, inFlight: () => 0, minSlackBytes: 0, quietMs: 0, onTrim });
    expect(trim.check()).toBe(true);
    expect(trims).toHaveLength(1);
    trim.stop();
  });
});
