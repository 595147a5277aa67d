import type { Scrubber } from '../../scrub';
import type { UpstreamResponse } from '../../upstream-call';

/**
 * An upstream body read up to a byte limit, never further: once the limit is reached the rest is not
 * read at all (the upstream request is aborted and its connection closed), so a huge or endless
 * answer costs at most `limit` bytes of memory. The upstream's credential is scrubbed as the bytes
 * arrive; at a cut, the few bytes held back because they could start an echo of the key are dropped,
 * not released, so a key cut in half is not shown either.
 */
export interface BoundedBody {
  /** The bytes read (at most the limit), scrubbed. */
  readonly bytes: Buffer;
  /** True when the body was longer than the limit and the rest was not read. */
  readonly truncated: boolean;
}

/** Thrown by the sink to stop reading: `UpstreamResponse` then aborts the upstream request. */
const LIMIT_REACHED = new Error('the response limit was reached');

export async function readBounded(response: UpstreamResponse, limit: number, scrubber: Scrubber): Promise<BoundedBody> {
  const scrub = scrubber.stream();
  const parts: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    await response.forEachChunk((chunk) => {
      const room = limit - size;
      if (chunk.length > room) {
        if (room > 0) parts.push(scrub.push(chunk.subarray(0, room)));
        size = limit;
        truncated = true;
        throw LIMIT_REACHED;
      }
      parts.push(scrub.push(chunk));
      size += chunk.length;
    });
  } catch (e) {
    if (e !== LIMIT_REACHED) throw e;
  }
  if (!truncated) parts.push(scrub.flush());
  return { bytes: parts.length === 1 ? parts[0] : Buffer.concat(parts), truncated };
}
