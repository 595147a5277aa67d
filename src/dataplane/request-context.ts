import type { IncomingMessage, ServerResponse } from 'http';
import type { AccessRecord } from './access-log';
import type { Caller } from './auth';
import type { Cancellation } from './cancellation';
import type { Snapshot } from './compile/snapshot';

/** What one request carries through the stages: its snapshot (kept to the end), timing and the access record. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The config the request started with; a reload never changes it mid-request. */
  readonly snapshot: Snapshot;
  /** process.hrtime.bigint() at arrival. */
  readonly startedAt: bigint;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  /** Cancelled when the client goes away: ends the upstream request and any backoff wait. */
  readonly cancellation: Cancellation;
  readonly record: AccessRecord;
  caller: Caller;
  /** The wire format of error bodies: OpenAI's, or Anthropic's for `/v1/messages`. */
  errorFormat?: 'openai' | 'anthropic';
}

export function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}
