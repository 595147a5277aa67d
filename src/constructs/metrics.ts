import { GATEWAY_METRIC_LABEL, METRICS, type MetricKey } from '../specs';
import type { Consumer, GrantableRoute } from './consumer';
import type { AiGateway } from './gateway';
import type { McpServer } from './mcp-server';

/**
 * A Prometheus metric of one resource, ready for alerts and dashboards: what
 * `api.metricClientError()` is in aws-cdk-lib, for the gateway's `/metrics`.
 */
export interface PrometheusMetric {
  /** The metric family's name, as `/metrics` lists it (a histogram's samples add `_bucket`, `_sum`, `_count`). */
  readonly metricName: string;
  /** The label values that select this resource's series, exactly as the data plane emits them. */
  readonly labels: Readonly<Record<string, string>>;
  /** A PromQL expression over those series (it may narrow further, e.g. `status=~"4.."`). */
  readonly promql: string;
}

export interface MetricOptions {
  /** The range of `rate()`: a Prometheus duration. @default '5m' */
  readonly window?: string;
}

export interface RequestMetricOptions extends MetricOptions {
  /** Only this consumer's requests (a consumer of the same gateway). @default - every caller */
  readonly consumer?: Consumer;
}

export interface GatewayRequestMetricOptions extends RequestMetricOptions {
  /** Only this route's requests (a route of the same gateway). @default - every route */
  readonly route?: GrantableRoute;
}

export interface LatencyMetricOptions extends MetricOptions {
  /** The quantile, between 0 and 1. @default 0.99 */
  readonly quantile?: number;
}

export interface GatewayLatencyMetricOptions extends LatencyMetricOptions {
  /** Only this route's requests (a route of the same gateway). @default - every route */
  readonly route?: GrantableRoute;
}

export interface TokenMetricOptions extends RequestMetricOptions {
  /** Only input (prompt) or output (completion) tokens. @default - both */
  readonly tokenType?: 'input' | 'output';
}

export interface WafMatchMetricOptions extends MetricOptions {
  /**
   * Only this rule's matches: a built-in rule's id (`<family>-<n>`, e.g. `sqli-1`; families `sqli`, `xss`, `traversal`,
   * `cmdi`, `protocol`, `prompt-injection`), `custom:<name>` for a custom rule, or `ip-deny`.
   * @default - every rule
   */
  readonly rule?: string;
  /**
   * `block`: matches of requests the WAF refused (403); `log`: matches let through (detect mode, a score below the
   * anomaly threshold, or a custom rule whose action is `log`).
   * @default - both
   */
  readonly action?: 'block' | 'log';
}

export interface GatewayWafMatchMetricOptions extends WafMatchMetricOptions {
  /** Only this route's or MCP server's matches (one of the same gateway). @default - every route, and requests no route matches */
  readonly route?: GrantableRoute | McpServer;
}

type Labels = Record<string, string>;
type HistogramKey = { [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'histogram' ? K : never }[MetricKey];
type CounterKey = { [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'counter' ? K : never }[MetricKey];

const DEFAULT_WINDOW = '5m';
const DEFAULT_QUANTILE = 0.99;

/**
 * @internal The labels that select a gateway's series, narrowed to one route and one consumer.
 * A route or consumer of another gateway is refused: its label would select nothing here.
 */
export function metricScope(gateway: AiGateway, scope: { route?: GrantableRoute; consumer?: Consumer }): Labels {
  const labels: Labels = { [GATEWAY_METRIC_LABEL]: gateway._metricGatewayLabel() };
  if (scope.route) labels.route = ownName(gateway, scope.route, 'route', scope.route.routeName);
  if (scope.consumer) labels.consumer = ownName(gateway, scope.consumer, 'consumer', scope.consumer.consumerName);
  return labels;
}

/**
 * @internal `sum(rate(…))` of a counter: per-second events over the window, all replicas together.
 * `matchers` narrow further than equality can (`status=~"4.."`).
 */
export function rateMetric(key: CounterKey, labels: Labels, options: MetricOptions = {}, matchers: readonly string[] = []): PrometheusMetric {
  const { name } = METRICS[key];
  checkLabels(key, labels);
  return { metricName: name, labels, promql: `sum(rate(${name}{${selector(labels, matchers)}}[${windowOf(options)}]))` };
}

/** @internal A quantile of a histogram, all replicas together (`histogram_quantile` over the summed buckets). */
export function quantileMetric(key: HistogramKey, labels: Labels, options: LatencyMetricOptions = {}): PrometheusMetric {
  const { name } = METRICS[key];
  checkLabels(key, labels);
  const q = options.quantile ?? DEFAULT_QUANTILE;
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new Error(`quantile must be a number between 0 and 1, found ${String(q)}`);
  return {
    metricName: name,
    labels,
    promql: `histogram_quantile(${q}, sum by (le) (rate(${name}_bucket{${selector(labels)}}[${windowOf(options)}])))`,
  };
}

/**
 * @internal WAF rule matches per second (`aigw_waf_matches_total`) of a gateway, narrowed to one route or MCP server
 * (the `route` label carries a route's routeName, an MCP server's serverName), one rule and one action.
 */
export function wafMatchMetric(gateway: AiGateway, route: GrantableRoute | McpServer | undefined, options: WafMatchMetricOptions): PrometheusMetric {
  const labels = metricScope(gateway, {});
  if (route) labels.route = isMcpServer(route) ? ownName(gateway, route, 'MCP server', route.serverName) : ownName(gateway, route, 'route', route.routeName);
  if (options.rule !== undefined) {
    if (typeof options.rule !== 'string' || options.rule === '') {
      throw new Error(`rule must be a WAF rule id such as 'sqli-1', 'custom:<name>' or 'ip-deny', found ${JSON.stringify(options.rule)}`);
    }
    labels.rule = options.rule;
  }
  if (options.action !== undefined) {
    if (options.action !== 'block' && options.action !== 'log') throw new Error(`action must be 'block' or 'log', found ${JSON.stringify(options.action)}`);
    labels.action = options.action;
  }
  return rateMetric('wafMatches', labels, options);
}

function isMcpServer(route: GrantableRoute | McpServer): route is McpServer {
  return typeof (route as Partial<McpServer>).serverName === 'string';
}

function ownName(gateway: AiGateway, child: { gateway: AiGateway; node: { path: string } }, kind: string, name: string): string {
  if (child.gateway !== gateway) {
    throw new Error(`${kind} '${name}' (${child.node.path}) belongs to another gateway than '${gateway.gatewayName}': its metrics are not this gateway's`);
  }
  return name;
}

/** A helper that selects by a label the metric does not carry would select nothing: a bug here, not the caller's. */
function checkLabels(key: MetricKey, labels: Labels): void {
  const known: readonly string[] = METRICS[key].labelNames;
  const unknown = Object.keys(labels).filter((l) => l !== GATEWAY_METRIC_LABEL && !known.includes(l));
  if (unknown.length > 0) throw new Error(`${METRICS[key].name} has no label ${unknown.join(', ')}`);
}

function selector(labels: Labels, matchers: readonly string[] = []): string {
  return [...Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`), ...matchers].join(',');
}

/** PromQL string literals escape like Go's: backslash, double quote and newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function windowOf(options: MetricOptions): string {
  const window = options.window ?? DEFAULT_WINDOW;
  if (typeof window !== 'string' || !/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(window)) {
    throw new Error(`window must be a Prometheus duration such as '5m' or '1h30m', found '${String(window)}'`);
  }
  return window;
}
