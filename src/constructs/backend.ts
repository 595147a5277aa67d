import { type BackendConfig, GATEWAY_CONFIG_DEFAULTS, PROVIDERS, type ProviderType } from '../specs';
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

/** Consecutive failures (5xx, 429, timeouts, connection errors) that take a backend out, and for how long. */
export interface CircuitBreakerProps {
  /** @default 5 */
  readonly failureThreshold?: number;
  /** @default 10000 */
  readonly cooldownMs?: number;
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
  readonly circuitBreaker?: CircuitBreakerProps;
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

  /** The provider's wire format and defaults. */
  public readonly provider: ProviderType;
  /**
   * The API's base URL.
   * @default - the provider's public endpoint when no `service` is given; otherwise none: derived from `service`
   */
  public readonly baseUrl?: string;
  /** The upstream service the backend runs on. @default - none */
  public readonly service?: UpstreamService;
  /** @default - no credential is sent */
  public readonly apiKey?: SecretRef;
  /** Azure OpenAI only. @default - none */
  public readonly azure?: { readonly apiVersion: string; readonly deployments?: Record<string, string> };
  /** Extra headers sent upstream. @default {} */
  public readonly headers: Readonly<Record<string, string>>;
  /** @default - GATEWAY_CONFIG_DEFAULTS.timeouts: 5 s connect, 60 s first byte, 600 s total */
  public readonly timeouts: Required<TimeoutProps>;
  /** @default - GATEWAY_CONFIG_DEFAULTS.retries: 2 attempts after the first on 429, 502, 503 and 504, 100 ms backoff base */
  public readonly retries: Required<RetryProps>;
  /** @default - GATEWAY_CONFIG_DEFAULTS.circuitBreaker: 5 failures, 10000 ms (the data plane's own default too) */
  public readonly circuitBreaker: Required<CircuitBreakerProps>;
  /** The backend's name in the config and in metrics. @default - `<provider>-<n>`, numbered by the gateway */
  public readonly backendName?: string;
  /** Whether a circuit breaker was given: only then is it written into the config (the data plane applies the same default). */
  private readonly breakerDeclared: boolean;

  public constructor(props: BackendProps) {
    const p = props ?? ({} as BackendProps);
    this.provider = p.provider;
    this.service = p.service;
    this.baseUrl = p.baseUrl ?? (p.service === undefined || p.service === null ? PROVIDERS[p.provider]?.defaultBaseUrl : undefined);
    this.apiKey = p.apiKey;
    this.azure = p.azure;
    this.headers = { ...p.headers };
    this.timeouts = { ...GATEWAY_CONFIG_DEFAULTS.timeouts, ...p.timeouts };
    this.retries = { ...GATEWAY_CONFIG_DEFAULTS.retries, onStatus: [...GATEWAY_CONFIG_DEFAULTS.retries.onStatus], ...p.retries };
    this.circuitBreaker = { ...GATEWAY_CONFIG_DEFAULTS.circuitBreaker, ...p.circuitBreaker };
    this.breakerDeclared = Boolean(p.circuitBreaker);
    this.backendName = p.backendName;
  }

  /** @internal The base URL the backend calls: its own, its service's, or the provider's public endpoint. */
  public _baseUrl(): string | undefined {
    return this.baseUrl ?? this.service?.url();
  }

  /** @internal The backend's entry in `backends`, under the name its gateway gives it. */
  public _toConfig(name: string): BackendConfig {
    return {
      name,
      provider: this.provider,
      baseUrl: this._baseUrl() ?? '',
      ...(this.apiKey && { apiKey: { ...this.apiKey } }),
      ...(this.service && { service: this.service.serviceName }),
      ...(this.azure && { azure: { apiVersion: this.azure.apiVersion, deployments: { ...this.azure.deployments } } }),
      headers: { ...this.headers },
      timeouts: { ...this.timeouts },
      retries: { ...this.retries },
      ...(this.breakerDeclared && { circuitBreaker: { ...this.circuitBreaker } }),
    };
  }
}
