import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { Construct } from 'constructs';
import {
  type GatewayConfig,
  MOUNT_PATHS,
  PORTS,
  preStopArgv,
  PROBE_PATHS,
  QAT_NODE_LABEL,
  QAT_RESOURCES,
  RUN_AS_USER,
  serveArgv,
  type Sizing,
  TERMINATION_GRACE_PERIOD_SECONDS,
} from '../../specs';
import type { AiGateway } from '../gateway';
import { gatewayLabels, gatewaySelector, placementOf } from '../placement';
import { distinctSecrets } from '../secret-mounts';
import { ConfigShards } from './config-maps';
import { Redis } from './redis';
import { GatewayMonitoring } from '../observability/gateway-monitoring';

export interface GatewayResourcesProps {
  readonly gateway: AiGateway;
  readonly config: GatewayConfig;
  readonly sizing: Sizing;
  /** The image tag: pinned for Dedicated, the fleet's channel for Serverless. */
  readonly imageTag: string;
  /** The fleet namespace, as a reference to its resource. */
  readonly fleetNamespaceRef: string;
}

/** Per-pod resources of the data plane; the per-pod capacity in sizing.ts is measured at this size. */
export const POD_RESOURCES = { requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } } as const;

/**
 * Where the pods go for QAT, by each feature's fallback. `fail`: the device is requested (an
 * extended resource, requests = limits), so pods schedule only where the device plugin has one and
 * always get it. `software`: no device is requested, or pods could never run on a node without one;
 * QAT nodes are only preferred. Kubernetes has no optional device request, so such a pod gets no
 * QAT device from the device plugin and runs in software (the synth warning says so).
 */
export function qatScheduling(accel: GatewayConfig['acceleration']): { devices: Record<string, string>; preferQatNodes: boolean } {
  const required = (f: 'tls' | 'compression') => accel[f].enabled && accel[f].fallback === 'fail';
  return {
    devices: { ...(required('tls') && { [QAT_RESOURCES.tls]: '1' }), ...(required('compression') && { [QAT_RESOURCES.compression]: '1' }) },
    preferQatNodes: (['tls', 'compression'] as const).some((f) => accel[f].enabled && accel[f].fallback === 'software'),
  };
}

