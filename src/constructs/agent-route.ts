import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { TimeoutProps } from './backend';
import type { Consumer } from './consumer';
import type { AiGateway } from './gateway';
import { type LatencyMetricOptions, metricScope, type PrometheusMetric, quantileMetric, rateMetric, type RequestMetricOptions } from './metrics';
import { toK8sName } from './names';
import type { RoutePolicyProps } from './policies';
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
export class AgentRoute extends Construct {
  public readonly gateway: AiGateway;
  public readonly routeName: string;

  public constructor(scope: Construct, id: string, public readonly props: AgentRouteProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    this.routeName = props.routeName ?? toK8sName(id);
    attachToGateway(this, props, 'agentRoutes');
  }

  public get host(): string {
    return this.props.host ?? '*';
  }

  public get pathPrefix(): string {
    return this.props.pathPrefix ?? '/';
  }

  /** Lets these consumers call the route: the twin of `consumer.grantRoute(route)`. */
  public grantInvoke(...consumers: Consumer[]): this {
    for (const consumer of consumers) consumer.grantRoute(this);
    return this;
  }

  /** Requests per second on this route (`aigw_requests_total`), of every caller or of one consumer. */
  public metricRequests(options: RequestMetricOptions = {}): PrometheusMetric {
    return rateMetric('requests', metricScope(this.gateway, { route: this, consumer: options.consumer }), options);
  }

  /**
   * Failed requests per second on this route (`aigw_request_errors_total`): answers of status 400 or
   * more (499 for a client that left before the answer), and streams that broke after their 200.
   */
  public metricErrors(options: RequestMetricOptions = {}): PrometheusMetric {
    return rateMetric('errors', metricScope(this.gateway, { route: this, consumer: options.consumer }), options);
  }

  /** A quantile of the request duration in seconds on this route (`gen_ai_server_request_duration_seconds`). */
  public metricLatency(options: LatencyMetricOptions = {}): PrometheusMetric {
    return quantileMetric('duration', metricScope(this.gateway, { route: this }), options);
  }
}
