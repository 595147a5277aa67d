import type { IConstruct } from 'constructs';
import type { z } from 'zod';
import { type BackendConfig, checkGatewayConfig, CONFIG_PART_SCHEMAS, GATEWAY_CONFIG_API_VERSION, type GatewayConfig, GatewayConfigSchema } from '../specs';
import type { Backend } from './backend';
import type { AiGateway } from './gateway';
import type { McpServer } from './mcp-server';
import type { ModelRoute } from './model-route';
import type { OpenApiToolsResult } from './openapi-tools';
import { describe, type Finding, shown } from './violation';

export interface ConfigInputs {
  /** OpenAPI conversions, done once per App before the rules run. */
  readonly openApi: ReadonlyMap<McpServer, OpenApiToolsResult>;
}

/** A gateway's config as its constructs render it, and what its parts' schemas found, at the construct and prop that set it. */
export interface BuiltConfig {
  /** Undefined when a part could not be rendered at all (its issue says which). */
  readonly config?: GatewayConfig;
  readonly issues: readonly Finding[];
}

/**
 * A config path inside a part, and the prop that sets it where the two differ (the first entry that
 * is a prefix of the path wins, `[]` standing for any index; a path no entry matches is named as it
 * is: most config fields are named as their props).
 */
type PropNames = readonly (readonly [configPath: string, prop: string])[];

const ROUTE_PROPS: PropNames = [
  ['name', 'routeName'],
  ['match.host', 'host'],
  ['match.pathPrefix', 'pathPrefix'],
  ['upstream.baseUrl', 'baseUrl'],
  ['upstream.apiKey', 'apiKey'],
  ['upstream.service', 'service'],
  ['policies.keyAuth.enabled', 'policies.keyAuth'],
  ['policies.rateLimits[].name', 'policies.rateLimits[] (its kind and window)'],
];
const MCP_PROPS: PropNames = [
  ['name', 'serverName'],
  ['upstream.url', 'url'],
  ['upstream.transport', 'transport'],
  ['upstream.headers', 'headers'],
  ['upstream.auth', 'auth'],
  ['upstream.baseUrl', 'baseUrl'],
  ['upstream.service', 'service'],
];
const BACKEND_PROPS: PropNames = [['name', 'backendName']];
const CONSUMER_PROPS: PropNames = [
  ['name', 'consumerName'],
  ['grants.routes', 'grants.routes'],
];
const SERVICE_PROPS: PropNames = [
  ['name', 'serviceName'],
  ['serviceName', 'name'],
  ['source', 'source'],
];
const SOURCE_PROPS: PropNames = [['name', 'sourceName']];
const DOMAIN_PROPS: PropNames = [['host', 'hostname']];
const EXTENSION_PROPS: PropNames = [['bundle.requires', 'allowedModules'], ['bundle', 'modulePath']];
const MCP_SETTINGS_PROPS: PropNames = [['sessionKey', 'mcpSessionKey']];
/** `mcp` is not among the parts CONFIG_PART_SCHEMAS picks for the gateway: its own schema, from the one whole schema. */
const MCP_SETTINGS_SCHEMA = GatewayConfigSchema.shape.mcp.unwrap();
const ADMIN_SETTINGS_PROPS: PropNames = [['token', 'adminToken']];
const ADMIN_SETTINGS_SCHEMA = GatewayConfigSchema.shape.admin.unwrap();
const GATEWAY_PROPS: PropNames = [
  ['metadata.name', 'gatewayName'],
  ['metadata.fleet', "the fleet's id"],
  ['metadata.region', "the fleet's region"],
  ['metadata.spec', 'spec'],
  ['metadata.edition', 'edition'],
  ['limits.bandwidthMbps', 'bandwidthMbps'],
  ['limits.maxClientConnections', 'spec'],
  ['limits.maxQps', 'spec'],
  ['observability.tier', 'observability.systemResources'],
  ['acceleration', 'hardwareAcceleration'],
  ['redis', "the fleet's namespace and redisAclSecretName"],
];

/**
 * Folds a gateway and its children into one `GatewayConfig`: each construct renders its own part
 * (`_toConfig`), and each part is parsed here with its part's schema, so that a bad value is
 * reported at the construct and prop that set it, with every other finding of the run.
 */
