import type { AiGateway } from '../gateway';
import { publishedHosts } from '../placement';
import { describe, finding, type Finding } from '../violation';
import type { Rule } from './context';
import { gw } from './labels';

function withinGateway(g: AiGateway): Finding[] {
  const seen = new Map<string, string>();
  const out: Finding[] = [];
  for (const route of [...g.children.modelRoutes, ...g.children.agentRoutes]) {
    const key = `${route.host}${route.pathPrefix}`;
    const first = seen.get(key);
    if (first) {
      out.push(
        finding(
          route,
          `${describe('Route', route.routeName, route)}: host '${route.host}' and path '${route.pathPrefix}' are already routed by ${first} in ${gw(g)}. Change the host or path, or merge the routes.`,
        ),
      );
    } else {
      seen.set(key, route.node.path);
    }
  }
  return out;
}

function onSharedEndpoint(gateways: readonly AiGateway[]): Finding[] {
  const owner = new Map<string, AiGateway>();
  const out: Finding[] = [];
  for (const g of gateways.filter((x) => x.edition === 'serverless')) {
    for (const host of publishedHosts(g)) {
      const first = owner.get(`${g.fleet.node.path}|${host}`);
      if (first && first !== g) {
        out.push(
          finding(
            g,
            `${gw(g)}: host '${host === '*' ? '* (any host)' : host}' on the fleet's shared endpoint is already served by ${gw(first)}. Give each Serverless gateway its own Domain or route hosts.`,
          ),
        );
      } else {
        owner.set(`${g.fleet.node.path}|${host}`, g);
      }
    }
  }
  return out;
}

export const routeConflictsRule: Rule = {
  id: 'route-conflicts',
  description: 'No two routes of a gateway share a host and path; no two Serverless gateways of a fleet claim the same host on the shared endpoint.',
  level: 'error',
  errors: { suppressible: false, because: 'one host and path cannot go to two routes: only one would ever be reached, and the shared Ingress rejects a host claimed twice' },
  check: (ctx) => [...ctx.gateways.flatMap(withinGateway), ...onSharedEndpoint(ctx.gateways)],
};
