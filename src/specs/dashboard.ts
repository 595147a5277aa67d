/**
 * The gateway's Grafana dashboard, built from the metrics contract (METRICS, SYSTEM_METRICS): every
 * query names a metric through the table, so a renamed metric renames the query and the dashboard
 * never shows a series the data plane does not emit (test/specs/dashboard.test.ts checks each one
 * against the data plane's registry). Shipped as `dashboards/aigw.json` (the full tier, any
 * gateway) and synthesized per gateway as a ConfigMap for Grafana's dashboard sidecar.
 */
import { GATEWAY_METRIC_LABEL, METRICS, SYSTEM_METRICS } from './metrics';

/**
 * prom-client's process metrics (`collectDefaultMetrics`) that the system tier's panels read: they
 * are prom-client's names, not the gateway's contract, so they are named once here.
 */
export const NODE_PROCESS_METRICS = {
  cpu: 'process_cpu_seconds_total',
  residentMemory: 'process_resident_memory_bytes',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
  eventLoopLagP50: 'nodejs_eventloop_lag_p50_seconds',
  gc: 'nodejs_gc_duration_seconds',
  heapSpaceUsed: 'nodejs_heap_space_size_used_bytes',
  activeHandles: 'nodejs_active_handles_total',
} as const;

export interface GatewayDashboardOptions {
  /** Dashboard title. @default 'AI gateway' */
  readonly title?: string;
  /** Grafana's uid: at most 40 of `[A-Za-z0-9_-]`. @default 'aigw' */
  readonly uid?: string;
  /** `business`: the business metrics only (Serverless); `full`: a system-resources row too (Dedicated's system tier). */
  readonly tier: 'business' | 'full';
  /** The gateway the `gateway` variable starts on. @default - the first gateway Prometheus knows */
  readonly gateway?: string;
}

/** A Grafana dashboard, as its JSON model (what `dashboards/aigw.json` holds). */
export type GrafanaDashboard = Record<string, unknown> & { panels: GrafanaPanel[] };

export interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly targets?: { expr: string; legendFormat: string; refId: string }[];
  readonly [key: string]: unknown;
}

interface Query {
  readonly expr: string;
  readonly legend: string;
}

/** The series of the chosen gateway (and routes, for metrics labelled by route). */
const GW = `${GATEWAY_METRIC_LABEL}="$gateway"`;
const GW_ROUTE = `${GW}, route=~"$route"`;
const RATE = '$__rate_interval';

