import type { IConstruct } from 'constructs';
import type { AiGateway } from '../gateway';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

interface Owned extends IConstruct {
  readonly gateway: AiGateway;
}

function foreign(from: Owned, fromLabel: string, what: string, target: Owned): Finding[] {
  if (target.gateway === from.gateway) return [];
  return [
    finding(
      from,
      `${fromLabel}: refers to ${what} (${target.node.path}) of ${gw(target.gateway)}, not of its own ${gw(from.gateway)}. Use one of ${from.gateway.gatewayName}'s, or move it to ${target.gateway.gatewayName}.`,
    ),
  ];
}

function check(g: AiGateway): Finding[] {
  const c = g.children;
  return [
    ...c.consumers.flatMap((consumer) => {
      const at = describe('Consumer', consumer.consumerName, consumer);
      return [
        ...consumer.grantedRoutes.flatMap((r) => foreign(consumer, at, `a grant to route '${r.routeName}'`, r)),
        ...consumer.grantedMcpServers.flatMap((m) => foreign(consumer, at, `a grant to MCP server '${m.serverName}'`, m)),
        // A malformed tool grant (no server) is reported by the config schema, at the consumer.
        ...consumer.grantedMcpTools.flatMap(({ server }) => (server?.gateway ? foreign(consumer, at, `a grant of tools of MCP server '${server.serverName}'`, server) : [])),
      ];
    }),
    ...c.modelRoutes.flatMap((route) =>
      route.models.flatMap((m) =>
        (m.targets ?? []).flatMap((t) => {
          const service = t.backend?.service;
          return service ? foreign(route, describe('ModelRoute', route.routeName, route), `service '${service.serviceName}'`, service) : [];
        }),
      ),
    ),
    ...c.agentRoutes.flatMap((route) =>
      route.service ? foreign(route, describe('AgentRoute', route.routeName, route), `service '${route.service.serviceName}'`, route.service) : [],
    ),
    ...c.mcpServers.flatMap((m) =>
      m.kind === 'http-to-mcp' && m.service
        ? foreign(m, describe('McpServer', m.serverName, m), `service '${m.service.serviceName}'`, m.service)
        : [],
    ),
    ...c.services.flatMap((s) =>
      s.kind === 'kubernetes' && s.source
        ? foreign(s, describe('UpstreamService', s.serviceName, s), `service source '${s.source.sourceName}'`, s.source)
        : [],
    ),
  ];
}

export const foreignReferencesRule: Rule = {
  id: 'foreign-references',
  description: "Grants, services and service sources belong to the same gateway as what refers to them (no grant to another gateway's route).",
  level: 'error',
  errors: { suppressible: false, because: "the gateway's config would refer to what it does not contain, which the data plane rejects" },
  check: (ctx) => ctx.gateways.flatMap(check),
};
