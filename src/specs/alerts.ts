/**
 * The gateway's Prometheus alerts, built from the metrics contract (METRICS): each rule's PromQL names
 * its metrics through the table (test/specs/dashboard.test.ts checks every name against the data
 * plane's registry). Synthesized per gateway as a PrometheusRule (Prometheus Operator).
 */
import { GATEWAY_METRIC_LABEL, METRICS } from './metrics';

/** Where the alerts fire. */
export interface AlertThresholds {
  /** Share of requests answered 5xx over 5 minutes. @default 0.05 */
  readonly errorRatio?: number;
  /** p99 request duration over 5 minutes, seconds (LLM answers take seconds: this is the whole answer). @default 30 */
  readonly latencyP99Seconds?: number;
  /** p99 time to first token of streamed answers over 5 minutes, seconds. @default 5 */
  readonly ttftP99Seconds?: number;
}

export const DEFAULT_ALERT_THRESHOLDS: Required<AlertThresholds> = { errorRatio: 0.05, latencyP99Seconds: 30, ttftP99Seconds: 5 };

/** One alerting rule, as a PrometheusRule's `spec.groups[].rules[]` entry holds it. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'warning' | 'critical' };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/**
 * The alerts of one gateway (its series: `gateway="<name>"`): 5xx ratio, p99 latency, p99 TTFT,
 * capacity rejections, the rate-limit store unavailable, a config reload rejected.
 */
export function gatewayAlertRules(gatewayName: string, thresholds: AlertThresholds = {}): AlertRule[] {
  const t = { ...DEFAULT_ALERT_THRESHOLDS, ...thresholds };
  // A label value in PromQL is a string literal: a custom `gateway` label may hold a quote or a backslash.
  const gw = `${GATEWAY_METRIC_LABEL}=${JSON.stringify(gatewayName)}`;
  const { requests, duration, ttft, capacityRejections, rateLimitDecisions, rateLimitBackendErrors, configReloads } = METRICS;
  const rate = (name: string, selector: string, window = '5m') => `rate(${name}{${selector}}[${window}])`;
  const p99 = (histogram: string) => `histogram_quantile(0.99, sum by (le) (${rate(`${histogram}_bucket`, gw)}))`;
  const where = `gateway ${gatewayName}`;
  return [
    {
      alert: 'AigwHighErrorRatio',
      expr: `sum(${rate(requests.name, `${gw}, status=~"5.."`)}) / sum(${rate(requests.name, gw)}) > ${t.errorRatio}`,
      for: '10m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `${where}: more than ${t.errorRatio * 100}% of requests answered 5xx`,
        description: 'Upstream errors, timeouts or open circuit breakers: see aigw_request_errors_total by error_type and route.',
      },
    },
    {
      alert: 'AigwHighLatencyP99',
      expr: `${p99(duration.name)} > ${t.latencyP99Seconds}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `${where}: p99 request duration above ${t.latencyP99Seconds} s`,
        description: 'Slow upstreams or a saturated replica: compare gen_ai_server_request_duration_seconds by gen_ai_provider_name with the system panels.',
      },
    },
    {
      alert: 'AigwHighTimeToFirstTokenP99',
      expr: `${p99(ttft.name)} > ${t.ttftP99Seconds}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `${where}: p99 time to first token above ${t.ttftP99Seconds} s`,
        description: 'Streamed answers start late: a slow provider, retries or fallbacks, or a replica whose event loop lags.',
      },
    },
    {
      alert: 'AigwCapacityRejections',
      expr: `sum(${rate(capacityRejections.name, gw)}) > 0`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `${where}: requests or connections refused at the spec's capacity`,
        description: 'The replicas are at their share of the capacity spec (reason: qps or connections): choose a larger spec.',
      },
    },
    {
      alert: 'AigwRateLimitStoreUnavailable',
      expr: `sum(${rate(rateLimitDecisions.name, `${gw}, decision=~"failOpen|failClosed"`)}) > 0 or sum(${rate(rateLimitBackendErrors.name, gw)}) > 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `${where}: the rate-limit store (Redis) is unreachable or failing`,
        description: "Rate limits are decided by each route's onRedisUnavailable (failOpen lets requests through, failClosed refuses them) until Redis answers again.",
      },
    },
    {
      alert: 'AigwConfigReloadRejected',
      expr: `sum(increase(${configReloads.name}{${gw}, result="rejected"}[15m])) > 0`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `${where}: a config reload was rejected`,
        description: "A replica refused a new config and keeps serving the last good one: its log line 'config reload rejected' names the reason.",
      },
    },
  ];
}
