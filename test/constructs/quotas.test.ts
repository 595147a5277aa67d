import { writeFileSync } from 'fs';
import { join } from 'path';
import { appSynth, appSynthError, bigApp, fleetStack, openAi } from './fixtures';
import { type AiGateway, type AiGatewayProps, type CapacitySpec } from '../../src';
import { type Quota, QUOTAS, type QuotaTier } from '../../src/specs';
import { tempDirs } from '../support/temp-dirs';

// Literal limits, as the catalog page states them: a typo in the catalog must not also be in the test.
const LIMITS: Record<Quota, Record<QuotaTier, number | null>> = {
  mcpServers: { serverless: 100, small: 500, medium: 1000, large: 2000 },
  routes: { serverless: 2500, small: 5000, medium: 7500, large: 10000 },
  domains: { serverless: 100, small: 200, medium: 500, large: 1000 },
  services: { serverless: 200, small: 800, medium: 2000, large: 4000 },
  serviceNodes: { serverless: 400, small: 1600, medium: 4000, large: 8000 },
  serviceSources: { serverless: 3, small: 3, medium: 5, large: 5 },
  installedExtensions: { serverless: null, small: 10, medium: 20, large: 30 },
  uploadedExtensions: { serverless: null, small: 20, medium: 50, large: 80 },
  consumerAuthorizations: { serverless: 500, small: 2000, medium: 6000, large: 10000 },
};

const TIERS: Record<QuotaTier, AiGatewayProps> = {
  serverless: { edition: 'serverless' },
  small: { edition: 'dedicated', spec: 'aigw.small.x1' },
  medium: { edition: 'dedicated', spec: 'aigw.medium.x1' },
  large: { edition: 'dedicated', spec: 'aigw.large.x1' },
};

const moduleDir = tempDirs()('aigw-ext-');
/** A custom extension module named `custom-<i>`, written once: each is its own bundle (the quota counts distinct bundles). */
function customModule(i: number): string {
  const path = join(moduleDir, `custom-${i}.js`);
  writeFileSync(path, `module.exports = { name: 'custom-${i}' };\n`);
  return path;
}

/** The marketplace's extensions, each with a config its schema takes: a gateway installs each name once. */
const MARKETPLACE_INSTALLS = [
  { name: 'pii-redaction' },
  { name: 'audit-log' },
  { name: 'hmac-auth', config: { secret: 's'.repeat(32) } },
  { name: 'json-schema-guard', config: { schema: { type: 'object' } } },
] as const;

/** Adds `n` of what the quota counts, and nothing that would break another quota. */
const FILL: Record<Quota, (g: AiGateway, n: number) => void> = {
  mcpServers: (g, n) => {
    for (let i = 0; i < n; i++) g.addMcpServer(`m${i}`, { kind: 'proxy', url: 'http://mcp.internal/mcp' });
  },
  routes: (g, n) => {
    const backend = openAi();
    for (let i = 0; i < n; i++) g.addModelRoute(`r${i}`, { pathPrefix: `/r${i}`, models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  },
  domains: (g, n) => {
    for (let i = 0; i < n; i++) g.addDomain(`d${i}`, { hostname: `h${i}.example.com` });
  },
  services: (g, n) => {
    for (let i = 0; i < n; i++) g.addUpstreamService(`s${i}`, { kind: 'dns', host: `s${i}.internal`, port: 80 });
  },
  serviceNodes: (g, n) => {
    // Two addresses a service keeps the service count at half the node count, within every tier.
    for (let i = 0; i * 2 < n; i++) {
      const addresses = [`10.0.${Math.floor(i / 256)}.${i % 256}:80`, `10.1.${Math.floor(i / 256)}.${i % 256}:80`].slice(0, Math.min(2, n - i * 2));
      g.addUpstreamService(`n${i}`, { kind: 'static', addresses });
    }
  },
  serviceSources: (g, n) => {
    for (let i = 0; i < n; i++) g.addServiceSource(`c${i}`, { kind: 'kubeconfig', kubeconfig: { secretName: 'kubeconfigs', key: `cluster-${i}` } });
  },
  installedExtensions: (g, n) => {
    // Every marketplace extension once, then enabled custom ones (installed too), within the uploaded quota of every tier.
    const d = g as AiGateway<'dedicated'>;
    MARKETPLACE_INSTALLS.slice(0, n).forEach((m, i) => d.addExtension(`e${i}`, { ...m, source: 'marketplace' }));
    for (let i = MARKETPLACE_INSTALLS.length; i < n; i++) d.addExtension(`e${i}`, { name: `custom-${i}`, source: 'custom', modulePath: customModule(i) });
  },
  uploadedExtensions: (g, n) => {
    // Disabled, so that they count as uploaded but not as installed.
    for (let i = 0; i < n; i++) (g as AiGateway<'dedicated'>).addExtension(`u${i}`, { name: `custom-${i}`, source: 'custom', modulePath: customModule(i), enabled: false });
  },
  consumerAuthorizations: (g, n) => {
    const routes = Array.from({ length: 100 }, (_, i) => g.addModelRoute(`r${i}`, { pathPrefix: `/r${i}`, models: [{ name: 'm', targets: [{ backend: openAi() }] }] }));
    for (let c = 0; c * 100 < n; c++) {
      g.addConsumer(`c${c}`, { apiKey: { secretName: 'consumer-keys', key: `c${c}` }, grants: { routes: routes.slice(0, Math.min(100, n - c * 100)) } });
    }
  },
};

const NEXT_SPEC: Partial<Record<QuotaTier, CapacitySpec>> = { serverless: 'aigw.small.x1', small: 'aigw.medium.x1', medium: 'aigw.large.x1' };

const cases = (Object.keys(LIMITS) as Quota[]).flatMap((quota) =>
  (Object.keys(TIERS) as QuotaTier[]).filter((tier) => LIMITS[quota][tier] !== null).map((tier) => [quota, tier, LIMITS[quota][tier]!] as const),
);

describe.each(cases)('quota %s on %s (limit %d)', (quota, tier, limit) => {
  function gatewayWith(n: number) {
    const app = bigApp();
    const { stack, fleet } = fleetStack({}, app);
    const gateway = fleet.addGateway('gw', TIERS[tier]);
    FILL[quota](gateway as AiGateway, n);
    return { app, stack, gateway };
  }

  test(`${limit} synthesizes`, () => {
    const { app, stack } = gatewayWith(limit);
    expect(Object.keys(appSynth(app, stack.node.id).resource)).toContain('kubernetes_deployment_v1');
  });

  test(`${limit + 1} fails, naming the gateway, the value, the limit and the fix`, () => {
    const { app, gateway } = gatewayWith(limit + 1);
    const message = appSynthError(app);
    const what = tier === 'serverless' ? 'the Serverless edition' : `spec ${TIERS[tier].spec}`;
    expect(message).toContain(`Gateway 'gw' (${gateway.node.path}): ${what} allows ${limit} ${QUOTAS[quota].noun}, found ${limit + 1}.`);
    // Kubernetes service sources: Small allows as many as Serverless (3), and Large as many as Medium (5).
    const next = quota === 'serviceSources' ? { serverless: 'aigw.medium.x1', small: 'aigw.medium.x1' }[tier as string] : NEXT_SPEC[tier];
    const fix = !next ? 'No spec allows more than' : tier === 'serverless' ? `Use a Dedicated gateway with ${next} or larger` : `Use ${next} or larger.`;
    expect(message).toContain(fix);
  });
});
