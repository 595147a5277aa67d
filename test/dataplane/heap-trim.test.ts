import { HeapTrim, type HeapReading } from '../../src/dataplane/heap-trim';

const MiB = 1024 * 1024;

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
    readHeap: (): HeapReading => ({ totalBytes: heap.total, usedBytes: heap.used }),
    collect: () => {
      heap.total = heap.used;
    },
    now: () => clock.now,
  });
  return { trim, process, clock, trims, heap };
}

describe('HeapTrim', () => {
  it('trims only after a look with no request started since the previous one, and reports what it gave back', () => {
    const h = harness({ total: 150 * MiB, used: 90 * MiB });
    expect(h.trim.check()).toBe(false); // the first look has nothing to compare with
    h.process.started = 5;
    expect(h.trim.check()).toBe(false); // requests started since
    expect(h.trim.check()).toBe(true); // quiet for a whole interval
    expect(h.trims).toEqual([{ pauseMs: expect.any(Number), releasedBytes: 60 * MiB }]);
    expect(h.heap.total).toBe(90 * MiB);
  });

  it('never trims while a request is in flight, even a long one that started before', () => {
    const h = harness({ total: 150 * MiB, used: 90 * MiB });
    h.process.inFlight = 1;
    h.trim.check();
    expect(h.trim.check()).toBe(false);
    expect(h.trim.check()).toBe(false);
    h.process.inFlight = 0;
    expect(h.trim.check()).toBe(true);
  });

  it('leaves a heap with little unused memory alone', () => {
    const h = harness({ total: 100 * MiB, used: 90 * MiB });
    h.trim.check();
    expect(h.trim.check()).toBe(false);
    expect(h.trims).toHaveLength(0);
  });

  it('trims at most once per minGapMs', () => {
    const h = harness({ total: 150 * MiB, used: 90 * MiB });
    h.trim.check();
    expect(h.trim.check()).toBe(true);
    h.heap.total = 150 * MiB; // garbage again
    h.clock.now = 9_999;
    expect(h.trim.check()).toBe(false);
    h.clock.now = 10_000;
    expect(h.trim.check()).toBe(true);
  });

  it("runs V8's full collection when no collector is given (set up at run time, no --expose-gc on the command line)", () => {
    const trims: number[] = [];
    const trim = new HeapTrim({ requestsStarted: () => 0, inFlight: () => 0, minSlackBytes: 0, onTrim: (pauseMs) => trims.push(pauseMs) });
    trim.check();
    expect(trim.check()).toBe(true);
    expect(trims).toHaveLength(1);
    trim.stop();
  });
});
