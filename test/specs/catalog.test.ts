/**
 * GOLDEN test of the product catalog.
 *
 * Every literal below was copied by hand from the seed page
 * (`shared/reference/seed-ai-gateway-types.txt`, "AI Gateway: Gateway Types", last updated Mar 24, 2026).
 * Do NOT compute these tables from `src/specs/catalog.ts`: a test that reads its limits from the
 * catalog cannot catch a typo in it. If the product page changes, change these literals by hand.
 */
import {
  BANDWIDTH,
  CAPACITY_SPECS,
  CAPACITY_SPEC_NAMES,
  type CapacitySpec,
  EDITIONS,
  FEATURES,
  type Feature,
  MAX_GATEWAYS_PER_REGION,
  QUOTAS,
  QUOTA_NAMES,
  type Quota,
  SLA_PERCENT,
  SPEC_FAMILIES,
  editionSupports,
  isCapacitySpec,
  quotaLimit,
  quotaTierOf,
  smallestSpecAdmitting,
} from '../../src/specs/catalog';

// ---------------------------------------------------------------- golden tables (from the seed page)

/** Seed: "Capacity Specifications" — Instance type / QPS / Client connections, in page order. */
const GOLDEN_SPECS: ReadonlyArray<readonly [name: string, qps: number, clientConnections: number]> = [
  ['aigw.small.x1', 1500, 20000],
  ['aigw.small.x2', 3000, 40000],
  ['aigw.small.x4', 6000, 80000],
  ['aigw.medium.x1', 12000, 160000],
  ['aigw.medium.x2', 24000, 320000],
  ['aigw.medium.x3', 36000, 480000],
  ['aigw.large.x1', 48000, 640000],
  ['aigw.large.x2', 96000, 1280000],
  ['aigw.large.x3', 144000, 1920000],
  ['aigw.large.x4', 192000, 2560000],
];

/** Seed: "Instance Quotas" — Quota dimension / Serverless / Small / Medium / Large; "NA" is null. */
const GOLDEN_QUOTAS: ReadonlyArray<
  readonly [quota: Quota, seedName: string, serverless: number | null, small: number | null, medium: number | null, large: number | null]
> = [
  ['mcpServers', 'MCP Server count', 100, 500, 1000, 2000],
  ['routes', 'Total online routes (including Model API routes and Agent API routes)', 2500, 5000, 7500, 10000],
  ['domains', 'Published domain names', 100, 200, 500, 1000],
  ['services', 'Associated services', 200, 800, 2000, 4000],
  ['serviceNodes', 'Service nodes', 400, 1600, 4000, 8000],
  ['serviceSources', 'Kubernetes service sources', 3, 3, 5, 5],
  ['installedExtensions', 'Installed extensions', null, 10, 20, 30],
  ['uploadedExtensions', 'Uploaded custom extensions', null, 20, 50, 80],
  ['consumerAuthorizations', 'Consumer authorization count', 500, 2000, 6000, 10000],
];

/** Seed: "Global Quotas" — Instances per region. */
const GOLDEN_INSTANCES_PER_REGION = 100;

/**
 * Seed: the version comparison rows whose cells are "Supported" / "Not supported" (yes / no).
 * The page's "Support" for Model Studio on Serverless is read as "Supported".
 * Fixed EIP is included: "Non-fixed EIP. Uses shared endpoints." vs "Supports fixed EIP and dedicated endpoints."
 */
const GOLDEN_FEATURES: ReadonlyArray<readonly [feature: Feature, seedRow: string, serverless: boolean, dedicated: boolean]> = [
  ['textToText', 'Model Proxy / Text-to-text', true, true],
  ['multiModal', 'Model Proxy / Multi-modal', true, true],
  ['builtInPolicies', 'Model Proxy / Built-in policies', true, true],
  ['mcpProxy', 'MCP Server / MCP proxy', true, true],
  ['httpToMcp', 'MCP Server / HTTP to MCP', true, true],
  ['agentModelStudio', 'Agent / Model Studio', true, true],
  ['agentDify', 'Agent / Dify', true, true],
  ['agentCustom', 'Agent / Custom', true, true],
  ['systemExtensions', 'Extensions / System extensions', true, true],
  ['extensionMarketplace', 'Extensions / Extension marketplace', false, true],
  ['customExtensions', 'Extensions / Custom extensions', false, true],
  ['tlsAcceleration', 'Hardware acceleration / TLS hardware acceleration', false, true],
  ['qatCompression', 'Hardware acceleration / QAT hardware compression and decompression', false, true],
  ['waf', 'Security / WAF integration', false, true],
  ['fixedEip', 'Access Point / Fixed EIP', false, true],
];

