import type { AlertThresholds } from '../../specs/alerts';

/**
 * What a Dedicated gateway's monitoring stack gets from the synthesis, besides the Prometheus scrape
 * annotations every pod carries: each is opt-in.
 */
export interface MonitoringProps {
  /**
   * The gateway's Grafana dashboard (business metrics, and the system-resources row when
   * `systemResources` is on) as a ConfigMap labelled `grafana_dashboard: "1"` in the gateway's
   * namespace, for Grafana's dashboard sidecar (kube-prometheus-stack: `sidecar.dashboards.enabled`,
   * with `searchNamespace: ALL` or the gateway's namespace). @default false
   */
  readonly grafanaDashboard?: boolean;
  /**
   * A Prometheus Operator `ServiceMonitor` for the replicas' `/metrics` (with a ClusterIP Service on
   * the admin port for it to select). A `kubernetes_manifest`: `terraform plan` then needs the cluster
   * reachable and the monitoring.coreos.com CRDs installed. @default false
   */
  readonly serviceMonitor?: boolean;
  /**
   * A Prometheus Operator `PrometheusRule` with the gateway's alerts: 5xx ratio, p99 latency, p99 time
   * to first token, capacity rejections, rate-limit store unavailable, config reload rejected. A
   * `kubernetes_manifest`, like `serviceMonitor`. @default false
   */
  readonly prometheusRule?: boolean;
  /** Where the PrometheusRule's alerts fire. @default - 5% 5xx, 30 s p99 duration, 5 s p99 time to first token */
  readonly alertThresholds?: AlertThresholds;
  /**
   * Labels on the ServiceMonitor and PrometheusRule, for the Prometheus that should load them
   * (kube-prometheus-stack selects `release: <its release name>` by default). @default {}
   */
  readonly monitoringLabels?: Record<string, string>;
}
