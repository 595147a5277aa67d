import type { JsonObject, JsonValue } from '../types';
import { isAnthropicPath, isResponsesPath } from './http';
import { isObject } from './json';

/**
 * One piece of human text inside a request, an answer or a stream event: read it, and write it back changed
 * (masked). `stream` names the piece of a streamed answer it continues (a choice, a content block), so that text
 * split across events can be read as one.
 */
export interface TextSlot {
  readonly text: string;
  readonly stream?: string;
  set(text: string): void;
}

function slot(holder: { [key: string]: JsonValue } | JsonValue[], key: string | number, stream?: string): TextSlot[] {
  const value = (holder as Record<string | number, JsonValue>)[key];
  if (typeof value !== 'string') return [];
  return [{ text: value, set: (t) => ((holder as Record<string | number, JsonValue>)[key] = t), stream }];
}

/** A string, or content parts whose text is in `text` (OpenAI's `text`/`input_text`/`output_text`, Anthropic's `text`, `tool_result` contents). */
function contentSlots(holder: { [key: string]: JsonValue }, key: string): TextSlot[] {
  const content = holder[key];
  if (typeof content === 'string') return slot(holder, key);
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) => {
    if (!isObject(part)) return [];
    if (part.type === 'tool_result') return contentSlots(part, 'content');
    return typeof part.type === 'string' && /(^|_)text$/.test(part.type) ? slot(part, 'text') : [];
  });
}

function strings(holder: JsonObject, key: string): TextSlot[] {
  const value = holder[key];
  if (typeof value === 'string') return slot(holder, key);
  return Array.isArray(value) ? value.flatMap((_, i) => slot(value, i)) : [];
}

/**
 * The prompt text of a request body: chat `messages` (every role), Anthropic `system` and `messages`, Responses
 * `instructions` and `input`, legacy completions `prompt`, embeddings `input` strings. Not tool definitions, tool
 * call arguments or images.
 */
export function promptSlots(body: JsonObject, path: string): TextSlot[] {
  const slots: TextSlot[] = [];
  if (isAnthropicPath(path)) slots.push(...contentSlots(body, 'system'));
  if (Array.isArray(body.messages)) for (const m of body.messages) if (isObject(m)) slots.push(...contentSlots(m, 'content'));
  if (isResponsesPath(path)) {
    slots.push(...slot(body, 'instructions'));
    if (typeof body.input === 'string') slots.push(...slot(body, 'input'));
    else if (Array.isArray(body.input)) for (const item of body.input) if (isObject(item)) slots.push(...contentSlots(item, 'content'));
  } else {
    slots.push(...strings(body, 'prompt'), ...strings(body, 'input'));
  }
  return slots;
}

/** The generated text of a non-streamed answer: chat `choices[].message.content`, completions `choices[].text`, Anthropic `content[]` text, Responses `output[].content[]` text. */
export function completionSlots(body: JsonValue | undefined): TextSlot[] {
  if (!isObject(body)) return [];
  const slots: TextSlot[] = [];
  if (Array.isArray(body.choices)) {
    for (const choice of body.choices) {
      if (!isObject(choice)) continue;
      if (isObject(choice.message)) slots.push(...contentSlots(choice.message, 'content'));
      slots.push(...slot(choice, 'text'));
    }
  }
  if (body.type === 'message' && Array.isArray(body.content)) slots.push(...contentSlots(body, 'content'));
  if (Array.isArray(body.output)) for (const item of body.output) if (isObject(item)) slots.push(...contentSlots(item, 'content'));
  return slots;
}

/**
 * The generated text of one parsed stream event: a chat/completions chunk's `choices[].delta.content` / `text`, an
 * Anthropic `content_block_delta`'s text, a Responses `response.output_text.delta` (and the whole text its
 * `….done`, `response.content_part.done`, `response.output_item.done` and `response.completed` events repeat).
 */
export function eventSlots(data: JsonValue): TextSlot[] {
  if (!isObject(data)) return [];
  if (Array.isArray(data.choices)) {
    return data.choices.flatMap((choice) => {
      if (!isObject(choice)) return [];
      const stream = `choice:${typeof choice.index === 'number' ? choice.index : 0}`;
      return [...(isObject(choice.delta) ? slot(choice.delta, 'content', stream) : []), ...slot(choice, 'text', stream)];
    });
  }
  if (data.type === 'content_block_delta' && isObject(data.delta) && data.delta.type === 'text_delta') return slot(data.delta, 'text', `block:${String(data.index)}`);
  if (data.type === 'response.output_text.delta') return slot(data, 'delta', `output:${String(data.output_index)}:${String(data.content_index)}`);
  if (data.type === 'response.output_text.done') return slot(data, 'text');
  if (data.type === 'response.content_part.done' && isObject(data.part)) return slot(data.part, 'text');
  if (data.type === 'response.output_item.done' && isObject(data.item)) return contentSlots(data.item, 'content');
  if (data.type === 'response.completed' || data.type === 'response.incomplete') return completionSlots(data.response);
  return [];
}