export function buildGatewayConfig(gateway: AiGateway, inputs: ConfigInputs): BuiltConfig {
  const c = gateway.children;
  const issues: Finding[] = [];
  let complete = true;
  const part = <T>(owner: IConstruct, label: string, schema: z.ZodType, props: PropNames, render: () => T): T | undefined => {
    const rendered = renderPart(owner, label, schema, props, render, issues);
    if (rendered === undefined) complete = false;
    return rendered;
  };
  const gw = describe('Gateway', gateway.gatewayName, gateway);

  // One backend entry (one upstream pool) per Backend object, however many routes use it; checked
  // once, and reported at the first route that uses it.
  const backends = new Map<Backend, BackendConfig>();
  const backendNamer = (route: ModelRoute, at: string) => (b: Backend, model: string): string => {
    let entry = backends.get(b);
    if (!entry) {
      const name = b.backendName ?? `${b.provider}-${backends.size + 1}`;
      entry = part(route, `${at}: the backend '${name}' of model '${model}'`, CONFIG_PART_SCHEMAS.backend, BACKEND_PROPS, () => b._toConfig(name));
      if (!entry) throw new Error(`its backend '${name}' could not be rendered`);
      backends.set(b, entry);
    }
    return entry.name;
  };

  const own = part(gateway, gw, CONFIG_PART_SCHEMAS.gatewayOwn, GATEWAY_PROPS, () => gateway._toConfig());
  // Only when set, so that a config without it stays as it was.
  const mcp = gateway.mcpSessionKey && part(gateway, gw, MCP_SETTINGS_SCHEMA, MCP_SETTINGS_PROPS, () => gateway._mcpConfig());
  const admin = gateway.adminToken && part(gateway, gw, ADMIN_SETTINGS_SCHEMA, ADMIN_SETTINGS_PROPS, () => gateway._adminConfig());
  const modelRoutes = c.modelRoutes.map((r) => {
    const at = describe('ModelRoute', r.routeName, r);
    return part(r, at, CONFIG_PART_SCHEMAS.modelRoute, ROUTE_PROPS, () => r._toConfig({ backendName: backendNamer(r, at) }));
  });
  const agentRoutes = c.agentRoutes.map((r) => part(r, describe('AgentRoute', r.routeName, r), CONFIG_PART_SCHEMAS.agentRoute, ROUTE_PROPS, () => r._toConfig()));
  const domains = c.domains.map((d) => part(d, describe('Domain', String(d.hostname), d), CONFIG_PART_SCHEMAS.domain, DOMAIN_PROPS, () => d._toConfig()));
  const services = c.services.map((s) => part(s, describe('UpstreamService', s.serviceName, s), CONFIG_PART_SCHEMAS.service, SERVICE_PROPS, () => s._toConfig()));
  const serviceSources = c.serviceSources.map((s) => part(s, describe('ServiceSource', s.sourceName, s), CONFIG_PART_SCHEMAS.serviceSource, SOURCE_PROPS, () => s._toConfig()));
  const consumers = c.consumers.map((x) => part(x, describe('Consumer', x.consumerName, x), CONFIG_PART_SCHEMAS.consumer, CONSUMER_PROPS, () => x._toConfig()));
  const mcpServers = c.mcpServers.map((m) => part(m, describe('McpServer', m.serverName, m), CONFIG_PART_SCHEMAS.mcpServer, mcpProps(m, inputs), () => m._toConfig(inputs)));
  const extensions = c.extensions.map((e) => part(e, describe('Extension', e.name, e), CONFIG_PART_SCHEMAS.extension, EXTENSION_PROPS, () => e._toConfig()));
  if (!complete || !own) return { issues };

  const config: GatewayConfig = {
    apiVersion: GATEWAY_CONFIG_API_VERSION,
    kind: 'GatewayConfig',
    metadata: own.metadata,
    listeners: own.listeners,
    limits: own.limits,
    domains: domains as GatewayConfig['domains'],
    // Filled in by the model routes above (Map preserves first-use order).
    backends: [...backends.values()],
    services: services as GatewayConfig['services'],
    serviceSources: serviceSources as GatewayConfig['serviceSources'],
    modelRoutes: modelRoutes as GatewayConfig['modelRoutes'],
    agentRoutes: agentRoutes as GatewayConfig['agentRoutes'],
    consumers: consumers as GatewayConfig['consumers'],
    mcpServers: mcpServers as GatewayConfig['mcpServers'],
    ...(mcp && { mcp }),
    ...(admin && { admin }),
    extensions: extensions as GatewayConfig['extensions'],
    ...(own.waf && { waf: own.waf }),
    acceleration: own.acceleration,
    observability: own.observability,
    redis: own.redis,
  };
  if (issues.length === 0) {
    // What only the whole config could say (the parts passed): the data plane's own load check, as a net under the parts'.
    const whole = checkGatewayConfig(config);
    if (!whole.ok) issues.push(...whole.issues.map((issue) => ({ construct: gateway, message: `${gw}: config ${issue}. Fix the prop that sets it.` })));
  }
  return { config, issues };
}

/** An HTTP-to-MCP server's tools after its inline ones come from its OpenAPI file. */
function mcpProps(m: McpServer, inputs: ConfigInputs): PropNames {
  const inline = m.tools.length;
  const fromFile = inputs.openApi.get(m);
  const fileTools = fromFile?.ok ? fromFile.tools.map((_, i): [string, string] => [`tools[${inline + i}]`, `openApiFile (operation ${i + 1})`]) : [];
  return [...MCP_PROPS, ...fileTools];
}

/** Renders one part and parses it with its schema; undefined when it cannot be rendered at all. */
function renderPart<T>(owner: IConstruct, label: string, schema: z.ZodType, props: PropNames, render: () => T, issues: Finding[]): T | undefined {
  let value: T;
  try {
    value = render();
  } catch (e) {
    issues.push({ construct: owner, message: `${label}: its config could not be rendered (${(e as Error).message}). Check its props against their types.` });
    return undefined;
  }
  let result: ReturnType<z.ZodType['safeParse']>;
  try {
    result = schema.safeParse(value);
  } catch (e) {
    issues.push({ construct: owner, message: `${label}: its config could not be checked (${(e as Error).message}). Check its props; report this if it persists.` });
    return value;
  }
  for (const issue of result.success ? [] : result.error.issues) {
    const path = issue.path as (string | number)[];
    const prop = propName(formatPath(path), props);
    issues.push({ construct: owner, message: `${label}: ${prop}: ${issue.message}, found ${shown(valueAt(value, path))}. Fix ${prop}.` });
  }
  return value;
}

function propName(configPath: string, props: PropNames): string {
  for (const [from, to] of props) {
    const escaped = from.replace(/[.*+?^${}()|\\]/g, '\\$&').replace(/\[\]/g, '\\[(\\d+)\\]');
    const match = new RegExp(`^${escaped}(?=$|[.[])`).exec(configPath);
    if (!match) continue;
    // The indices the entry's `[]` stood for, in order, into the prop's `[]`.
    const indices = match.slice(1);
    return `${to.replace(/\[\]/g, () => `[${indices.shift()}]`)}${configPath.slice(match[0].length)}`;
  }
  return configPath || '(the whole part)';
}

function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
}
