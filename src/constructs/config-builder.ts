import {
  AGENT_DEFAULT_BASE_URLS,
  BANDWIDTH,
  type BackendConfig,
  GATEWAY_CONFIG_API_VERSION,
  type GatewayConfig,
  type McpServerConfig,
  type McpToolConfig,
  type PoliciesConfig,
  PORTS,
  PROVIDERS,
  sizeGateway,
  type TimeoutsConfig,
} from '../specs';
import type { Backend, TimeoutProps } from './backend';
import type { AiGateway, DedicatedGatewayProps } from './gateway';
import type { McpServer, McpToolProps } from './mcp-server';
import type { OpenApiToolsResult } from './openapi-tools';
import { fleetName, placementOf, REDIS_PORT } from './placement';
import type { RoutePolicyProps } from './policies';
import { serverlessScaling } from './serverless-scaling';

/** Defaults of the config, where props say nothing. */
export const CONFIG_DEFAULTS = {
  maxBodyBytes: 10 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  timeouts: { connectMs: 5_000, firstByteMs: 60_000, totalMs: 600_000 },
  retries: { attempts: 2, onStatus: [429, 502, 503, 504], backoffBaseMs: 100 },
  circuitBreaker: { failureThreshold: 5, cooldownMs: 10_000 },
} as const;

export interface ConfigInputs {
  /** OpenAPI conversions, done once per App before the rules run. */
  readonly openApi: ReadonlyMap<McpServer, OpenApiToolsResult>;
}

/** The base URL a backend uses: its own, its service's, or the provider's public endpoint. */
export function backendBaseUrl(backend: Backend): string | undefined {
  const p = backend?.props;
  if (!p) return undefined;
  return p.baseUrl ?? p.service?.url() ?? PROVIDERS[p.provider]?.defaultBaseUrl;
}

function timeouts(t: TimeoutProps | undefined): TimeoutsConfig {
  return { ...CONFIG_DEFAULTS.timeouts, ...t };
}

function policies(p: RoutePolicyProps | undefined): PoliciesConfig {
  return {
    keyAuth: { enabled: p?.keyAuth ?? true },
    rateLimits: (p?.rateLimits ?? []).map((r, i) => ({
      name: `${r.kind ?? 'requests'}-per-${r.window}-${i}`,
      kind: r.kind ?? 'requests',
      limit: r.limit,
      window: r.window,
      scope: r.scope ?? 'consumer',
    })),
    onRedisUnavailable: p?.onRedisUnavailable ?? 'failOpen',
    ...(p?.maxBodyBytes !== undefined && { maxBodyBytes: p.maxBodyBytes }),
    ...(p?.timeouts && { timeouts: { ...p.timeouts } }),
    ...(p?.cors && {
      cors: {
        allowOrigins: p.cors.allowOrigins,
        allowMethods: p.cors.allowMethods ?? ['GET', 'POST', 'OPTIONS'],
        allowHeaders: p.cors.allowHeaders ?? ['authorization', 'content-type', 'x-api-key'],
        maxAgeSeconds: p.cors.maxAgeSeconds ?? 600,
      },
    }),
  };
}

function tool(t: McpToolProps): McpToolConfig {
  return {
    name: t.name,
    description: t.description ?? '',
    inputSchema: (t.inputSchema ?? { type: 'object', properties: {} }) as McpToolConfig['inputSchema'],
    request: {
      method: t.request.method,
      path: t.request.path,
      query: t.request.query ?? {},
      headers: t.request.headers ?? {},
      ...(t.request.bodyArg !== undefined && { bodyArg: t.request.bodyArg }),
    },
    response: { format: t.response?.format ?? 'json', ...(t.response?.pointer !== undefined && { pointer: t.response.pointer }) },
  };
}

