import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { GatewayMetrics } from '../../src/dataplane/metrics';
import { METRICS, SYSTEM_METRICS } from '../../src/specs';
import { DEFAULT_ALERT_THRESHOLDS, gatewayAlertRules } from '../../src/specs/alerts';
import { dashboardJson, gatewayDashboard, type GrafanaDashboard, NODE_PROCESS_METRICS } from '../../src/specs/dashboard';

/**
 * The dashboard and the alerts name only series the data plane emits: every PromQL expression is
 * parsed, its metric names taken (a histogram's `_bucket`/`_sum`/`_count` stripped) and looked up in
 * the registry of a data plane with the system tier on; its `by (…)` labels in what those metrics carry.
 */
const SHIPPED = join(__dirname, '..', '..', 'dashboards', 'aigw.json');

/** PromQL words that are not metric names. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names an expression reads, and the labels its `by (…)` clauses group on. */
function promqlNames(expr: string): { metrics: string[]; groupLabels: string[] } {
  const groupLabels: string[] = [];
  let rest = expr.replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_m, labels: string) => {
    groupLabels.push(...labels.split(',').map((l) => l.trim()).filter(Boolean));
    return ' ';
  });
  rest = rest
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const metrics: string[] = [];
  for (const m of rest.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase()) || /^\$/.test(m[1])) continue;
    metrics.push(m[1]);
  }
  return { metrics, groupLabels };
}

const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

function expressionsOf(d: GrafanaDashboard): string[] {
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const templating = (d.templating as { list: { query: unknown }[] }).list.map((v) => v.query).filter((q): q is { query: string } => typeof q === 'object' && q !== null);
  // label_values(metric{…}, label): the metric is what must exist.
  for (const q of templating) exprs.push(q.query.replace(/^label_values\((.*),\s*[a-z_]+\)$/, '$1'));
  return exprs;
}

/** Every metric family of a data plane with the system tier on, and the labels each carries (default labels included). */
async function registryFamilies(): Promise<Map<string, Set<string>>> {
  const metrics = new GatewayMetrics({ gateway: 'gw' });
  metrics.collectSystemMetrics({ cgroupRoot: '/nonexistent' });
  const json = await metrics.registry.getMetricsAsJSON();
  const labelsOf = new Map<string, Set<string>>();
  const contract = { ...METRICS, ...SYSTEM_METRICS } as Record<string, { name: string; labelNames: readonly string[] }>;
  for (const m of json) {
    const spec = Object.values(contract).find((c) => c.name === m.name);
    const labels = new Set<string>(['gateway', 'instance', 'le', ...(spec?.labelNames ?? [])]);
    for (const v of m.values) for (const l of Object.keys(v.labels)) labels.add(l);
    labelsOf.set(m.name, labels);
  }
  return labelsOf;
}

describe('the shipped dashboard', () => {
  test('dashboards/aigw.json is gatewayDashboard({ tier: "full" }) (UPDATE_DASHBOARDS=1 rewrites it)', () => {
    const expected = dashboardJson(gatewayDashboard({ tier: 'full' }));
    if (process.env.UPDATE_DASHBOARDS === '1') writeFileSync(SHIPPED, expected);
    const shipped = readFileSync(SHIPPED, 'utf8');
    if (shipped !== expected) throw new Error('dashboards/aigw.json is out of date with src/specs/dashboard.ts: run UPDATE_DASHBOARDS=1 npx jest test/specs/dashboard');
  });

  test('the business tier has no system row; the full tier adds it', () => {
    const business = gatewayDashboard({ tier: 'business' });
    const full = gatewayDashboard({ tier: 'full' });
    const rows = (d: GrafanaDashboard) => d.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows(business)).not.toContain('System resources (Dedicated)');
    expect(rows(full)).toEqual([...rows(business), 'System resources (Dedicated)']);
    const systemNames = [...Object.values(SYSTEM_METRICS).map((m) => m.name), ...Object.values(NODE_PROCESS_METRICS)];
    for (const expr of expressionsOf(business)) for (const name of promqlNames(expr).metrics) expect(systemNames).not.toContain(family(name));
  });

  test('no Terraform template syntax: the ConfigMap carries the JSON verbatim through Terraform', () => {
    for (const tier of ['business', 'full'] as const) expect(dashboardJson(gatewayDashboard({ tier }))).not.toMatch(/[$%]\{/);
  });

  test('panel ids are unique and every panel lies on the 24-column grid', () => {
    const d = gatewayDashboard({ tier: 'full' });
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
  });
});

describe('every query names a metric the data plane exposes', () => {
  let families: Map<string, Set<string>>;
  beforeAll(async () => {
    families = await registryFamilies();
  });

  const check = (exprs: string[]) => {
    let names = 0;
    for (const expr of exprs) {
      const { metrics, groupLabels } = promqlNames(expr);
      expect(metrics.length).toBeGreaterThan(0);
      for (const name of metrics) {
        names++;
        if (!families.has(family(name))) throw new Error(`'${name}' in ${expr} is not a metric of the data plane's registry`);
        for (const label of groupLabels) {
          const carried = metrics.some((m) => families.get(family(m))?.has(label));
          // prom-client's own labels (gc kind, heap space) appear only once sampled: they are named in the test.
          if (!carried && !['kind', 'space'].includes(label)) throw new Error(`${expr} groups by '${label}', which none of ${metrics.join(', ')} carries`);
        }
      }
    }
    return names;
  };

  test('the dashboard (full tier, templating included)', () => {
    expect(check(expressionsOf(gatewayDashboard({ tier: 'full' })))).toBeGreaterThan(30);
  });

  test('the alerts', () => {
    const rules = gatewayAlertRules('gw');
    expect(rules.map((r) => r.alert)).toEqual([
      'AigwHighErrorRatio',
      'AigwHighLatencyP99',
      'AigwHighTimeToFirstTokenP99',
      'AigwCapacityRejections',
      'AigwRateLimitStoreUnavailable',
      'AigwConfigReloadRejected',
    ]);
    check(rules.map((r) => r.expr));
    for (const r of rules) expect(r.expr).toContain('gateway="gw"');
  });

  test('the parser finds what a query names (a misspelt metric is caught)', () => {
    expect(promqlNames('histogram_quantile(0.99, sum by (le, route) (rate(gen_ai_server_request_duration_seconds_bucket{gateway="$gateway"}[5m])))')).toEqual({
      metrics: ['gen_ai_server_request_duration_seconds_bucket'],
      groupLabels: ['le', 'route'],
    });
    expect(promqlNames('sum(rate(aigw_requests_total{status=~"5.."}[5m])) / sum(rate(aigw_request_errors_total[5m])) > 0.05').metrics).toEqual(['aigw_requests_total', 'aigw_request_errors_total']);
    expect(() => check(['sum(rate(aigw_requests_totl[5m]))'])).toThrow(/aigw_requests_totl/);
    expect(() => check(['sum by (opx) (rate(aigw_ratelimit_backend_errors_total[5m]))'])).toThrow(/groups by 'opx'/);
  });

  test('thresholds: the defaults, or those given', () => {
    const [errors, latency, ttft] = gatewayAlertRules('gw', { errorRatio: 0.01, ttftP99Seconds: 2 });
    expect(errors.expr).toMatch(/> 0\.01$/);
    expect(latency.expr).toMatch(new RegExp(`> ${DEFAULT_ALERT_THRESHOLDS.latencyP99Seconds}$`));
    expect(ttft.expr).toMatch(/> 2$/);
  });
});
