import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Response, ResponseOutputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { openAiSse } from './frames';
import { SseFramer } from '../../../src/dataplane/sse';
import { ChatChunksToResponsesStream } from '../../../src/dataplane/translate/chat-to-responses';
import type { ResponsesEcho } from '../../../src/dataplane/translate/responses-to-chat';

/**
 * Parses Responses API frames, checking each is `event: <type>\ndata: <json>\n\n` with the event name
 * equal to the payload's type, and that sequence numbers count up from 0 without a gap.
 */
export function responsesFrames(frames: string[]): ResponseStreamEvent[] {
  return frames.map((f, i) => {
    const m = /^event: ([a-z_.]+)\ndata: (.*)\n\n$/s.exec(f);
    if (!m || m[2].includes('\n')) throw new Error(`not one Responses SSE frame: ${JSON.stringify(f)}`);
    const payload = JSON.parse(m[2]) as ResponseStreamEvent;
    if (payload.type !== m[1]) throw new Error(`event name ${m[1]} does not match type ${payload.type}`);
    if (payload.sequence_number !== i) throw new Error(`frame ${i} has sequence_number ${payload.sequence_number}`);
    return payload;
  });
}

/** Chat chunks (and `[DONE]`) through the translator, as the relay feeds it: the SSE bytes framed, then event by event. */
export function translateStream(
  payloads: Array<ChatCompletionChunk | { error: unknown } | '[DONE]'>,
  model: string,
  echo: ResponsesEcho,
): { frames: string[]; events: ResponseStreamEvent[]; stream: ChatChunksToResponsesStream } {
  const stream = new ChatChunksToResponsesStream(model, echo);
  const framer = new SseFramer();
  const frames = framer.push(Buffer.from(openAiSse(payloads as Array<Record<string, unknown> | '[DONE]'>))).flatMap((e) => stream.pushEvent(e));
  return { frames, events: responsesFrames(frames), stream };
}

/**
 * Plays the events the way a careful client does, checking the protocol on the way: the lifecycle
 * events first and last, items added at the next output index, parts at the next content index,
 * deltas only into open items and parts, every `.done` equal to what the deltas built. Returns the
 * output it built and the final Response.
 */
export function playResponses(events: ResponseStreamEvent[]): { output: ResponseOutputItem[]; final: Response; terminal: string } {
  if (events[0]?.type !== 'response.created' || events[1]?.type !== 'response.in_progress') throw new Error('no response.created, response.in_progress');
  const output: ResponseOutputItem[] = [];
  const open = new Set<number>();
  const openParts = new Set<string>();
  for (const e of events.slice(2, -1)) {
    switch (e.type) {
      case 'response.output_item.added':
        if (e.output_index !== output.length) throw new Error(`item added at ${e.output_index}, expected ${output.length}`);
        output.push(structuredClone(e.item));
        open.add(e.output_index);
        break;
      case 'response.content_part.added': {
        const item = output[e.output_index];
        if (!open.has(e.output_index)) throw new Error(`part added to item ${e.output_index}, which is not open`);
        const content = (item as { content?: unknown[] }).content!;
        if (e.content_index !== content.length) throw new Error(`part added at ${e.content_index}, expected ${content.length}`);
        content.push(structuredClone(e.part));
        openParts.add(`${e.output_index}/${e.content_index}`);
        break;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta':
      case 'response.reasoning_text.delta': {
        if (!openParts.has(`${e.output_index}/${e.content_index}`)) throw new Error(`${e.type} into a part that is not open`);
        const item = output[e.output_index] as { id: string; content: Array<{ text?: string; refusal?: string }> };
        if (item.id !== e.item_id) throw new Error(`${e.type} names ${e.item_id}, but item ${e.output_index} is ${item.id}`);
        const part = item.content[e.content_index];
        if (e.type === 'response.refusal.delta') part.refusal += e.delta;
        else part.text += e.delta;
        break;
      }
      case 'response.output_text.done':
      case 'response.reasoning_text.done': {
        const part = (output[e.output_index] as { content: Array<{ text: string }> }).content[e.content_index];
        if (part.text !== e.text) throw new Error(`${e.type} text ${JSON.stringify(e.text)} is not the deltas' ${JSON.stringify(part.text)}`);
        break;
      }
      case 'response.refusal.done': {
        const part = (output[e.output_index] as { content: Array<{ refusal: string }> }).content[e.content_index];
        if (part.refusal !== e.refusal) throw new Error('refusal.done is not the deltas');
        break;
      }
      case 'response.content_part.done': {
        const key = `${e.output_index}/${e.content_index}`;
        if (!openParts.delete(key)) throw new Error(`part ${key} done, but not open`);
        expectSame((output[e.output_index] as { content: unknown[] }).content[e.content_index], e.part, `part ${key}`);
        break;
      }
      case 'response.function_call_arguments.delta': {
        const item = output[e.output_index];
        if (item.type !== 'function_call' || item.id !== e.item_id) throw new Error('arguments delta for an item that is not that function call');
        item.arguments += e.delta;
        break;
      }
      case 'response.function_call_arguments.done': {
        const item = output[e.output_index];
        if (item.type !== 'function_call' || item.arguments !== e.arguments || item.name !== e.name) throw new Error('arguments.done is not the deltas');
        break;
      }
      case 'response.output_item.done': {
        if (!open.delete(e.output_index)) throw new Error(`item ${e.output_index} done, but not open`);
        if ([...openParts].some((k) => k.startsWith(`${e.output_index}/`))) throw new Error(`item ${e.output_index} done with a part open`);
        const built = { ...output[e.output_index], status: (e.item as { status?: string }).status };
        if ((e.item as { status?: string }).status === undefined) delete built.status;
        expectSame(built, e.item, `item ${e.output_index}`);
        output[e.output_index] = structuredClone(e.item);
        break;
      }
      default:
        throw new Error(`unexpected ${e.type} mid-stream`);
    }
  }
  const last = events[events.length - 1];
  if (last.type !== 'response.completed' && last.type !== 'response.incomplete' && last.type !== 'response.failed') throw new Error(`stream ends with ${last.type}`);
  if (last.type !== 'response.failed' && open.size > 0) throw new Error(`stream ends with items ${[...open].join()} open`);
  return { output, final: last.response, terminal: last.type };
}

function expectSame(a: unknown, b: unknown, what: string): void {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what}: built ${JSON.stringify(a)}, done says ${JSON.stringify(b)}`);
}
