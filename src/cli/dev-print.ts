import type { AgentRouteConfig, ConsumerConfig, GatewayConfig, ModelRouteConfig } from '../specs';

/** Where a client reaches one MCP server of a running gateway. */
export interface McpEndpoint {
  readonly name: string;
  /** Streamable HTTP: the gateway's base URL + the server's path (the SDK's `StreamableHTTPClientTransport` URL). */
  readonly url: string;
  /** Legacy HTTP+SSE: `url` + `/sse` (the SDK's `SSEClientTransport` URL). */
  readonly sseUrl: string;
}

/** Where a client reaches one agent route of a running gateway. */
export interface AgentEndpoint {
  readonly name: string;
  /** `dify`, `model-studio` or `custom`. */
  readonly kind: string;
  /** The agent's native API: the gateway's base URL + the route's prefix (Dify: `<url>/chat-messages`, …; Model Studio: `<url>/completion`). */
  readonly url: string;
  /** The model name the agent also answers to on the gateway's OpenAI API; null when it is not exposed as a model. */
  readonly asModel: string | null;
  /** The Host header the agent route needs; null when it matches any host. */
  readonly host: string | null;
  /** Dify's app type (`chat`, `completion`, `workflow`); null for other kinds. */
  readonly appType: string | null;
}

/** What `aigw dev --json` prints for one running gateway: one JSON line, these keys. */
export interface GatewayEndpoint {
  readonly name: string;
  readonly edition: string;
  /** The traffic listener, e.g. `http://127.0.0.1:41234`. */
  readonly baseUrl: string;
  /** The admin listener (`/healthz`, `/readyz`, `/metrics`). */
  readonly adminUrl: string;
  /** A session key of one consumer; null when the gateway has no consumers. */
  readonly apiKey: string | null;
  /** The Host header the first model route needs; null when it matches any host. */
  readonly host: string | null;
  /** A model name the first model route serves; null when the gateway has no model route. */
  readonly model: string | null;
  /** The first model route's path prefix as configured; see `apiBasePath` for the OpenAI base path. */
  readonly pathPrefix: string | null;
  /** Every MCP server of the gateway; `apiKey` is the Bearer token (its consumer is chosen to reach them where one can). */
  readonly mcpServers: readonly McpEndpoint[];
  /** Every agent route of the gateway (`apiKey` is a consumer granted them where one is). */
  readonly agents: readonly AgentEndpoint[];
}

/** The endpoint line of a running gateway, and the consumer whose key it shows. */
export function describeGateway(
  config: GatewayConfig,
  consumerKeys: ReadonlyMap<string, string>,
  urls: { baseUrl: string; adminUrl: string },
): { endpoint: GatewayEndpoint; consumer?: string } {
  const route = config.modelRoutes[0] as ModelRouteConfig | undefined;
  const mcpNames = config.mcpServers.map((m) => m.name);
  // How much of what is printed (the curl's route, the MCP servers, the agents) a consumer's key reaches.
  const reach = (c: ConsumerConfig): number => {
    if (c.grants.all) return Infinity;
    const servers = mcpNames.filter((n) => c.grants.mcpServers.includes(n) || Object.hasOwn(c.grants.mcpTools ?? {}, n));
    const agents = config.agentRoutes.filter((a) => c.grants.routes.includes(a.name));
    return (route && c.grants.routes.includes(route.name) ? 1 : 0) + servers.length + agents.length;
  };
  // The one that reaches the most (an all-routes consumer reaches everything), the first of equals.
  const consumer = config.consumers.reduce<ConsumerConfig | undefined>((best, c) => (!best || reach(c) > reach(best) ? c : best), undefined);
  return {
    consumer: consumer?.name,
    endpoint: {
      name: config.metadata.name,
      edition: config.metadata.edition,
      ...urls,
      apiKey: (consumer && consumerKeys.get(consumer.name)) ?? null,
      host: route ? requestHost(route.match.host) : null,
      model: route ? sampleModel(route) : null,
      pathPrefix: route?.match.pathPrefix ?? null,
      mcpServers: config.mcpServers.map((m) => mcpEndpoint(urls.baseUrl, m.name, m.path)),
      agents: config.agentRoutes.map((a) => agentEndpoint(urls.baseUrl, a)),
    },
  };
}

/** An MCP server at the gateway's base URL + its path, whatever the Host header (so no host is printed). */
export function mcpEndpoint(baseUrl: string, name: string, path: string): McpEndpoint {
  const url = `${baseUrl.replace(/\/$/, '')}${path}`;
  return { name, url, sseUrl: `${url.replace(/\/$/, '')}/sse` };
}

export function agentEndpoint(baseUrl: string, route: AgentRouteConfig): AgentEndpoint {
  return {
    name: route.name,
    kind: route.kind,
    url: `${baseUrl.replace(/\/$/, '')}${route.match.pathPrefix.replace(/\/+$/, '')}`,
    asModel: route.asModel ?? null,
    host: requestHost(route.match.host),
    appType: route.kind === 'dify' ? route.appType ?? 'chat' : null,
  };
}