/** Seed: "Maximum bandwidth per gateway instance is 400 Mbps" / "Default maximum bandwidth ... is 4 Gbps". */
const GOLDEN_BANDWIDTH = { serverlessMaxMbps: 400, dedicatedDefaultMbps: 4000 };

/** Seed: "SLA 99.9% / 99.99%". */
const GOLDEN_SLA = { serverless: 99.9, dedicated: 99.99 };

// ---------------------------------------------------------------- golden comparisons

describe('catalog matches the seed page (golden)', () => {
  test('exactly the ten capacity specs, in page order', () => {
    expect(Object.keys(CAPACITY_SPECS)).toEqual(GOLDEN_SPECS.map(([name]) => name));
    expect(CAPACITY_SPEC_NAMES).toEqual(GOLDEN_SPECS.map(([name]) => name));
  });

  test.each(GOLDEN_SPECS)('%s: %d QPS, %d client connections', (name, qps, clientConnections) => {
    expect(isCapacitySpec(name)).toBe(true);
    const spec = CAPACITY_SPECS[name as CapacitySpec];
    expect(spec.qps).toBe(qps);
    expect(spec.clientConnections).toBe(clientConnections);
    // The family is the middle part of the spec name ("Small / Medium / Large" of the quota table).
    expect(spec.family).toBe(name.split('.')[1]);
  });

  test('exactly the nine instance quotas, in page order', () => {
    expect(Object.keys(QUOTAS)).toEqual(GOLDEN_QUOTAS.map(([quota]) => quota));
    expect(QUOTA_NAMES).toEqual(GOLDEN_QUOTAS.map(([quota]) => quota));
  });

  test.each(GOLDEN_QUOTAS)('%s ("%s"): serverless %p, small %p, medium %p, large %p', (quota, seedName, serverless, small, medium, large) => {
    expect(QUOTAS[quota].catalogName).toBe(seedName);
    expect(QUOTAS[quota].limits).toEqual({ serverless, small, medium, large });
  });

  test('instances per region', () => {
    expect(MAX_GATEWAYS_PER_REGION).toBe(GOLDEN_INSTANCES_PER_REGION);
  });

  test.each(GOLDEN_FEATURES)('feature %s (%s): serverless %p, dedicated %p', (feature, _seedRow, serverless, dedicated) => {
    expect(FEATURES[feature].serverless).toBe(serverless);
    expect(FEATURES[feature].dedicated).toBe(dedicated);
    expect(editionSupports('serverless', feature)).toBe(serverless);
    expect(editionSupports('dedicated', feature)).toBe(dedicated);
  });

  test('every yes/no row of the catalog is covered by the golden table', () => {
    const booleanRows = (Object.keys(FEATURES) as Feature[]).filter(
      (f) => typeof FEATURES[f].serverless === 'boolean' || typeof FEATURES[f].dedicated === 'boolean',
    );
    expect(booleanRows.sort()).toEqual(GOLDEN_FEATURES.map(([f]) => f).sort());
  });

  test('Dedicated has every feature; descriptive rows count as "has it"', () => {
    for (const feature of Object.keys(FEATURES) as Feature[]) {
      expect(editionSupports('dedicated', feature)).toBe(true);
    }
    expect(editionSupports('serverless', 'monitoring')).toBe(true);
    expect(editionSupports('serverless', 'sla')).toBe(true);
  });

  test('bandwidth: 400 Mbps Serverless, 4 Gbps Dedicated', () => {
    expect(BANDWIDTH).toEqual(GOLDEN_BANDWIDTH);
  });

  test('SLA: 99.9% Serverless, 99.99% Dedicated', () => {
    expect(SLA_PERCENT).toEqual(GOLDEN_SLA);
    expect(FEATURES.sla.serverless).toBe('99.9%');
    expect(FEATURES.sla.dedicated).toBe('99.99%');
  });

  test('two editions', () => {
    expect([...EDITIONS]).toEqual(['serverless', 'dedicated']);
    expect([...SPEC_FAMILIES]).toEqual(['small', 'medium', 'large']);
  });
});

