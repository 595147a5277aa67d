import type { Dispatcher } from 'undici';
import { Errors, type GatewayError } from './errors';
import type { RequestContext } from './request-context';
import type { Upstream } from './upstream';
import { callUpstream, type UpstreamCall, type UpstreamCallOptions } from './upstream-call';

/**
 * One upstream call under the attempt's deadlines, for every kind of route (model attempts, agents):
 * the client leaving or the total time running out aborts it, on the wire or still queued in the pool.
 * `end()` clears both and closes a body nobody read; call it once, in a `finally`.
 */
export interface BoundedCall extends UpstreamCall {
  end(): void;
}

export function callWithDeadlines(ctx: RequestContext, pool: Dispatcher, options: UpstreamCallOptions, totalMs: number): BoundedCall {
  const call = callUpstream(pool, options);
  const stopListening = ctx.cancellation.onCancel(() => call.abort(clientGoneError()));
  // Cleared with the attempt: a timer left for the whole totalMs per request was garbage the GC paid for.
  const timer = setTimeout(() => call.abort(totalTimeoutError(totalMs)), totalMs);
  return {
    response: call.response,
    abort: call.abort,
    release: call.release,
    end: () => {
      clearTimeout(timer);
      stopListening();
      // A body nobody read (an exception on the way) must not keep the upstream connection busy.
      call.release();
    },
  };
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
function clientGoneError(): Error {
  const e = new Error('the client went away');
  e.name = 'AbortError';
  return e;
}

/** Why an attempt was aborted: its total time ran out. */
function totalTimeoutError(totalMs: number): Error {
  const e = new Error(`total timeout of ${totalMs} ms`);
  e.name = 'TimeoutError';
  return e;
}
