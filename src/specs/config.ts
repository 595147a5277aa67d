import { z } from 'zod';
import { CAPACITY_SPEC_NAMES, type CapacitySpec, EDITIONS } from './catalog';
import { AccessLogSchema, CONSUMER_ATTRIBUTE_NAME, PayloadLogSchema, RequestLabelsSchema } from './observability';
import { RouteWafSchema, WafSchema } from './waf';

/**
 * `GatewayConfig`: the runtime config of one gateway, and the one contract between the constructs
 * (which emit it) and the data plane (which loads it). Every object is strict; no field is `any`,
 * `unknown` or passthrough. Later versions only add optional fields.
 */
export const GATEWAY_CONFIG_API_VERSION = 'aigw.dev/v1';

// ---------------------------------------------------------------- primitives

/** A Kubernetes object name (RFC 1123 subdomain). */
const k8sName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name (a-z, 0-9, "-", ".")');

/** A name unique within its list in the config (route, backend, model, consumer, …). */
const refName = z.string().min(1).max(253).regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'must start with a letter or digit and use only A-Z a-z 0-9 . _ : / @ -');

const port = z.int().min(1).max(65_535);
const positiveInt = z.int().min(1);
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  // zod runs refinements even after .url() failed: a URL that does not parse is that issue's, not a throw here.
  .refine((u) => {
    if (!URL.canParse(u)) return true;
    const url = new URL(u);
    return url.username === '' && url.password === '';
  }, 'must not carry credentials; use a SecretRef');
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');
const stringMap = z.record(z.string(), z.string());
/** A host as a client sends it, or `*` for any host; `*.example.com` matches one label. */
const hostPattern = z
  .string()
  .regex(/^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/, 'must be a lowercase hostname, "*.domain" or "*"');
const pathPrefix = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be an absolute URL path starting with "/"');

/**
 * A key of a Kubernetes Secret. Only references are synthesized, never values: secrets are never
 * inlined in the config. The constructs take this same type (src/constructs/secret-ref.ts).
 */
export interface SecretRef {
  /** The Secret's name, in the gateway's namespace. */
  readonly secretName: string;
  /** The key inside the Secret. */
  readonly key: string;
}

export const SecretRefSchema = z.strictObject({
  secretName: k8sName,
  key: z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/, 'must be a valid Secret key ([-._a-zA-Z0-9]+)'),
}) satisfies z.ZodType<SecretRef>;

// ---------------------------------------------------------------- listeners and limits

const Metadata = z
  .strictObject({
    name: k8sName,
    fleet: k8sName,
    /** The construct path of the gateway, for messages and metrics. */
    constructPath: z.string().min(1),
    edition: z.enum(EDITIONS),
    /** Dedicated gateways only. */
    spec: z.enum(CAPACITY_SPEC_NAMES as [CapacitySpec, ...CapacitySpec[]]).optional(),
    region: z.string().min(1),
  })
  .refine((m) => (m.edition === 'dedicated') === (m.spec !== undefined), {
    message: 'a dedicated gateway has a spec and a serverless one has none',
    path: ['spec'],
  });

const Listeners = z.strictObject({
  port: port,
  tlsPort: port,
  adminPort: port,
});

/** Per-replica limits: each replica enforces its share of the capacity spec. */
const Limits = z.strictObject({
  maxClientConnections: positiveInt,
  maxQps: positiveInt,
  /** The gateway's inbound bandwidth, all replicas together. */
  bandwidthMbps: positiveInt,
  /**
   * How many replicas share `bandwidthMbps`: each replica shapes request bodies to `bandwidthMbps / bandwidthReplicas`
   * (a replica cannot count its peers: pods have no Kubernetes API token). The constructs put the fixed replica count
   * for Dedicated and `minReplicas` for Serverless (scaled out to N replicas, the gateway admits up to
   * N / minReplicas × bandwidthMbps). @default 1 (one replica takes the whole bandwidth)
   */
  bandwidthReplicas: positiveInt.optional(),
  /** Largest request body accepted, unless a route says otherwise. */
  maxBodyBytes: positiveInt,
  /** Header and idle timeouts against slow clients. */
  headersTimeoutMs: positiveInt,
  idleTimeoutMs: positiveInt,
  /** Longest silence between two pieces of a request body before the gateway answers 408 (a client fault, never the backend's). @default 30000 */
  bodyTimeoutMs: positiveInt.optional(),
  /** Deepest nesting of objects and arrays a JSON request body may have; deeper gets 400. @default 128 */
  maxJsonDepth: positiveInt.optional(),
});

