/**
 * Shared fixtures for the `src/specs` tests (not a test file itself: no `.test.ts` suffix).
 */
import type { GatewayConfig, ModelRouteConfig, PoliciesConfig, RetriesConfig, TimeoutsConfig } from '../../src/specs/config';

const timeouts = (): TimeoutsConfig => ({ connectMs: 2_000, firstByteMs: 30_000, totalMs: 120_000 });
const retries = (): RetriesConfig => ({ attempts: 2, onStatus: [429, 502, 503], backoffBaseMs: 100 });
const basicPolicies = (): PoliciesConfig => ({ keyAuth: { enabled: true }, rateLimits: [], onRedisUnavailable: 'failClosed' });

/**
 * A small but complete, valid `GatewayConfig`: every top-level field is present (the optional ones too),
 * with one of each MCP server kind, each upstream service kind and each service source kind.
 */
export function minimalConfig(): GatewayConfig {
  return {
    apiVersion: 'aigw.dev/v1',
    kind: 'GatewayConfig',
    metadata: {
      name: 'gw-main',
      fleet: 'prod',
      constructPath: 'App/Stack/Fleet/gw-main',
      edition: 'dedicated',
      spec: 'aigw.small.x2',
      region: 'cn-hangzhou',
    },
    listeners: { port: 8080, tlsPort: 8443, adminPort: 9901 },
    limits: {
      maxClientConnections: 20_000,
      maxQps: 1_500,
      bandwidthMbps: 4_000,
      maxBodyBytes: 10 * 1024 * 1024,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
    },
    domains: [
      {
        host: 'api.example.com',
        tls: { certificate: { secretName: 'api-tls', key: 'tls.crt' }, privateKey: { secretName: 'api-tls', key: 'tls.key' } },
      },
      { host: '*.example.com' },
    ],
    backends: [
      {
        name: 'openai',
        provider: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        apiKey: { secretName: 'llm-keys', key: 'openai' },
        headers: {},
        timeouts: timeouts(),
        retries: retries(),
      },
      {
        name: 'azure',
        provider: 'azure-openai',
        baseUrl: 'https://my-resource.openai.azure.com',
        apiKey: { secretName: 'llm-keys', key: 'azure' },
        azure: { apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'gpt4o-prod' } },
        headers: { 'x-team': 'ai' },
        timeouts: timeouts(),
        retries: retries(),
      },
      {
        name: 'local-vllm',
        provider: 'vllm',
        baseUrl: 'http://vllm.models.svc:8000/v1',
        service: 'vllm',
        headers: {},
        timeouts: timeouts(),
        retries: retries(),
      },
    ],
    services: [
      { name: 'vllm', kind: 'kubernetes', serviceName: 'vllm', namespace: 'models', port: 8000, source: 'local' },
      { name: 'ollama', kind: 'static', addresses: ['10.0.0.5:11434', '[fd00::5]:11434'] },
      { name: 'weather', kind: 'dns', host: 'weather.example.com', port: 443 },
    ],
    serviceSources: [
      { name: 'local', kind: 'in-cluster' },
      { name: 'remote', kind: 'kubeconfig', kubeconfig: { secretName: 'remote-cluster', key: 'kubeconfig' } },
    ],
    modelRoutes: [
      {
        name: 'chat',
        match: { host: 'api.example.com', pathPrefix: '/v1' },
        models: [
          {
            name: 'gpt-4o',
            aliases: ['gpt4o'],
            targets: [
              { backend: 'openai', model: 'gpt-4o', weight: 80 },
              { backend: 'azure', model: 'gpt-4o', weight: 20 },
            ],
            fallbacks: ['qwen-local'],
          },
          {
            name: 'qwen-local',
            aliases: [],
            targets: [{ backend: 'local-vllm', model: 'Qwen/Qwen2.5-7B-Instruct', weight: 1 }],
            fallbacks: [],
          },
        ],
        policies: {
          keyAuth: { enabled: true },
          rateLimits: [{ name: 'per-consumer', kind: 'tokens', limit: 100_000, window: 'minute', scope: 'consumer' }],
          onRedisUnavailable: 'failOpen',
          maxBodyBytes: 1024 * 1024,
          cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['POST'], allowHeaders: ['authorization'], maxAgeSeconds: 600 },
        },
      },
    ],
    agentRoutes: [
      {
        name: 'support-bot',
        kind: 'model-studio',
        match: { host: '*', pathPrefix: '/agents/support' },
        appId: 'app-1234',
        upstream: { baseUrl: 'https://dashscope.aliyuncs.com', apiKey: { secretName: 'llm-keys', key: 'dashscope' } },
        timeouts: timeouts(),
        policies: basicPolicies(),
      },
    ],
    consumers: [
      {
        name: 'team-a',
        apiKey: { secretName: 'consumers', key: 'team-a' },
        grants: { all: false, routes: ['chat', 'support-bot'], mcpServers: ['github'], mcpTools: { weather: ['get_forecast'] } },
      },
    ],
    mcpServers: [
      {
        name: 'github',
        kind: 'proxy',
        path: '/mcp/github',
        upstream: {
          url: 'https://api.githubcopilot.com/mcp/',
          transport: 'streamable-http',
          headers: {},
          auth: { secretName: 'mcp', key: 'github-token' },
        },
        allowTools: [],
      },
      {
        name: 'weather',
        kind: 'http-to-mcp',
        path: '/mcp/weather',
        upstream: {
          baseUrl: 'https://weather.example.com',
          service: 'weather',
          auth: { header: 'Authorization', prefix: 'Bearer ', secret: { secretName: 'mcp', key: 'weather-token' } },
        },
        tools: [
          {
            name: 'get_forecast',
            description: 'Daily forecast for a city',
            inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            outputSchema: { type: 'object', properties: { days: { type: 'array' } } },
            request: { method: 'GET', path: '/forecast', query: { city: '{{args.city}}' }, headers: {} },
            response: { format: 'json', pointer: '/daily' },
          },
        ],
        maxResponseBytes: 2 * 1024 * 1024,
      },
    ],
    mcp: { sessionKey: { secretName: 'mcp', key: 'session-key' } },
    admin: { token: { secretName: 'aigw-admin', key: 'token' } },
    extensions: [
      {
        name: 'pii-mask',
        source: 'custom',
        version: '1.0.0',
        bundle: { sha256: '26cea0c64cae23af02cb0c456e6efccbcd73a28f72111a3fbb775c7857bc60ba', code: 'module.exports = { name: "pii-mask" };' },
        phase: 'default',
        priority: 100,
        failPolicy: 'closed',
        enabled: true,
        config: { patterns: ['email', 'phone'], replacement: '***', nested: { on: true, n: 1.5, nothing: null } },
      },
    ],
    waf: {
      mode: 'block',
      rules: { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false },
      customRules: [
        { name: 'no-admin', target: 'path', pattern: '^/admin', action: 'block' },
        { name: 'debug-header', target: 'header', header: 'X-Debug', pattern: '.+', action: 'log' },
      ],
    },
    acceleration: { tls: { enabled: true, fallback: 'software' }, compression: { enabled: false, fallback: 'software' } },
    observability: { tier: 'full', customLabels: { team: 'ai' } },
    redis: { address: 'redis.aigw.svc:6379', keyPrefix: 'aigw:prod:', user: 'default', password: { secretName: 'redis', key: 'password' } },
  };
}

