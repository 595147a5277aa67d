import { Construct } from 'constructs';
import { attachToGateway } from './attach';
import type { Backend } from './backend';
import type { Consumer } from './consumer';
import type { AiGateway } from './gateway';
import { type LatencyMetricOptions, metricScope, type PrometheusMetric, quantileMetric, rateMetric, type RequestMetricOptions, type TokenMetricOptions } from './metrics';
import { toK8sName } from './names';
import type { RoutePolicyProps } from './policies';

/** One upstream a model is served from. */
export interface ModelTargetProps {
  readonly backend: Backend;
  /** The model name the backend serves. @default - the requested name */
  readonly model?: string;
  /** Share of traffic among the model's targets. @default 1 */
  readonly weight?: number;
}

/** A model clients may request on the route. */
export interface ModelProps {
  /** The requested name; `*` is a wildcard (`gpt-4o*`). */
  readonly name: string;
  /** Other names clients may use for it. @default [] */
  readonly aliases?: string[];
  /** Weighted targets. */
  readonly targets: ModelTargetProps[];
  /** Models of this route to fall back to, in order, on 429, 5xx, timeout or connection error. @default [] */
  readonly fallbacks?: string[];
}

export interface ModelRouteOptions {
  /** @default '*' (any host) */
  readonly host?: string;
  /** @default '/' */
  readonly pathPrefix?: string;
  /** @default [] (add them with `addModel`) */
  readonly models?: ModelProps[];
  /** @default - key auth on, no rate limits */
  readonly policies?: RoutePolicyProps;
  /** The route's name in the config and metrics. @default - the construct id */
  readonly routeName?: string;
}

export interface ModelRouteProps extends ModelRouteOptions {
  readonly gateway: AiGateway;
}

/** An OpenAI-compatible model API route: host and path, models mapped to backends, policies. */
export class ModelRoute extends Construct {
  public readonly gateway: AiGateway;
  public readonly routeName: string;
  private readonly _models: ModelProps[];

  public constructor(scope: Construct, id: string, public readonly props: ModelRouteProps) {
    super(scope, id);
    props = props ?? ({} as typeof props);
    (this as { props: typeof props }).props = props;
    this.gateway = props.gateway;
    this.routeName = props.routeName ?? toK8sName(id);
    this._models = [...(props.models ?? [])];
    attachToGateway(this, props, 'modelRoutes');
  }

  public get models(): readonly ModelProps[] {
    return this._models;
  }

  public get host(): string {
    return this.props.host ?? '*';
  }

  public get pathPrefix(): string {
    return this.props.pathPrefix ?? '/';
  }

  public addModel(model: ModelProps): this {
    this._models.push(model);
    return this;
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

  /** A quantile of the time to first token in seconds of this route's streamed answers (`gen_ai_server_time_to_first_token_seconds`). */
  public metricTimeToFirstToken(options: LatencyMetricOptions = {}): PrometheusMetric {
    return quantileMetric('ttft', metricScope(this.gateway, { route: this }), options);
  }

  /** Tokens per second on this route as the providers report them (`gen_ai_client_token_usage_total`), input and output or one of them. */
  public metricTokens(options: TokenMetricOptions = {}): PrometheusMetric {
    const labels = metricScope(this.gateway, { route: this, consumer: options.consumer });
    return rateMetric('tokens', options.tokenType ? { ...labels, gen_ai_token_type: options.tokenType } : labels, options);
  }
}
