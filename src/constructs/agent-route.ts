import type { Construct } from 'constructs';
import { AGENT_DEFAULT_BASE_URLS, type AGENT_USER_MAPPINGS, type AgentRouteConfig, type DIFY_APP_TYPES, GATEWAY_CONFIG_DEFAULTS } from '../specs';
import type { TimeoutProps } from './backend';
import type { AiGateway } from './gateway';
import { policiesConfig, type RoutePolicyProps } from './policies';
import { RouteBase } from './route-base';
import type { SecretRef } from './secret-ref';
import type { UpstreamService } from './upstream-service';
import { routeWafConfig, type RouteWafProps } from './waf';

export type AgentKind = 'model-studio' | 'dify' | 'custom';

/** A Dify app's type: each answers on its own endpoint (`chat-messages`, `completion-messages`, `workflows/run`). */
export type DifyAppType = (typeof DIFY_APP_TYPES)[number];

/**
 * Whom the Dify `user` field names: `consumer`, derived from the calling consumer whatever the client
 * sends; `client`, the client's own `user` inside its consumer's namespace (tenants still never meet).
 */
export type AgentUserMapping = (typeof AGENT_USER_MAPPINGS)[number];

/** Where the OpenAI mapping (`asModel`) puts what a chat request carries, as Dify variable names (a letter or _, then letters, digits or _; at most 64). */
export interface DifyVariablesProps {
  /**
   * The input variable that takes the user's message, on completion and workflow apps (a chat app takes it as Dify's own `query`).
   * @default 'query'
   */
  readonly query?: string;
  /**
   * The input variable that takes the system prompt.
   * @default - none: a request with a system prompt is refused (400 naming it), never silently dropped
   */
  readonly system?: string;
  /**
   * The workflow output variable that holds the answer (workflow apps only).
   * @default 'text'
   */
  readonly output?: string;
}

/** A JSON value, as a request template holds it. */
export type CustomAgentTemplateValue = string | number | boolean | null | CustomAgentTemplateValue[] | { [key: string]: CustomAgentTemplateValue };

/** Where the gateway reads a custom agent's JSON answer: dotted paths, array indexes as numbers (`choices.0.message.content`). */
export interface CustomAgentResponseMappingProps {
  /** The path to the answer's text (a value that is not a string is sent to the client as JSON), e.g. 'output.text'. */
  readonly answer: string;
  /**
   * The path to the conversation the answer belongs to: sent to the client as `x-aigw-conversation-id`,
   * and filled into `{{conversationId}}` when the client sends it back.
   * @default - none: the agent keeps no conversation the gateway can continue
   */
  readonly conversationId?: string;
  /** The path to the input (prompt) token count. @default - none: counted as 0 when outputTokens is found, else the gateway estimates */
  readonly inputTokens?: string;
  /** The path to the output (completion) token count. @default - none: counted as 0 when inputTokens is found, else the gateway estimates */
  readonly outputTokens?: string;
}

/**
 * A custom agent's OpenAI mapping (with `asModel`): the request the gateway POSTs to `<baseUrl><path>`,
 * and where it reads the answer. The agent is never asked to stream: a streamed request gets the whole
 * answer as a short stream once the agent has finished.
 */
export interface CustomAgentMappingProps {
  /** The agent's endpoint beneath `baseUrl`, e.g. '/run': it starts with '/', without '?', '#' or '..'. */
  readonly path: string;
  /**
   * The JSON body sent. A string value that is exactly one placeholder is replaced by its value: '{{query}}' the
   * last user message's text, '{{system}}' the system prompts' text ('' if none), '{{messages}}' every message as
   * an array of `{role, content}` text, '{{conversationId}}' the conversation to continue (null if none),
   * '{{user}}' the caller (`aigw:consumer:<name>`), '{{model}}' the `asModel` name. A placeholder inside a longer
   * string is replaced by its text. It must use '{{query}}' or '{{messages}}'; any other `{{…}}` is an error.
   */
  readonly request: { readonly [key: string]: CustomAgentTemplateValue };
  /** Where the answer's text, conversation and usage are in the agent's JSON answer. */
  readonly response: CustomAgentResponseMappingProps;
}

