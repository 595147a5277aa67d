import type { ProviderType } from '../specs';
import type { SecretRef } from './secret-ref';
import type { UpstreamService } from './upstream-service';

/** Connect, first-byte and total timeouts of calls to a backend. */
export interface TimeoutProps {
  /** @default 5000 */
  readonly connectMs?: number;
  /** @default 60000 */
  readonly firstByteMs?: number;
  /** @default 600000 */
  readonly totalMs?: number;
}

export interface RetryProps {
  /** Attempts after the first. @default 2 */
  readonly attempts?: number;
  /** Statuses that are retried; connection errors and timeouts always are. @default [429, 502, 503, 504] */
  readonly onStatus?: number[];
  /** Base of the exponential backoff, with jitter. @default 100 */
  readonly backoffBaseMs?: number;
}

export interface BackendProps {
  /** The provider's wire format and defaults. */
  readonly provider: ProviderType;
  /**
   * The API's base URL.
   * @default - the provider's public endpoint; required for Azure OpenAI, vLLM, Ollama and
   * OpenAI-compatible backends unless `service` is given
   */
  readonly baseUrl?: string;
  /**
   * An upstream service the backend runs on; the base URL is derived from it.
   * @default - none: `baseUrl` is used
   */
  readonly service?: UpstreamService;
  /** @default - no credential is sent */
  readonly apiKey?: SecretRef;
  /** Azure OpenAI only: the `api-version` and model → deployment names. @default - none */
  readonly azure?: { readonly apiVersion: string; readonly deployments?: Record<string, string> };
  /** Extra headers sent upstream. @default {} */
  readonly headers?: Record<string, string>;
  /** @default - see TimeoutProps */
  readonly timeouts?: TimeoutProps;
  /** @default - see RetryProps */
  readonly retries?: RetryProps;
  /** Consecutive failures (5xx, 429, timeouts, connection errors) that take the backend out, and for how long. @default - 5 failures, 10000 ms */
  readonly circuitBreaker?: { readonly failureThreshold?: number; readonly cooldownMs?: number };
  /** The backend's name in the config and in metrics. @default - `<provider>-<n>` */
  readonly backendName?: string;
}

/**
 * An LLM endpoint. Create one and reuse it across routes: each Backend is one keep-alive pool in
 * the data plane.
 */
export class Backend {
  public static openAi(props: Omit<BackendProps, 'provider'> = {}): Backend {
    return new Backend({ ...props, provider: 'openai' });
  }
  public static azureOpenAi(props: Omit<BackendProps, 'provider'> & Required<Pick<BackendProps, 'azure'>>): Backend {
    return new Backend({ ...props, provider: 'azure-openai' });
  }
  public static anthropic(props: Omit<BackendProps, 'provider'> = {}): Backend {
    return new Backend({ ...props, provider: 'anthropic' });
  }
  public static dashScope(props: Omit<BackendProps, 'provider'> = {}): Backend {
    return new Backend({ ...props, provider: 'dashscope' });
  }
  public static deepSeek(props: Omit<BackendProps, 'provider'> = {}): Backend {
    return new Backend({ ...props, provider: 'deepseek' });
  }
  public static vllm(props: Omit<BackendProps, 'provider'>): Backend {
    return new Backend({ ...props, provider: 'vllm' });
  }
  public static ollama(props: Omit<BackendProps, 'provider'>): Backend {
    return new Backend({ ...props, provider: 'ollama' });
  }
  public static openAiCompatible(props: Omit<BackendProps, 'provider'>): Backend {
    return new Backend({ ...props, provider: 'openai-compatible' });
  }

  public constructor(public readonly props: BackendProps) {}
}
