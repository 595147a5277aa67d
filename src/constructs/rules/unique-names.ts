import type { IConstruct } from 'constructs';
import type { AiGateway } from '../gateway';
import { isDnsLabel } from '../names';
import { placementOf, RESERVED_GATEWAY_NAMES } from '../placement';
import { describe, violation, type Violation } from '../violation';
import type { Rule, RuleContext } from './context';
import { gw } from './labels';

function duplicates<T extends IConstruct>(kind: string, items: readonly T[], nameOf: (t: T) => string, owner: string): Violation[] {
  const seen = new Map<string, T>();
  const out: Violation[] = [];
  for (const item of items) {
    const name = nameOf(item);
    const first = seen.get(name);
    if (first) {
      out.push(violation('unique-names', item, `${describe(kind, name, item)}: the name is already used by ${first.node.path} in ${owner}. Give one of them another id or name.`));
    } else {
      seen.set(name, item);
    }
  }
  return out;
}

function checkGateway(g: AiGateway): Violation[] {
  const c = g.children;
  const owner = gw(g);
  const out = [
    ...duplicates('Route', [...c.modelRoutes, ...c.agentRoutes], (r) => r.routeName, owner),
    ...duplicates('McpServer', c.mcpServers, (m) => m.serverName, owner),
    ...duplicates('McpServer', c.mcpServers, (m) => `path ${m.path}`, owner),
    ...duplicates('Consumer', c.consumers, (x) => x.consumerName, owner),
    ...duplicates('UpstreamService', c.services, (s) => s.serviceName, owner),
    ...duplicates('ServiceSource', c.serviceSources, (s) => s.sourceName, owner),
    ...duplicates('Extension', c.extensions, (e) => e.props.name, owner),
  ];
  const namespaceLength = g.edition === 'dedicated' ? g.fleet.namespace.length + 1 + g.gatewayName.length : 0;
  if (!isDnsLabel(`aigw-${g.gatewayName}`) || namespaceLength > 63) {
    out.push(
      violation(
        'unique-names',
        g,
        `${owner}: the gateway name must be a DNS label ([a-z0-9-]) short enough for 'aigw-<name>' and, for Dedicated, '<fleet namespace>-<name>' to fit 63 characters, found '${g.gatewayName}'. Set a shorter gatewayName.`,
      ),
    );
  }
  if ((RESERVED_GATEWAY_NAMES as readonly string[]).includes(g.gatewayName)) {
    out.push(violation('unique-names', g, `${owner}: '${g.gatewayName}' is reserved for the fleet's shared resources (${RESERVED_GATEWAY_NAMES.join(', ')}). Set another gatewayName.`));
  }
  return out;
}

/** Namespaces are cluster-wide: no two fleets, nor a fleet and a Dedicated gateway, may claim the same one. */
function namespacesOnce(ctx: RuleContext): Violation[] {
  const owners = new Map<string, IConstruct>();
  const out: Violation[] = [];
  const claim = (namespace: string, by: IConstruct, label: string) => {
    const first = owners.get(namespace);
    if (first) out.push(violation('unique-names', by, `${label}: namespace '${namespace}' is already used by ${first.node.path}. Set another namespace (fleet) or gatewayName.`));
    else owners.set(namespace, by);
  };
  for (const f of ctx.fleets) claim(f.namespace, f, describe('Fleet', f.node.id, f));
  for (const g of ctx.gateways) if (g.edition === 'dedicated') claim(placementOf(g).namespace, g, gw(g));
  return out;
}

export const uniqueNamesRule: Rule = {
  id: 'unique-names',
  description:
    'Gateway names are valid, not reserved and unique in their fleet; namespaces are unique in the App; route, MCP server (and path), consumer, service, source and extension names are unique in their gateway.',
  check: (ctx) => [
    ...ctx.fleets.flatMap((f) => duplicates('Gateway', f.gateways, (g) => g.gatewayName, describe('Fleet', f.node.id, f))),
    ...ctx.gateways.flatMap(checkGateway),
    ...namespacesOnce(ctx),
  ],
};
