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

export interface ConsumerGrants {
  /** @default [] */
  readonly routes?: GrantableRoute[];
  /** @default [] */
  readonly mcpServers?: McpServer[];
}

export interface ConsumerOptions {
  /** The consumer's API key. */
  readonly apiKey: SecretRef;
  /** What the consumer may call: `'all'`, or routes and MCP servers. @default - nothing */
  readonly grants?: ConsumerGrants | 'all';
  /** @default - the construct id */
  readonly consumerName?: string;
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
  private _all: boolean;
  private readonly _routes: GrantableRoute[];
  private readonly _mcpServers: McpServer[];

  public constructor(scope: Construct, id: string, props: ConsumerProps) {
    super(scope, id, props, 'consumers');
    this.consumerName = this.props.consumerName ?? toK8sName(id);
    this.apiKey = this.props.apiKey;
    const grants = this.props.grants;
    this._all = grants === 'all';
    this._routes = grants && grants !== 'all' ? [...(grants.routes ?? [])] : [];
    this._mcpServers = grants && grants !== 'all' ? [...(grants.mcpServers ?? [])] : [];
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

  public get grantsAll(): boolean {
    return this._all;
  }

  public get grantedRoutes(): readonly GrantableRoute[] {
    return this._routes;
  }

  public get grantedMcpServers(): readonly McpServer[] {
    return this._mcpServers;
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
      },
    };
  }
}
