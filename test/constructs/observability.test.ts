import { fleetStack, namespaceOf, resourcesOf, synth, synthError, type TerraformJson } from './fixtures';
import type { ObservabilityProps } from '../../src';
import { dashboardUid, GRAFANA_DASHBOARD_LABEL } from '../../src/constructs/observability/gateway-monitoring';
import { PORTS, PROBE_PATHS } from '../../src/specs';
import { gatewayAlertRules } from '../../src/specs/alerts';
import { dashboardJson, gatewayDashboard } from '../../src/specs/dashboard';
import { kubernetesObjectsOf, problemsOf } from '../support/kubernetes-validate';

/** A Dedicated gateway 'prod' with these observability props, synthesized. */
function synthWith(observability: ObservabilityProps | undefined) {
  const { stack, fleet } = fleetStack();
  fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', ...(observability && { observability }) });
  return synth(stack);
}

const manifests = (tf: ReturnType<typeof synth>) => resourcesOf(tf, 'kubernetes_manifest').map((m) => m.manifest);
const dashboards = (tf: ReturnType<typeof synth>) => resourcesOf(tf, 'kubernetes_config_map_v1').filter((c) => c.metadata.labels?.[GRAFANA_DASHBOARD_LABEL] === '1');

describe('opt-in monitoring resources of a Dedicated gateway', () => {
  test('none by default: the pods carry the scrape annotations, nothing needs the Prometheus Operator', () => {
    const tf = synthWith(undefined);
    expect(resourcesOf(tf, 'kubernetes_manifest')).toEqual([]);
    expect(dashboards(tf)).toEqual([]);
    const pod = resourcesOf(tf, 'kubernetes_deployment_v1')[0].spec.template.metadata;
    expect(pod.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(PORTS.admin), 'prometheus.io/path': PROBE_PATHS.metrics });
  });

  test('grafanaDashboard: a ConfigMap for the Grafana sidecar, in the gateway namespace, with its dashboard (system row included)', () => {
    const tf = synthWith({ grafanaDashboard: true });
    // The sidecar's default label.
    expect(GRAFANA_DASHBOARD_LABEL).toBe('grafana_dashboard');
    const [cm] = dashboards(tf);
    expect(cm.metadata.name).toBe('aigw-prod-dashboard');
    expect(namespaceOf(tf, cm)).toBe('aigw-fleet-prod');
    const json = cm.data['aigw-prod.json'] as string;
    expect(json).toBe(dashboardJson(gatewayDashboard({ tier: 'full', uid: 'aigw-prod', title: 'AI gateway prod', gateway: 'prod' })));
    const dashboard = JSON.parse(json);
    expect(dashboard.uid).toBe('aigw-prod');
    expect(dashboard.panels.map((p: { title: string }) => p.title)).toContain('System resources (Dedicated)');
    expect(resourcesOf(tf, 'kubernetes_manifest')).toEqual([]);
  });

  test('systemResources off: the dashboard has the business rows only; a custom gateway label is what its variable starts on', () => {
    const tf = synthWith({ grafanaDashboard: true, systemResources: false, customLabels: { gateway: 'payments' } });
    const dashboard = JSON.parse(dashboards(tf)[0].data['aigw-prod.json']);
    expect(dashboard.panels.map((p: { title: string }) => p.title)).not.toContain('System resources (Dedicated)');
    const variable = dashboard.templating.list.find((v: { name: string }) => v.name === 'gateway');
    expect(variable.current).toEqual({ text: 'payments', value: 'payments' });
  });

  test('serviceMonitor: a ClusterIP Service of the admin port only, and a ServiceMonitor selecting it (not the LoadBalancer)', () => {
    const tf = synthWith({ serviceMonitor: true, monitoringLabels: { release: 'kube-prometheus-stack' } });
    const services = resourcesOf(tf, 'kubernetes_service_v1');
    const admin = services.find((s) => s.metadata.name === 'aigw-prod-admin');
    expect(admin.spec.type).toBe('ClusterIP');
    expect(admin.spec.port).toEqual([{ name: 'admin', port: PORTS.admin, target_port: 'admin' }]);
    const endpoint = services.find((s) => s.spec.type === 'LoadBalancer');
    expect(endpoint.spec.port.map((p: { name: string }) => p.name)).not.toContain('admin');
    const [monitor] = manifests(tf);
    expect(monitor).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'aigw-prod', labels: { release: 'kube-prometheus-stack' } } });
    expect(monitor.spec.endpoints).toEqual([{ port: 'admin', path: PROBE_PATHS.metrics, interval: '30s' }]);
    // It selects the admin Service, and only it.
    const selects = (labels: Record<string, string>) => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => labels[k] === v);
    expect(services.filter((s) => selects(s.metadata.labels)).map((s) => s.metadata.name)).toEqual(['aigw-prod-admin']);
    expect(admin.spec.selector).toEqual(resourcesOf(tf, 'kubernetes_deployment_v1')[0].spec.selector.match_labels);
  });

  test('prometheusRule: the gateway alerts, with the thresholds given', () => {
    const tf = synthWith({ prometheusRule: true, alertThresholds: { errorRatio: 0.02 }, monitoringLabels: { release: 'kps' } });
    const [rule] = manifests(tf);
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'aigw-prod', labels: { release: 'kps' } } });
    expect(rule.spec.groups).toEqual([{ name: 'aigw-prod', rules: gatewayAlertRules('prod', { errorRatio: 0.02 }) }]);
    expect(rule.spec.groups[0].rules[0].expr).toMatch(/> 0\.02$/);
  });

  test('a bad threshold is refused at synth, naming the prop', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', observability: { prometheusRule: true, alertThresholds: { errorRatio: 5 } } });
    expect(synthError(stack)).toMatch(/alertThresholds\.errorRatio.*between 0 and 1/s);
  });

  test('a long gateway name keeps a Grafana uid of at most 40 characters, distinct per name', () => {
    const a = dashboardUid('a'.repeat(50));
    const b = dashboardUid(`${'a'.repeat(49)}b`);
    expect(a.length).toBeLessThanOrEqual(40);
    expect(a).not.toBe(b);
    expect(dashboardUid('prod')).toBe('aigw-prod');
  });

  test('the objects are ones Kubernetes accepts (schema, names, labels), the longest gateway name included', () => {
    const { stack, fleet } = fleetStack();
    const all = { grafanaDashboard: true, serviceMonitor: true, prometheusRule: true, monitoringLabels: { release: 'kps' } };
    fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', observability: all });
    // The longest name the gateway-name rule lets through for this fleet's namespace (aigw-fleet-<name> within 63).
    fleet.addGateway('long', { edition: 'dedicated', spec: 'aigw.small.x1', gatewayName: 'g'.repeat(52), observability: all });
    const tf = synth(stack);
    const plain = { resource: { ...tf.resource } } as TerraformJson;
    // kubernetes_manifest objects are custom resources (no schema here): their shape is checked above.
    delete plain.resource.kubernetes_manifest;
    const objects = kubernetesObjectsOf(plain).filter((o) => ['ConfigMap', 'Service'].includes(o.kind as string));
    expect(objects.length).toBeGreaterThanOrEqual(4);
    expect(objects.flatMap(problemsOf)).toEqual([]);
  });
});