export interface AgentRouteOptions {
  /** Model Studio (DashScope applications), Dify, or a custom agent HTTP API. */
  readonly kind: AgentKind;
  /** @default '*' */
  readonly host?: string;
  /** @default '/' */
  readonly pathPrefix?: string;
  /**
   * The agent API's base URL. Dify: the API root, ending in `/v1` as Dify documents it (`https://api.dify.ai/v1`);
   * the gateway calls `<baseUrl>/chat-messages` etc. Model Studio: the DashScope API root; the gateway calls
   * `<baseUrl>/apps/<appId>/completion`.
   * @default - `https://dashscope.aliyuncs.com/api/v1` for 'model-studio'; required otherwise unless `service` is given
   */
  readonly baseUrl?: string;
  /** @default - none: `baseUrl` is used */
  readonly service?: UpstreamService;
  /** Model Studio application id. Required for 'model-studio'. @default - none */
  readonly appId?: string;
  /** Sent upstream as `Authorization: Bearer <key>`. @default - no credential is sent */
  readonly apiKey?: SecretRef;
  /** @default - 5 s connect, 60 s first byte, 600 s total */
  readonly timeouts?: TimeoutProps;
  /** Token limits are served on Dify and Model Studio agents (they report usage), not on custom ones. @default - key auth on, no rate limits */
  readonly policies?: RoutePolicyProps;
  /** @default - the construct id */
  readonly routeName?: string;
  /** Dify only: the app's type, which picks its endpoint. @default 'chat' */
  readonly appType?: DifyAppType;
  /** Dify only: the app's variables the OpenAI mapping (`asModel`) fills and reads. @default - `{ query: 'query', output: 'text' }`, no system variable */
  readonly variables?: DifyVariablesProps;
  /** Dify only: whom the `user` field names, which scopes Dify's conversations and files. @default 'consumer' */
  readonly userMapping?: AgentUserMapping;
  /**
   * The model name under which the agent also answers on the OpenAI (`/v1/chat/completions`, `/v1/models`)
   * and Anthropic (`/v1/messages`) endpoints of every model route of the gateway and of its own path prefix,
   * for consumers granted this route. One name, unique in the gateway. Dify and Model Studio agents; a custom
   * agent with a `mapping`.
   * @default - none: the agent answers on its own API only
   */
  readonly asModel?: string;
  /** With `asModel`, Dify and Model Studio: workflow node events and agent thoughts as `aigw_agent_event` chunks instead of dropped. @default false */
  readonly surfaceAgentEvents?: boolean;
  /**
   * Custom agents with `asModel` only: how an OpenAI chat request becomes the agent's JSON request, and where
   * its JSON answer holds the text, the conversation and the usage. The custom agent's own path prefix stays a
   * pass-through whatever the mapping.
   * @default - none: a custom agent answers on its own API only
   */
  readonly mapping?: CustomAgentMappingProps;
  /**
   * This route's own WAF settings over its gateway's, which must have a `waf` (Dedicated only): `mode: 'off'` leaves
   * the route uninspected (the gateway's ipDenyList still applies); each field left out is the gateway's.
   * @default - the gateway's WAF as it is
   */
  readonly waf?: RouteWafProps;
}

/** The props only a Dify agent takes. */
type DifyOnlyProp = 'appType' | 'variables' | 'userMapping';
/**
 * The options of one kind of agent, for code that wants the compiler to refuse what the `agent-routes`
 * rule refuses at synth (props of another kind). Each is an `AgentRouteOptions`, so `addAgentRoute` takes it.
 */
export type DifyAgentRouteOptions = AgentRouteOptions & { readonly kind: 'dify'; readonly mapping?: never };
export type ModelStudioAgentRouteOptions = AgentRouteOptions & { readonly kind: 'model-studio'; readonly appId: string; readonly mapping?: never } & { readonly [K in DifyOnlyProp]?: never };
/** A custom agent: a model (`asModel`) only with its `mapping`, and both or neither; it has no agent events to surface. */
export type CustomAgentRouteOptions = AgentRouteOptions & { readonly kind: 'custom'; readonly surfaceAgentEvents?: never } & { readonly [K in DifyOnlyProp]?: never } & (
  | { readonly asModel?: never; readonly mapping?: never }
  | { readonly asModel: string; readonly mapping: CustomAgentMappingProps }
);
export type AgentRouteKindOptions = DifyAgentRouteOptions | ModelStudioAgentRouteOptions | CustomAgentRouteOptions;

