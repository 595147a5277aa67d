import type { GatewayConfig } from './config';

/** A route that keeps its host in `matchLoopback`'s config, and why: a caller prints a `-H 'Host: …'` hint for it. */
export interface KeptHost {
  /** The model or agent route's name. */
  readonly route: string;
  /** The host it still needs, e.g. `ai.example.com`. */
  readonly host: string;
  readonly reason: string;
}

interface RouteMatch {
  readonly name: string;
  readonly kind: 'model route' | 'agent route';
  readonly host: string;
  readonly pathPrefix: string;
  readonly segments: readonly string[];
}

/**
 * For a local run (`aigw dev`, `startTestGateway`): the config with each host-matched model and
 * agent route answering on any host too (`host: '*'`), so that `http://127.0.0.1:PORT` works as an
 * SDK base URL (Node's fetch, and so the openai SDK, the AI SDK and LangChain, cannot set a Host
 * header). Never for the cluster: there, host matching stays exact.
 *
 * The rule: group the gateway's model and agent routes whose path prefixes nest (one is a
 * segment-wise prefix of the other, or they are equal), transitively. A group answers on any host
 * only if all its routes name the same host (not `*`) and none of them lies strictly under an MCP
 * server's path; every other group keeps its hosts, listed in `kept`.
 *
 * Why that is enough: a request that matched a route R before still matches R. Every route that
 * could compete with R for the request's path has a prefix nesting with R's, so it is in R's group.
 * If the group moved to any host, its competitors all had R's host, and among them R already had
 * the longest prefix; the routes that stayed on a host cannot match the path (they would be in
 * the group). If R's group stayed, no route that moved to any host matches the path, and R's own
 * table only lost routes. MCP servers (path-only) win over a host route of a shorter or equal
 * prefix, which is why a route deeper than an MCP path stays on its host: moved, it would take
 * that MCP server's requests on other hosts. Requests that matched nothing before (any loopback
 * request) are what now reach a route.
 */
export function matchLoopback(config: GatewayConfig): { config: GatewayConfig; kept: readonly KeptHost[] } {
  const routes: RouteMatch[] = [
    ...config.modelRoutes.map((r) => routeMatch(r.name, 'model route', r.match)),
    ...config.agentRoutes.map((r) => routeMatch(r.name, 'agent route', r.match)),
  ];
  const why = new Map<RouteMatch, string>();
  for (const group of nestingGroups(routes)) {
    const reason = groupReason(group, config.mcpServers);
    if (reason) for (const r of group) if (r.host !== '*') why.set(r, reason(r));
  }
  const anyHost = <T extends { name: string; match: { host: string; pathPrefix: string } }>(route: T, kind: RouteMatch['kind']): T => {
    const r = routes.find((m) => m.kind === kind && m.name === route.name)!;
    return r.host === '*' || why.has(r) ? route : { ...route, match: { ...route.match, host: '*' } };
  };
  return {
    config: {
      ...config,
      modelRoutes: config.modelRoutes.map((r) => anyHost(r, 'model route')),
      agentRoutes: config.agentRoutes.map((r) => anyHost(r, 'agent route')),
    },
    kept: [...why].map(([r, reason]) => ({ route: r.name, host: r.host, reason })),
  };
}

function routeMatch(name: string, kind: RouteMatch['kind'], match: { host: string; pathPrefix: string }): RouteMatch {
  return { name, kind, host: match.host, pathPrefix: match.pathPrefix, segments: segmentsOf(match.pathPrefix) };
}

/** Path segments as the data plane's route table matches them: `/v1/` and `/v1` are the same prefix. */
function segmentsOf(prefix: string): string[] {
  return prefix.split('/').filter((s) => s !== '');
}

/** `a` is a segment-wise prefix of `b` (`/v1` of `/v1/chat`, not of `/v10`; `/` of everything). */
function isUnder(b: readonly string[], a: readonly string[]): boolean {
  return a.length <= b.length && a.every((s, i) => b[i] === s);
}

function nests(a: RouteMatch, b: RouteMatch): boolean {
  return isUnder(a.segments, b.segments) || isUnder(b.segments, a.segments);
}

/** The connected groups of the "prefixes nest" relation (a few routes per gateway: pairwise is fine). */
function nestingGroups(routes: readonly RouteMatch[]): RouteMatch[][] {
  const groupOf = new Map<RouteMatch, RouteMatch[]>();
  for (const r of routes) {
    let mine = [r];
    for (const other of routes) {
      const theirs = groupOf.get(other);
      if (!theirs || theirs === mine || !nests(r, other)) continue;
      mine = [...theirs, ...mine];
      for (const m of mine) groupOf.set(m, mine);
    }
    groupOf.set(r, mine);
  }
  // Each group in config order, so that a reason names the first route it can.
  return [...new Set(groupOf.values())].map((g) => routes.filter((r) => g.includes(r)));
}

/** Why a group keeps its hosts (a reason per route), or undefined when it may answer on any host. */
function groupReason(group: readonly RouteMatch[], mcpServers: GatewayConfig['mcpServers']): ((r: RouteMatch) => string) | undefined {
  const label = (r: RouteMatch) => `${r.kind} '${r.name}' (${r.host === '*' ? 'any host' : `host '${r.host}'`}, path '${r.pathPrefix}')`;
  const anyHost = group.find((r) => r.host === '*');
  if (anyHost) {
    return (r) => `its path '${r.pathPrefix}' overlaps ${label(anyHost)}: on any host it would take requests that route answers now`;
  }
  const hosts = new Set(group.map((r) => r.host));
  if (hosts.size > 1) {
    return (r) => {
      // A route of another host whose prefix nests with this one's, else (a transitive member) any route of another host.
      const other = group.find((o) => o.host !== r.host && nests(o, r)) ?? group.find((o) => o.host !== r.host)!;
      return `its path '${r.pathPrefix}' overlaps ${label(other)}: on any host one would take the other's requests`;
    };
  }
  for (const r of group) {
    const segments = r.segments;
    const mcp = mcpServers.find((m) => {
      const path = segmentsOf(m.path);
      return segments.length > path.length && isUnder(segments, path);
    });
    if (mcp) {
      return (k) =>
        k === r
          ? `its path '${r.pathPrefix}' lies under MCP server '${mcp.name}' (path '${mcp.path}'): on any host it would take that server's requests`
          : `its path '${k.pathPrefix}' overlaps ${label(r)}, which keeps its host (it lies under MCP server '${mcp.name}', path '${mcp.path}')`;
    }
  }
  return undefined;
}