// ---------------------------------------------------------------- helpers

describe('quotaTierOf', () => {
  test('serverless is its own tier, whatever spec is passed', () => {
    expect(quotaTierOf('serverless')).toBe('serverless');
    expect(quotaTierOf('serverless', 'aigw.large.x4')).toBe('serverless');
  });

  test.each([
    ['aigw.small.x1', 'small'],
    ['aigw.small.x4', 'small'],
    ['aigw.medium.x1', 'medium'],
    ['aigw.medium.x3', 'medium'],
    ['aigw.large.x1', 'large'],
    ['aigw.large.x4', 'large'],
  ] as const)('dedicated %s is in tier %s', (spec, tier) => {
    expect(quotaTierOf('dedicated', spec)).toBe(tier);
  });
});

describe('quotaLimit', () => {
  test('reads the tier column', () => {
    expect(quotaLimit('mcpServers', 'serverless')).toBe(100);
    expect(quotaLimit('mcpServers', 'medium')).toBe(1000);
    expect(quotaLimit('routes', 'large')).toBe(10000);
    expect(quotaLimit('serviceSources', 'small')).toBe(3);
  });

  test('n/a means zero: a Serverless gateway can have no installed or uploaded extensions', () => {
    expect(quotaLimit('installedExtensions', 'serverless')).toBe(0);
    expect(quotaLimit('uploadedExtensions', 'serverless')).toBe(0);
    expect(quotaLimit('installedExtensions', 'small')).toBe(10);
  });
});

describe('smallestSpecAdmitting', () => {
  test('612 MCP servers need a medium spec', () => {
    expect(smallestSpecAdmitting('mcpServers', 612)).toBe('aigw.medium.x1');
  });

  test('boundaries are inclusive', () => {
    expect(smallestSpecAdmitting('mcpServers', 500)).toBe('aigw.small.x1');
    expect(smallestSpecAdmitting('mcpServers', 501)).toBe('aigw.medium.x1');
    expect(smallestSpecAdmitting('mcpServers', 2000)).toBe('aigw.large.x1');
    expect(smallestSpecAdmitting('routes', 7501)).toBe('aigw.large.x1');
  });

  test('undefined when no spec admits the count', () => {
    expect(smallestSpecAdmitting('mcpServers', 2001)).toBeUndefined();
    expect(smallestSpecAdmitting('consumerAuthorizations', 10001)).toBeUndefined();
  });
});

describe('isCapacitySpec', () => {
  test('the ten catalog names only', () => {
    expect(isCapacitySpec('aigw.small.x3')).toBe(false);
    expect(isCapacitySpec('aigw.medium.x4')).toBe(false);
    expect(isCapacitySpec('aigw.large.x4')).toBe(true);
    expect(isCapacitySpec('AIGW.SMALL.X1')).toBe(false);
    expect(isCapacitySpec('toString')).toBe(false);
    expect(isCapacitySpec('__proto__')).toBe(false);
    expect(isCapacitySpec(undefined)).toBe(false);
    expect(isCapacitySpec(1500)).toBe(false);
  });

  test('the type admits exactly the catalog names', () => {
    const ok: CapacitySpec = 'aigw.small.x4';
    // @ts-expect-error: there is no aigw.small.x3 in the catalog
    const bad: CapacitySpec = 'aigw.small.x3';
    expect([ok, bad]).toHaveLength(2);
  });
});
