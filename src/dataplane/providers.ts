import type { BackendConfig, ProviderType } from '../specs';

/** The OpenAI-compatible endpoints the model proxy serves. */
export type Endpoint = 'chat' | 'completions' | 'embeddings';

/** The upstream path of each endpoint, relative to an OpenAI-style base URL. */
const OPENAI_PATHS: Record<Endpoint, string> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

/**
 * How to talk to one provider: where an endpoint lives under the base URL, how the key is sent,
 * and what the body needs. Adding a provider is adding an entry.
 */
export interface ProviderAdapter {
  /** The upstream path and query for an endpoint and served model. */
  readonly path: (basePath: string, endpoint: Endpoint, model: string, backend: BackendConfig) => string;
  /** Headers that carry the credential. */
  readonly authHeaders: (apiKey: string) => Record<string, string>;
  /** Body fields the provider needs besides the OpenAI ones. @default none */
  readonly extraBody?: Readonly<Record<string, unknown>>;
  /** Whether it honours `stream_options.include_usage`. */
  readonly streamUsage: boolean;
}

const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
const openAiStyle: ProviderAdapter = {
  path: (basePath, endpoint) => `${basePath}${OPENAI_PATHS[endpoint]}`,
  authHeaders: bearer,
  streamUsage: true,
};

export const PROVIDER_ADAPTERS: { readonly [P in ProviderType]?: ProviderAdapter } = {
  // https://platform.openai.com/docs/api-reference: base https://api.openai.com/v1
  'openai': openAiStyle,
  // Azure OpenAI: {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…, key in `api-key`.
  'azure-openai': {
    path: (basePath, endpoint, model, backend) =>
      `${basePath}/openai/deployments/${encodeURIComponent(backend.azure?.deployments[model] ?? model)}${OPENAI_PATHS[endpoint]}?api-version=${encodeURIComponent(backend.azure?.apiVersion ?? '')}`,
    authHeaders: (apiKey) => ({ 'api-key': apiKey }),
    streamUsage: true,
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
};
