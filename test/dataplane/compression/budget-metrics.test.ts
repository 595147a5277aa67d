import { ENCODER_BUDGET } from '../../../src/dataplane/compression/budget';
import { GatewayMetrics } from '../../../src/dataplane/metrics';

/** One sample's value on /metrics, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test("the encoders' memory, its budget and the answers sent plain because it was full are on /metrics", async () => {
  const metrics = new GatewayMetrics();
  const before = sample(await metrics.registry.metrics(), 'aigw_compression_budget_refusals_total') ?? 0;
  // Fill the process's budget, as that many open compressed streams would, then ask for one more.
  const held = ENCODER_BUDGET.limitBytes - ENCODER_BUDGET.usedBytes;
  expect(ENCODER_BUDGET.take(held)).toBe(true);
  try {
    expect(ENCODER_BUDGET.take(230 * 1024)).toBe(false);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'aigw_compression_encoder_bytes')).toBe(ENCODER_BUDGET.limitBytes);
    expect(sample(text, 'aigw_compression_encoder_budget_bytes')).toBe(128 * 1024 * 1024);
    expect(sample(text, 'aigw_compression_budget_refusals_total')).toBe(before + 1);
  } finally {
    ENCODER_BUDGET.give(held);
  }
  expect(sample(await metrics.registry.metrics(), 'aigw_compression_encoder_bytes')).toBe(ENCODER_BUDGET.usedBytes);
});
