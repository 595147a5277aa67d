import { drained } from '../backpressure';
import { completionTextChars } from '../completion-text';
import { Errors, GatewayError } from '../errors';
import { streamHooksOf } from '../extensions/response';
import { runStreamEnd } from '../extensions/stream';
import type { RequestContext } from '../request-context';
import type { ScrubStream } from '../scrub';
import { SseFramer } from '../sse';
import { estimateTextTokens } from '../token-estimate';
import { failMidStream } from './mid-stream';
import { isAgentRelay } from '../translate/agent-answer';
import type { StreamRelay } from '../translate/translator';
import type { UpstreamResponse } from '../upstream-call';
import type { ProxyEvents } from './types';
import { RetryableFailure } from './upstream-errors';

/**
 * An attempt's events on an agent exposed as a model (attempts.ts): it hears the status of an error the
 * agent reported after the head went out, which its breaker is told of once the stream ended.
 */
export interface AgentAttemptEvents extends ProxyEvents {
  onAgentFailure(status: number): void;
}

/**
 * The upstream's stream failed (a break, a deadline) while a deferred head was still pending: no byte went
 * to the client, so the attempt loop answers it with a status in the client's format, and charges the
 * upstream unless the client left (attempts.ts maps `cause` as a failed call's).
 */
export class StreamFailedBeforeHead extends Error {
  public constructor(public readonly cause: unknown) {
    super((cause as Error | undefined)?.message ?? String(cause));
    this.name = 'StreamFailedBeforeHead';
  }
}

/** Thrown from the chunk reader when a stream hook called `end()`: stops the upstream's reading (forEachChunk aborts it). */
const ENDED_BY_EXTENSION = new Error('an extension ended the stream');

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
      // Written first: a head the agent made impossible (a bad conversation id) is still an error with a status.
      writeHead!();
      headPending = false;
    }
    return ctx.res.write(data);
  };
  /** Extensions' stream hooks: every event goes through them (no pass-through of the upstream's bytes then). */
  const hooks = streamHooksOf(ctx);
  /** Whole events out, through the hooks when there are any; a hook's `end()` stops the reading after them. */
  const send = (text: string): undefined | Promise<void> => {
    if (!hooks) return text.length === 0 || write(text) ? undefined : drained(ctx);
    return hooks.apply(text).then((hooked) => {
      const flowing = hooked.length === 0 || write(hooked);
      if (hooks.ended) throw ENDED_BY_EXTENSION;
      return flowing ? undefined : drained(ctx);
    });
  };
  let sawToken = false;
  let reported = false;
  /**
   * Completion text relayed: charged when no usage report comes. An identity relay's frames are the
   * upstream's own events, counted as they arrive (the hot path: nothing more). A translating relay's
   * upstream names its text otherwise (Dify's `answer` is no key completionTextChars reads): its frames
   * out, in the client's protocol, are counted instead.
   */
  let textChars = 0;
  const countsUpstream = events.countsCompletionText && (relay.passesUnchanged !== undefined || relay.countsUpstreamText === true);
  const countsFrames = events.countsCompletionText && !countsUpstream && relay.relayedTextChars === undefined;
  const report = () => {
    if (reported) return;
    reported = true;
    const usage = relay.usage();
    if (usage) events.onUsage(usage);
    else if (events.countsCompletionText) events.onUnreportedUsage(estimateTextTokens(relay.relayedTextChars?.() ?? textChars));
  };
  /** Whether an error came from the relay, the head or the end (the gateway's own answer), not from the upstream's transport. */
  let thrownByGateway = false;
  try {
    // All events framed from one upstream chunk leave in one write.
    await response.forEachChunk((upstreamChunk) => {
      // Echoes of the upstream's key go first; a tail that may be the start of one waits for the next chunk.
      const chunk = scrub.push(upstreamChunk);
      if (chunk.length === 0) return undefined;
      if (countsUpstream) textChars += completionTextChars(chunk);
      try {
        // Whole events with nothing to read or strip: the upstream's bytes go out as they are.
        if (!hooks && relay.passesUnchanged?.(chunk) && framer.isWholeEvents(chunk)) {
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
        if (countsFrames && out.length > 0) textChars += completionTextChars(Buffer.from(out));
        // A stored response's record is written before the event that names it goes out (the upstream waits meanwhile).
        const held = relay.hold?.();
        if (held) return held.then(() => send(out));
        return send(out);
      } catch (e) {
        thrownByGateway = true;
        throw e;
      }
    });
    thrownByGateway = true;
    const held = scrub.flush();
    const last = held.length > 0 ? framer.push(held).flatMap((event) => relay.push(event)).join('') : '';
    const rest = framer.flush();
    const tail = last + (rest.trim().length > 0 ? relay.push(`${rest}\n\n`).join('') : '');
    if (countsFrames && tail.length > 0) textChars += completionTextChars(Buffer.from(tail));
    await relay.hold?.();
    report();
    if (headPending) {
      // The agent's stream ended without an event of a run (keep-alives at most): nothing went out, so it is
      // answered with a status; the agent answered 200 with no answer, its breaker hears of it.
      if (tail.length === 0) throw new RetryableFailure(Errors.upstreamUntranslatable("the agent's stream ended with no answer (no event but keep-alives). Retry later."));
      writeHead!();
      headPending = false;
    }
    // The agent's own error after the answer started (sent to the client as a last frame): recorded as an error.
    const failure = relay.failure?.();
    if (failure !== undefined) ctx.record.error = failure;
    const sentTail = hooks && tail.length > 0 ? await hooks.apply(tail) : tail;
    ctx.res.end(sentTail.length > 0 ? sentTail : undefined);
    // The answer went out whole: onStreamEnd may keep what the stream hooks gathered (not after a hook's end()).
    if (hooks && !hooks.ended) await runStreamEnd(ctx.extensions!);
    const agentStatus = isAgentRelay(relay) ? relay.agentFailureStatus() : undefined;
    if (agentStatus !== undefined && 'onAgentFailure' in events) (events as AgentAttemptEvents).onAgentFailure(agentStatus);
  } catch (e) {
    report();
    if (e === ENDED_BY_EXTENSION) {
      // An extension ended the stream: what it let through went out, and the answer ends cleanly.
      ctx.res.end();
      return;
    }
    if (headPending) {
      // Nothing went out yet (a deferred head): the error is answered with its status, in the client's format.
      if (e instanceof GatewayError || e instanceof RetryableFailure || thrownByGateway) throw e;
      throw new StreamFailedBeforeHead(e);
    }
    failMidStream(ctx, e);
  }
}
