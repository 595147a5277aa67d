import type { Construct } from 'constructs';
import type { ModelRouteConfig, PayloadLogConfig } from '../specs';
import type { Backend } from './backend';
import type { AiGateway } from './gateway';
import { policiesConfig, type RoutePolicyProps } from './policies';
import { listOf } from './props-input';
import { RouteBase } from './route-base';
import { routeWafConfig, type RouteWafProps } from './waf';

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
  /**
   * The most output tokens (completion tokens, thinking included) a request may ask of this model. A request
   * asking for more (`max_tokens`, `max_completion_tokens`, `max_output_tokens`) is sent upstream with this
   * limit instead, and a chat request sent to an Anthropic backend without one gets at most this.
   * @default - no limit (the client's ask goes as it is)
   */
  readonly maxOutputTokens?: number;
  /**
   * A wildcard model (`qwen-*`) only: the names `GET /v1/models` lists for it, each one a name the pattern
   * matches (`['qwen-max', 'qwen-plus']`). A pattern cannot be enumerated, so clients discover these.
   * @default - the pattern itself is listed
   */
  readonly listAs?: string[];
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
  /**
   * This route's own WAF settings over its gateway's, which must have a `waf` (Dedicated only): `mode: 'off'` leaves
   * the route uninspected (the gateway's ipDenyList still applies); each field left out is the gateway's.
   * @default - the gateway's WAF as it is
   */
  readonly waf?: RouteWafProps;
  /**
   * Log each request's prompt and completion on a `payload` line (`true`, or the bound and extra
   * redactions): cut at `maxBytes` each (default 16 KiB), credentials (API keys, bearer tokens, AWS
   * key ids, JWTs, private keys) and each RE2 `redact` pattern's matches replaced by `[redacted]`.
   * Prompts hold what users typed: turn it on only where your policy allows.
   * @default false
   */
  readonly logPayloads?: boolean | PayloadLogConfig;
}

export interface ModelRouteProps extends ModelRouteOptions {
  readonly gateway: AiGateway;
}

/** @internal What a model route's render needs from its gateway's: the config name of each Backend (one entry per Backend object). */
export interface ModelRouteRenderContext {
  readonly backendName: (backend: Backend, model: string) => string;
}

/** An OpenAI-compatible model API route: host and path, models mapped to backends, policies. */
export class ModelRoute extends RouteBase<ModelRouteProps> {
  private readonly _models: ModelProps[];

  public constructor(scope: Construct, id: string, props: ModelRouteProps) {
    super(scope, id, props, 'modelRoutes');
    this._models = listOf(this.props.models, (m) => m);
  }

  /** The route's models, as given (each model's and target's defaults are filled in by its render: models may be added until synth). */
  public get models(): readonly ModelProps[] {
    return this._models;
  }

  public addModel(model: ModelProps): this {
    this._models.push(model);
    return this;
  }

  /** @internal The route's entry in `modelRoutes`, with the defaults of ModelProps and ModelTargetProps. */
  public _toConfig(ctx: ModelRouteRenderContext): ModelRouteConfig {
    return {
      name: this.routeName,
      match: { host: this.host, pathPrefix: this.pathPrefix },
      models: this._models.map((m) => ({
        name: m.name,
        aliases: [...(m.aliases ?? [])],
        targets: (m.targets ?? []).map((t) => ({ backend: ctx.backendName(t.backend, m.name), model: t.model ?? m.name, weight: t.weight ?? 1 })),
        fallbacks: [...(m.fallbacks ?? [])],
        ...(m.maxOutputTokens !== undefined && { maxOutputTokens: m.maxOutputTokens }),
        ...(m.listAs !== undefined && { listAs: [...m.listAs] }),
      })),
      policies: policiesConfig(this.policies),
      ...(this.waf !== undefined && { waf: routeWafConfig(this.waf) }),
      ...(this.props.logPayloads && { logPayloads: this.props.logPayloads === true ? {} : { ...this.props.logPayloads } }),
    };
  }
}
