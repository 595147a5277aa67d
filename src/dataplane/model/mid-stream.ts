import { GatewayError, RecordedErrors } from '../errors';
import { boundedForLog } from '../log-bounds';
import type { RequestContext } from '../request-context';

/** The relay broke after the head went out: the connection is broken, the outcome recorded. */
export function failMidStream(ctx: RequestContext, e: unknown): void {
  // Headers are out: the only honest signal left is to break the connection, not to end it cleanly.
  // The error is a code from a fixed list (it becomes a metric label); the detail goes to the log line only.
  // An extension's hook that failed under `closed` broke it: its own code (a catalog one), not the upstream's failure.
  const byExtension = e instanceof GatewayError && (e.code === 'extension_failed' || e.code === 'extension_timeout');
  ctx.record.error = ctx.cancellation.cancelled ? RecordedErrors.clientAborted : byExtension ? e.code : RecordedErrors.upstreamStreamFailed;
  if (!ctx.cancellation.cancelled) ctx.record.errorDetail = boundedForLog((e as Error).message ?? String(e));
  ctx.res.destroy();
}