/** Park–Miller "minimal standard" PRNG: deterministic, so "random" test data is the same on every run. */
export function seededRandom(seed: number): () => number {
  const m = 2_147_483_647; // 2^31 - 1
  let state = (Math.abs(Math.trunc(seed)) % (m - 1)) + 1;
  return () => {
    state = (state * 48_271) % m; // exact: 48271 * 2^31 < 2^53
    return (state - 1) / (m - 1);
  };
}

/** `length` random lowercase hex digits. */
export function randomHex(random: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

/** A valid config with `count` model routes whose names are random enough that gzip cannot collapse them. */
export function largeConfig(count: number, seed = 42, entropyHexDigits = 24): GatewayConfig {
  const random = seededRandom(seed);
  const base = minimalConfig();
  const routes: ModelRouteConfig[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomHex(random, entropyHexDigits);
    routes.push({
      name: `route-${i}-${id}`,
      match: { host: `t${randomHex(random, 8)}.example.com`, pathPrefix: `/v1/${randomHex(random, entropyHexDigits)}` },
      models: [
        {
          name: `model-${randomHex(random, entropyHexDigits)}`,
          aliases: [],
          targets: [{ backend: 'openai', model: `upstream-${randomHex(random, entropyHexDigits)}`, weight: 1 + Math.floor(random() * 100) }],
          fallbacks: [],
        },
      ],
      policies: basicPolicies(),
    });
  }
  return { ...base, modelRoutes: routes };
}
