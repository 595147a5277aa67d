import { createHash } from 'crypto';
import { type AgentRouteConfig, GATEWAY_CONFIG_DEFAULTS, type GatewayConfig, type ModelEntryConfig, type ModelRouteConfig, type PoliciesConfig, type SecretRef } from '../../specs';
import { type AgentPaths, compileAgentPaths } from '../agent-path';
import { ModelMatcher } from './model-matcher';
import { RouteTable } from './route-table';
import { agentAdapter } from '../agents/adapter';
import { compileExtensions, type CompiledExtensions } from '../extensions/compile';
import { InboundBandwidth } from '../inflow/bandwidth';
import { compileLimitPlan, type LimitPlan } from '../limits/plan';
import { closeMcpServers, type CompiledMcpRoute, compileMcpServers, handOverMcpServers } from '../mcp/compile';
import { MIN_SESSION_KEY_BYTES, SessionSealer } from '../mcp/session';
import { PayloadLog } from '../payload-log';
import { PROVIDER_ADAPTERS } from '../providers';
import { runToEnd, type Steps } from '../reload/sliced';
import { RequestLabels } from '../request-labels';
import type { SecretSource } from '../secrets';
import { TlsCertificates } from '../tls/certificates';
import { createUpstream, type Upstream } from '../upstream';
import { compileWafs, type RouteWaf } from '../waf/compile';

/** A model of a route, with its weighted targets resolved to upstreams. */
export interface CompiledModel {
  readonly entry: ModelEntryConfig;
  readonly targets: readonly { readonly upstream: Upstream; readonly model: string; readonly weight: number }[];
  /** Fallback models of the same route, in order. */
  fallbacks: readonly CompiledModel[];
  /** The agent route this model is (`asModel`): its grants, limits and deadlines apply, wherever it is called. */
  readonly owner?: CompiledAgentRoute;
}

/** A route's rate limits as the limits stage applies them; a route without any has none, and the stage costs it nothing. */
export interface CompiledLimits {
  readonly plan: LimitPlan;
  readonly onRedisUnavailable: PoliciesConfig['onRedisUnavailable'];
  /** Some rule counts tokens: only then is a request's prompt estimated (a pre-charge that usage settles). */
  readonly chargesTokens: boolean;
}

interface CompiledRouteBase {
  readonly name: string;
  readonly maxBodyBytes: number;
  readonly limits: CompiledLimits | undefined;
  /** The route's WAF (the gateway's settings with the route's over them); undefined without one, or when it is off. */
  readonly waf: RouteWaf | undefined;
}

export interface CompiledModelRoute extends CompiledRouteBase {
  readonly kind: 'model';
  readonly match: ModelRouteConfig['match'];
  readonly config: ModelRouteConfig;
  readonly models: ModelMatcher<CompiledModel>;
  /** The route's own first-byte and total timeouts, where it overrides its backends'. */
  readonly timeouts: PoliciesConfig['timeouts'];
  /** The as-model routes of the gateway's agents (`asModel`) whose model this route also serves: a grant to one of them admits a caller. */
  readonly agentModels: readonly CompiledModelRoute[];
  /** Set on an agent's as-model route: the agent route it stands for. */
  readonly owner: CompiledAgentRoute | undefined;
}

export interface CompiledAgentRoute extends CompiledRouteBase {
  readonly kind: 'agent';
  readonly match: AgentRouteConfig['match'];
  readonly config: AgentRouteConfig;
  readonly upstream: Upstream;
  /** Where a request's path may go upstream (prefix kept, Model Studio app pinned). */
  readonly paths: AgentPaths;
  /** The agent's deadlines: the route policy's overrides, else the route's own timeouts. */
  readonly firstByteMs: number;
  readonly totalMs: number;
  /**
   * The agent as a model (`asModel`), for its OpenAI and Anthropic endpoints under its own prefix and on every
   * model route: named after the agent route, with its policies. Set once at compile (it points back here).
   */
  asModel: CompiledModelRoute | undefined;
  /** The request paths `asModel` answers under the agent's prefix: `<prefix>/v1/chat/completions`, `/v1/messages`, `/v1/models`. */
  readonly asModelPaths: ReadonlySet<string>;
}

