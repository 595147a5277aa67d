/**
 * The product catalog as data: editions, the feature matrix, the capacity specs and the quotas
 * of the AI Gateway being modelled (see shared/reference/product-catalog.md).
 *
 * Everything here is `as const` so that types (`CapacitySpec`, `Edition`, …) derive from the data,
 * and both the constructs (validation, sizing) and the data plane (limits) read the same facts.
 */

/** The two editions. A Dedicated gateway can never become Serverless. */
export const EDITIONS = ['serverless', 'dedicated'] as const;
export type Edition = (typeof EDITIONS)[number];

/** The capacity specs a Dedicated gateway can be bought in: QPS and client connections per gateway. */
export const CAPACITY_SPECS = {
  'aigw.small.x1': { family: 'small', qps: 1_500, clientConnections: 20_000 },
  'aigw.small.x2': { family: 'small', qps: 3_000, clientConnections: 40_000 },
  'aigw.small.x4': { family: 'small', qps: 6_000, clientConnections: 80_000 },
  'aigw.medium.x1': { family: 'medium', qps: 12_000, clientConnections: 160_000 },
  'aigw.medium.x2': { family: 'medium', qps: 24_000, clientConnections: 320_000 },
  'aigw.medium.x3': { family: 'medium', qps: 36_000, clientConnections: 480_000 },
  'aigw.large.x1': { family: 'large', qps: 48_000, clientConnections: 640_000 },
  'aigw.large.x2': { family: 'large', qps: 96_000, clientConnections: 1_280_000 },
  'aigw.large.x3': { family: 'large', qps: 144_000, clientConnections: 1_920_000 },
  'aigw.large.x4': { family: 'large', qps: 192_000, clientConnections: 2_560_000 },
} as const;

/** Exactly the ten spec names of the catalog: `aigw.small.x3` or `aigw.medium.x4` do not compile. */
export type CapacitySpec = keyof typeof CAPACITY_SPECS;
export type SpecFamily = (typeof CAPACITY_SPECS)[CapacitySpec]['family'];
/** Spec names in catalog order (smallest first). */
export const CAPACITY_SPEC_NAMES = Object.keys(CAPACITY_SPECS) as CapacitySpec[];
export const SPEC_FAMILIES = ['small', 'medium', 'large'] as const satisfies readonly SpecFamily[];

/** The column of the quota table that applies to a gateway: its edition, or its spec family. */
export type QuotaTier = 'serverless' | SpecFamily;

export function isCapacitySpec(name: unknown): name is CapacitySpec {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CAPACITY_SPECS, name);
}

export function quotaTierOf(edition: Edition, spec?: CapacitySpec): QuotaTier {
  if (edition === 'serverless' || spec === undefined) return 'serverless';
  return CAPACITY_SPECS[spec].family;
}

/** Where each edition stands on a feature. `true`/`false` for yes/no; a string where the catalog says more. */
interface FeatureRow {
  readonly category: string;
  readonly feature: string;
  readonly serverless: boolean | string;
  readonly dedicated: boolean | string;
}

/** The full feature matrix, row for row as the catalog has it. */
export const FEATURES = {
  textToText: { category: 'Model proxy', feature: 'Text-to-text', serverless: true, dedicated: true },
  multiModal: { category: 'Model proxy', feature: 'Multi-modal', serverless: true, dedicated: true },
  builtInPolicies: { category: 'Model proxy', feature: 'Built-in policies', serverless: true, dedicated: true },
  mcpProxy: { category: 'MCP server', feature: 'MCP proxy', serverless: true, dedicated: true },
  httpToMcp: { category: 'MCP server', feature: 'HTTP to MCP', serverless: true, dedicated: true },
  agentModelStudio: { category: 'Agent', feature: 'Model Studio', serverless: true, dedicated: true },
  agentDify: { category: 'Agent', feature: 'Dify', serverless: true, dedicated: true },
  agentCustom: { category: 'Agent', feature: 'Custom', serverless: true, dedicated: true },
  systemExtensions: { category: 'Extensions', feature: 'System extensions', serverless: true, dedicated: true },
  extensionMarketplace: { category: 'Extensions', feature: 'Extension marketplace', serverless: false, dedicated: true },
  customExtensions: { category: 'Extensions', feature: 'Custom extensions', serverless: false, dedicated: true },
  capacity: {
    category: 'Specs',
    feature: 'Capacity',
    serverless: 'automatic elastic scaling',
    dedicated: 'fixed capacity specs (QPS + client connections)',
  },
  tlsAcceleration: { category: 'Hardware acceleration', feature: 'TLS hardware acceleration', serverless: false, dedicated: true },
  qatCompression: {
    category: 'Hardware acceleration',
    feature: 'QAT hardware compression/decompression',
    serverless: false,
    dedicated: true,
  },
  waf: { category: 'Security', feature: 'WAF integration', serverless: false, dedicated: true },
  monitoring: {
    category: 'Observability',
    feature: 'Monitoring and alerting',
    serverless: 'business metrics only',
    dedicated: 'business metrics, system resources, custom configurations',
  },
  fixedEip: { category: 'Access point', feature: 'Fixed EIP', serverless: false, dedicated: true },
  inboundBandwidth: {
    category: 'Access point',
    feature: 'Inbound bandwidth',
    serverless: 'shared, max 400 Mbps per gateway',
    dedicated: 'dedicated, default max 4 Gbps per gateway, adjustable',
  },
  changeConfiguration: {
    category: 'O&M',
    feature: 'Change configuration',
    serverless: 'none (scales automatically)',
    dedicated: 'change spec as needed; cannot downgrade to Serverless',
  },
  sla: { category: 'Stability', feature: 'SLA', serverless: '99.9%', dedicated: '99.99%' },
  dependentMiddleware: {
    category: 'Stability',
    feature: 'Dependent middleware',
    serverless: 'shared, logically isolated',
    dedicated: 'dedicated, physically isolated',
  },
  versionUpdates: { category: 'Stability', feature: 'Version updates', serverless: 'automatic', dedicated: 'manual' },
} as const satisfies Record<string, FeatureRow>;

