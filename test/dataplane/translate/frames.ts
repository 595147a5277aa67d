import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { TranslationError } from '../../../src/dataplane/translate';

/** An OpenAI SSE frame, parsed: a chunk, an error, or `[DONE]`. */
export type OpenAiFrame = ChatCompletionChunk | { error: { message: string; type: string; param: string | null; code: string | null } } | '[DONE]';

/** Parses OpenAI frames, checking each is exactly `data: <payload>\n\n`. */
export function openAiFrames(frames: string[]): OpenAiFrame[] {
  return frames.map((f) => {
    const m = /^data: (.*)\n\n$/s.exec(f);
    if (!m || m[1].includes('\n')) throw new Error(`not one OpenAI SSE frame: ${JSON.stringify(f)}`);
    return m[1] === '[DONE]' ? '[DONE]' : (JSON.parse(m[1]) as OpenAiFrame);
  });
}

export function chunksOf(frames: OpenAiFrame[]): ChatCompletionChunk[] {
  return frames.filter((f): f is ChatCompletionChunk => f !== '[DONE]' && 'object' in f);
}

/** Parses Anthropic frames, checking each is `event: <name>\ndata: <json>\n\n` with the name equal to the payload's type. */
export function anthropicFrames(frames: string[]): RawMessageStreamEvent[] {
  return frames.map((f) => {
    const m = /^event: ([a-z_]+)\ndata: (.*)\n\n$/s.exec(f);
    if (!m || m[2].includes('\n')) throw new Error(`not one Anthropic SSE frame: ${JSON.stringify(f)}`);
    const payload = JSON.parse(m[2]) as RawMessageStreamEvent;
    if (payload.type !== m[1]) throw new Error(`event name ${m[1]} does not match type ${payload.type}`);
    return payload;
  });
}

/** What an OpenAI client ends up with after a stream. */
export interface ChatResult {
  role?: string;
  content: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** Accumulates chunks the way the OpenAI SDK's stream helper does. */
export function accumulateChat(frames: OpenAiFrame[]): ChatResult {
  const result: ChatResult = { content: '', toolCalls: [], finishReason: null };
  for (const chunk of chunksOf(frames)) {
    if (chunk.usage) result.usage = chunk.usage;
    for (const choice of chunk.choices) {
      const d = choice.delta;
      if (d.role) result.role = d.role;
      if (d.content) result.content += d.content;
      for (const tc of d.tool_calls ?? []) {
        const call = (result.toolCalls[tc.index] ??= { id: '', name: '', arguments: '' });
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.arguments += tc.function.arguments;
      }
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
  }
  return result;
}

/** What an Anthropic client ends up with after a stream. */
export interface MessagesResult {
  id: string;
  model: string;
  content: Array<{ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown }>;
  stopReason: string | null;
  usage: { input_tokens: number; output_tokens: number };
}

/** Accumulates events the way the Anthropic SDK's MessageStream does, checking block order on the way. */
export function accumulateMessages(events: RawMessageStreamEvent[]): MessagesResult {
  let result: MessagesResult | undefined;
  const json = new Map<number, string>();
  const open = new Set<number>();
  for (const e of events) {
    if (e.type === 'message_start') {
      if (result) throw new Error('second message_start');
      result = { id: e.message.id, model: e.message.model, content: [], stopReason: null, usage: { ...e.message.usage } };
      continue;
    }
    if (!result) throw new Error(`${e.type} before message_start`);
    switch (e.type) {
      case 'content_block_start':
        if (e.index !== result.content.length) throw new Error(`block ${e.index} started out of order`);
        if (open.size > 0) throw new Error(`block ${e.index} started while ${[...open].join()} open`);
        open.add(e.index);
        if (e.content_block.type === 'text') result.content.push({ type: 'text', text: e.content_block.text });
        else if (e.content_block.type === 'tool_use') result.content.push({ type: 'tool_use', id: e.content_block.id, name: e.content_block.name, input: {} });
        break;
      case 'content_block_delta': {
        if (!open.has(e.index)) throw new Error(`delta for block ${e.index}, which is not open`);
        const block = result.content[e.index];
        if (e.delta.type === 'text_delta' && block.type === 'text') block.text += e.delta.text;
        else if (e.delta.type === 'input_json_delta') json.set(e.index, (json.get(e.index) ?? '') + e.delta.partial_json);
        else throw new Error(`delta ${e.delta.type} does not fit block ${block.type}`);
        break;
      }
      case 'content_block_stop': {
        if (!open.delete(e.index)) throw new Error(`stop for block ${e.index}, which is not open`);
        const block = result.content[e.index];
        if (block.type === 'tool_use') block.input = JSON.parse(json.get(e.index) || '{}');
        break;
      }
      case 'message_delta':
        result.stopReason = e.delta.stop_reason;
        result.usage.output_tokens = e.usage.output_tokens;
        if (e.usage.input_tokens !== null && e.usage.input_tokens !== undefined) result.usage.input_tokens = e.usage.input_tokens;
        break;
      case 'message_stop':
        if (open.size > 0) throw new Error('message_stop with blocks open');
        return result;
    }
  }
  throw new Error('no message_stop');
}

/** The TranslationError `fn` throws. */
export function translationError(fn: () => unknown): TranslationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TranslationError) return e;
    throw e;
  }
  throw new Error('expected a TranslationError');
}

/** Anthropic SSE as it comes off the wire. */
export function anthropicSse(events: Array<Record<string, unknown> & { type: string }>): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

/** OpenAI SSE as it comes off the wire. */
export function openAiSse(payloads: Array<Record<string, unknown> | '[DONE]'>): string {
  return payloads.map((p) => `data: ${p === '[DONE]' ? p : JSON.stringify(p)}\n\n`).join('');
}
