import { type BackendConfig, PROVIDERS, type ProviderType } from '../specs';
import type { UpstreamProtocol } from './agents/protocol';
import { ENDPOINTS, type Endpoint } from './endpoints';
import type { Translator } from './translate/translator';

/**
 * How the data plane talks to one provider: where an endpoint lives under the base URL, how the key
 * is sent. Its API family (`protocol`) and public endpoint are the catalog's (specs/providers.ts),
 * stated there once. Adding a provider is an entry there and one here; a protocol it does not speak
 * natively is served through a translator (see translators.ts), chosen by protocol, not by provider.
 */
interface ProviderWire {
  /** The upstream path and query for an endpoint and served model; undefined where the provider has no such endpoint. */
  readonly path: (basePath: string, endpoint: Endpoint, model: string, backend: BackendConfig) => string | undefined;
  /** Headers that carry the credential. */
  readonly authHeaders: (apiKey: string) => Record<string, string>;
  /** Headers every request carries (e.g. `anthropic-version`). @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body fields the provider needs besides the standard ones. @default none */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  /** Whether it honours `stream_options.include_usage`. */
  readonly streamUsage: boolean;
  /**
   * Whether it serves OpenAI's Responses API itself (OpenAI, Azure OpenAI): a Responses client's bytes then
   * go through as they are; elsewhere the gateway translates them onto chat completions. @default false
   */
  readonly servesResponses?: boolean;
  /** The `model` the body names for an endpoint, when the provider wants another than the served model (Azure's deployment). @default the served model */
  readonly bodyModel?: (endpoint: Endpoint, model: string, backend: BackendConfig) => string;
}

/**
 * A provider as the data plane uses it: the catalog's facts and the wire details. An agent exposed as a
 * model has an adapter of its own (agents/adapter.ts), with its protocol and the translators of its route.
 */
export type ProviderAdapter = ProviderWire & {
  readonly protocol: UpstreamProtocol;
  /** An agent's own translators, per client endpoint: they carry the route's settings (app type, variables). */
  readonly translators?: { readonly [E in Endpoint]?: Translator };
};

/** Where each OpenAI endpoint lives under an OpenAI-style base URL (`…/v1`). */
const OPENAI_PATHS: { readonly [E in Endpoint]?: string } = Object.fromEntries(
  (Object.keys(ENDPOINTS) as Endpoint[]).filter((e) => ENDPOINTS[e].protocol === 'openai').map((e) => [e, ENDPOINTS[e].suffix]),
);

const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
const openAiStyle: ProviderWire = {
  path: (basePath, endpoint) => (OPENAI_PATHS[endpoint] === undefined ? undefined : `${basePath}${OPENAI_PATHS[endpoint]}`),
  authHeaders: bearer,
  streamUsage: true,
};

/** Azure's deployment for a model: the backend's mapping, else the model's own name. */
const azureDeployment = (model: string, backend: BackendConfig) => backend.azure?.deployments[model] ?? model;

const WIRE: { readonly [P in ProviderType]?: ProviderWire } = {
  // https://platform.openai.com/docs/api-reference: base https://api.openai.com/v1
  'openai': { ...openAiStyle, servesResponses: true },
  // Azure OpenAI: {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…, key in `api-key`.
  // Its Responses API is not per deployment: {endpoint}/openai/v1/responses (the v1 API, no api-version), the deployment as `model`.
  'azure-openai': {
    path: (basePath, endpoint, model, backend) => {
      if (endpoint === 'responses') return `${basePath}/openai/v1/responses`;
      const suffix = OPENAI_PATHS[endpoint];
      if (suffix === undefined) return undefined;
      const deployment = encodeURIComponent(azureDeployment(model, backend));
      return `${basePath}/openai/deployments/${deployment}${suffix}?api-version=${encodeURIComponent(backend.azure?.apiVersion ?? '')}`;
    },
    authHeaders: (apiKey) => ({ 'api-key': apiKey }),
    streamUsage: true,
    servesResponses: true,
    bodyModel: (endpoint, model, backend) => (endpoint === 'responses' ? azureDeployment(model, backend) : model),
  },
  // DashScope (Qwen) compatible mode: base https://dashscope.aliyuncs.com/compatible-mode/v1, Bearer.
  'dashscope': openAiStyle,
  // DeepSeek: base https://api.deepseek.com/v1, Bearer.
  'deepseek': openAiStyle,
  // vLLM's OpenAI-compatible server: base http://host:8000/v1; a key only with --api-key.
  'vllm': openAiStyle,
  // Ollama's OpenAI compatibility: base http://host:11434/v1; the key is ignored.
  'ollama': openAiStyle,
  'openai-compatible': openAiStyle,
  // Anthropic Messages API: base https://api.anthropic.com/v1, key in `x-api-key`, a version header.
  'anthropic': {
    path: (basePath, endpoint) => (endpoint === 'messages' ? `${basePath}/messages` : endpoint === 'messages.count_tokens' ? `${basePath}/messages/count_tokens` : undefined),
    authHeaders: (apiKey) => ({ 'x-api-key': apiKey }),
    headers: { 'anthropic-version': '2023-06-01' },
    streamUsage: false,
  },
};

/** Each provider this data plane serves, its protocol from the catalog; a provider without wire details is not served (a load-time error names it). */
export const PROVIDER_ADAPTERS: { readonly [P in ProviderType]?: ProviderAdapter } = Object.fromEntries(
  (Object.keys(WIRE) as ProviderType[]).map((p) => [p, { ...WIRE[p]!, protocol: PROVIDERS[p].protocol }]),
);
