import { createHash } from 'crypto';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import type { TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import type { MonitoringProps } from './props';
import { PORTS, PROBE_PATHS } from '../../specs';
import { gatewayAlertRules } from '../../specs/alerts';
import { dashboardJson, gatewayDashboard } from '../../specs/dashboard';

/** The label Grafana's dashboard sidecar loads ConfigMaps by (its default `sidecar.dashboards.label`). */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

export interface GatewayMonitoringProps {
  readonly provider?: TerraformProvider;
  readonly gatewayName: string;
  /** The `gateway` label's value on the gateway's series (its name, unless a custom label replaces it). */
  readonly metricGatewayLabel: string;
  /** The gateway's namespace, as a reference to its resource. */
  readonly namespace: string;
  /** The workload's name (Deployment, Services). */
  readonly workloadName: string;
  readonly labels: Record<string, string>;
  /** The pods' selector. */
  readonly selector: Record<string, string>;
  /** Whether the replicas expose the system tier (the dashboard's system row). */
  readonly systemTier: boolean;
  readonly monitoring: MonitoringProps;
}

/** Grafana uids are at most 40 characters: a long gateway name keeps its start and a hash of the whole. */
export function dashboardUid(gatewayName: string): string {
  const uid = `aigw-${gatewayName}`;
  if (uid.length <= 40) return uid;
  return `${uid.slice(0, 31)}-${createHash('sha256').update(gatewayName).digest('hex').slice(0, 8)}`;
}

/** A Dedicated gateway's opt-in monitoring resources: its Grafana dashboard, ServiceMonitor and PrometheusRule. */
export class GatewayMonitoring extends Construct {
  public constructor(scope: Construct, id: string, props: GatewayMonitoringProps) {
    super(scope, id);
    const { provider, namespace, labels, monitoring: m } = props;
    if (m.grafanaDashboard) {
      const dashboard = gatewayDashboard({ tier: props.systemTier ? 'full' : 'business', uid: dashboardUid(props.gatewayName), title: `AI gateway ${props.gatewayName}`, gateway: props.metricGatewayLabel });
      new ConfigMapV1(this, 'Dashboard', {
        provider,
        metadata: { name: `${props.workloadName}-dashboard`, namespace, labels: { ...labels, [GRAFANA_DASHBOARD_LABEL]: '1' } },
        // Verbatim: the dashboard holds no Terraform template syntax (`${`, `%{`; its variables are `$name`).
        data: { [`aigw-${props.gatewayName}.json`]: dashboardJson(dashboard) },
      });
    }
    const operatorLabels = { ...labels, ...m.monitoringLabels };
    if (m.serviceMonitor) {
      // The endpoint Service is the LoadBalancer (no admin port on it, by design): a ClusterIP Service of the admin port only, for the ServiceMonitor.
      const metricsLabels = { ...labels, 'aigw.dev/service': 'metrics' };
      // Named like the Redis Service (`-admin` is no longer than `-redis`): the gateway-name rule's maximum holds for both.
      new ServiceV1(this, 'MetricsService', {
        provider,
        metadata: { name: `${props.workloadName}-admin`, namespace, labels: metricsLabels },
        spec: { type: 'ClusterIP', selector: props.selector, port: [{ name: 'admin', port: PORTS.admin, targetPort: 'admin' }] },
      });
      new Manifest(this, 'ServiceMonitor', {
        provider,
        manifest: {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: props.workloadName, namespace, labels: operatorLabels },
          spec: {
            selector: { matchLabels: metricsLabels },
            endpoints: [{ port: 'admin', path: PROBE_PATHS.metrics, interval: '30s' }],
          },
        },
      });
    }
    if (m.prometheusRule) {
      new Manifest(this, 'PrometheusRule', {
        provider,
        manifest: {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name: props.workloadName, namespace, labels: operatorLabels },
          spec: { groups: [{ name: `aigw-${props.gatewayName}`, rules: gatewayAlertRules(props.metricGatewayLabel, m.alertThresholds) }] },
        },
      });
    }
  }
}
