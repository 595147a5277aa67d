import { QUOTA_NAMES, type Quota, QUOTAS, quotaLimit, quotaTierOf, smallestSpecAdmitting } from '../../specs';
import type { AiGateway } from '../gateway';
import type { Finding } from '../violation';
import type { Rule } from './context';
import { editionLabel, gw } from './labels';

/** How each quota is counted, as the catalog's "Counted as" column defines it. */
export const QUOTA_COUNTERS: { readonly [Q in Quota]: (g: AiGateway) => number } = {
  mcpServers: (g) => g.children.mcpServers.length,
  routes: (g) => g.children.modelRoutes.length + g.children.agentRoutes.length,
  domains: (g) => new Set(g.children.domains.map((d) => d.hostname)).size,
  services: (g) => g.children.services.length,
  serviceNodes: (g) => g.children.services.reduce((n, s) => n + s.nodeCount, 0),
  serviceSources: (g) =>
    new Set([
      ...g.children.serviceSources.map((s) => s.clusterKey),
      ...g.children.services.flatMap((s) => (s.kind === 'kubernetes' && s.source ? [s.source.clusterKey] : [])),
    ]).size,
  installedExtensions: (g) => g.children.extensions.filter((e) => e.enabled && e.source !== 'system').length,
  // Distinct bundles (by sha256): the same module attached twice is one upload.
  uploadedExtensions: (g) => new Set(g.children.extensions.filter((e) => e.source === 'custom').map((e) => e._bundleIdentity())).size,
  consumerAuthorizations: (g) => {
    const everything = g.children.modelRoutes.length + g.children.agentRoutes.length + g.children.mcpServers.length;
    return g.children.consumers.reduce(
      (n, c) => n + (c.grantsAll ? everything : new Set(c.grantedRoutes).size + new Set(c.grantedMcpServers).size),
      0,
    );
  },
};

/** Each quota is its own finding id, as the catalog names it: `quota:mcpServers`. */
const quotaId = (quota: Quota): string => `quota:${quota}`;

function fix(g: AiGateway, quota: Quota, count: number, limit: number): string {
  const spec = smallestSpecAdmitting(quota, count);
  if (spec && g.edition === 'serverless') return `Use a Dedicated gateway with ${spec} or larger, or remove ${count - limit}.`;
  if (spec) return `Use ${spec} or larger.`;
  return `No spec allows more than ${quotaLimit(quota, 'large')}: remove ${count - limit}, or split them across gateways.`;
}

function check(g: AiGateway): Finding[] {
  // A Dedicated gateway without a valid spec has no quota tier: gateway-props reports the spec.
  if (g.edition === 'dedicated' && !g.spec) return [];
  const tier = quotaTierOf(g.edition, g.spec);
  return QUOTA_NAMES.flatMap((quota) => {
    // "n/a" quotas (a Serverless gateway has no marketplace or custom extensions) are the feature matrix's to report.
    if (QUOTAS[quota].limits[tier] === null) return [];
    const limit = quotaLimit(quota, tier);
    const count = QUOTA_COUNTERS[quota](g);
    if (count <= limit) return [];
    return [{ construct: g, id: quotaId(quota), message: `${gw(g)}: ${editionLabel(g)} allows ${limit} ${QUOTAS[quota].noun}, found ${count}. ${fix(g, quota, count, limit)}` }];
  });
}

export const quotasRule: Rule = {
  id: 'quotas',
  description: 'Each of the nine per-instance quotas, counted as the catalog defines, is within the limit of the gateway\'s edition or spec family.',
  level: 'error',
  errors: { suppressible: false, because: "the gateway is sized and sold for its quota (the catalog): beyond it, its spec's capacity is not guaranteed" },
  findingIds: QUOTA_NAMES.map(quotaId),
  check: (ctx) => ctx.gateways.flatMap(check),
};