export type CompiledRoute = CompiledModelRoute | CompiledAgentRoute | CompiledMcpRoute;

export interface CompiledConsumer {
  readonly name: string;
  readonly keyDigest: Buffer;
  readonly all: boolean;
  readonly routes: ReadonlySet<string>;
  readonly mcpServers: ReadonlySet<string>;
  /** Tool-level grants: for each MCP server named, the only tools the consumer may list and call. */
  readonly mcpTools: ReadonlyMap<string, ReadonlySet<string>>;
  /** What the consumer is, for request labels (`observability.requestLabels[].consumerAttribute`). */
  readonly attributes: Readonly<Record<string, string>> | undefined;
}

/** Everything a request needs, computed once per config and never mutated: a request keeps the one it started with. */
export interface Snapshot {
  readonly config: GatewayConfig;
  readonly hash: string;
  readonly routes: RouteTable<CompiledRoute>;
  readonly mcpServers: readonly CompiledMcpRoute[];
  /** Seals and opens MCP session ids: the key from `mcp.sessionKey`, else this process's own. */
  readonly mcpSessions: SessionSealer;
  /** How long a session id is honoured after its initialize (`mcp.sessionTtlSeconds`). */
  readonly mcpSessionTtlSeconds: number;
  /** Consumers by the sha256 of their API key. */
  readonly consumersByDigest: ReadonlyMap<string, CompiledConsumer>;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /** `limits.bodyTimeoutMs` and `limits.maxJsonDepth`, their defaults applied. */
  readonly bodyTimeoutMs: number;
  readonly maxJsonDepth: number;
  /** The replica's share of `limits.bandwidthMbps`: the one bucket every request body is read through (handed over on reload). */
  readonly bandwidth: InboundBandwidth;
  /** The enabled extensions in run order, and per hook those that define it: empty arrays when there are none. */
  readonly extensions: CompiledExtensions;
  /** The sha256 of the admin token (`admin.token`), never the token: undefined when the config names none (the extensions' admin API is then off). */
  readonly adminTokenDigest: Buffer | undefined;
  /** The gateway's WAF for a request no route matches (inspected before its 404); undefined without a WAF. */
  readonly wafUnrouted: RouteWaf | undefined;
  /** The TLS Domains' certificates by SNI; undefined when none has TLS (or on Serverless, where the fleet's Ingress terminates it). */
  readonly tls: TlsCertificates | undefined;
  /** `observability.requestLabels`, compiled; undefined without any (the metrics then cost nothing more). */
  readonly requestLabels: RequestLabels | undefined;
  /** The model routes that log payloads (`logPayloads`), by name: empty on most gateways, and then no request looks further. */
  readonly payloadLogs: ReadonlyMap<string, PayloadLog>;
}

/** The OpenAI and Anthropic endpoints an agent exposed as a model answers under its own prefix. */
const AS_MODEL_SUFFIXES = ['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1/messages/count_tokens', '/v1/models'];

function asModelPaths(pathPrefix: string): ReadonlySet<string> {
  const prefix = pathPrefix.replace(/\/+$/, '');
  return new Set(AS_MODEL_SUFFIXES.map((suffix) => `${prefix}${suffix}`));
}

/** An agent exposed as a model: one target, its own upstream, no fallbacks. */
function agentModel(route: AgentRouteConfig, upstream: Upstream, owner: CompiledAgentRoute): CompiledModel {
  const name = route.asModel!;
  const entry: ModelEntryConfig = { name, aliases: [], targets: [{ backend: upstream.config.name, model: name, weight: 1 }], fallbacks: [] };
  return { entry, targets: [{ upstream, model: name, weight: 1 }], fallbacks: [], owner };
}

