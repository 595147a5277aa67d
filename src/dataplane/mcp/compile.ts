import { Pool } from 'undici';
import { GATEWAY_CONFIG_DEFAULTS, type McpServerConfig, type SecretRef } from '../../specs';
import { CircuitBreaker } from '../resilience';
import { compileScrubber, type Scrubber } from '../scrub';
import { createHttpToolBackend } from './http';
import { compileMcpLimits, type McpLimits } from './limits';
import { closeSseUpstreams, handOverSseUpstreams } from './sse-upstream';
import type { McpToolBackend } from './tool-backend';
import type { RouteWaf } from '../waf/compile';

type ProxyConfig = Extract<McpServerConfig, { kind: 'proxy' }>;
type HttpToMcpConfig = Extract<McpServerConfig, { kind: 'http-to-mcp' }>;

/** An upstream MCP server, ready to call: one keep-alive pool, its URL's path, the headers every call carries. */
export interface McpUpstream {
  readonly pool: Pool;
  /** The URL's path and query: every message goes there, whatever the client's path said. */
  readonly path: string;
  /** The configured headers and the `auth` Secret as `Authorization: Bearer`: never the client's. */
  readonly headers: Readonly<Record<string, string>>;
  /** Removes the upstream's credential from anything relayed back. */
  readonly scrubber: Scrubber;
  /** The upstream's own failures (unreachable, 5xx, timeouts) take it out for a cool-down; a client's fault never does. */
  readonly breaker: CircuitBreaker;
}

interface McpRouteBase {
  readonly kind: 'mcp';
  readonly name: string;
  /** MCP servers are matched by path on any host (route-table.ts: the path-only table). */
  readonly match: { readonly host: '*'; readonly pathPrefix: string };
  readonly maxBodyBytes: number;
  /** The HTTP-level limits stage passes MCP servers: their limits count JSON-RPC requests (`requestLimits`), not POSTs. */
  readonly limits: undefined;
  /** The server's WAF (the gateway's settings with the server's over them); undefined without one. */
  readonly waf: RouteWaf | undefined;
  /** The server's `rateLimits`, checked per JSON-RPC request by admit.ts; undefined when it has none. */
  readonly requestLimits: McpLimits | undefined;
  /** The server's `allowTools` (proxies); undefined when every tool is allowed. */
  readonly allowTools: ReadonlySet<string> | undefined;
  /** The tool names metrics may carry as labels: the tools the config declares; any other is `other`. */
  readonly toolLabels: ReadonlySet<string>;
}

export interface CompiledMcpProxy extends McpRouteBase {
  readonly server: 'proxy';
  readonly config: ProxyConfig;
  readonly upstream: McpUpstream;
}

export interface CompiledMcpLocal extends McpRouteBase {
  readonly server: 'local';
  readonly config: HttpToMcpConfig;
  readonly backend: McpToolBackend;
}

export type CompiledMcpRoute = CompiledMcpProxy | CompiledMcpLocal;

/**
 * How long a proxied call may wait for the upstream's answer to start. Tool calls can run for minutes,
 * and an upstream that answers in JSON sends its headers only at the end: the contract's total timeout.
 */
export const MCP_FIRST_BYTE_MS = GATEWAY_CONFIG_DEFAULTS.timeouts.totalMs;

export type SecretReader = (ref: SecretRef | undefined, where: string) => string | undefined;

/** The config's MCP servers as routes; a Secret that cannot be read is a problem of the config (reported by `secret`). */
export function compileMcpServers(
  servers: readonly McpServerConfig[],
  maxBodyBytes: number,
  secret: SecretReader,
  wafOf: (server: McpServerConfig) => RouteWaf | undefined,
): CompiledMcpRoute[] {
  return servers.map((server, i): CompiledMcpRoute => {
    const base = {
      kind: 'mcp' as const,
      name: server.name,
      match: { host: '*' as const, pathPrefix: server.path },
      maxBodyBytes,
      limits: undefined,
      waf: wafOf(server),
      requestLimits: compileMcpLimits(server),
    };
    if (server.kind === 'proxy') {
      const allow = server.allowTools.length > 0 ? new Set(server.allowTools) : undefined;
      const token = secret(server.upstream.auth, `mcpServers[${i}] (${server.name}).upstream.auth`);
      return { ...base, server: 'proxy', config: server, allowTools: allow, toolLabels: allow ?? new Set(), upstream: createMcpUpstream(server, token) };
    }
    const credential = secret(server.upstream.auth?.secret, `mcpServers[${i}] (${server.name}).upstream.auth.secret`);
    return { ...base, server: 'local', config: server, allowTools: undefined, toolLabels: new Set(server.tools.map((t) => t.name)), backend: createHttpToolBackend(server, credential) };
  });
}

function createMcpUpstream(server: ProxyConfig, token: string | undefined): McpUpstream {
  const url = new URL(server.upstream.url);
  const pool = new Pool(url.origin, {
    // No cap of its own: each open server-to-client stream holds a connection for its lifetime, and the
    // replica's client-connection limit already bounds how many there can be.
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: GATEWAY_CONFIG_DEFAULTS.timeouts.connectMs },
    headersTimeout: MCP_FIRST_BYTE_MS,
    // SSE streams may be silent for long (the gateway keeps the client's side alive with comments).
    bodyTimeout: 0,
  });
  return {
    pool,
    path: `${url.pathname}${url.search}`,
    headers: { ...lowerCaseKeys(server.upstream.headers), ...(token !== undefined && { authorization: `Bearer ${token}` }) },
    scrubber: compileScrubber(token),
    breaker: new CircuitBreaker(),
  };
}

/** Header names in one case, so that the gateway's own (`authorization`, the protocol headers) replace a configured one rather than go beside it. */
function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Releases what a snapshot's MCP servers hold: upstream pools and tool backends. */
export async function closeMcpServers(routes: Iterable<CompiledMcpRoute>): Promise<void> {
  await Promise.all(
    [...routes].map((r) => {
      // A held HTTP+SSE upstream stream never ends by itself: the pool's close would wait for it forever.
      if (r.server === 'proxy') closeSseUpstreams(r);
      return (r.server === 'proxy' ? r.upstream.pool.close() : r.backend.close()).catch(() => undefined);
    }),
  );
}

/**
 * A reload installs the snapshot with `to`: what `from`'s servers hold and an unchanged server can keep
 * (its HTTP+SSE upstream streams, the sessions' own) moves over; a removed or changed server's ends.
 */
export function handOverMcpServers(from: Iterable<CompiledMcpRoute>, to: Iterable<CompiledMcpRoute>): void {
  handOverSseUpstreams(from, to);
}
