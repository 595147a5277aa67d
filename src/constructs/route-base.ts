import type { Construct } from 'constructs';
import type { Consumer, GrantableRoute } from './consumer';
import type { AiGateway } from './gateway';
import { GatewayChild } from './gateway-child';
import {
  type LatencyMetricOptions,
  metricScope,
  type PrometheusMetric,
  quantileMetric,
  rateMetric,
  type RequestMetricOptions,
  type TokenMetricOptions,
  wafMatchMetric,
  type WafMatchMetricOptions,
} from './metrics';
import { toK8sName } from './names';
import { type ResolvedRoutePolicies, resolvePolicies, type RoutePolicyProps } from './policies';
import { copyRouteWaf, type RouteWafProps } from './waf';

/** What model and agent routes share. */
export interface RouteBaseProps {
  readonly gateway: AiGateway;
  readonly host?: string;
  readonly pathPrefix?: string;
  readonly policies?: RoutePolicyProps;
  readonly routeName?: string;
  readonly waf?: RouteWafProps;
}

/** A route of a gateway (model or agent): its name, host and path, policies, grants and metrics. */
export abstract class RouteBase<P extends RouteBaseProps> extends GatewayChild<P> {
  /** The route's name in the config and metrics. @default - the construct id */
  public readonly routeName: string;
  /** The host the route matches. @default '*' (any host) */
  public readonly host: string;
  /** The path prefix the route matches. @default '/' */
  public readonly pathPrefix: string;
  /** The route's built-in policies. @default - key auth on, no rate limits (see RoutePolicyProps) */
  public readonly policies: ResolvedRoutePolicies;
  /** The route's own WAF settings, as given; each field left out is the gateway's. @default - none: the gateway's WAF as it is */
  public readonly waf?: Readonly<RouteWafProps>;

  protected constructor(scope: Construct, id: string, props: P, kind: 'modelRoutes' | 'agentRoutes') {
    super(scope, id, props, kind);
    this.routeName = this.props.routeName ?? toK8sName(id);
    this.host = this.props.host ?? '*';
    this.pathPrefix = this.props.pathPrefix ?? '/';
    this.policies = resolvePolicies(this.props.policies);
    this.waf = copyRouteWaf(this.props.waf);
  }

  /** Lets these consumers call the route: the twin of `consumer.grantRoute(route)`. */
  public grantInvoke(...consumers: Consumer[]): this {
    for (const consumer of consumers) consumer.grantRoute(this.asGrantable());
    return this;
  }

  /** Requests per second on this route (`aigw_requests_total`), of every caller or of one consumer. */
  public metricRequests(options: RequestMetricOptions = {}): PrometheusMetric {
    return rateMetric('requests', metricScope(this.gateway, { route: this.asGrantable(), consumer: options.consumer }), options);
  }

  /**
   * Failed requests per second on this route (`aigw_request_errors_total`): answers of status 400 or
   * more (499 for a client that left before the answer), and streams that broke after their 200.
   */
  public metricErrors(options: RequestMetricOptions = {}): PrometheusMetric {
    return rateMetric('errors', metricScope(this.gateway, { route: this.asGrantable(), consumer: options.consumer }), options);
  }

  /** A quantile of the request duration in seconds on this route (`gen_ai_server_request_duration_seconds`). */
  public metricLatency(options: LatencyMetricOptions = {}): PrometheusMetric {
    return quantileMetric('duration', metricScope(this.gateway, { route: this.asGrantable() }), options);
  }

  /**
   * A quantile of the time to first token in seconds of this route's streamed answers (`gen_ai_server_time_to_first_token_seconds`):
   * a model route's, an agent's natively and as a model. A custom agent's bytes are not read: it has none.
   */
  public metricTimeToFirstToken(options: LatencyMetricOptions = {}): PrometheusMetric {
    return quantileMetric('ttft', metricScope(this.gateway, { route: this.asGrantable() }), options);
  }

  /**
   * Tokens per second on this route as the providers or agents report them (`gen_ai_client_token_usage_total`), input and output
   * or one of them. A custom agent reports none.
   */
  public metricTokens(options: TokenMetricOptions = {}): PrometheusMetric {
    const labels = metricScope(this.gateway, { route: this.asGrantable(), consumer: options.consumer });
    return rateMetric('tokens', options.tokenType ? { ...labels, gen_ai_token_type: options.tokenType } : labels, options);
  }

  /**
   * WAF rule matches per second on this route (`aigw_waf_matches_total`), of every rule or one, refused (`block`) or
   * let through (`log`). Only on a gateway with a `waf`; a route whose `waf.mode` is `off` counts `ip-deny` only.
   */
  public metricWafMatches(options: WafMatchMetricOptions = {}): PrometheusMetric {
    return wafMatchMetric(this.gateway, this.asGrantable(), options);
  }

  /** Every route class is a ModelRoute or an AgentRoute. */
  protected asGrantable(): GrantableRoute {
    return this as unknown as GrantableRoute;
  }
}