export interface AgentRouteProps extends AgentRouteOptions {
  readonly gateway: AiGateway;
}

/** An agent API route: Model Studio apps, Dify, or a custom agent; each also as a model (`asModel`), a custom agent through its declared `mapping`. */
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
  /** The Dify app's type. @default - 'chat' for a Dify agent; none for other kinds (as given, for the rules to report) */
  public readonly appType?: DifyAppType;
  /** The Dify variables, as given. @default - none: the data plane's defaults (`query`, `text`, no system variable) */
  public readonly variables?: Readonly<DifyVariablesProps>;
  /** Whom the Dify `user` names. @default - 'consumer' for a Dify agent; none for other kinds (as given, for the rules to report) */
  public readonly userMapping?: AgentUserMapping;
  /** The model name the agent also answers as. @default - none */
  public readonly asModel?: string;
  /** Whether the OpenAI mapping surfaces agent events. @default false */
  public readonly surfaceAgentEvents: boolean;
  /** A custom agent's OpenAI mapping, as given. @default - none */
  public readonly mapping?: CustomAgentMappingProps;

  public constructor(scope: Construct, id: string, props: AgentRouteProps) {
    super(scope, id, props, 'agentRoutes');
    const p = this.props;
    const dify = p.kind === 'dify';
    this.kind = p.kind;
    this.baseUrl = p.baseUrl ?? ((p.service === undefined || p.service === null) && p.kind === 'model-studio' ? AGENT_DEFAULT_BASE_URLS['model-studio'] : undefined);
    this.service = p.service;
    this.appId = p.appId;
    this.apiKey = p.apiKey;
    this.timeouts = { ...GATEWAY_CONFIG_DEFAULTS.timeouts, ...p.timeouts };
    this.appType = p.appType ?? (dify ? 'chat' : undefined);
    // A plain-JS value that is not an object is kept as it is, for the rules and the config schema to report.
    this.variables = p.variables !== null && typeof p.variables === 'object' ? { ...p.variables } : p.variables;
    this.userMapping = p.userMapping ?? (dify ? 'consumer' : undefined);
    this.asModel = p.asModel;
    this.surfaceAgentEvents = p.surfaceAgentEvents ?? false;
    this.mapping = p.mapping;
  }

  /** @internal The route's entry in `agentRoutes`: the Dify defaults filled in for a Dify agent, each other prop only when given. */
  public _toConfig(): AgentRouteConfig {
    return {
      name: this.routeName,
      kind: this.kind,
      match: { host: this.host, pathPrefix: this.pathPrefix },
      ...(this.appId !== undefined && { appId: this.appId }),
      ...(this.appType !== undefined && { appType: this.appType }),
      ...(this.variables !== undefined && { variables: this.variables !== null && typeof this.variables === 'object' ? { ...this.variables } : this.variables }),
      ...(this.userMapping !== undefined && { userMapping: this.userMapping }),
      ...(this.asModel !== undefined && { asModel: this.asModel }),
      ...(this.props.surfaceAgentEvents !== undefined && { surfaceAgentEvents: this.surfaceAgentEvents }),
      // As given (a plain-JS value that is not an object included): the config schema reports what is wrong in it, at this route.
      ...(this.mapping !== undefined && { mapping: this.mapping !== null && typeof this.mapping === 'object' ? { ...this.mapping } : this.mapping }),
      upstream: {
        baseUrl: this.baseUrl ?? this.service?.url() ?? '',
        ...(this.apiKey && { apiKey: { ...this.apiKey } }),
        ...(this.service && { service: this.service.serviceName }),
      },
      timeouts: { ...this.timeouts },
      policies: policiesConfig(this.policies),
      ...(this.waf !== undefined && { waf: routeWafConfig(this.waf) }),
    };
  }
}
