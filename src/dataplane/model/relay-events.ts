import { drained } from '../backpressure';
import { GatewayError } from '../errors';
import { completionTextChars } from '../completion-text';
import type { RequestContext } from '../request-context';
import type { ScrubStream } from '../scrub';
import { SseFramer } from '../sse';
import { estimateTextTokens } from '../token-estimate';
import type { StreamRelay } from '../translate/translator';
import type { UpstreamResponse } from '../upstream-call';
import { failMidStream } from './mid-stream';
import type { ProxyEvents } from './types';

/** Streams SSE events as they are framed, through the translator's relay (identity or another protocol). */
export async function relayEvents(
  ctx: RequestContext,
  response: UpstreamResponse,
  relay: StreamRelay,
  events: ProxyEvents,
  scrub: ScrubStream,
  /** A deferred head (StreamRelay.deferHead): written just before the first frame. */
  writeHead?: () => void,
): Promise<void> {
  const framer = new SseFramer();
  let headPending = writeHead !== undefined;
  /** Every write goes through here: a deferred head goes out first. */
  const write = (data: string | Buffer): boolean => {
    if (headPending) {
      headPending = false;
      writeHead!();
    }
    return ctx.res.write(data);
  };
  let sawToken = false;
  let reported = false;
  /** Completion text received (and relayed): charged when no usage report comes. */
  let textChars = 0;
  const report = () => {
    if (reported) return;
    reported = true;
    const usage = relay.usage();
    if (usage) events.onUsage(usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(textChars));
  };
  try {
    // All events framed from one upstream chunk leave in one write.
    await response.forEachChunk((upstreamChunk) => {
      // Echoes of the upstream's key go first; a tail that may be the start of one waits for the next chunk.
      const chunk = scrub.push(upstreamChunk);
      if (chunk.length === 0) return undefined;
      if (events.countsCompletionText) textChars += completionTextChars(chunk);
      // Whole events with nothing to read or strip: the upstream's bytes go out as they are.
      if (relay.passesUnchanged?.(chunk) && framer.isWholeEvents(chunk)) {
        if (!sawToken) {
          sawToken = true;
          events.onFirstToken();
        }
        return write(chunk) ? undefined : drained(ctx);
      }
      let out = '';
      for (const event of framer.push(chunk)) {
        for (const frame of relay.push(event)) {
          if (!sawToken) {
            sawToken = true;
            events.onFirstToken();
          }
          out += frame;
        }
      }
      if (out.length > 0 && !write(out)) return drained(ctx);
      return undefined;
    });
    const held = scrub.flush();
    const last = held.length > 0 ? framer.push(held).flatMap((event) => relay.push(event)).join('') : '';
    const rest = framer.flush();
    const tail = last + (rest.trim().length > 0 ? relay.push(`${rest}\n\n`).join('') : '');
    report();
    // An agent whose stream carried nothing at all still gets its head, and a clean end.
    if (headPending) {
      headPending = false;
      writeHead!();
    }
    // The agent's own error after the answer started (sent to the client as a last frame): recorded as an error.
    const failure = relay.failure?.();
    if (failure !== undefined) ctx.record.error = failure;
    ctx.res.end(tail.length > 0 ? tail : undefined);
  } catch (e) {
    report();
    // Nothing went out yet (a deferred head): the error is answered with its status, in the client's format.
    if (headPending && e instanceof GatewayError) throw e;
    failMidStream(ctx, e);
  }
}
