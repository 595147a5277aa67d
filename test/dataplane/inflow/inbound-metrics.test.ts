import { InboundBandwidth } from '../../../src/dataplane/inflow/bandwidth';
import { GatewayMetrics } from '../../../src/dataplane/metrics';

/** The inbound-bandwidth counters on /metrics: read from the replica's bucket at each scrape, across reloads. */
describe('aigw_request_body_bytes_total and aigw_bandwidth_throttled_seconds_total', () => {
  const sample = (text: string, name: string) => Number(/\s(\S+)$/.exec(text.split('\n').find((l) => l.startsWith(name))!)![1]);

  test('follow the bucket the source names, the hand-over of a reload included, never going back', async () => {
    let clock = 0;
    const tick = { now: () => clock };
    const metrics = new GatewayMetrics({ gateway: 'gw' });
    let current = new InboundBandwidth(1_000_000, tick);
    metrics.readInboundBandwidth(() => current.totals);

    let text = await metrics.registry.metrics();
    expect(sample(text, 'aigw_request_body_bytes_total')).toBe(0);
    current.take(100_000);
    current.take(50_000); // 50 KB over the burst at 1 KB/ms: 50 ms held
    text = await metrics.registry.metrics();
    expect(sample(text, 'aigw_request_body_bytes_total')).toBe(150_000);
    expect(sample(text, 'aigw_bandwidth_throttled_seconds_total')).toBeCloseTo(0.05, 6);

    // A reload: the next snapshot adopts the bucket, its totals go on from where they were.
    const next = new InboundBandwidth(2_000_000, tick);
    next.adopt(current);
    current = next;
    clock += 1_000;
    current.take(10_000);
    text = await metrics.registry.metrics();
    expect(sample(text, 'aigw_request_body_bytes_total')).toBe(160_000);
  });
});