/**
 * A ready MCP Inspector command listing the server's tools (its CLI mode: `--cli URL --transport http`,
 * `--header "Name: value"`, `--method`).
 */
export function inspectorCommand(server: McpEndpoint, apiKey: string | null): string {
  const parts = ['npx', '@modelcontextprotocol/inspector', '--cli', server.url, '--transport', 'http'];
  if (apiKey !== null) parts.push('--header', `Authorization: Bearer ${apiKey}`);
  parts.push('--method', 'tools/list');
  return parts.map(shellQuote).join(' ');
}

/** A Host header value that a route's host pattern matches: `*` needs none, `*.d` takes `x.d`. */
export function requestHost(pattern: string): string | null {
  if (pattern === '*') return null;
  return pattern.startsWith('*.') ? `x${pattern.slice(1)}` : pattern;
}

/** A model name the route answers: the first plain name or alias, else a wildcard made concrete (`qwen-*` → `qwen-dev`). */
export function sampleModel(route: Pick<ModelRouteConfig, 'models'>): string {
  const names = route.models.flatMap((m) => [m.name, ...m.aliases]);
  const plain = route.models.find((m) => !m.name.includes('*'))?.name ?? names.find((n) => !n.includes('*'));
  if (plain) return plain;
  const pattern = route.models[0].name;
  return pattern.replace(/\*/g, (_star, offset: number) => (offset > 0 && /[A-Za-z0-9]/.test(pattern[offset - 1]) ? '-dev' : 'dev'));
}

/**
 * The OpenAI base path under a route prefix: the data plane matches the route by prefix and the
 * endpoint by the path's end, so `/` and `/v1` both serve `/v1/...`, and `/team` serves `/team/v1/...`.
 */
export function apiBasePath(pathPrefix: string): string {
  const p = pathPrefix.replace(/\/+$/, '');
  return /\/v1$/.test(p) ? p : `${p}/v1`;
}

/** A ready-to-paste chat completion for the gateway's first model route, or undefined without one. */
export function curlCommand(e: GatewayEndpoint, prompt = 'Hello from aigw dev'): string | undefined {
  if (e.model === null || e.pathPrefix === null) return undefined;
  return postCommand(`${e.baseUrl}${apiBasePath(e.pathPrefix)}/chat/completions`, e.apiKey, e.host, { model: e.model, messages: [{ role: 'user', content: prompt }] });
}

/** A ready-to-paste Responses API call (`POST /v1/responses`) for the gateway's first model route, or undefined without one. */
export function responsesCurlCommand(e: GatewayEndpoint, prompt = 'Hello from aigw dev'): string | undefined {
  if (e.model === null || e.pathPrefix === null) return undefined;
  return postCommand(`${e.baseUrl}${apiBasePath(e.pathPrefix)}/responses`, e.apiKey, e.host, { model: e.model, input: prompt });
}

/** A ready-to-paste Anthropic Messages call (`POST /v1/messages`, what Claude Code sends) for the first model route, or undefined without one. */
export function messagesCurlCommand(e: GatewayEndpoint, prompt = 'Hello from aigw dev'): string | undefined {
  if (e.model === null || e.pathPrefix === null) return undefined;
  return postCommand(`${e.baseUrl}${apiBasePath(e.pathPrefix)}/messages`, e.apiKey, e.host, { model: e.model, max_tokens: 256, messages: [{ role: 'user', content: prompt }] });
}

/**
 * The base URLs SDKs take for the first model route: OpenAI's `baseURL` ends in `/v1` (the SDK appends
 * `/chat/completions`, `/responses`); Anthropic's does not (its SDK and Claude Code append `/v1/messages`).
 */
export function sdkBaseUrls(e: GatewayEndpoint): { openai: string; anthropic: string } | undefined {
  if (e.pathPrefix === null) return undefined;
  const openai = `${e.baseUrl}${apiBasePath(e.pathPrefix)}`;
  return { openai, anthropic: openai.replace(/\/v1$/, '') };
}

/** A JSON POST as a ready curl: the consumer's key and the route's Host header when they are needed. */
function postCommand(url: string, apiKey: string | null, host: string | null, body: unknown): string {
  const parts = ['curl', '-s', url];
  if (apiKey !== null) parts.push('-H', `authorization: Bearer ${apiKey}`);
  parts.push('-H', 'content-type: application/json');
  if (host !== null) parts.push('-H', `host: ${host}`);
  parts.push('-d', JSON.stringify(body));
  return parts.map(shellQuote).join(' ');
}

/**
 * A ready chat completion on the first agent exposed as a model (`asModel`): on the first model route's
 * base path and Host, else beneath the agent's own prefix; undefined when no agent is exposed.
 */
