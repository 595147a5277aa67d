import { InboundBandwidth, replicaBytesPerSecond } from '../../../src/dataplane/inflow/bandwidth';
import { burstBytes, MIN_BURST_BYTES, TokenBucket } from '../../../src/dataplane/inflow/token-bucket';

/** A clock the test moves by hand: no real time passes in these tests. */
function fakeClock(): { now(): number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const MB = 1_000_000;

describe('TokenBucket: the replica-wide byte bucket, on a fake clock', () => {
  test('the burst is a tenth of a second of the rate, at least 64 KiB', () => {
    expect(burstBytes(10 * MB)).toBe(MB);
    expect(burstBytes(100_000)).toBe(MIN_BURST_BYTES);
  });

  test('a full bucket lets the burst through at once; beyond it, the reader waits for the debt to be paid at the rate', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10 * MB, clock); // 10 MB/s, burst 1 MB
    expect(bucket.take(MB)).toBe(0);
    // 100 KB more: 100 KB of debt at 10 KB/ms is 10 ms.
    expect(bucket.take(100_000)).toBeCloseTo(10, 6);
    // The debt is paid after those 10 ms: nothing owed, but nothing saved either.
    clock.advance(10);
    expect(bucket.take(0)).toBe(0);
    expect(bucket.take(10_000)).toBeCloseTo(1, 6);
  });

  test('refills at the rate, never beyond the burst', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(MB, clock); // 1 MB/s, burst 100 KB
    expect(bucket.take(100_000)).toBe(0);
    clock.advance(50); // 50 KB back
    expect(bucket.take(50_000)).toBe(0);
    expect(bucket.take(1)).toBeGreaterThan(0);
    clock.advance(60_000); // a minute idle: still only the burst
    expect(bucket.take(100_000)).toBe(0);
    expect(bucket.take(100_000)).toBeCloseTo(100, 6);
  });

  test('two readers share one bucket: together they read at the rate, each waiting behind the other', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(MB, clock); // 1 KB per ms, burst 100 KB
    expect(bucket.take(100_000)).toBe(0);
    // A and B read 64 KB each, in turn: B waits behind A's debt too.
    const a = bucket.take(64_000);
    const b = bucket.take(64_000);
    expect(a).toBeCloseTo(64, 6);
    expect(b).toBeCloseTo(128, 6);
    // Simulate both reading 64 KB each time their wait ends, for 10 s: the bytes taken stay within rate × time + burst + one read each.
    let taken = 100_000 + 64_000 + 64_000;
    const next = { a: clock.now() + a, b: clock.now() + b };
    const end = clock.now() + 10_000;
    while (Math.min(next.a, next.b) < end) {
      const who = next.a <= next.b ? 'a' : 'b';
      clock.advance(next[who] - clock.now());
      next[who] = clock.now() + bucket.take(64_000);
      taken += 64_000;
    }
    const rateTimesTime = MB * 10;
    // Within the rate over the time, plus the burst and the one read each reader makes before it is told to wait.
    expect(taken).toBeLessThanOrEqual(rateTimesTime + 100_000 + 2 * 64_000);
    expect(taken).toBeGreaterThan(rateTimesTime * 0.95);
  });

  test('a new rate applies from now on, what was saved kept within the new burst', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(10 * MB, clock);
    expect(bucket.take(MB)).toBe(0);
    bucket.setRate(MB);
    expect(bucket.bytesPerSecond).toBe(MB);
    // At 1 KB/ms now: 10 KB of debt is 10 ms.
    expect(bucket.take(10_000)).toBeCloseTo(10, 6);
  });
});

describe('InboundBandwidth: the replica share, its totals, and the hand-over on reload', () => {
  const limits = (bandwidthMbps: number, bandwidthReplicas?: number) => ({
    maxClientConnections: 1,
    maxQps: 1,
    bandwidthMbps,
    ...(bandwidthReplicas !== undefined && { bandwidthReplicas }),
    maxBodyBytes: 1,
    headersTimeoutMs: 1,
    idleTimeoutMs: 1,
  });

  test("each replica's share is bandwidthMbps / bandwidthReplicas, in bytes per second (1 Mbps = 125,000 B/s); one replica by default", () => {
    expect(replicaBytesPerSecond(limits(200, 2))).toBe(12_500_000);
    expect(replicaBytesPerSecond(limits(8))).toBe(1_000_000);
  });

  test('counts the bytes and the waits it computed', () => {
    const clock = fakeClock();
    const bw = new InboundBandwidth(MB, clock);
    expect(bw.take(100_000)).toBe(0);
    expect(bw.take(50_000)).toBeCloseTo(50, 6);
    expect(bw.totals.bytes).toBe(150_000);
    expect(bw.totals.heldSeconds).toBeCloseTo(0.05, 6);
  });

  test("a reload's snapshot adopts the bucket: old and new requests draw from one bucket, at the new rate, and the totals go on", () => {
    const clock = fakeClock();
    const before = new InboundBandwidth(MB, clock);
    expect(before.take(100_000)).toBe(0);
    const after = new InboundBandwidth(2 * MB, clock);
    after.adopt(before);
    // The new snapshot's bucket is the emptied one (a reload does not refill it), refilling at 2 KB/ms.
    expect(after.take(20_000)).toBeCloseTo(10, 6);
    // A body still read on the old snapshot draws from the same bucket.
    expect(before.take(20_000)).toBeCloseTo(20, 6);
    expect(after.totals).toEqual(before.totals);
    expect(after.totals.bytes).toBe(140_000);
  });
});