const rate = (name: string, selector: string) => `rate(${name}{${selector}}[${RATE}])`;
const quantile = (q: number, histogram: string, selector: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (${rate(`${histogram}_bucket`, selector)}))`;

/** Panels of one row: each a time series of its queries, two to a line. */
interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly description?: string;
}

function businessPanels(): { row: string; panels: PanelSpec[] }[] {
  const { requests, errors, duration, ttft, tokens, connections, capacityRejections, configReloads } = METRICS;
  const { rateLimitDecisions, rateLimitBackendErrors, wafMatches, mcpToolCalls, extensionErrors } = METRICS;
  return [
    {
      row: 'Traffic',
      panels: [
        { title: 'Requests by route', unit: 'reqps', queries: [{ expr: `sum by (route) (${rate(requests.name, GW_ROUTE)})`, legend: '{{route}}' }] },
        {
          title: 'Error ratio',
          unit: 'percentunit',
          description: 'Answers with a 5xx status, and every failed request (4xx included), over all requests',
          queries: [
            { expr: `sum(${rate(requests.name, `${GW_ROUTE}, status=~"5.."`)}) / sum(${rate(requests.name, GW_ROUTE)})`, legend: '5xx' },
            { expr: `sum(${rate(errors.name, GW_ROUTE)}) / sum(${rate(requests.name, GW_ROUTE)})`, legend: 'all errors' },
          ],
        },
        {
          title: 'Request duration',
          unit: 's',
          queries: [
            { expr: quantile(0.5, duration.name, GW_ROUTE), legend: 'p50' },
            { expr: quantile(0.99, duration.name, GW_ROUTE), legend: 'p99' },
          ],
        },
        {
          title: 'Time to first token (streams)',
          unit: 's',
          queries: [
            { expr: quantile(0.5, ttft.name, GW_ROUTE), legend: 'p50' },
            { expr: quantile(0.99, ttft.name, GW_ROUTE), legend: 'p99' },
          ],
        },
        { title: 'Requests by status', unit: 'reqps', queries: [{ expr: `sum by (status) (${rate(requests.name, GW_ROUTE)})`, legend: '{{status}}' }] },
        { title: 'Errors by type', unit: 'reqps', queries: [{ expr: `sum by (error_type) (${rate(errors.name, GW_ROUTE)})`, legend: '{{error_type}}' }] },
      ],
    },
    {
      row: 'Models and consumers',
      panels: [
        { title: 'Tokens by type', unit: 'short', queries: [{ expr: `sum by (gen_ai_token_type) (${rate(tokens.name, GW_ROUTE)})`, legend: '{{gen_ai_token_type}}' }] },
        { title: 'Tokens by consumer (top 10)', unit: 'short', queries: [{ expr: `topk(10, sum by (consumer) (${rate(tokens.name, GW_ROUTE)}))`, legend: '{{consumer}}' }] },
        { title: 'Requests by served model', unit: 'reqps', queries: [{ expr: `sum by (gen_ai_response_model) (${rate(requests.name, GW_ROUTE)})`, legend: '{{gen_ai_response_model}}' }] },
        { title: 'Request duration p99 by provider', unit: 's', queries: [{ expr: quantile(0.99, duration.name, GW_ROUTE, 'gen_ai_provider_name'), legend: '{{gen_ai_provider_name}}' }] },
      ],
    },
    {
      row: 'Gateway',
      panels: [
        { title: 'Client connections', unit: 'short', queries: [{ expr: `sum(${connections.name}{${GW}})`, legend: 'open' }] },
        { title: 'Capacity rejections', unit: 'reqps', queries: [{ expr: `sum by (reason) (${rate(capacityRejections.name, GW)})`, legend: '{{reason}}' }] },
        { title: 'Rate-limit decisions', unit: 'reqps', queries: [{ expr: `sum by (decision) (${rate(rateLimitDecisions.name, GW)})`, legend: '{{decision}}' }] },
        { title: 'Rate-limit store errors', unit: 'reqps', queries: [{ expr: `sum by (op) (${rate(rateLimitBackendErrors.name, GW)})`, legend: '{{op}}' }] },
        { title: 'Config reloads', unit: 'short', queries: [{ expr: `sum by (result) (increase(${configReloads.name}{${GW}}[${RATE}]))`, legend: '{{result}}' }] },
        { title: 'WAF matches', unit: 'reqps', queries: [{ expr: `sum by (rule, action) (${rate(wafMatches.name, GW)})`, legend: '{{rule}} {{action}}' }] },
        { title: 'MCP tool calls', unit: 'reqps', queries: [{ expr: `sum by (server, result) (${rate(mcpToolCalls.name, GW)})`, legend: '{{server}} {{result}}' }] },
        { title: 'Extension errors', unit: 'reqps', queries: [{ expr: `sum by (extension, hook) (${rate(extensionErrors.name, GW)})`, legend: '{{extension}} {{hook}}' }] },
      ],
    },
  ];
}

function systemPanels(): { row: string; panels: PanelSpec[] } {
  const s = SYSTEM_METRICS;
  const p = NODE_PROCESS_METRICS;
  return {
    row: 'System resources (Dedicated)',
    panels: [
      {
        title: 'Container CPU',
        unit: 'short',
        description: 'Cores used, and the limit, per replica',
        queries: [
          { expr: `sum by (instance) (${rate(s.cpuUsage.name, GW)})`, legend: 'used {{instance}}' },
          { expr: `sum by (instance) (${s.cpuLimit.name}{${GW}})`, legend: 'limit {{instance}}' },
        ],
      },
      { title: 'CPU throttled', unit: 'percentunit', queries: [{ expr: `sum by (instance) (${rate(s.cpuThrottled.name, GW)})`, legend: '{{instance}}' }] },
      {
        title: 'Container memory',
        unit: 'bytes',
        queries: [
          { expr: `sum by (instance) (${s.memoryUsage.name}{${GW}})`, legend: 'used {{instance}}' },
          { expr: `sum by (instance) (${s.memoryLimit.name}{${GW}})`, legend: 'limit {{instance}}' },
        ],
      },
      { title: 'OOM kills', unit: 'short', queries: [{ expr: `sum by (instance) (increase(${s.oomKills.name}{${GW}}[${RATE}]))`, legend: '{{instance}}' }] },
      {
        title: 'Event-loop delay',
        unit: 's',
        queries: [
          { expr: `max by (instance) (${p.eventLoopLagP50}{${GW}})`, legend: 'p50 {{instance}}' },
          { expr: `max by (instance) (${p.eventLoopLagP99}{${GW}})`, legend: 'p99 {{instance}}' },
        ],
      },
      { title: 'GC time', unit: 'percentunit', queries: [{ expr: `sum by (instance, kind) (${rate(`${p.gc}_sum`, GW)})`, legend: '{{kind}} {{instance}}' }] },
      { title: 'Heap by space', unit: 'bytes', queries: [{ expr: `sum by (space) (${p.heapSpaceUsed}{${GW}})`, legend: '{{space}}' }] },
      { title: 'Process CPU', unit: 'short', queries: [{ expr: `sum by (instance) (${rate(p.cpu, GW)})`, legend: 'cores {{instance}}' }] },
      { title: 'Upstream pools', unit: 'short', queries: [{ expr: `sum by (pool, state) (${s.upstreamPoolConnections.name}{${GW}})`, legend: '{{pool}} {{state}}' }] },
      { title: 'Open handles', unit: 'short', queries: [{ expr: `sum by (instance) (${p.activeHandles}{${GW}})`, legend: '{{instance}}' }] },
    ],
  };
}

/** `$datasource`, not `${datasource}`: Terraform would read `${…}` in the ConfigMap as an interpolation. */
const DATASOURCE = { type: 'prometheus', uid: '$datasource' };
const REF_IDS = 'ABCDEFGHIJ';

/** The dashboard's JSON model. Deterministic: the same options give the same JSON (the shipped file is checked against it). */
export function gatewayDashboard(options: GatewayDashboardOptions): GrafanaDashboard {
  const rows = [...businessPanels(), ...(options.tier === 'full' ? [systemPanels()] : [])];
  const panels: GrafanaPanel[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    row.panels.forEach((spec, i) => {
      panels.push({
        id: id++,
        type: 'timeseries',
        title: spec.title,
        ...(spec.description && { description: spec.description }),
        datasource: DATASOURCE,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: spec.queries.map((q, n) => ({ datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend, refId: REF_IDS[n] })),
      });
    });
    y += Math.ceil(row.panels.length / 2) * 8;
  }
  const current = options.gateway ? { current: { text: options.gateway, value: options.gateway } } : {};
  return {
    uid: options.uid ?? 'aigw',
    title: options.title ?? 'AI gateway',
    tags: ['aigw', 'ai-gateway'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', hide: 0 },
        {
          name: 'gateway',
          label: 'Gateway',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: `label_values(${METRICS.requests.name}, ${GATEWAY_METRIC_LABEL})`, refId: 'gateway' },
          refresh: 2,
          sort: 1,
          ...current,
        },
        {
          name: 'route',
          label: 'Route',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: `label_values(${METRICS.requests.name}{${GW}}, route)`, refId: 'route' },
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels,
  };
}

/** The dashboard as the file `dashboards/aigw.json` and the ConfigMap hold it. */
export function dashboardJson(dashboard: GrafanaDashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