/** The model route an agent's model is served by: the agent's name, match, policies, limits and deadlines. */
function asModelRoute(agent: CompiledAgentRoute, model: CompiledModel, timeouts: { firstByteMs: number; totalMs: number }): CompiledModelRoute {
  return {
    kind: 'model',
    name: agent.name,
    match: agent.match,
    config: { name: agent.name, match: agent.match, models: [model.entry], policies: agent.config.policies },
    models: new ModelMatcher([{ entry: model.entry, model }]),
    maxBodyBytes: agent.maxBodyBytes,
    limits: agent.limits,
    waf: agent.waf,
    timeouts,
    agentModels: [],
    owner: agent,
  };
}

export class CompileError extends Error {
  public constructor(public readonly problems: string[]) {
    super(`the config cannot be used:\n  ${problems.join('\n  ')}`);
  }
}

export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The shortest admin token accepted: 16 bytes, so that guessing it over the network is hopeless. */
export const MIN_ADMIN_TOKEN_BYTES = 16;

/** Validated config + secrets → immutable lookup structures. Throws CompileError naming every problem. */
export function compileSnapshot(config: GatewayConfig, hash: string, secrets: SecretSource): Snapshot {
  return runToEnd(compileSnapshotSteps(config, hash, secrets));
}

/**
 * `compileSnapshot` as a resumable job: it yields after each route, backend and consumer (the work
 * that grows with the config), so a reload can compile 10,000 routes in slices between requests.
 */
