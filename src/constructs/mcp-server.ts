import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { Consumer } from './consumer';
import type { AiGateway } from './gateway';
import { toK8sName } from './names';
import type { SecretRef } from './secret-ref';
import type { UpstreamService } from './upstream-service';

interface McpServerBaseOptions {
  /** @default - `/mcp/<serverName>` */
  readonly path?: string;
  /** @default - the construct id */
  readonly serverName?: string;
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

/** An MCP server published by the gateway. Counts toward "MCP servers". */
export class McpServer extends Construct {
  public readonly gateway: AiGateway;
  public readonly serverName: string;

  public constructor(scope: Construct, id: string, public readonly props: McpServerProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    this.serverName = props.serverName ?? toK8sName(id);
    attachToGateway(this, props, 'mcpServers');
  }

  public get path(): string {
    return this.props.path ?? `/mcp/${this.serverName}`;
  }

  /** Lets these consumers use the server: the twin of `consumer.grantMcpServer(server)`. */
  public grantAccess(...consumers: Consumer[]): this {
    for (const consumer of consumers) consumer.grantMcpServer(this);
    return this;
  }
}
