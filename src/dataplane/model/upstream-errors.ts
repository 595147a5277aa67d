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

/** A transport failure (no answer at all) as the gateway's error: which deadline passed, or why it could not connect. */
export function transportError(upstream: Upstream, e: unknown, firstByteMs: number, totalMs: number, clientGone: boolean): GatewayError {
  const err = e as { code?: string; message?: string; name?: string };
  const name = upstream.config.name;
  if (err.code === 'UND_ERR_CONNECT_TIMEOUT') return Errors.upstreamTimeout(name, 'connect', upstream.config.timeouts.connectMs);
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT') return Errors.upstreamTimeout(name, 'first byte', firstByteMs);
  if (err.code === 'UND_ERR_BODY_TIMEOUT' || (!clientGone && (err.name === 'TimeoutError' || err.name === 'AbortError'))) return Errors.upstreamTimeout(name, 'total', totalMs);
  return Errors.upstreamUnreachable(name, err.code ?? err.name ?? 'error');
}

/** The attempt's own deadlines (total, first byte, body silence), as opposed to the connection failing. */
export function isTimeout(e: unknown): boolean {
  const err = e as { code?: string; name?: string };
  return err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
}

/** Why an attempt was aborted: the client left (never charged to the backend). */
export function clientGoneError(): Error {
  const e = new Error('the client went away');
  e.name = 'AbortError';
  return e;
}

/** Why an attempt was aborted: its total time ran out. */
export function totalTimeoutError(totalMs: number): Error {
  const e = new Error(`total timeout of ${totalMs} ms`);
  e.name = 'TimeoutError';
  return e;
}
