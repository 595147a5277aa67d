import type { Construct } from 'constructs';
import type { MCP_RATE_LIMIT_SCOPES, McpRateLimitConfig, McpServerConfig, McpToolConfig, RATE_LIMIT_WINDOWS } from '../specs';
import type { Consumer } from './consumer';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
import { type PrometheusMetric, wafMatchMetric, type WafMatchMetricOptions } from './metrics';
import { toK8sName } from './names';
import type { OpenApiToolsResult } from './openapi-tools';
import { listOf } from './props-input';
import type { SecretRef } from './secret-ref';
import type { UpstreamService } from './upstream-service';
import { copyRouteWaf, routeWafConfig, type RouteWafProps } from './waf';

/**
 * A request budget on an MCP server. Every JSON-RPC request a client sends counts (initialize, tools/list,
 * tools/call …; notifications and the client's answers do not); with `tool`, only calls of that tool.
 */
export interface McpRateLimitProps {
  /** Named in the error a refused client gets. @default - `requests-per-<window>-<index>` */
  readonly name?: string;
  /** Requests allowed per window. */
  readonly limit: number;
  readonly window: (typeof RATE_LIMIT_WINDOWS)[number];
  /** `consumer`: each consumer's own budget on this server; `server`: one budget all its callers share. @default 'consumer' */
  readonly scope?: (typeof MCP_RATE_LIMIT_SCOPES)[number];
  /** Count only `tools/call` of this tool, one the server declares. @default - every request to the server */
  readonly tool?: string;
}

interface McpServerBaseOptions {
  /** @default - `/mcp/<serverName>` */
  readonly path?: string;
  /** @default - the construct id */
  readonly serverName?: string;
  /** Request budgets, counted in Redis and shared by every replica. @default [] */
  readonly rateLimits?: McpRateLimitProps[];
  /** What a limit check does when Redis is unreachable: admit uncounted, or refuse. @default 'failOpen' */
  readonly onRedisUnavailable?: 'failOpen' | 'failClosed';
  /**
   * This server's own WAF settings over its gateway's, which must have a `waf` (Dedicated only): `mode: 'off'` leaves
   * the server uninspected (the gateway's ipDenyList still applies); each field left out is the gateway's. Every
   * string of a JSON-RPC body is inspected (there is no message text here): `inspectMessages` and
   * `rules.promptInjection` have no effect on an MCP server.
   * @default - the gateway's WAF as it is
   */
  readonly waf?: RouteWafProps;
}