// ---------------------------------------------------------------- upstreams

export const PROVIDER_TYPES = ['openai', 'azure-openai', 'dashscope', 'deepseek', 'vllm', 'ollama', 'anthropic', 'openai-compatible'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const Timeouts = z.strictObject({
  connectMs: positiveInt,
  firstByteMs: positiveInt,
  totalMs: positiveInt,
});

const Retries = z.strictObject({
  attempts: z.int().min(0).max(10),
  /** HTTP statuses that are retried (connection errors and timeouts always are). */
  onStatus: z.array(z.int().min(100).max(599)),
  backoffBaseMs: z.int().min(0),
});

const AzureOptions = z.strictObject({
  apiVersion: z.string().min(1),
  /** Model name → Azure deployment name; a model not listed uses its own name as deployment. */
  deployments: stringMap,
});

/** An LLM endpoint of one provider: the thing a model target sends requests to. */
const Backend = z.strictObject({
  name: refName,
  provider: z.enum(PROVIDER_TYPES),
  baseUrl: httpUrl,
  apiKey: SecretRefSchema.optional(),
  /** The `UpstreamService` this backend's address comes from, if any. */
  service: refName.optional(),
  azure: AzureOptions.optional(),
  headers: stringMap,
  timeouts: Timeouts,
  retries: Retries,
  /** Consecutive failures that take the backend out, and for how long. @default 5 failures, 10 s */
  circuitBreaker: z.strictObject({ failureThreshold: z.int().min(1).max(1_000), cooldownMs: positiveInt }).optional(),
});

const UpstreamService = z.discriminatedUnion('kind', [
  z.strictObject({ name: refName, kind: z.literal('static'), addresses: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be "host:port"')).min(1) }),
  z.strictObject({ name: refName, kind: z.literal('dns'), host: z.string().min(1), port }),
  z.strictObject({
    name: refName,
    kind: z.literal('kubernetes'),
    serviceName: k8sName,
    namespace: k8sName,
    port,
    /** The `ServiceSource` the Service is discovered from. */
    source: refName,
  }),
]);

const ServiceSource = z.discriminatedUnion('kind', [
  z.strictObject({ name: refName, kind: z.literal('in-cluster') }),
  z.strictObject({ name: refName, kind: z.literal('kubeconfig'), kubeconfig: SecretRefSchema }),
]);

// ---------------------------------------------------------------- policies

export const RATE_LIMIT_WINDOWS = ['second', 'minute', 'hour', 'day', 'month'] as const;
export const RATE_LIMIT_SCOPES = ['consumer', 'route', 'consumer-route'] as const;

const RateLimit = z.strictObject({
  name: refName,
  /** What is counted: requests, or prompt + completion tokens. */
  kind: z.enum(['requests', 'tokens']),
  limit: positiveInt,
  window: z.enum(RATE_LIMIT_WINDOWS),
  scope: z.enum(RATE_LIMIT_SCOPES),
});

const Policies = z.strictObject({
  keyAuth: z.strictObject({ enabled: z.boolean() }),
  rateLimits: z.array(RateLimit),
  /**
   * What a limit check does when Redis is unreachable, or stopped answering (after one command
   * timeout, decided at once until Redis answers a background probe): admit uncounted, or refuse.
   */
  onRedisUnavailable: z.enum(['failOpen', 'failClosed']),
  maxBodyBytes: positiveInt.optional(),
  /** Overrides the backends' first-byte and total timeouts on this route (connect stays the backend's). */
  timeouts: z.strictObject({ firstByteMs: positiveInt.optional(), totalMs: positiveInt.optional() }).optional(),
  cors: z
    .strictObject({
      allowOrigins: z.array(z.string().min(1)).min(1),
      allowMethods: z.array(z.string().min(1)),
      allowHeaders: z.array(z.string().min(1)),
      maxAgeSeconds: z.int().min(0),
    })
    .optional(),
});

// ---------------------------------------------------------------- routes

const ModelTarget = z.strictObject({
  backend: refName,
  /** The model name the backend serves (the mapping from the requested name). */
  model: z.string().min(1),
  weight: z.int().min(1).max(10_000),
});

/** A model clients may request on a route, and where it goes. */
const ModelEntry = z.strictObject({
  /** The requested name; `*` wildcards match (e.g. `gpt-4o*`). */
  name: z.string().min(1),
  aliases: z.array(z.string().min(1)),
  targets: z.array(ModelTarget).min(1),
  /** Other models of this route to try, in order, on 429, 5xx, timeout or connection error. */
  fallbacks: z.array(z.string().min(1)),
  /**
   * The most output tokens a request may ask of this model: a larger ask is lowered to it on the way
   * upstream. Absent: no limit of the gateway's.
   */
  maxOutputTokens: positiveInt.optional(),
  /** A wildcard entry only: the names `GET /v1/models` lists for it, each matching the pattern. Absent: the pattern itself. */
  listAs: z.array(z.string().min(1)).optional(),
});

const Match = z.strictObject({ host: hostPattern, pathPrefix: pathPrefix });

const ModelRoute = z.strictObject({
  name: refName,
  match: Match,
  models: z.array(ModelEntry).min(1),
  policies: Policies,
  /** The route's WAF settings over the gateway's (which must have a WAF). @default - the gateway's */
  waf: RouteWafSchema.optional(),
  /** Log each request's prompt and completion, redacted (specs/observability.ts). @default - not logged */
  logPayloads: PayloadLogSchema.optional(),
});

export const AGENT_KINDS = ['model-studio', 'dify', 'custom'] as const;
/** Dify's app types: each has its own endpoint (`chat-messages`, `completion-messages`, `workflows/run`). */
export const DIFY_APP_TYPES = ['chat', 'completion', 'workflow'] as const;
/**
 * Who the Dify `user` is: `consumer` (derived from the calling consumer, whatever the client sends), or
 * `client` (the client's own `user`, inside the consumer's namespace, so that tenants still never meet).
 */
export const AGENT_USER_MAPPINGS = ['consumer', 'client'] as const;

/** A Dify variable name (an app's input or a workflow's output). */
const difyVariable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a Dify variable name: a letter or _, then letters, digits or _ (at most 64)');

/**
 * The placeholders of a custom agent's request template (`mapping.request`), each filled from the OpenAI chat
 * request: `query` the last user message's text; `system` the system prompts' text ('' when none); `messages`
 * every message as `[{role, content}]` text; `conversationId` the conversation to continue (null when none);
 * `user` the caller, as Dify's `user` (`aigw:consumer:<name>`); `model` the agent's `asModel` name.
 */
export const AGENT_MAPPING_PLACEHOLDERS = ['query', 'system', 'messages', 'conversationId', 'user', 'model'] as const;
export type AgentMappingPlaceholder = (typeof AGENT_MAPPING_PLACEHOLDERS)[number];

/** `{{…}}` in a template string, known or not (a new expression each call: a global RegExp keeps state). */
export function mappingPlaceholderPattern(): RegExp {
  return /\{\{([^{}]*)\}\}/g;
}

/** The problems of a request template: placeholders it does not know, and placeholders in keys (only values are filled). */
function templateProblems(value: unknown, path: (string | number)[], out: { path: (string | number)[]; message: string }[]): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(mappingPlaceholderPattern())) {
      if (!(AGENT_MAPPING_PLACEHOLDERS as readonly string[]).includes(m[1])) {
        out.push({ path, message: `${m[0]} is not a placeholder: use ${AGENT_MAPPING_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}` });
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => templateProblems(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (mappingPlaceholderPattern().test(key)) out.push({ path: [...path, key], message: 'is a key with a placeholder: only values are filled. Put the placeholder in a value' });
      templateProblems(v, [...path, key], out);
    }
  }
}

/** A dotted path into a JSON answer: object keys, and array indexes as numbers (`choices.0.message.content`). */
const answerPath = z
  .string()
  .max(256)
  .regex(/^[^.]+(\.[^.]+)*$/, 'must be a dotted path into the JSON answer, such as "output.text" or "choices.0.message.content"');

/** The endpoint a custom agent's mapping POSTs to, beneath its base URL. */
const mappingPath = z
  .string()
  .max(1024)
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be a URL path beneath the base URL: it starts with "/" and has no "?", "#" or spaces')
  // `%2e` is a dot to many servers: `/%2e%2e/` climbs out of the base URL as `/../` does.
  .refine((p) => !p.split('/').some((s) => /^(\.|%2e){1,2}$/i.test(s)), 'must not have "." or ".." segments: it would leave the base URL');

/**
 * A custom agent's OpenAI mapping (`asModel`): the request the gateway POSTs to `<baseUrl><path>` (the template,
 * placeholders filled), and where the answer's text, conversation and usage are in its JSON answer.
 */
const CustomAgentMapping = z.strictObject({
  path: mappingPath,
  /**
   * The body, any JSON object: a string value that is one placeholder is replaced by its value (`{{messages}}` an
   * array, `{{conversationId}}` a string or null); placeholders inside longer strings are replaced by their text.
   */
  request: z.record(z.string(), z.json()).superRefine((template, ctx) => {
    const problems: { path: (string | number)[]; message: string }[] = [];
    templateProblems(template, [], problems);
    for (const p of problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    const text = JSON.stringify(template);
    if (!text.includes('{{query}}') && !text.includes('{{messages}}')) {
      ctx.addIssue({ code: 'custom', path: [], message: "has neither {{query}} nor {{messages}}: the user's message would never reach the agent. Put '{{query}}' (or '{{messages}}') where the agent takes it" });
    }
  }),
  response: z.strictObject({
    /** The answer's text (a value that is not a string is sent as JSON). */
    answer: answerPath,
    /** The conversation the answer belongs to: sent as `x-aigw-conversation-id`, and accepted back as `{{conversationId}}`. */
    conversationId: answerPath.optional(),
    inputTokens: answerPath.optional(),
    outputTokens: answerPath.optional(),
  }),
});

const AgentRoute = z.strictObject({
  name: refName,
  kind: z.enum(AGENT_KINDS),
  match: Match,
  /** Model Studio (DashScope) application id; Dify and custom agents are addressed by URL alone. */
  appId: z.string().min(1).optional(),
  /** Dify only: the app's type (default `chat`). */
  appType: z.enum(DIFY_APP_TYPES).optional(),
  /**
   * Dify only: where the OpenAI mapping puts what a chat request carries. `query`: the input variable that
   * takes the user's message on completion and workflow apps (default `query`); `system`: the input
   * variable that takes the system prompt (none by default: a system prompt is then refused, not
   * dropped); `output`: the workflow output variable that holds the answer (default `text`).
   */
  variables: z.strictObject({ query: difyVariable.optional(), system: difyVariable.optional(), output: difyVariable.optional() }).optional(),
  /** Dify only: who the `user` field names (default `consumer`). */
  userMapping: z.enum(AGENT_USER_MAPPINGS).optional(),
  /**
   * The model name under which the agent also answers on the OpenAI (`/v1/chat/completions`, `/v1/models`)
   * and Anthropic (`/v1/messages`) endpoints of every model route of the gateway and of its own prefix.
   * Dify and Model Studio; a custom agent with a `mapping`.
   */
  asModel: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  /** Custom agents with `asModel` only: how an OpenAI chat request becomes the agent's request, and its answer a completion. */
  mapping: CustomAgentMapping.optional(),
  /** On the OpenAI mapping: workflow node events and agent thoughts as `aigw_agent_event` chunks (default: dropped). */
  surfaceAgentEvents: z.boolean().optional(),
  upstream: z.strictObject({ baseUrl: httpUrl, apiKey: SecretRefSchema.optional(), service: refName.optional() }),
  timeouts: Timeouts,
  policies: Policies,
  /** The route's WAF settings over the gateway's (which must have a WAF). @default - the gateway's */
  waf: RouteWafSchema.optional(),
}).superRefine((route, ctx) => {
  // A field the route's kind does not read would be declared but not served: the config is refused instead.
  const misplaced = (field: 'appType' | 'variables' | 'userMapping' | 'mapping', kinds: string) => {
    if (route[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is read on ${kinds} agents only, not on a '${route.kind}' agent` });
  };
  if (route.kind !== 'dify') for (const field of ['appType', 'variables', 'userMapping'] as const) misplaced(field, "'dify'");
  if (route.kind !== 'custom') misplaced('mapping', "'custom'");
  // A custom agent's own paths report no usage: a token rule there would count nothing it declares.
  route.policies.rateLimits.forEach((rule, i) => {
    if (route.kind === 'custom' && rule.kind === 'tokens') {
      ctx.addIssue({ code: 'custom', path: ['policies', 'rateLimits', i, 'kind'], message: "a custom agent reports no token usage: use kind 'requests'" });
    }
  });
  // Unpinned, a Model Studio route would reach any DashScope path with its key.
  if (route.kind === 'model-studio' && route.appId === undefined) ctx.addIssue({ code: 'custom', path: ['appId'], message: "a 'model-studio' agent needs its application's appId" });
  if (route.kind === 'custom' && route.asModel !== undefined && route.mapping === undefined) {
    ctx.addIssue({ code: 'custom', path: ['asModel'], message: 'a custom agent answers as a model only with a mapping: set mapping' });
  }
  if (route.kind === 'custom' && route.mapping !== undefined && route.asModel === undefined) {
    ctx.addIssue({ code: 'custom', path: ['mapping'], message: 'is read only on an agent exposed as a model: set asModel' });
  }
});

// ---------------------------------------------------------------- consumers

const Consumer = z.strictObject({
  name: refName,
  apiKey: SecretRefSchema,
  grants: z.strictObject({
    /** Every route and MCP server of the gateway, present and future. */
    all: z.boolean(),
    routes: z.array(refName),
    mcpServers: z.array(refName),
    /**
     * Tool-level grants: for each MCP server named here, the only tools the consumer may list and call
     * (intersected with the server's own `allowTools`). Naming a server here grants it. A server of
     * `mcpServers` (or `all`) not named here: every tool the server exposes.
     */
    mcpTools: z.record(refName, z.array(z.string().min(1).max(128))).optional(),
  }),
  /** What the consumer is, for metric labels (`observability.requestLabels[].consumerAttribute`), e.g. `{ team: 'checkout' }`. @default - none */
  attributes: z.record(z.string().regex(CONSUMER_ATTRIBUTE_NAME, 'must be an attribute name ([a-z][a-z0-9_.-]*)'), z.string().min(1).max(256)).optional(),
});

// ---------------------------------------------------------------- MCP

const JsonObject = z.record(z.string(), z.json());

const McpTool = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 _ . -'),
  description: z.string(),
  /** JSON Schema (type: object) of the tool's arguments. */
  inputSchema: JsonObject,
  /** JSON Schema of the tool's structured result (from the OpenAPI response schema), when known: results then carry `structuredContent`. */
  outputSchema: JsonObject.optional(),
  /** How a call becomes an HTTP request: `{{args.name}}` placeholders are filled from the arguments. */
  request: z.strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    path: z.string().startsWith('/'),
    query: stringMap,
    headers: stringMap,
    /** The argument whose value is sent as a JSON body, if any. */
    bodyArg: z.string().min(1).optional(),
  }),
  /** How the HTTP response becomes the tool result. */
  response: z.strictObject({
    /** `json` returns the body as JSON text; `text` returns it as is. */
    format: z.enum(['json', 'text']),
    /** A JSON pointer into the response body to return instead of the whole. */
    pointer: z.string().startsWith('/').optional(),
  }),
});

export const MCP_RATE_LIMIT_SCOPES = ['consumer', 'server'] as const;

/**
 * A request budget on an MCP server. Every JSON-RPC request a client sends counts (initialize, tools/list,
 * tools/call …; notifications and the client's answers do not); with `tool`, only `tools/call` of that tool.
 */
const McpRateLimit = z.strictObject({
  name: refName,
  limit: positiveInt,
  window: z.enum(RATE_LIMIT_WINDOWS),
  /** `consumer`: each consumer's own budget on this server; `server`: one budget every caller of the server shares. */
  scope: z.enum(MCP_RATE_LIMIT_SCOPES),
  /** Count only calls of this tool (one the server exposes); absent: every request to the server. */
  tool: z.string().min(1).max(128).optional(),
});

/** An MCP server's request budgets, and what they do while Redis is unreachable (as a route's `policies.onRedisUnavailable`). */
const mcpLimitFields = {
  /** @default [] */
  rateLimits: z.array(McpRateLimit).optional(),
  /** @default 'failOpen' */
  onRedisUnavailable: z.enum(['failOpen', 'failClosed']).optional(),
  /** The server's WAF settings over the gateway's (which must have a WAF). @default - the gateway's */
  waf: RouteWafSchema.optional(),
};

const McpServer = z.discriminatedUnion('kind', [
  z.strictObject({
    name: refName,
    kind: z.literal('proxy'),
    path: pathPrefix,
    ...mcpLimitFields,
    upstream: z.strictObject({
      url: httpUrl,
      transport: z.enum(['streamable-http', 'sse']),
      headers: stringMap,
      auth: SecretRefSchema.optional(),
    }),
    /** Tools exposed to clients; empty means all. */
    allowTools: z.array(z.string().min(1)),
  }),
  z.strictObject({
    name: refName,
    kind: z.literal('http-to-mcp'),
    path: pathPrefix,
    ...mcpLimitFields,
    upstream: z.strictObject({
      baseUrl: httpUrl,
      service: refName.optional(),
      auth: z.strictObject({ header: headerName, prefix: z.string(), secret: SecretRefSchema }).optional(),
    }),
    tools: z.array(McpTool).min(1),
    /** The largest upstream response a tool result carries; longer ones are truncated with a note. @default 1 MiB */
    maxResponseBytes: z.int().min(1).max(64 * 1024 * 1024).optional(),
  }),
]);

/** Gateway-wide MCP settings. */
const Mcp = z.strictObject({
  /**
   * The key that seals MCP session ids (they carry the server, the consumer and the upstream session),
   * so that every replica given the same Secret serves every session. At least 32 bytes.
   */
  sessionKey: SecretRefSchema,
  /**
   * How long a session id is honoured after initialize; past it the client gets 404 and initializes again
   * (the spec's answer to an expired session). Tokens are self-contained, so this is their only expiry.
   * @default 86400 (one day)
   */
  sessionTtlSeconds: z.int().min(60).max(30 * 86_400).optional(),
});

/** The admin listener's own APIs. */
const Admin = z.strictObject({
  /**
   * The token a caller of the extensions' admin API (`/extensions/<extension>/…` on the admin listener: quota
   * balances and top-ups) sends as `Authorization: Bearer <token>`, reads and writes alike. At least 16 bytes.
   */
  token: SecretRefSchema,
});

// ---------------------------------------------------------------- extensions, WAF, acceleration

export const EXTENSION_SOURCES = ['system', 'marketplace', 'custom'] as const;
export const EXTENSION_PHASES = ['authn', 'authz', 'stats', 'default'] as const;

/**
 * Time budgets of one hook call, in milliseconds: a synchronous hook is measured against its budget (JavaScript cannot
 * stop it), an async one abandoned past it. The ranges keep a budget meaningful: an async budget longer than a
 * minute would outlast the request it serves.
 */
export const EXTENSION_BUDGETS_MS = { sync: { default: 5, min: 0.1, max: 1_000 }, async: { default: 50, min: 1, max: 60_000 } } as const;

/** The largest bundle of one custom extension, in bytes of its UTF-8 code: the whole config must fit the config shards. */
export const MAX_EXTENSION_BUNDLE_BYTES = 1024 * 1024;

/** A package name as `require` takes it (`zod`, `@scope/name`), or a path inside one (`yaml/util`). */
export const PACKAGE_NAME_PATTERN = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(\/[A-Za-z0-9._~-]+)*$/;
const moduleName = z.string().min(1).max(214).regex(PACKAGE_NAME_PATTERN, 'must be a package name (`name`, `@scope/name`), or a path inside one');

/**
 * A custom extension as synth bundled it: one self-contained CommonJS file (src/constructs/extension-bundle.ts),
 * loaded in-process by the data plane (src/dataplane/extensions/bundle.ts), which checks the digest first.
 */
const ExtensionBundle = z.strictObject({
  /** Lowercase hex SHA-256 of `code` (UTF-8). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 (64 characters)'),
  code: z
    .string()
    .min(1)
    .refine((code) => Buffer.byteLength(code, 'utf8') <= MAX_EXTENSION_BUNDLE_BYTES, `must be at most ${MAX_EXTENSION_BUNDLE_BYTES} bytes (1 MiB)`),
  /**
   * The packages the bundle requires at run time, besides Node's builtins: those of the construct's `allowedModules` it
   * imports, resolved from the data plane's own node_modules. The loader's `require` gives the bundle nothing else; this is a
   * guard against mistakes, not a sandbox: the bundle runs in the gateway's process with its privileges.
   * @default - none
   */
  requires: z.array(moduleName).optional(),
});

const Extension = z
  .strictObject({
    name: refName,
    source: z.enum(EXTENSION_SOURCES),
    version: z.string().min(1).optional(),
    /** Custom extensions (only they): the module, bundled at synth. */
    bundle: ExtensionBundle.optional(),
    phase: z.enum(EXTENSION_PHASES),
    priority: z.int().min(0).max(1_000),
    failPolicy: z.enum(['open', 'closed']),
    /**
     * Config fields whose values are Secret keys (hmac-auth's `secret`): the data plane reads each at load (and on a
     * rotation) and puts it in the config under that field before the extension parses it; never in the ConfigMap.
     * @default - none
     */
    secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a config field name (letters, digits, _; at most 64)'), SecretRefSchema).optional(),
    /** @default EXTENSION_BUDGETS_MS.sync.default */
    syncBudgetMs: z.number().min(EXTENSION_BUDGETS_MS.sync.min).max(EXTENSION_BUDGETS_MS.sync.max).optional(),
    /** @default EXTENSION_BUDGETS_MS.async.default */
    asyncBudgetMs: z.int().min(EXTENSION_BUDGETS_MS.async.min).max(EXTENSION_BUDGETS_MS.async.max).optional(),
    enabled: z.boolean(),
    config: JsonObject,
  })
  .refine((e) => (e.source === 'custom') === (e.bundle !== undefined), {
    message: 'a custom extension has a bundle, and only a custom one',
    path: ['bundle'],
  })
  .refine((e) => Object.keys(e.secrets ?? {}).every((field) => !Object.hasOwn(e.config, field)), {
    message: 'a field is in both config and secrets: give its value one way (secrets, for a secret)',
    path: ['secrets'],
  });

const AccelerationSwitch = z.strictObject({ enabled: z.boolean(), fallback: z.enum(['software', 'fail']) });
const Acceleration = z.strictObject({ tls: AccelerationSwitch, compression: AccelerationSwitch });

const Observability = z.strictObject({
  /** `business`: request metrics only (Serverless); `full`: plus system resources and custom labels. */
  tier: z.enum(['business', 'full']),
  /** Added to every metric: names must be Prometheus label names. */
  customLabels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)'), z.string()),
  /** Labels of the per-request counters taken from each request, bounded by their declared values (see specs/observability.ts). @default - none */
  requestLabels: RequestLabelsSchema.optional(),
  /** The access log's fields. @default - every field */
  accessLog: AccessLogSchema.optional(),
}).refine((o) => !(o.requestLabels ?? []).some((l) => Object.hasOwn(o.customLabels, l.name)), {
  message: 'a request label has the name of a custom label: every series would carry it twice; rename one',
  path: ['requestLabels'],
});

const Redis = z.strictObject({
  /** `host:port`. */
  address: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be "host:port"'),
  keyPrefix: z.string().min(1),
  user: z.string().min(1).optional(),
  password: SecretRefSchema.optional(),
  /**
   * How replicas count rate limits in Redis. `lease`: each replica charges a share of a counter's limit
   * (`leasePercent`) to Redis at once and admits from it locally, so most requests cost no Redis round trip;
   * never more than the limit is admitted, but up to the other replicas' unused lease units may be refused
   * early. Counters whose lease would serve fewer than 10 charges are counted exactly anyway. `exact`: one
   * Redis round trip per limited request.
   * @default 'lease'
   */
  counting: z.enum(['lease', 'exact']).optional(),
  /**
   * With `counting: 'lease'`, the share of each counter's limit one lease takes, in percent (above 0, at most 100).
   * Larger: fewer Redis round trips, more budget held back per replica.
   * @default 1
   */
  leasePercent: z.number().gt(0).max(100).optional(),
});

const Domain = z.strictObject({
  host: hostPattern,
  tls: z.strictObject({ certificate: SecretRefSchema, privateKey: SecretRefSchema }).optional(),
});

// ---------------------------------------------------------------- the config

export const GatewayConfigSchema = z.strictObject({
  apiVersion: z.literal(GATEWAY_CONFIG_API_VERSION),
  kind: z.literal('GatewayConfig'),
  metadata: Metadata,
  listeners: Listeners,
  limits: Limits,
  domains: z.array(Domain),
  backends: z.array(Backend),
  services: z.array(UpstreamService),
  serviceSources: z.array(ServiceSource),
  modelRoutes: z.array(ModelRoute),
  agentRoutes: z.array(AgentRoute),
  consumers: z.array(Consumer),
  mcpServers: z.array(McpServer),
  /** @default - none: each replica seals sessions with a key of its own (a load-time warning says so) */
  mcp: Mcp.optional(),
  /** @default - none: the extensions' admin API answers 403 to every call */
  admin: Admin.optional(),
  extensions: z.array(Extension),
  waf: WafSchema.optional(),
  acceleration: Acceleration,
  observability: Observability,
  redis: Redis.optional(),
});

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type BackendConfig = GatewayConfig['backends'][number];
export type ModelRouteConfig = GatewayConfig['modelRoutes'][number];
export type ModelEntryConfig = ModelRouteConfig['models'][number];
export type AgentRouteConfig = GatewayConfig['agentRoutes'][number];
export type ConsumerConfig = GatewayConfig['consumers'][number];
export type McpServerConfig = GatewayConfig['mcpServers'][number];
export type McpRateLimitConfig = NonNullable<McpServerConfig['rateLimits']>[number];
export type McpToolConfig = Extract<McpServerConfig, { kind: 'http-to-mcp' }>['tools'][number];
export type PoliciesConfig = ModelRouteConfig['policies'];
export type RateLimitConfig = PoliciesConfig['rateLimits'][number];
export type TimeoutsConfig = BackendConfig['timeouts'];
export type RetriesConfig = BackendConfig['retries'];
export type ExtensionConfig = GatewayConfig['extensions'][number];
/** A custom extension's module as synth bundled it. */
export type ExtensionBundleConfig = NonNullable<ExtensionConfig['bundle']>;

/** One readable line per problem: `modelRoutes[3].models[0].targets: must have at least 1 item`. */
export function formatConfigIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

/** Parse strictly, or return every problem. */
export function parseGatewayConfig(input: unknown): { ok: true; config: GatewayConfig } | { ok: false; issues: string[] } {
  const result = GatewayConfigSchema.safeParse(input);
  return result.success ? { ok: true, config: result.data } : { ok: false, issues: formatConfigIssues(result.error) };
}
