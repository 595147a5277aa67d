import type { Construct } from 'constructs';
import type { ConsumerConfig } from '../specs';
import type { AgentRoute } from './agent-route';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
import type { McpServer } from './mcp-server';
import type { ModelRoute } from './model-route';
import { toK8sName } from './names';
import type { SecretRef } from './secret-ref';

export type GrantableRoute = ModelRoute | AgentRoute;

/** Some tools of one MCP server: the consumer may list and call only these of its tools. */
export interface McpToolGrant {
  readonly server: McpServer;
  /** Tool names, as the server declares them (checked at synth where the tools are known: `mcp-tool-grants`). */
  readonly tools: string[];
}

export interface ConsumerGrants {
  /** @default [] */
  readonly routes?: GrantableRoute[];
  /** Every tool of these MCP servers. @default [] */
  readonly mcpServers?: McpServer[];
  /**
   * Only some tools of these MCP servers (naming a server here grants it). A tool grant limits the
   * consumer to its tools on that server, even when `mcpServers`, `grantAccess` or `'all'` grant the
   * whole server too; several tool grants of one server add up.
   * @default []
   */
  readonly mcpTools?: McpToolGrant[];
}

export interface ConsumerOptions {
  /** The consumer's API key. */
  readonly apiKey: SecretRef;
  /** What the consumer may call: `'all'`, or routes and MCP servers. @default - nothing */
  readonly grants?: ConsumerGrants | 'all';
  /** @default - the construct id */
  readonly consumerName?: string;
  /**
   * What the consumer is, for metric labels: a gateway's `observability.requestLabels` entry with
   * `consumerAttribute: 'team'` labels this consumer's requests with `attributes.team`. @default {}
   */
  readonly attributes?: Record<string, string>;
}

export interface ConsumerProps extends ConsumerOptions {
  readonly gateway: AiGateway;
}

/** A caller of the gateway, identified by API key, with grants to routes and MCP servers. */
export class Consumer extends GatewayChild<ConsumerProps> {
  /** The consumer's name in the config and metrics. @default - the construct id */
  public readonly consumerName: string;
  /** The consumer's API key. */
  public readonly apiKey: SecretRef;
  /** What the consumer is, for metric labels. @default {} */
  public readonly attributes: Readonly<Record<string, string>>;
  private _all: boolean;
  private readonly _routes: GrantableRoute[];
  private readonly _mcpServers: McpServer[];
  private readonly _mcpTools: McpToolGrant[];

  public constructor(scope: Construct, id: string, props: ConsumerProps) {
    super(scope, id, props, 'consumers');
    this.consumerName = this.props.consumerName ?? toK8sName(id);
    this.apiKey = this.props.apiKey;
    this.attributes = { ...this.props.attributes };
    const grants = this.props.grants;
    this._all = grants === 'all';
    this._routes = grants && grants !== 'all' ? [...(grants.routes ?? [])] : [];
    this._mcpServers = grants && grants !== 'all' ? [...(grants.mcpServers ?? [])] : [];
    this._mcpTools = grants && grants !== 'all' ? [...(grants.mcpTools ?? [])] : [];
  }

  /** Grants every route and MCP server of the gateway, present and future. */
  public grantAll(): this {
    this._all = true;
    return this;
  }

  /**
   * Lets the consumer call these routes; `route.grantInvoke(consumer)` is the twin and lands here.
   * A route of another gateway is reported at synth (`foreign-references`).
   */
  public grantRoute(...routes: GrantableRoute[]): this {
    this._routes.push(...routes);
    return this;
  }

  /** Lets the consumer use these MCP servers; `server.grantAccess(consumer)` is the twin and lands here. */
  public grantMcpServer(...servers: McpServer[]): this {
    this._mcpServers.push(...servers);
    return this;
  }

  /**
   * Lets the consumer list and call only these tools of an MCP server (and grants the server);
   * `server.grantTools(consumer, tools)` is the twin and lands here. Several calls for one server
   * add up. A tool the server does not declare is reported at synth (`mcp-tool-grants`), as is a
   * server of another gateway (`foreign-references`).
   */
  public grantMcpTools(server: McpServer, tools: string[]): this {
    // A copy, so that a list changed later by the caller does not change the grant (anything else is kept for synth to report).
    this._mcpTools.push({ server, tools: Array.isArray(tools) ? [...tools] : tools });
    return this;
  }

  public get grantsAll(): boolean {
    return this._all;
  }

  public get grantedRoutes(): readonly GrantableRoute[] {
    return this._routes;
  }

  public get grantedMcpServers(): readonly McpServer[] {
    return this._mcpServers;
  }

  /** The tool grants, as given (one entry per grant; the config merges them per server). */
  public get grantedMcpTools(): readonly McpToolGrant[] {
    return this._mcpTools;
  }

  /** @internal The consumer's entry in `consumers`: each grant named once. */
  public _toConfig(): ConsumerConfig {
    return {
      name: this.consumerName,
      apiKey: { ...this.apiKey },
      grants: {
        all: this._all,
        routes: [...new Set(this._routes.map((r) => r.routeName))],
        mcpServers: [...new Set(this._mcpServers.map((m) => m.serverName))],
        // Only when some are given, so that a config without tool grants stays as it was.
        ...(this._mcpTools.length > 0 && { mcpTools: mergeToolGrants(this._mcpTools) }),
      },
      ...(Object.keys(this.attributes).length > 0 && { attributes: { ...this.attributes } }),
    };
  }
}

/** Server name → its granted tools: several grants of one server merged, each tool named once, in order of first grant. */
function mergeToolGrants(grants: readonly McpToolGrant[]): Record<string, string[]> {
  const byServer = new Map<string, Set<string>>();
  for (const { server, tools } of grants) {
    // A plain-JS caller may pass anything: said at the consumer (config-builder reports a throw as the part's issue).
    if (typeof server?.serverName !== 'string') throw new Error(`a tool grant's server must be an McpServer, found ${typeof server}`);
    if (!Array.isArray(tools)) throw new Error(`the tools granted of MCP server '${server.serverName}' must be a list of tool names, found ${JSON.stringify(tools)}`);
    const set = byServer.get(server.serverName) ?? new Set<string>();
    for (const tool of tools) set.add(tool);
    byServer.set(server.serverName, set);
  }
  return Object.fromEntries([...byServer].map(([name, tools]) => [name, [...tools]]));
}
