import { RecordedErrors } from '../errors';
import { boundedForLog } from '../log-bounds';
import type { RequestContext } from '../request-context';

/** The relay broke after the head went out: the connection is broken, the outcome recorded. */
export function failMidStream(ctx: RequestContext, e: unknown): void {
  // Headers are out: the only honest signal left is to break the connection, not to end it cleanly.
  // The error is a code from a fixed list (it becomes a metric label); the detail goes to the log line only.
  ctx.record.error = ctx.cancellation.cancelled ? RecordedErrors.clientAborted : RecordedErrors.upstreamStreamFailed;
  if (!ctx.cancellation.cancelled) ctx.record.errorDetail = boundedForLog((e as Error).message ?? String(e));
  ctx.res.destroy();
}
