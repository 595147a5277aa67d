import { Errors, type GatewayError } from '../errors';
import type { Translator } from '../translate/translator';
import type { Upstream } from '../upstream';
import type { UpstreamResponse } from '../upstream-call';

/** A failure worth another attempt (the same backend, another target or a fallback): nothing has reached the client yet. */
export class RetryableFailure extends Error {
  public constructor(
    public readonly error: GatewayError,
    /** The upstream's HTTP status; undefined for connection errors and timeouts. */
    public readonly status?: number,
  ) {
    super(error.message);
  }

  /** Connection errors and timeouts are always retried; statuses only when the backend lists them. */
  public retriesSameBackend(onStatus: readonly number[]): boolean {
    return this.status === undefined || onStatus.includes(this.status);
  }
}

/**
 * 401/403, 429 and 5xx are worth another attempt; other 4xx go back to the client, scrubbed. The
 * upstream's explanation is read by the translator, which knows the backend's error format.
 */
export async function checkStatus(response: UpstreamResponse, upstream: Upstream, translator: Translator): Promise<void> {
  const status = response.statusCode;
  if (status < 400) return;
  const text = await response.text().catch(() => '');
  if (status === 401 || status === 403) throw new RetryableFailure(Errors.upstreamAuth(upstream.config.name), status);
  if (status >= 500) throw new RetryableFailure(Errors.upstreamFailed(upstream.config.name, status), status);
  if (status === 429) {
    const message = upstream.scrubber.text(translator.responseError(text) ?? 'The upstream is rate limiting. Retry later.');
    throw new RetryableFailure(Errors.upstreamRateLimited(message), status);
  }
  // The client's request is wrong for this model: pass the upstream's explanation on, credentials scrubbed.
  const message = upstream.scrubber.text(translator.responseError(text) ?? `The upstream rejected the request with HTTP ${status}.`);
  throw Errors.upstreamRejected(status, message);
}