/** Everything one gateway runs as on Kubernetes. */
export class GatewayResources extends Construct {
  public constructor(scope: Construct, id: string, props: GatewayResourcesProps) {
    super(scope, id);
    const { gateway, config, sizing } = props;
    const provider = gateway.fleet.provider;
    const placement = placementOf(gateway);
    const labels = gatewayLabels(gateway, props.imageTag);
    const selector = gatewaySelector(gateway);
    const dedicated = gateway.edition === 'dedicated' ? gateway : undefined;
    // Referenced, not named: Terraform then creates the namespace before what lives in it.
    const namespace = dedicated
      ? new NamespaceV1(this, 'Namespace', { provider, metadata: { name: placement.namespace, labels } }).metadata.name
      : props.fleetNamespaceRef;
    const meta = { name: placement.workloadName, namespace, labels };

    if (dedicated) {
      // Physically isolated: its own namespace and its own Redis.
      new Redis(this, 'Redis', { provider, namespace, name: `${placement.workloadName}-redis`, labels });
    }
    new ServiceAccountV1(this, 'ServiceAccount', { provider, metadata: meta, automountServiceAccountToken: false });
    const shards = new ConfigShards(this, 'Config', { provider, config, namespace, nameOf: placement.configMapName, labels });

    const accel = config.acceleration;
    const qat = qatScheduling(accel);
    // Each distinct Secret is one projected source, with only the keys the config uses.
    const secrets = [...distinctSecrets(config)].sort(([a], [b]) => a.localeCompare(b));
    // Per-pod shaping where the CNI chain runs the bandwidth plugin: the same share the data plane shapes request bodies
    // to (limits.bandwidthReplicas: the fixed replicas, or Serverless's minReplicas; see config.ts for the trade-off).
    const bandwidthPerPodMbps = Math.max(1, Math.floor(config.limits.bandwidthMbps / (config.limits.bandwidthReplicas ?? 1)));

    new DeploymentV1(this, 'Deployment', {
      provider,
      metadata: { ...meta, annotations: { 'aigw.dev/bandwidth-mbps': String(config.limits.bandwidthMbps) } },
      spec: {
        ...(sizing.kind === 'fixed' && { replicas: String(sizing.replicas) }),
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: '25%' } },
        template: {
          metadata: {
            labels,
            annotations: {
              'kubernetes.io/ingress-bandwidth': `${bandwidthPerPodMbps}M`,
              'kubernetes.io/egress-bandwidth': `${bandwidthPerPodMbps}M`,
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(PORTS.admin),
              'prometheus.io/path': PROBE_PATHS.metrics,
              // The one setting a running data plane cannot take back on reload (process metrics stay
              // registered): in the pod template, a change of it rolls the pods.
              'aigw.dev/observability-tier': config.observability.tier,
            },
          },
          spec: {
            serviceAccountName: placement.workloadName,
            automountServiceAccountToken: false,
            // Covers the preStop delay and the drain (specs/runtime.ts), counted from the hook's start.
            terminationGracePeriodSeconds: TERMINATION_GRACE_PERIOD_SECONDS,
            securityContext: { runAsNonRoot: true, runAsUser: String(RUN_AS_USER), runAsGroup: String(RUN_AS_USER), fsGroup: String(RUN_AS_USER), seccompProfile: { type: 'RuntimeDefault' } },
            ...(qat.preferQatNodes && {
              affinity: {
                nodeAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: QAT_NODE_LABEL, operator: 'In', values: ['true'] }] } }],
                },
              },
            }),
            ...(sizing.kind === 'fixed' && {
              topologySpreadConstraint: [
                { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: selector }] },
                { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: selector }] },
              ],
            }),
            container: [
              {
                name: 'aigw',
                image: `${gateway.fleet.imageRepository}:${props.imageTag}`,
                imagePullPolicy: dedicated ? 'IfNotPresent' : 'Always',
                command: serveArgv({
                  tlsAcceleration: accel.tls.enabled,
                  compressionAcceleration: accel.compression.enabled,
                  accelerationFallback: accel.tls.fallback,
                }),
                port: [
                  { name: 'http', containerPort: PORTS.traffic },
                  { name: 'https', containerPort: PORTS.trafficTls },
                  { name: 'admin', containerPort: PORTS.admin },
                ],
                livenessProbe: { httpGet: { path: PROBE_PATHS.liveness, port: 'admin' }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: PROBE_PATHS.readiness, port: 'admin' }, periodSeconds: 5 },
                // The replica reports not-ready and keeps accepting until the hook answers, so endpoints and load
                // balancers stop routing to it before SIGTERM closes the listener (no connection refused in a rollout).
                // An exec hook, not an httpGet: the admin port is reachable cluster-wide, and only the pod may take itself out of service.
                lifecycle: { preStop: [{ exec: { command: preStopArgv(PORTS.admin) } }] },
                resources: {
                  requests: { ...POD_RESOURCES.requests, ...qat.devices },
                  limits: { ...POD_RESOURCES.limits, ...qat.devices },
                },
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: String(RUN_AS_USER),
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMount: [
                  { name: 'config', mountPath: MOUNT_PATHS.config, readOnly: true },
                  { name: 'tmp', mountPath: MOUNT_PATHS.tmp },
                  ...(secrets.length > 0 ? [{ name: 'secrets', mountPath: MOUNT_PATHS.secrets, readOnly: true }] : []),
                ],
              },
            ],
            volume: [
              { name: 'config', projected: [{ sources: [{ configMap: shards.names.map((name) => ({ name })) }] }] },
              { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
              ...(secrets.length > 0
                ? [
                  {
                    name: 'secrets',
                    projected: [{
                      sources: [
                        {
                          secret: secrets.map(([secretName, keys]) => ({
                            name: secretName,
                            items: [...keys].sort().map((key) => ({ key, path: `${secretName}/${key}` })),
                          })),
                        },
                      ],
                    }],
                  },
                ]
                : []),
            ],
          },
        },
      },
    });

    if (sizing.kind === 'fixed') {
      // 99.99%: never more than one replica down for voluntary disruptions.
      new PodDisruptionBudgetV1(this, 'DisruptionBudget', { provider, metadata: meta, spec: { maxUnavailable: '1', selector: { matchLabels: selector } } });
    } else {
      new HorizontalPodAutoscalerV2(this, 'Autoscaler', {
        provider,
        metadata: meta,
        spec: {
          minReplicas: sizing.minReplicas,
          maxReplicas: sizing.maxReplicas,
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: placement.workloadName },
          metric: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: sizing.targetCpuUtilizationPercent } } }],
        },
      });
    }

    const ports = [
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'https', port: 443, targetPort: 'https' },
    ];
    if (dedicated) {
      // A dedicated endpoint: its own LoadBalancer, with a fixed IP where one is given.
      new ServiceV1(this, 'Endpoint', {
        provider,
        metadata: { ...meta, annotations: { ...dedicated.endpoint?.serviceAnnotations, 'aigw.dev/bandwidth-mbps': String(config.limits.bandwidthMbps) } },
        spec: {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          selector,
          port: ports,
          ...(dedicated.endpoint?.fixedIp && { loadBalancerIp: dedicated.endpoint.fixedIp }),
        },
      });
    } else {
      // Reached through the fleet's shared endpoint (one Ingress for all Serverless gateways).
      new ServiceV1(this, 'Service', { provider, metadata: meta, spec: { type: 'ClusterIP', selector, port: ports } });
    }
    const monitoring = dedicated?.monitoring;
    if (dedicated && monitoring && (monitoring.grafanaDashboard || monitoring.serviceMonitor || monitoring.prometheusRule)) {
      new GatewayMonitoring(this, 'Monitoring', {
        provider,
        gatewayName: dedicated.gatewayName,
        metricGatewayLabel: dedicated._metricGatewayLabel(),
        namespace,
        workloadName: placement.workloadName,
        labels,
        selector,
        systemTier: config.observability.tier === 'full',
        monitoring,
      });
    }
  }
}
