import { Construct } from 'constructs';
import type { AgentRoute } from './agent-route';
import { attachToGateway } from './attach';
import type { AiGateway } from './gateway';
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
export class Consumer extends Construct {
  public readonly gateway: AiGateway;
  public readonly consumerName: string;
  private _all: boolean;
  private readonly _routes: GrantableRoute[];
  private readonly _mcpServers: McpServer[];

  public constructor(scope: Construct, id: string, public readonly props: ConsumerProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    this.consumerName = props.consumerName ?? toK8sName(id);
    const grants = props.grants;
    this._all = grants === 'all';
    this._routes = grants && grants !== 'all' ? [...(grants.routes ?? [])] : [];
    this._mcpServers = grants && grants !== 'all' ? [...(grants.mcpServers ?? [])] : [];
    attachToGateway(this, props, 'consumers');
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
}
