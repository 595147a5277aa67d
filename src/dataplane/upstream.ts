import { Pool } from 'undici';
import type { BackendConfig } from '../specs';
import type { ProviderAdapter } from './providers';
import { CircuitBreaker } from './resilience';
import { compileScrubber, type Scrubber } from './scrub';

/** One backend, ready to call: a keep-alive pool to its origin, its adapter and its credential headers. */
export interface Upstream {
  readonly config: BackendConfig;
  readonly adapter: ProviderAdapter;
  readonly pool: Pool;
  /** The base URL's path, without a trailing slash (`/v1`, `/compatible-mode/v1`). */
  readonly basePath: string;
  /** Static headers: the provider's auth plus the backend's own. */
  readonly headers: Readonly<Record<string, string>>;
  /** The adapter's protocol headers, then `headers`: what every request starts from, merged once at config load. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** Removes the credential (in every form scrub.ts knows) from anything the upstream echoes back. */
  readonly scrubber: Scrubber;
  /** Takes the backend out for a cool-down after consecutive failures. */
  readonly breaker: CircuitBreaker;
}

export function createUpstream(config: BackendConfig, adapter: ProviderAdapter, apiKey: string | undefined): Upstream {
  const url = new URL(config.baseUrl);
  const pool = new Pool(url.origin, {
    connections: 256,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: config.timeouts.connectMs },
    headersTimeout: config.timeouts.firstByteMs,
    bodyTimeout: config.timeouts.totalMs,
  });
  const headers = { ...config.headers, ...(apiKey ? adapter.authHeaders(apiKey) : {}) };
  return {
    config,
    adapter,
    pool,
    basePath: url.pathname.replace(/\/+$/, ''),
    headers,
    requestHeaders: { ...adapter.headers, ...headers },
    scrubber: compileScrubber(apiKey),
    breaker: new CircuitBreaker(config.circuitBreaker),
  };
}
