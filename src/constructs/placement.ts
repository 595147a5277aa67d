import type { AiGatewayFleet } from './fleet';
import type { AiGateway } from './gateway';
import { toK8sName } from './names';

/** Where a gateway's resources live and what they are called: stated once for config and rendering. */
export interface GatewayPlacement {
  readonly namespace: string;
  /** Deployment, ServiceAccount, Service, HPA and PDB share this name. */
  readonly workloadName: string;
  readonly configMapName: (index: number) => string;
  readonly redisHost: string;
  readonly redisUser?: string;
  /** Every Redis key of the gateway starts with this; the shared Redis's ACL confines the user to it. */
  readonly redisKeyPrefix: string;
}

/** Names the fleet's shared resources take in its namespace: no gateway may be called so. */
export const RESERVED_GATEWAY_NAMES = ['redis', 'shared-endpoint'] as const;

export const REDIS_PORT = 6379;

export function fleetName(fleet: AiGatewayFleet): string {
  return toK8sName(fleet.node.id);
}

/** The fleet's shared Redis, for its Serverless gateways. */
export function sharedRedisName(_fleet: AiGatewayFleet): string {
  return 'aigw-redis';
}

export function placementOf(gateway: AiGateway): GatewayPlacement {
  const fleet = gateway.fleet;
  const workloadName = `aigw-${gateway.gatewayName}`;
  if (gateway.edition === 'dedicated') {
    // Dedicated: its own namespace and its own Redis (physically isolated).
    const namespace = `${fleet.namespace}-${gateway.gatewayName}`;
    return {
      namespace,
      workloadName,
      configMapName: (i) => `${workloadName}-config-${String(i).padStart(3, '0')}`,
      redisHost: `${workloadName}-redis.${namespace}.svc`,
      redisKeyPrefix: `aigw:${gateway.gatewayName}:`,
    };
  }
  // Serverless: the fleet's namespace and Redis, with its own key prefix and ACL user (logically isolated).
  return {
    namespace: fleet.namespace,
    workloadName,
    configMapName: (i) => `${workloadName}-config-${String(i).padStart(3, '0')}`,
    redisHost: `${sharedRedisName(fleet)}.${fleet.namespace}.svc`,
    redisUser: gateway.gatewayName,
    redisKeyPrefix: `aigw:${gateway.gatewayName}:`,
  };
}

/** `app.kubernetes.io/*` labels. */
export function gatewayLabels(gateway: AiGateway, version: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'aigw',
    'app.kubernetes.io/instance': gateway.gatewayName,
    'app.kubernetes.io/component': 'gateway',
    'app.kubernetes.io/part-of': fleetName(gateway.fleet),
    'app.kubernetes.io/managed-by': 'cdktf-ai-gateway',
    'app.kubernetes.io/version': version.slice(0, 63),
    'aigw.dev/edition': gateway.edition,
  };
}

export function gatewaySelector(gateway: AiGateway): Record<string, string> {
  return { 'app.kubernetes.io/name': 'aigw', 'app.kubernetes.io/instance': gateway.gatewayName };
}

/**
 * The hosts a Serverless gateway claims on the fleet's shared endpoint: its domains and route
 * hosts, else any host ('*') if it serves anything. A gateway with no routes and no domains yet
 * claims no host, so that two new gateways of a fleet do not conflict over '*'.
 */
export function publishedHosts(g: AiGateway): string[] {
  const c = g.children;
  const hosts = new Set([...c.domains.map((d) => d.hostname), ...[...c.modelRoutes, ...c.agentRoutes].map((r) => r.host).filter((h) => h !== '*')]);
  if (hosts.size > 0) return [...hosts].sort();
  return c.modelRoutes.length + c.agentRoutes.length + c.mcpServers.length > 0 ? ['*'] : [];
}
