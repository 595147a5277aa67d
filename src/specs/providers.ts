import type { ProviderType } from './config';

/**
 * A wire protocol: the API family a client speaks to the gateway, or a backend speaks to it. Errors
 * are answered in the client's; a translator bridges a client's and a backend's when they differ.
 */
export type WireProtocol = 'openai' | 'anthropic';

/**
 * What the constructs need to know of each provider: the wire protocol it speaks and its public
 * endpoint. The data plane's provider table (paths, auth headers, translation) builds on this.
 */
export interface ProviderFacts {
  /** The API family: OpenAI chat completions, or Anthropic messages. */
  readonly protocol: WireProtocol;
  /** The public endpoint; undefined where every deployment has its own (Azure, vLLM, Ollama). */
  readonly defaultBaseUrl?: string;
}

export const PROVIDERS: { readonly [P in ProviderType]: ProviderFacts } = {
  'openai': { protocol: 'openai', defaultBaseUrl: 'https://api.openai.com/v1' },
  'azure-openai': { protocol: 'openai' },
  'dashscope': { protocol: 'openai', defaultBaseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1' },
  'deepseek': { protocol: 'openai', defaultBaseUrl: 'https://api.deepseek.com/v1' },
  'vllm': { protocol: 'openai' },
  'ollama': { protocol: 'openai' },
  'anthropic': { protocol: 'anthropic', defaultBaseUrl: 'https://api.anthropic.com/v1' },
  'openai-compatible': { protocol: 'openai' },
};

/** Where agent routes go by default. */
export const AGENT_DEFAULT_BASE_URLS = {
  'model-studio': 'https://dashscope.aliyuncs.com/api/v1',
} as const;
