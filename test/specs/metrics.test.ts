import { GatewayMetrics } from '../../src/dataplane/metrics';
import { defaultMetricLabels, GATEWAY_METRIC_LABEL, METRICS, type MetricSpec } from '../../src/specs';

const specs: readonly MetricSpec[] = Object.values(METRICS);

describe('the metrics contract', () => {
  test('names are unique Prometheus names; counters end in _total, histograms in their unit', () => {
    const names = specs.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of specs) {
      expect(m.name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      if (m.type === 'histogram') expect(m.name).toMatch(/_seconds$/);
    }
  });

  test('label names are Prometheus label names, never the default label, never reserved', () => {
    for (const m of specs) {
      for (const l of m.labelNames) {
        expect(l).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
        expect(l).not.toMatch(/^__/);
        expect(l).not.toBe(GATEWAY_METRIC_LABEL);
        // prom-client reserves `le` for histogram buckets.
        expect(l).not.toBe('le');
      }
      expect(new Set(m.labelNames).size).toBe(m.labelNames.length);
    }
  });

  test('histograms, and only they, have strictly ascending buckets', () => {
    for (const m of specs) {
      if (m.type !== 'histogram') {
        expect(m.buckets).toBeUndefined();
        continue;
      }
      expect(m.buckets?.length).toBeGreaterThan(0);
      expect([...(m.buckets ?? [])].sort((a, b) => a - b)).toEqual(m.buckets);
      expect(new Set(m.buckets).size).toBe(m.buckets?.length);
    }
  });

  test("the data plane's registry is exactly the contract: names, types, help, labels and buckets, in order", async () => {
    const registry = new GatewayMetrics({ gateway: 'g' }).registry;
    const json = await registry.getMetricsAsJSON();
    expect(json.map((m) => [m.name, m.type, m.help])).toEqual(specs.map((m) => [m.name, m.type, m.help]));
    for (const m of specs) {
      const metric = registry.getSingleMetric(m.name) as unknown as { labelNames: string[]; upperBounds?: number[] };
      expect([m.name, metric.labelNames]).toEqual([m.name, [...m.labelNames]]);
      if (m.buckets) expect([m.name, metric.upperBounds]).toEqual([m.name, [...m.buckets]]);
    }
  });

  test('the names users alert on are stable', () => {
    expect(METRICS.requests.name).toBe('aigw_requests_total');
    expect(METRICS.errors.name).toBe('aigw_request_errors_total');
    expect(METRICS.duration.name).toBe('gen_ai_server_request_duration_seconds');
    expect(METRICS.ttft.name).toBe('gen_ai_server_time_to_first_token_seconds');
    expect(METRICS.tokens.name).toBe('gen_ai_client_token_usage_total');
  });

  test("every series carries the gateway's name, unless a custom label named gateway replaces it", () => {
    expect(defaultMetricLabels('prod')).toEqual({ gateway: 'prod' });
    expect(defaultMetricLabels('prod', { team: 'ai' })).toEqual({ gateway: 'prod', team: 'ai' });
    expect(defaultMetricLabels('prod', { gateway: 'edge' })).toEqual({ gateway: 'edge' });
  });
});