function mcpServer(server: McpServer, inputs: ConfigInputs): McpServerConfig {
  const p = server.props;
  if (p.kind === 'proxy') {
    return {
      name: server.serverName,
      kind: 'proxy',
      path: server.path,
      upstream: { url: p.url, transport: p.transport ?? 'streamable-http', headers: p.headers ?? {}, ...(p.auth && { auth: { ...p.auth } }) },
      allowTools: p.allowTools ?? [],
    };
  }
  const converted = inputs.openApi.get(server);
  const fromFile = converted?.ok ? converted.tools : [];
  return {
    name: server.serverName,
    kind: 'http-to-mcp',
    path: server.path,
    upstream: {
      baseUrl: p.baseUrl ?? p.service?.url() ?? '',
      ...(p.service && { service: p.service.serviceName }),
      ...(p.auth && { auth: { header: p.auth.header ?? 'authorization', prefix: p.auth.prefix ?? 'Bearer ', secret: { ...p.auth.secret } } }),
    },
    tools: [...(p.tools ?? []).map(tool), ...fromFile],
  };
}

/** Fold a gateway and its children into one `GatewayConfig` (not yet validated: the schema does that). */
export function buildGatewayConfig(gateway: AiGateway, inputs: ConfigInputs): GatewayConfig {
  const c = gateway.children;
  const placement = placementOf(gateway);
  const sizing = sizeGateway(gateway.edition, gateway.spec, serverlessScaling(gateway.fleet));
  const dedicated = gateway.props.edition === 'dedicated' ? (gateway.props as DedicatedGatewayProps) : undefined;

  // One backend entry (one upstream pool) per Backend object, however many routes use it.
  const backends = new Map<Backend, BackendConfig>();
  const backendName = (b: Backend): string => {
    let entry = backends.get(b);
    if (!entry) {
      const p = b.props;
      entry = {
        name: p.backendName ?? `${p.provider}-${backends.size + 1}`,
        provider: p.provider,
        baseUrl: backendBaseUrl(b) ?? '',
        ...(p.apiKey && { apiKey: { ...p.apiKey } }),
        ...(p.service && { service: p.service.serviceName }),
        ...(p.azure && { azure: { apiVersion: p.azure.apiVersion, deployments: { ...p.azure.deployments } } }),
        headers: { ...p.headers },
        timeouts: timeouts(p.timeouts),
        retries: { ...CONFIG_DEFAULTS.retries, onStatus: [...CONFIG_DEFAULTS.retries.onStatus], ...p.retries },
        ...(p.circuitBreaker && { circuitBreaker: { ...CONFIG_DEFAULTS.circuitBreaker, ...p.circuitBreaker } }),
      };
      backends.set(b, entry);
    }
    return entry.name;
  };

  const modelRoutes = c.modelRoutes.map((route) => ({
    name: route.routeName,
    match: { host: route.host, pathPrefix: route.pathPrefix },
    models: route.models.map((m) => ({
      name: m.name,
      aliases: [...(m.aliases ?? [])],
      targets: (m.targets ?? []).map((t) => ({ backend: backendName(t.backend), model: t.model ?? m.name, weight: t.weight ?? 1 })),
      fallbacks: [...(m.fallbacks ?? [])],
    })),
    policies: policies(route.props.policies),
  }));

  const agentRoutes = c.agentRoutes.map((route) => {
    const p = route.props;
    const baseUrl = p.baseUrl ?? p.service?.url() ?? (p.kind === 'model-studio' ? AGENT_DEFAULT_BASE_URLS['model-studio'] : '');
    return {
      name: route.routeName,
      kind: p.kind,
      match: { host: route.host, pathPrefix: route.pathPrefix },
      ...(p.appId !== undefined && { appId: p.appId }),
      upstream: { baseUrl, ...(p.apiKey && { apiKey: { ...p.apiKey } }), ...(p.service && { service: p.service.serviceName }) },
      timeouts: timeouts(p.timeouts),
      policies: policies(p.policies),
    };
  });

  const waf = dedicated?.waf;
  const accel = dedicated?.hardwareAcceleration;
  const fallback = accel?.fallback ?? 'software';

  return {
    apiVersion: GATEWAY_CONFIG_API_VERSION,
    kind: 'GatewayConfig',
    metadata: {
      name: gateway.gatewayName,
      fleet: fleetName(gateway.fleet),
      constructPath: gateway.node.path,
      edition: gateway.edition,
      ...(gateway.spec && { spec: gateway.spec }),
      region: gateway.fleet.region,
    },
    listeners: { port: PORTS.traffic, tlsPort: PORTS.trafficTls, adminPort: PORTS.admin },
    limits: {
      maxClientConnections: sizing.perReplicaClientConnections,
      maxQps: sizing.perReplicaQps,
      bandwidthMbps: gateway.props.bandwidthMbps ?? (dedicated ? BANDWIDTH.dedicatedDefaultMbps : BANDWIDTH.serverlessMaxMbps),
      maxBodyBytes: CONFIG_DEFAULTS.maxBodyBytes,
      headersTimeoutMs: CONFIG_DEFAULTS.headersTimeoutMs,
      idleTimeoutMs: CONFIG_DEFAULTS.idleTimeoutMs,
    },
    domains: c.domains.map((d) => ({
      host: d.hostname,
      ...(d.props.tls && { tls: { certificate: { ...d.props.tls.certificate }, privateKey: { ...d.props.tls.privateKey } } }),
    })),
    // Filled in by the routes above (Map preserves first-use order).
    backends: [...backends.values()],
    services: c.services.map((s) => {
      const p = s.props;
      if (p.kind === 'static') return { name: s.serviceName, kind: 'static' as const, addresses: [...p.addresses] };
      if (p.kind === 'dns') return { name: s.serviceName, kind: 'dns' as const, host: p.host, port: p.port };
      return { name: s.serviceName, kind: 'kubernetes' as const, serviceName: p.name, namespace: p.namespace, port: p.port, source: p.source.sourceName };
    }),
    serviceSources: c.serviceSources.map((src) =>
      src.props.kind === 'in-cluster'
        ? { name: src.sourceName, kind: 'in-cluster' as const }
        : { name: src.sourceName, kind: 'kubeconfig' as const, kubeconfig: { ...src.props.kubeconfig } },
    ),
    modelRoutes,
    agentRoutes,
    consumers: c.consumers.map((consumer) => ({
      name: consumer.consumerName,
      apiKey: { ...consumer.props.apiKey },
      grants: {
        all: consumer.grantsAll,
        routes: [...new Set(consumer.grantedRoutes.map((r) => r.routeName))],
        mcpServers: [...new Set(consumer.grantedMcpServers.map((m) => m.serverName))],
      },
    })),
    mcpServers: c.mcpServers.map((m) => mcpServer(m, inputs)),
    extensions: c.extensions.map((e) => ({
      name: e.props.name,
      source: e.source,
      ...(e.props.version !== undefined && { version: e.props.version }),
      ...(e.props.modulePath !== undefined && { module: e.props.modulePath }),
      phase: e.props.phase ?? 'default',
      priority: e.props.priority ?? 100,
      failPolicy: e.props.failPolicy ?? 'closed',
      enabled: e.enabled,
      config: (e.props.config ?? {}) as GatewayConfig['extensions'][number]['config'],
    })),
    ...(waf && {
      waf: {
        mode: waf.mode ?? 'block',
        rules: {
          sqlInjection: waf.rules?.sqlInjection ?? true,
          xss: waf.rules?.xss ?? true,
          pathTraversal: waf.rules?.pathTraversal ?? true,
          commandInjection: waf.rules?.commandInjection ?? true,
          promptInjection: waf.rules?.promptInjection ?? true,
        },
        customRules: (waf.customRules ?? []).map((r) => ({
          name: r.name,
          target: r.target,
          ...(r.header !== undefined && { header: r.header }),
          pattern: r.pattern,
          action: r.action ?? 'block',
        })),
      },
    }),
    acceleration: {
      tls: { enabled: accel?.tls ?? false, fallback },
      compression: { enabled: accel?.compression ?? false, fallback },
    },
    observability: {
      tier: dedicated && dedicated.observability?.systemResources !== false ? 'full' : 'business',
      customLabels: { ...dedicated?.observability?.customLabels },
    },
    redis: {
      address: `${placement.redisHost}:${REDIS_PORT}`,
      keyPrefix: placement.redisKeyPrefix,
      ...(placement.redisUser && {
        user: placement.redisUser,
        password: { secretName: redisAclSecretName(gateway), key: placement.redisUser },
      }),
    },
  };
}

export function redisAclSecretName(gateway: AiGateway): string {
  return gateway.fleet.props.redisAclSecretName ?? 'aigw-redis-acl';
}