export type Feature = keyof typeof FEATURES;

/** True when the edition has the feature at all (a descriptive cell counts as "has it"). */
export function editionSupports(edition: Edition, feature: Feature): boolean {
  return FEATURES[feature][edition] !== false;
}

/** Inbound bandwidth per gateway. */
export const BANDWIDTH = {
  serverlessMaxMbps: 400,
  dedicatedDefaultMbps: 4_000,
} as const;

/** Service level per edition, in percent. */
export const SLA_PERCENT = { serverless: 99.9, dedicated: 99.99 } as const;

/** Global quota: gateway instances per region, counted over every fleet in the App. */
export const MAX_GATEWAYS_PER_REGION = 100;

interface QuotaRow {
  /** How the quota is named in messages. */
  readonly noun: string;
  /** The catalog's own name of the quota. */
  readonly catalogName: string;
  /** This project's definition of what is counted. */
  readonly countedAs: string;
  /** The limit per tier; `null` where the catalog says "n/a": the tier cannot have any. */
  readonly limits: { readonly [T in QuotaTier]: number | null };
}

/** The nine per-instance quotas, with what each counts. */
export const QUOTAS = {
  mcpServers: {
    noun: 'MCP servers',
    catalogName: 'MCP Server count',
    countedAs: '`McpServer` constructs on the gateway, both kinds',
    limits: { serverless: 100, small: 500, medium: 1_000, large: 2_000 },
  },
  routes: {
    noun: 'online routes',
    catalogName: 'Total online routes (including Model API routes and Agent API routes)',
    countedAs: '`ModelRoute` + `AgentRoute` constructs on the gateway',
    limits: { serverless: 2_500, small: 5_000, medium: 7_500, large: 10_000 },
  },
  domains: {
    noun: 'published domain names',
    catalogName: 'Published domain names',
    countedAs: "distinct hostnames of the gateway's `Domain`s",
    limits: { serverless: 100, small: 200, medium: 500, large: 1_000 },
  },
  services: {
    noun: 'associated services',
    catalogName: 'Associated services',
    countedAs: '`UpstreamService` constructs the gateway uses',
    limits: { serverless: 200, small: 800, medium: 2_000, large: 4_000 },
  },
  serviceNodes: {
    noun: 'service nodes',
    catalogName: 'Service nodes',
    countedAs:
      'sum over those services: each static address is 1 node; a DNS name or a Kubernetes Service counts as 1 (the data plane caps what it discovers at run time to the same total)',
    limits: { serverless: 400, small: 1_600, medium: 4_000, large: 8_000 },
  },
  serviceSources: {
    noun: 'Kubernetes service sources',
    catalogName: 'Kubernetes service sources',
    countedAs:
      "distinct Kubernetes clusters (in-cluster, or one kubeconfig reference each) that the gateway's services are discovered from",
    limits: { serverless: 3, small: 3, medium: 5, large: 5 },
  },
  installedExtensions: {
    noun: 'installed extensions',
    catalogName: 'Installed extensions',
    countedAs: 'enabled `Extension`s from the marketplace or custom (system extensions are built in and not counted)',
    limits: { serverless: null, small: 10, medium: 20, large: 30 },
  },
  uploadedExtensions: {
    noun: 'uploaded custom extensions',
    catalogName: 'Uploaded custom extensions',
    countedAs: 'distinct custom `Extension` bundles (by sha256 of the bundled module) attached to the gateway, enabled or not',
    limits: { serverless: null, small: 20, medium: 50, large: 80 },
  },
  consumerAuthorizations: {
    noun: 'consumer authorizations',
    catalogName: 'Consumer authorization count',
    countedAs: '(consumer, route or MCP server) grants; a grant to "all" counts once per route or server it covers',
    limits: { serverless: 500, small: 2_000, medium: 6_000, large: 10_000 },
  },
} as const satisfies Record<string, QuotaRow>;

export type Quota = keyof typeof QUOTAS;
export const QUOTA_NAMES = Object.keys(QUOTAS) as Quota[];

/** The limit of a quota for a tier; 0 where the tier cannot have any ("n/a"). */
export function quotaLimit(quota: Quota, tier: QuotaTier): number {
  return QUOTAS[quota].limits[tier] ?? 0;
}

/** The smallest spec whose quota admits `count`, or undefined when none does. Used to suggest a fix. */
export function smallestSpecAdmitting(quota: Quota, count: number): CapacitySpec | undefined {
  return CAPACITY_SPEC_NAMES.find((spec) => quotaLimit(quota, CAPACITY_SPECS[spec].family) >= count);
}
