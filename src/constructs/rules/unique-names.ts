import { TerraformProvider, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import type { AiGatewayFleet } from '../fleet';
import type { AiGateway } from '../gateway';
import { placementOf, RESERVED_GATEWAY_NAMES } from '../placement';
import { describe, finding, type Finding } from '../violation';
import type { Rule, RuleContext } from './context';
import { gw } from './labels';

function duplicates<T extends IConstruct>(kind: string, items: readonly T[], nameOf: (t: T) => string, owner: string): Finding[] {
  const seen = new Map<string, T>();
  const out: Finding[] = [];
  for (const item of items) {
    const name = nameOf(item);
    const first = seen.get(name);
    if (first) {
      out.push(finding(item, `${describe(kind, name, item)}: the name is already used by ${first.node.path} in ${owner}. Give one of them another id or name.`));
    } else {
      seen.set(name, item);
    }
  }
  return out;
}

function checkGateway(g: AiGateway): Finding[] {
  const c = g.children;
  const owner = gw(g);
  const out = [
    ...duplicates('Route', [...c.modelRoutes, ...c.agentRoutes], (r) => r.routeName, owner),
    ...duplicates('McpServer', c.mcpServers, (m) => m.serverName, owner),
    ...duplicates('McpServer', c.mcpServers, (m) => `path ${m.path}`, owner),
    ...duplicates('Consumer', c.consumers, (x) => x.consumerName, owner),
    ...duplicates('UpstreamService', c.services, (s) => s.serviceName, owner),
    ...duplicates('ServiceSource', c.serviceSources, (s) => s.sourceName, owner),
    ...duplicates('Extension', c.extensions, (e) => e.name, owner),
  ];
  // Whether the name makes valid Kubernetes names is the kubernetes-names rule's.
  if ((RESERVED_GATEWAY_NAMES as readonly string[]).includes(g.gatewayName)) {
    out.push(finding(g, `${owner}: '${g.gatewayName}' is reserved for the fleet's shared resources (${RESERVED_GATEWAY_NAMES.join(', ')}). Set another gatewayName.`));
  }
  return out;
}

/**
 * The cluster a fleet's resources go to: its provider, else the stack's default (unaliased)
 * Kubernetes provider, which Terraform uses for resources that name none. A stack with neither
 * is its own cluster: nothing it creates can meet another stack's resources by name.
 */
function clusterOf(fleet: AiGatewayFleet, defaults: Map<TerraformStack, IConstruct>): IConstruct {
  if (fleet.provider) return fleet.provider;
  const stack = TerraformStack.of(fleet);
  let found = defaults.get(stack);
  if (!found) {
    found = stack.node.findAll().find((c) => TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === 'kubernetes' && !c.alias) ?? stack;
    defaults.set(stack, found);
  }
  return found;
}

/**
 * Namespaces are cluster-wide: no two fleets, nor a fleet and a Dedicated gateway, may claim the
 * same one in one cluster (one Kubernetes provider). Stacks for other clusters or environments
 * may reuse the same ids and namespaces.
 */
function namespacesOncePerCluster(ctx: RuleContext): Finding[] {
  const defaults = new Map<TerraformStack, IConstruct>();
  const owners = new Map<IConstruct, Map<string, IConstruct>>();
  const out: Finding[] = [];
  const claim = (fleet: AiGatewayFleet, namespace: string, by: IConstruct, label: string) => {
    const cluster = clusterOf(fleet, defaults);
    const claimed = owners.get(cluster) ?? new Map<string, IConstruct>();
    owners.set(cluster, claimed);
    const first = claimed.get(namespace);
    if (first) {
      out.push(
        finding(
          by,
          `${label}: namespace '${namespace}' is already used by ${first.node.path} in the same cluster (${TerraformProvider.isTerraformProvider(cluster) ? `provider ${cluster.node.path}` : `stack ${cluster.node.path}`}). Set another namespace (fleet) or gatewayName.`,
        ),
      );
    } else {
      claimed.set(namespace, by);
    }
  };
  for (const f of ctx.fleets) claim(f, f.namespace, f, describe('Fleet', f.node.id, f));
  for (const g of ctx.gateways) if (g.edition === 'dedicated') claim(g.fleet, placementOf(g).namespace, g, gw(g));
  return out;
}

export const uniqueNamesRule: Rule = {
  id: 'unique-names',
  description:
    'Gateway names are not reserved and unique in their fleet; namespaces are unique in their cluster (one Kubernetes provider); route, MCP server (and path), consumer, service, source and extension names are unique in their gateway.',
  level: 'error',
  errors: { suppressible: false, because: 'Kubernetes rejects a second object of the same name, and the data plane a config with two of one name' },
  check: (ctx) => [
    ...ctx.fleets.flatMap((f) => duplicates('Gateway', f.gateways, (g) => g.gatewayName, describe('Fleet', f.node.id, f))),
    ...ctx.gateways.flatMap(checkGateway),
    ...namespacesOncePerCluster(ctx),
  ],
};