export function* compileSnapshotSteps(config: GatewayConfig, hash: string, secrets: SecretSource): Steps<Snapshot> {
  const problems: string[] = [];
  const secret = (ref: SecretRef | undefined, where: string): string | undefined => {
    if (!ref) return undefined;
    const value = secrets.read(ref);
    if (value === undefined || value === '') problems.push(`${where}: secret ${ref.secretName}/${ref.key} not found (looked in ${secrets.describe(ref)})`);
    return value;
  };

  const upstreams = new Map<string, Upstream>();
  for (const [i, b] of config.backends.entries()) {
    const adapter = PROVIDER_ADAPTERS[b.provider];
    if (!adapter) problems.push(`backends[${i}] (${b.name}): provider '${b.provider}' is not served by this data plane version`);
    else upstreams.set(b.name, createUpstream(b, adapter, secret(b.apiKey, `backends[${i}].apiKey`)));
    yield;
  }

  const maxBody = (policies: { maxBodyBytes?: number }) => policies.maxBodyBytes ?? config.limits.maxBodyBytes;
  const wafs = compileWafs(config.waf, problems);
  const limits = (route: string, policies: PoliciesConfig, rules = policies.rateLimits): CompiledLimits | undefined =>
    rules.length === 0 ? undefined : { plan: compileLimitPlan(route, rules), onRedisUnavailable: policies.onRedisUnavailable, chargesTokens: rules.some((r) => r.kind === 'tokens') };
  const modelRoutes: CompiledModelRoute[] = [];
  const agentRoutes: CompiledAgentRoute[] = [];
  // Agents first: an agent exposed as a model (`asModel`) is a model of every model route of the gateway.
  const agentModels: CompiledModel[] = [];
  for (const [r, route] of config.agentRoutes.entries()) {
    const apiKey = secret(route.upstream.apiKey, `agentRoutes[${r}].upstream.apiKey`);
    const firstByteMs = route.policies.timeouts?.firstByteMs ?? route.timeouts.firstByteMs;
    const totalMs = route.policies.timeouts?.totalMs ?? route.timeouts.totalMs;
    const upstream = createUpstream(
      {
        name: `agent:${route.name}`,
        provider: 'openai-compatible',
        baseUrl: route.upstream.baseUrl,
        headers: {},
        // The route policy's deadlines are the agent's, on its native paths and as a model alike.
        timeouts: { ...route.timeouts, firstByteMs, totalMs },
        // Read by the agent-as-model attempts: a POST that starts a run, never sent twice. The native calls that
        // may be resent (GET, HEAD, OPTIONS) follow GATEWAY_CONFIG_DEFAULTS.retries in agent-proxy.ts.
        retries: { attempts: 0, onStatus: [], backoffBaseMs: 0 },
      },
      agentAdapter(route),
      apiKey,
    );
    upstreams.set(`agent:${route.name}`, upstream);
    const compiled: CompiledAgentRoute = {
      kind: 'agent',
      name: route.name,
      match: route.match,
      config: route,
      upstream,
      maxBodyBytes: maxBody(route.policies),
      // Dify and Model Studio report usage (agents/wire.ts), which settles token limits; a custom agent reports none, and the
      // config refuses token rules on one.
      limits: limits(route.name, route.policies),
      waf: wafs.forRoute('agent', route.name, route.waf),
      paths: compileAgentPaths(route),
      firstByteMs,
      totalMs,
      asModel: undefined,
      asModelPaths: route.asModel === undefined ? new Set() : asModelPaths(route.match.pathPrefix),
    };
    if (route.asModel !== undefined && upstream.adapter.translators) {
      const model = agentModel(route, upstream, compiled);
      agentModels.push(model);
      compiled.asModel = asModelRoute(compiled, model, { firstByteMs, totalMs });
    }
    agentRoutes.push(compiled);
    yield;
  }
  for (const [r, route] of config.modelRoutes.entries()) {
    const compiled = new Map<string, CompiledModel>();
    for (const entry of route.models) {
      const targets = entry.targets.flatMap((t, i) => {
        const upstream = upstreams.get(t.backend);
        if (!upstream) problems.push(`modelRoutes[${r}].models '${entry.name}'.targets[${i}]: backend '${t.backend}' is not defined`);
        return upstream ? [{ upstream, model: t.model, weight: t.weight }] : [];
      });
      compiled.set(entry.name, { entry, targets, fallbacks: [] });
    }
    for (const model of compiled.values()) {
      model.fallbacks = model.entry.fallbacks.flatMap((f) => compiled.get(f) ?? []);
    }
    const models = [...compiled.values(), ...agentModels];
    modelRoutes.push({
      kind: 'model',
      name: route.name,
      match: route.match,
      config: route,
      // The route's own names first: an agent's name never shadows one (a collision is a synth error).
      models: new ModelMatcher(models.map((m) => ({ entry: m.entry, model: m }))),
      maxBodyBytes: maxBody(route.policies),
      limits: limits(route.name, route.policies),
      waf: wafs.forRoute('model', route.name, route.waf),
      timeouts: route.policies.timeouts,
      agentModels: agentModels.map((m) => m.owner!.asModel!),
      owner: undefined,
    });
    yield;
  }
  const routes: CompiledRoute[] = [...modelRoutes, ...agentRoutes];

  const mcpServers = compileMcpServers(config.mcpServers, config.limits.maxBodyBytes, secret, (server) => wafs.forRoute('mcp', server.name, server.waf));
  const sessionKey = secret(config.mcp?.sessionKey, 'mcp.sessionKey');
  if (sessionKey !== undefined && sessionKey !== '' && Buffer.byteLength(sessionKey, 'utf8') < MIN_SESSION_KEY_BYTES) {
    const ref = config.mcp!.sessionKey;
    problems.push(
      `mcp.sessionKey: secret ${ref.secretName}/${ref.key} is ${Buffer.byteLength(sessionKey, 'utf8')} bytes; at least ${MIN_SESSION_KEY_BYTES} are needed (a random key: \`openssl rand -base64 32\`)`,
    );
  }
  // Derived once per config (HKDF: microseconds), never per session; the same Secret gives every replica the same key.
  const mcpSessions = sessionKey ? SessionSealer.fromSecret(sessionKey, config.metadata.name) : SessionSealer.processLocal();

  const consumersByDigest = new Map<string, CompiledConsumer>();
  for (const [i, c] of config.consumers.entries()) {
    yield;
    const key = secret(c.apiKey, `consumers[${i}] (${c.name}).apiKey`);
    if (key === undefined) continue;
    const digest = keyDigest(key);
    const hex = digest.toString('hex');
    const other = consumersByDigest.get(hex);
    if (other) problems.push(`consumers[${i}] (${c.name}): has the same API key as consumer '${other.name}'; every consumer needs its own key`);
    consumersByDigest.set(hex, {
      name: c.name,
      keyDigest: digest,
      all: c.grants.all,
      routes: new Set(c.grants.routes),
      mcpServers: new Set(c.grants.mcpServers),
      mcpTools: new Map(Object.entries(c.grants.mcpTools ?? {}).map(([server, tools]) => [server, new Set(tools)])),
      attributes: c.attributes,
    });
  }

  const extensions = compileExtensions(config.extensions, problems, undefined, secret);
  // Kept as a digest only, as consumers' keys are: a heap dump of the replica does not give the token away.
  const adminToken = secret(config.admin?.token, 'admin.token');
  if (adminToken && Buffer.byteLength(adminToken, 'utf8') < MIN_ADMIN_TOKEN_BYTES) {
    const ref = config.admin!.token;
    // A short token can be guessed over the cluster's network: the admin port answers every pod.
    problems.push(`admin.token: secret ${ref.secretName}/${ref.key} is ${Buffer.byteLength(adminToken, 'utf8')} bytes; at least ${MIN_ADMIN_TOKEN_BYTES} are needed (a random token: \`openssl rand -hex 32\`)`);
  }
  const adminTokenDigest = adminToken ? keyDigest(adminToken) : undefined;
  yield;
  // Read like every other Secret: a rotated certificate is a reload (the watcher sees the Secret's ..data swap).
  const tls = TlsCertificates.compile(config, secret, problems);

  if (problems.length > 0) {
    for (const u of upstreams.values()) void u.pool.destroy();
    void closeMcpServers(mcpServers);
    throw new CompileError(problems);
  }
  const routeTable = yield* RouteTable.build<CompiledRoute>(routes, mcpServers);
  return {
    config,
    hash,
    routes: routeTable,
    mcpServers,
    mcpSessions,
    mcpSessionTtlSeconds: config.mcp?.sessionTtlSeconds ?? GATEWAY_CONFIG_DEFAULTS.mcp.sessionTtlSeconds,
    consumersByDigest,
    upstreams,
    bodyTimeoutMs: config.limits.bodyTimeoutMs ?? GATEWAY_CONFIG_DEFAULTS.limits.bodyTimeoutMs,
    maxJsonDepth: config.limits.maxJsonDepth ?? GATEWAY_CONFIG_DEFAULTS.limits.maxJsonDepth,
    bandwidth: InboundBandwidth.of(config.limits),
    extensions,
    adminTokenDigest,
    wafUnrouted: wafs.unrouted,
    tls,
    requestLabels: RequestLabels.compile(config),
    payloadLogs: new Map(config.modelRoutes.flatMap((r) => (r.logPayloads ? [[r.name, PayloadLog.compile(r.logPayloads)] as const] : []))),
  };
}

/** `next` replaces `current` as the snapshot new requests get: what lives across snapshots moves over (call it at the swap, not at compile). */
export function handOverSnapshot(current: Snapshot, next: Snapshot): void {
  handOverMcpServers(current.mcpServers, next.mcpServers);
  // One bucket per replica across reloads: bodies still read on the old snapshot and new ones draw from it, at the new rate.
  next.bandwidth.adopt(current.bandwidth);
}

/** Releases a snapshot's upstream pools once no request holds it. */
export async function closeSnapshot(snapshot: Snapshot): Promise<void> {
  await Promise.all([...[...snapshot.upstreams.values()].map((u) => u.pool.close().catch(() => undefined)), closeMcpServers(snapshot.mcpServers)]);
}