export function agentModelCurlCommand(e: GatewayEndpoint, prompt = 'Hello from aigw dev'): string | undefined {
  const agent = e.agents.find((a) => a.asModel !== null);
  if (agent === undefined) return undefined;
  const onModelRoute = e.pathPrefix !== null;
  const base = onModelRoute ? `${e.baseUrl}${apiBasePath(e.pathPrefix!)}` : apiBasePath(agent.url);
  return postCommand(`${base}/chat/completions`, e.apiKey, onModelRoute ? e.host : agent.host, { model: agent.asModel, messages: [{ role: 'user', content: prompt }] });
}

/** Dify's endpoint and body for each app type, with the message as its query. */
const DIFY_TRY: Record<string, (prompt: string) => [string, unknown]> = {
  chat: (prompt) => ['/chat-messages', { inputs: {}, query: prompt, response_mode: 'blocking' }],
  completion: (prompt) => ['/completion-messages', { inputs: { query: prompt }, response_mode: 'blocking' }],
  workflow: (prompt) => ['/workflows/run', { inputs: { query: prompt }, response_mode: 'blocking' }],
};

/**
 * A ready call of the agent's native API (Dify: its app type's endpoint, blocking; Model Studio: the app's
 * completion), or undefined for a custom agent, whose protocol the gateway does not know. The gateway sets
 * Dify's `user` itself, per consumer, so the body carries none.
 */
export function agentCurlCommand(agent: AgentEndpoint, apiKey: string | null, prompt = 'Hello from aigw dev'): string | undefined {
  if (agent.kind === 'dify') {
    const [path, body] = (DIFY_TRY[agent.appType ?? 'chat'] ?? DIFY_TRY.chat)(prompt);
    return postCommand(`${agent.url}${path}`, apiKey, agent.host, body);
  }
  if (agent.kind === 'model-studio') return postCommand(`${agent.url}/completion`, apiKey, agent.host, { input: { prompt } });
  return undefined;
}

const AGENT_API_NAMES: Record<string, string> = { 'dify': 'Dify API', 'model-studio': 'Model Studio API' };

/** The lines for one agent route: its native base URL, a ready native call, and the asModel call. */
function formatAgent(agent: AgentEndpoint, e: GatewayEndpoint): string[] {
  const curl = agentCurlCommand(agent, e.apiKey);
  const label = `${agent.kind}${agent.appType !== null ? ` ${agent.appType} app` : ''}${agent.asModel !== null ? `, as model ${agent.asModel}` : ''}`;
  const lines = [
    `  agent ${agent.name} (${label})`,
    `    ${AGENT_API_NAMES[agent.kind] ?? 'agent API'}: ${agent.url}${agent.host !== null ? `  (host ${agent.host})` : ''}`,
  ];
  if (curl) lines.push(`    try:  ${curl}`);
  return lines;
}

/** The lines that show the first model route: SDK base URLs (when no Host header is needed) and a ready call per API. */
function formatModelRoute(e: GatewayEndpoint): string[] {
  const chat = curlCommand(e);
  const responses = responsesCurlCommand(e);
  const messages = messagesCurlCommand(e);
  const sdk = sdkBaseUrls(e);
  if (!chat || !responses || !messages || !sdk) return ['  (no model route to try)'];
  const key = e.apiKey ?? '<none>';
  return [
    // An SDK cannot set Host (Node's fetch ignores it): the base URLs are printed only when none is needed.
    ...(e.host === null
      ? [`  OpenAI SDK     baseURL ${sdk.openai}  apiKey ${key}  model ${e.model}`, `  Claude Code    ${[`ANTHROPIC_BASE_URL=${sdk.anthropic}`, `ANTHROPIC_AUTH_TOKEN=${key}`, `ANTHROPIC_MODEL=${e.model}`, `ANTHROPIC_SMALL_FAST_MODEL=${e.model}`, 'claude'].map(shellQuote).join(' ')}`]
      : [`  (the model route matches host ${e.host} only: SDKs cannot send that Host header, use the curls)`]),
    '  try chat:',
    `    ${chat}`,
    '  try responses:',
    `    ${responses}`,
    '  try messages:',
    `    ${messages}`,
  ];
}

/** The human-readable block for one gateway. */
export function formatGateway(e: GatewayEndpoint, consumer: string | undefined): string {
  const agentModelCurl = agentModelCurlCommand(e);
  return [
    `${e.name} (${e.edition})`,
    `  base URL   ${e.baseUrl}`,
    `  admin URL  ${e.adminUrl}  (/healthz /readyz /metrics)`,
    e.apiKey !== null ? `  API key    ${e.apiKey}  (consumer ${consumer})` : '  API key    (no consumers)',
    ...formatModelRoute(e),
    ...(agentModelCurl ? ['  try an agent as a model:', `    ${agentModelCurl}`] : []),
    ...e.agents.flatMap((a) => formatAgent(a, e)),
    ...e.mcpServers.flatMap((m) => [
      `  MCP server ${m.name}`,
      `    URL      ${m.url}  (Streamable HTTP; legacy SSE: ${m.sseUrl})`,
      `    inspect  ${inspectorCommand(m, e.apiKey)}`,
    ]),
    '',
  ].join('\n');
}

/** Plain words stay bare; anything else is single-quoted for sh. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-./:=@%+,]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}
