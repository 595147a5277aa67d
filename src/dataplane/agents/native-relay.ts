import type { IncomingHttpHeaders } from 'http';
import { RecordedErrors } from '../errors';
import { boundedForLog } from '../log-bounds';
import type { ProxyEvents } from '../model-proxy';
import type { RequestContext } from '../request-context';
import { SseFramer } from '../sse';
import { estimateTextTokens } from '../token-estimate';
import { jsonObjectOf, type NativeAnswerReader } from './native-answer';
import { dashScopeAnswer } from './native-dashscope';
import { difyAnswer } from './native-dify';
import type { NativeAgentRequest } from './native-request';

/**
 * What the agent proxy reads of a Dify or Model Studio answer while it relays it (agent-proxy.ts keeps
 * the upstream call, the scrubbing and the backpressure), and what it makes of it once the answer ended.
 */

/** Largest blocking answer kept aside to read its usage; past it, none is read (the estimate is charged). */
const ANSWER_SCAN_LIMIT = 1024 * 1024;

/** A Dify or Model Studio answer being read as it is relayed. */
export interface NativeReading {
  readonly reader: NativeAnswerReader;
  /** Sees a chunk of the answer; returns what to send for it (the chunk itself, unless events are rewritten). */
  see(chunk: Buffer): Buffer;
  /** The answer ended: reads what is left; returns what is still to send. */
  end(): Buffer | undefined;
}

/** How a 2xx answer of a Dify or Model Studio agent is read: SSE events one by one, a JSON answer whole (bounded), anything else not at all. */
export function nativeReading(request: NativeAgentRequest, headers: IncomingHttpHeaders): NativeReading {
  const reader = request.protocol === 'dify' ? difyAnswer() : dashScopeAnswer(request.reaccumulate);
  const contentType = String(headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('text/event-stream')) {
    const framer = new SseFramer();
    return {
      reader,
      see: (chunk) => {
        const whole = framer.push(chunk);
        if (!reader.rewrites) {
          for (const event of whole) reader.event(event);
          return chunk;
        }
        let out = '';
        for (const event of whole) out += reader.event(event);
        return Buffer.from(out, 'utf8');
      },
      end: () => {
        // An event the agent did not end with its blank line still counts.
        const rest = framer.flush();
        if (rest === '') return undefined;
        const out = reader.event(rest);
        return reader.rewrites ? Buffer.from(out, 'utf8') : undefined;
      },
    };
  }
  if (!contentType.includes('json')) return { reader, see: (chunk) => chunk, end: () => undefined };
  const kept: Buffer[] = [];
  let keptBytes = 0;
  return {
    reader,
    see: (chunk) => {
      keptBytes += chunk.length;
      if (keptBytes <= ANSWER_SCAN_LIMIT) kept.push(chunk);
      else kept.length = 0;
      return chunk;
    },
    end: () => {
      const doc = keptBytes <= ANSWER_SCAN_LIMIT ? jsonObjectOf(Buffer.concat(kept, keptBytes).toString('utf8')) : undefined;
      if (doc) reader.document(doc);
      return undefined;
    },
  };
}

/**
 * The answer's outcome for accounting: the agent's own error inside a 200 recorded as an error (its
 * HTTP status stays); its usage settles the token pre-charge, else what was relayed is charged.
 */
export function settleNativeAnswer(ctx: RequestContext, request: NativeAgentRequest, reader: NativeAnswerReader, events: ProxyEvents): void {
  const failure = reader.failure;
  if (failure && ctx.record.error === undefined) {
    ctx.record.error = RecordedErrors.agentStreamFailed;
    ctx.record.errorDetail = boundedForLog(`${failure.code} (${failure.status}): ${failure.message}`);
  }
  if (reader.usage) events.onUsage(reader.usage);
  // Only where a token pre-charge waits on it: an endpoint that runs nothing is charged nothing.
  else if (events.countsCompletionText) events.onUnreportedUsage(request.runs ? estimateTextTokens(reader.textChars) : 0);
}
