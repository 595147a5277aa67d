import { drained } from '../backpressure';
import type { RequestContext } from '../request-context';
import type { Scrubber, ScrubStream } from '../scrub';
import { estimateTextTokens } from '../token-estimate';
import type { UpstreamResponse } from '../upstream-call';
import { failMidStream } from './mid-stream';
import type { ProxyEvents } from './types';
import { UsageScan } from './usage-scan';

/**
 * Streams a body through; for JSON, keeps a bounded copy to read its usage once complete. With a
 * declared length, the chunk that completes the body goes out with `end()`: headers, body and end
 * leave in one socket write for the common one-chunk answer, still without waiting for the body.
 *
 * A body to scrub keeps its length too in the common case: the head waits for the first chunk; when
 * that is the whole declared body, it is scrubbed whole and sent with its new length in one `end()`.
 * Only a body that arrives in pieces goes out chunked, through the stream scrubber.
 */
export async function relayBody(
  ctx: RequestContext,
  response: UpstreamResponse,
  events: ProxyEvents,
  readUsage: boolean,
  head: Record<string, string>,
  declared: number | undefined,
  scrubber: Scrubber | undefined,
  /** The status onResponse set. @default 200 */
  status = 200,
): Promise<void> {
  const scan = readUsage ? new UsageScan(events.countsCompletionText) : undefined;
  let scrub: ScrubStream | undefined;
  /** The length the client is told, when it is known before the body is relayed. */
  let length: number | undefined;
  let headSent = false;
  const sendHead = (chunked: boolean): void => {
    headSent = true;
    length = chunked ? undefined : declared;
    ctx.res.writeHead(status, length === undefined ? head : { ...head, 'content-length': length });
  };
  // Nothing to scrub, or no declared length to keep: the head goes out now.
  if (!scrubber || declared === undefined) {
    scrub = scrubber?.stream();
    sendHead(scrubber !== undefined);
  }
  let received = 0;
  let ended = false;
  try {
    await response.forEachChunk((upstreamChunk) => {
      if (!headSent) {
        if (upstreamChunk.length === declared) {
          // The whole body in one chunk (the common case): scrubbed whole, its own length, one write.
          const body = scrubber!.buffer(upstreamChunk);
          scan?.push(body);
          headSent = true;
          ended = true;
          ctx.res.writeHead(status, { ...head, 'content-length': body.length });
          ctx.res.end(body);
          return undefined;
        }
        scrub = scrubber!.stream();
        sendHead(true);
      }
      const buf = scrub ? scrub.push(upstreamChunk) : upstreamChunk;
      if (buf.length === 0) return undefined;
      received += buf.length;
      scan?.push(buf);
      if (received === length) {
        ended = true;
        ctx.res.end(buf);
        return undefined;
      }
      return ctx.res.write(buf) ? undefined : drained(ctx);
    });
    if (!headSent) sendHead(declared !== 0);
    if (!ended) {
      const held = scrub?.flush();
      if (held && held.length > 0) scan?.push(held);
      ctx.res.end(held && held.length > 0 ? held : undefined);
    }
  } catch (e) {
    failMidStream(ctx, e);
    // Whatever was relayed before the break is charged.
    if (scan && events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(scan.textChars()));
    return;
  }
  if (!scan) return;
  const usage = scan.usage();
  if (usage) events.onUsage(usage);
  else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(scan.textChars()));
}