/** Proxy an existing MCP server. */
export interface McpProxyOptions extends McpServerBaseOptions {
  readonly kind: 'proxy';
  /** The upstream MCP endpoint. */
  readonly url: string;
  /** @default 'streamable-http' */
  readonly transport?: 'streamable-http' | 'sse';
  /** @default {} */
  readonly headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer`. @default - none */
  readonly auth?: SecretRef;
  /** Tools clients may see and call. @default - all */
  readonly allowTools?: string[];
}

/** One tool of an HTTP-to-MCP server. `{{args.x}}` in path, query and headers is filled from the call. */
export interface McpToolProps {
  readonly name: string;
  /** @default '' */
  readonly description?: string;
  /** JSON Schema of the arguments. @default { type: 'object', properties: {} } */
  readonly inputSchema?: Record<string, unknown>;
  /** JSON Schema (`type: 'object'`) of the tool's JSON result: results then carry it as `structuredContent`. @default - none */
  readonly outputSchema?: Record<string, unknown>;
  readonly request: {
    readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
    readonly path: string;
    /** @default {} */
    readonly query?: Record<string, string>;
    /** @default {} */
    readonly headers?: Record<string, string>;
    /** The argument sent as the JSON body. @default - no body */
    readonly bodyArg?: string;
  };
  /** @default { format: 'json' } */
  readonly response?: { readonly format?: 'json' | 'text'; readonly pointer?: string };
}

export interface HttpToMcpAuthProps {
  readonly secret: SecretRef;
  /** @default 'authorization' */
  readonly header?: string;
  /** @default 'Bearer ' */
  readonly prefix?: string;
}

/** Turn an HTTP API into MCP tools, given inline or as an OpenAPI 3 file. */
export interface HttpToMcpOptions extends McpServerBaseOptions {
  readonly kind: 'http-to-mcp';
  /** The HTTP API's base URL. Required unless `service` is given. @default - derived from `service` */
  readonly baseUrl?: string;
  /** @default - none: `baseUrl` is used */
  readonly service?: UpstreamService;
  /** How calls authenticate upstream. @default - none */
  readonly auth?: HttpToMcpAuthProps;
  /** @default [] */
  readonly tools?: McpToolProps[];
  /** An OpenAPI 3 file (JSON or YAML), converted at synth to one tool per operation. @default - none */
  readonly openApiFile?: string;
}

export type McpServerOptions = McpProxyOptions | HttpToMcpOptions;
export type McpServerProps = McpServerOptions & { readonly gateway: AiGateway };

/** @internal What an MCP server's render needs: its OpenAPI file as converted (once per App, before the rules run). */
export interface McpServerRenderContext {
  readonly openApi: ReadonlyMap<McpServer, OpenApiToolsResult>;
}

/** An MCP server published by the gateway. Counts toward "MCP servers". */
export class McpServer extends GatewayChild<McpServerProps> {
  /** Proxy an MCP server, or turn an HTTP API into one. */
  public readonly kind: McpServerOptions['kind'];
  /** The server's name in the config. @default - the construct id */
  public readonly serverName: string;
  /** The path it is published at. @default - `/mcp/<serverName>` */
  public readonly path: string;
  /** Proxy: the upstream MCP endpoint. */
  public readonly url?: string;
  /** Proxy: the upstream transport. @default 'streamable-http' (undefined for HTTP-to-MCP) */
  public readonly transport?: 'streamable-http' | 'sse';
  /** Proxy: extra headers sent upstream. @default {} */
  public readonly headers: Record<string, string>;
  /** Proxy: the tools clients may see and call; empty is all. @default [] */
  public readonly allowTools: readonly string[];
  /** HTTP-to-MCP: the HTTP API's base URL, as given. @default - derived from `service` */
  public readonly baseUrl?: string;
  /** HTTP-to-MCP: the upstream service the API runs on. @default - none */
  public readonly service?: UpstreamService;
  /** Proxy: the bearer token's SecretRef. HTTP-to-MCP: how calls authenticate, header and prefix filled in. @default - none */
  public readonly auth?: SecretRef | Required<HttpToMcpAuthProps>;
  /** HTTP-to-MCP: the inline tools (each tool's defaults, see McpToolProps, are filled in by the render). @default [] */
  public readonly tools: readonly McpToolProps[];
  /** HTTP-to-MCP: the OpenAPI 3 file converted at synth. @default - none */
  public readonly openApiFile?: string;
  /** The server's request budgets, names and scopes filled in. @default [] */
  public readonly rateLimits: readonly McpRateLimitConfig[];
  /** What a limit check does when Redis is unreachable. @default 'failOpen' */
  public readonly onRedisUnavailable: 'failOpen' | 'failClosed';
  /** The server's own WAF settings, as given; each field left out is the gateway's. @default - none: the gateway's WAF as it is */
  public readonly waf?: Readonly<RouteWafProps>;

  public constructor(scope: Construct, id: string, props: McpServerProps) {
    super(scope, id, props, 'mcpServers');
    const p = this.props as Partial<McpProxyOptions> & Partial<Omit<HttpToMcpOptions, 'auth' | 'kind'>> & { readonly kind?: McpServerOptions['kind']; readonly auth?: unknown };
    this.kind = p.kind as McpServerOptions['kind'];
    this.serverName = p.serverName ?? toK8sName(id);
    this.path = p.path ?? `/mcp/${this.serverName}`;
    this.url = p.url;
    this.transport = this.kind === 'proxy' ? p.transport ?? 'streamable-http' : p.transport;
    this.headers = p.headers ?? {};
    this.allowTools = p.allowTools ?? [];
    this.baseUrl = p.baseUrl;
    this.service = p.service;
    const auth = p.auth as Partial<HttpToMcpAuthProps> | undefined;
    this.auth =
      this.kind === 'http-to-mcp' && auth
        ? { header: auth.header ?? 'authorization', prefix: auth.prefix ?? 'Bearer ', secret: auth.secret as SecretRef }
        : (auth as SecretRef | undefined);
    this.tools = p.tools ?? [];
    this.openApiFile = p.openApiFile;
    this.rateLimits = listOf(p.rateLimits, (r, i) => ({
      name: r?.name ?? `requests-per-${r?.window}-${i}`,
      limit: r?.limit,
      window: r?.window,
      scope: r?.scope ?? 'consumer',
      ...(r?.tool !== undefined && { tool: r.tool }),
    }));
    this.onRedisUnavailable = p.onRedisUnavailable ?? 'failOpen';
    this.waf = copyRouteWaf(p.waf);
  }

  /** The config's limit fields, left out when the server has no limits (the config reads as before). */
  private limitsConfig(): Pick<McpServerConfig, 'rateLimits' | 'onRedisUnavailable'> {
    const limited = !Array.isArray(this.rateLimits) || this.rateLimits.length > 0;
    return {
      ...(limited && { rateLimits: listOf(this.rateLimits as McpRateLimitConfig[], (r) => ({ ...r })) }),
      ...((limited || this.onRedisUnavailable !== 'failOpen') && { onRedisUnavailable: this.onRedisUnavailable }),
    };
  }

  /** Lets these consumers use the server: the twin of `consumer.grantMcpServer(server)`. */
  public grantAccess(...consumers: Consumer[]): this {
    for (const consumer of consumers) consumer.grantMcpServer(this);
    return this;
  }

  /**
   * Lets the consumer list and call only these tools of the server (and grants it the server):
   * the twin of `consumer.grantMcpTools(server, tools)`. A tool the server does not declare is
   * reported at synth, where its tools are known (`mcp-tool-grants`).
   */
  public grantTools(consumer: Consumer, tools: string[]): this {
    consumer.grantMcpTools(this, tools);
    return this;
  }

  /**
   * WAF rule matches per second on this server (`aigw_waf_matches_total`, its `route` label the serverName), of every
   * rule or one, refused (`block`) or let through (`log`). Only on a gateway with a `waf`; a server whose `waf.mode`
   * is `off` counts `ip-deny` only.
   */
  public metricWafMatches(options: WafMatchMetricOptions = {}): PrometheusMetric {
    return wafMatchMetric(this.gateway, this, options);
  }

  /** The config's `waf`, left out when the server has none (the gateway's applies). */
  private wafConfig(): Pick<McpServerConfig, 'waf'> {
    return this.waf !== undefined ? { waf: routeWafConfig(this.waf) } : {};
  }

  /** @internal The server's entry in `mcpServers`: inline tools first, then the OpenAPI file's. */
  public _toConfig(ctx: McpServerRenderContext): McpServerConfig {
    if (this.kind === 'proxy') {
      return {
        name: this.serverName,
        kind: 'proxy',
        path: this.path,
        ...this.limitsConfig(),
        upstream: {
          url: this.url as string,
          transport: this.transport!,
          headers: this.headers,
          ...(this.auth && { auth: { ...(this.auth as SecretRef) } }),
        },
        allowTools: this.allowTools as string[],
        ...this.wafConfig(),
      };
    }
    const converted = ctx.openApi.get(this);
    const fromFile = converted?.ok ? converted.tools : [];
    const auth = this.auth as Required<HttpToMcpAuthProps> | undefined;
    return {
      name: this.serverName,
      kind: 'http-to-mcp',
      path: this.path,
      ...this.limitsConfig(),
      upstream: {
        baseUrl: this.baseUrl ?? this.service?.url() ?? '',
        ...(this.service && { service: this.service.serviceName }),
        ...(auth && { auth: { header: auth.header, prefix: auth.prefix, secret: { ...auth.secret } } }),
      },
      tools: [...this.tools.map(toolConfig), ...fromFile],
      ...this.wafConfig(),
    };
  }
}

/** A tool's entry, with the defaults of McpToolProps. */
function toolConfig(t: McpToolProps): McpToolConfig {
  return {
    name: t.name,
    description: t.description ?? '',
    inputSchema: (t.inputSchema ?? { type: 'object', properties: {} }) as McpToolConfig['inputSchema'],
    ...(t.outputSchema !== undefined && { outputSchema: t.outputSchema as NonNullable<McpToolConfig['outputSchema']> }),
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
