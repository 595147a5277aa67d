import type { Construct } from 'constructs';
import { AGENT_DEFAULT_BASE_URLS, type AgentRouteConfig, GATEWAY_CONFIG_DEFAULTS } from '../specs';
import type { TimeoutProps } from './backend';
import type { AiGateway } from './gateway';
import { policiesConfig, type RoutePolicyProps } from './policies';
import { RouteBase } from './route-base';
import type { SecretRef } from './secret-ref';
import type { UpstreamService } from './upstream-service';

export type AgentKind = 'model-studio' | 'dify' | 'custom';

export interface AgentRouteOptions {
  /** Model Studio (DashScope applications), Dify, or a custom agent HTTP API. */
  readonly kind: AgentKind;
  /** @default '*' */
  readonly host?: string;
  /** @default '/' */
  readonly pathPrefix?: string;
  /**
   * The agent API's base URL.
   * @default - Model Studio's public endpoint for 'model-studio'; required otherwise unless `service` is given
   */
  readonly baseUrl?: string;
  /** @default - none: `baseUrl` is used */
  readonly service?: UpstreamService;
  /** Model Studio application id. Required for 'model-studio'. @default - none */
  readonly appId?: string;
  /** @default - no credential is sent */
  readonly apiKey?: SecretRef;
  /** @default - 5 s connect, 60 s first byte, 600 s total */
  readonly timeouts?: TimeoutProps;
  /** @default - key auth on, no rate limits */
  readonly policies?: RoutePolicyProps;
  /** @default - the construct id */
  readonly routeName?: string;
}

export interface AgentRouteProps extends AgentRouteOptions {
  readonly gateway: AiGateway;
}

/** An agent API route: Model Studio apps, Dify, or a custom agent. */
export class AgentRoute extends RouteBase<AgentRouteProps> {
  /** Model Studio, Dify, or a custom agent HTTP API. */
  public readonly kind: AgentKind;
  /**
   * The agent API's base URL, as given.
   * @default - Model Studio's public endpoint for 'model-studio' (when no `service` is given); otherwise none: derived from `service`
   */
  public readonly baseUrl?: string;
  /** The upstream service the agent runs on. @default - none: `baseUrl` is used */
  public readonly service?: UpstreamService;
  /** Model Studio application id. @default - none */
  public readonly appId?: string;
  /** @default - no credential is sent */
  public readonly apiKey?: SecretRef;
  /** Connect, first-byte and total timeouts. @default - GATEWAY_CONFIG_DEFAULTS.timeouts: 5 s connect, 60 s first byte, 600 s total */
  public readonly timeouts: Required<TimeoutProps>;

  public constructor(scope: Construct, id: string, props: AgentRouteProps) {
    super(scope, id, props, 'agentRoutes');
    const p = this.props;
    this.kind = p.kind;
    this.baseUrl = p.baseUrl ?? ((p.service === undefined || p.service === null) && p.kind === 'model-studio' ? AGENT_DEFAULT_BASE_URLS['model-studio'] : undefined);
    this.service = p.service;
    this.appId = p.appId;
    this.apiKey = p.apiKey;
    this.timeouts = { ...GATEWAY_CONFIG_DEFAULTS.timeouts, ...p.timeouts };
  }

  /** @internal The route's entry in `agentRoutes`. */
  public _toConfig(): AgentRouteConfig {
    return {
      name: this.routeName,
      kind: this.kind,
      match: { host: this.host, pathPrefix: this.pathPrefix },
      ...(this.appId !== undefined && { appId: this.appId }),
      upstream: {
        baseUrl: this.baseUrl ?? this.service?.url() ?? '',
        ...(this.apiKey && { apiKey: { ...this.apiKey } }),
        ...(this.service && { service: this.service.serviceName }),
      },
      timeouts: { ...this.timeouts },
      policies: policiesConfig(this.policies),
    };
  }
}
