import { secretEnvName } from '../dataplane/secrets';
import { type GatewayConfig, parseGatewayConfig, type SecretRef } from '../specs';
import { matchLoopback } from '../specs/loopback-routes';

/** What `aigw dev` decided for one gateway's local run. */
export interface LocalRunOptions {
  /** The bundled upstream simulator, e.g. `http://127.0.0.1:40001` (no trailing slash): backends, agents, HTTP-to-MCP APIs. */
  readonly simulatorUrl: string;
  /** The bundled demo MCP server (src/simulator/mcp-demo.ts): MCP proxy upstreams. */
  readonly mcpDemoUrl: string;
  /** Free loopback ports for the listeners. */
  readonly ports: { readonly port: number; readonly tlsPort: number; readonly adminPort: number };
  /** `host:port` of a local redis-server, when one runs. */
  readonly redisAddress?: string;
  /** A fresh consumer API key per call (injected so that tests are deterministic). */
  readonly newApiKey: () => string;
  /** A fresh MCP session key (at least 32 random bytes), for a config that names one. */
  readonly newSessionKey: () => string;
}

export interface LocalConfig {
  readonly config: GatewayConfig;
  /** `AIGW_SECRET_*` environment variables: every SecretRef the config still holds, with a value. */
  readonly env: Readonly<Record<string, string>>;
  /** Consumer name → the API key generated for this session. */
  readonly consumerKeys: ReadonlyMap<string, string>;
}

/**
 * Rewrites a synthesized config so that it runs on a laptop with no keys and no cluster: every
 * upstream is the simulator, or the demo MCP server for MCP proxies (keeping the original URL's path, so provider path shapes such as
 * DashScope's `/compatible-mode/v1` are exercised), consumers get session keys, other secrets get
 * dummy values, listeners use the given ports, and host-matched routes also answer on the loopback
 * address (specs/loopback-routes.ts). Pure: the same inputs give the same output.
 */
export function rewriteForLocal(original: GatewayConfig, options: LocalRunOptions): LocalConfig {
  const c = structuredClone(original) as Mutable<GatewayConfig>;
  const local = (url: string) => simulated(options.simulatorUrl, url);

  c.listeners = { ...options.ports };
  // Locally everything is plain HTTP on loopback: a Secret-backed certificate would only fail to load.
  c.domains = c.domains.map(({ host }) => ({ host }));
  // Service discovery would override the simulator address, and there is no cluster to discover in.
  c.services = [];
  c.serviceSources = [];
  c.backends = c.backends.map(({ service: _service, ...b }) => ({ ...b, baseUrl: local(b.baseUrl) }));
  c.agentRoutes = c.agentRoutes.map((r) => {
    const { service: _service, ...upstream } = r.upstream;
    return { ...r, upstream: { ...upstream, baseUrl: local(upstream.baseUrl) } };
  });
  c.mcpServers = c.mcpServers.map((m) => {
    // The demo server speaks Streamable HTTP only: a proxy of a legacy SSE server reaches it that way.
    if (m.kind === 'proxy') return { ...m, upstream: { ...m.upstream, url: simulated(options.mcpDemoUrl, m.upstream.url), transport: 'streamable-http' } };
    const { service: _service, ...upstream } = m.upstream;
    return { ...m, upstream: { ...upstream, baseUrl: local(upstream.baseUrl) } };
  });
  // A laptop has no QAT; with `fallback: fail` the gateway would refuse to start.
  c.acceleration = { tls: { ...c.acceleration.tls, enabled: false }, compression: { ...c.acceleration.compression, enabled: false } };
  if (options.redisAddress) {
    // The local redis-server has no ACL users: connect as the default user.
    c.redis = { address: options.redisAddress, keyPrefix: c.redis?.keyPrefix ?? `aigw:${c.metadata.name}:` };
  }

  const env: Record<string, string> = {};
  const consumerKeys = new Map<string, string>();
  for (const consumer of c.consumers) {
    const name = secretEnvName(consumer.apiKey);
    // Consumers sharing one Secret key share one API key, as they would in the cluster.
    env[name] ??= options.newApiKey();
    consumerKeys.set(consumer.name, env[name]);
  }
  // A dummy would be too short for a session key; locally each gateway is one process, so any fresh key serves.
  if (c.mcp) env[secretEnvName(c.mcp.sessionKey)] ??= options.newSessionKey();
  for (const ref of secretRefsIn(c)) {
    env[secretEnvName(ref)] ??= `dev-dummy-${ref.secretName}-${ref.key}`;
  }

  // SDKs on Node's fetch cannot send a Host header: locally, host-matched routes answer on 127.0.0.1 too,
  // where no two routes would then collide (the cluster's config keeps its hosts exact).
  const parsed = parseGatewayConfig(matchLoopback(c).config);
  if (!parsed.ok) throw new Error(`the local config of gateway '${original.metadata.name}' is invalid:\n  ${parsed.issues.join('\n  ')}`);
  return { config: parsed.config, env, consumerKeys };
}

/** The simulator URL plus the original URL's path and query (a bare `/` path is dropped). */
export function simulated(simulatorUrl: string, originalUrl: string): string {
  const url = new URL(originalUrl);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${simulatorUrl.replace(/\/$/, '')}${path}${url.search}`;
}

/**
 * Every SecretRef-shaped object (exactly `secretName` and `key`, both strings) anywhere in the
 * config: found by shape rather than by field, so that a field added to the schema later is covered.
 */
export function secretRefsIn(value: unknown, found: SecretRef[] = []): SecretRef[] {
  if (Array.isArray(value)) {
    for (const v of value) secretRefsIn(v, found);
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && typeof o.secretName === 'string' && typeof o.key === 'string') found.push({ secretName: o.secretName, key: o.key });
    else for (const k of keys) secretRefsIn(o[k], found);
  }
  return found;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
