import type { JsonObject, JsonValue } from '../../types';
import { isObject } from '../json';

/** Rewrites one piece of text (a mask): returns the new text. */
export type TextEdit = (text: string) => string;

/**
 * Applies `edit` to the text a request sends the model, in each API the gateway serves:
 * - OpenAI chat: `messages[].content`, a string or parts (`{type: 'text', text}`); every role, since earlier turns
 *   and tool results reach the upstream too.
 * - Anthropic Messages: `system` (a string or text blocks), `messages[].content` (a string, text blocks, and the
 *   text inside `tool_result` blocks).
 * - Responses: `input` (a string, or items whose `content` is a string or `input_text` parts) and `instructions`.
 * - Legacy completions: `prompt` (a string or strings).
 * Only text: image, audio and file parts pass as they are, and so do tool-call arguments (JSON whose numbers a
 * mask would break).
 */
export function editRequestTexts(body: JsonObject, edit: TextEdit): void {
  if (Array.isArray(body.messages)) for (const message of body.messages) if (isObject(message)) editContent(message, 'content', edit);
  editContent(body, 'system', edit);
  editContent(body, 'input', edit);
  if (typeof body.instructions === 'string') body.instructions = edit(body.instructions);
  editContent(body, 'prompt', edit);
}

/**
 * Applies `edit` to the text of a non-streamed answer: OpenAI chat `choices[].message.content` (and legacy
 * `choices[].text`), Anthropic `content[]` text blocks, Responses `output[].content[]` text and `output_text`.
 */
export function editAnswerTexts(body: JsonValue | undefined, edit: TextEdit): void {
  if (!isObject(body)) return;
  if (Array.isArray(body.choices)) {
    for (const choice of body.choices) {
      if (!isObject(choice)) continue;
      if (typeof choice.text === 'string') choice.text = edit(choice.text);
      if (isObject(choice.message)) editContent(choice.message, 'content', edit);
    }
  }
  if (Array.isArray(body.content)) editContent(body, 'content', edit);
  if (Array.isArray(body.output)) for (const item of body.output) if (isObject(item)) editContent(item, 'content', edit);
  if (typeof body.output_text === 'string') body.output_text = edit(body.output_text);
}

/**
 * Applies `edit` to the text one event of a streamed answer carries: an OpenAI chat chunk's
 * `choices[].delta.content`, an Anthropic `content_block_delta`'s `delta.text`, a Responses
 * `response.output_text.delta` / `.done` event's `delta` / `text`, and the whole answer a Responses
 * `response.completed` event repeats. Returns whether the event changed.
 */
export function editStreamEvent(event: JsonValue, edit: TextEdit): boolean {
  if (!isObject(event)) return false;
  let changed = false;
  const tracked: TextEdit = (text) => {
    const out = edit(text);
    if (out !== text) changed = true;
    return out;
  };
  if (Array.isArray(event.choices)) {
    for (const choice of event.choices) {
      if (!isObject(choice)) continue;
      if (typeof choice.text === 'string') choice.text = tracked(choice.text);
      if (isObject(choice.delta) && typeof choice.delta.content === 'string') choice.delta.content = tracked(choice.delta.content);
    }
  }
  if (isObject(event.delta) && typeof event.delta.text === 'string') event.delta.text = tracked(event.delta.text);
  if (typeof event.type === 'string' && event.type.startsWith('response.output_text.')) {
    if (typeof event.delta === 'string') event.delta = tracked(event.delta);
    if (typeof event.text === 'string') event.text = tracked(event.text);
  }
  if (isObject(event.response)) editAnswerTexts(event.response, tracked);
  return changed;
}

/** `holder[key]` when it is text, or an array of parts with text (and nested `content`, as tool results have). */
function editContent(holder: JsonObject, key: string, edit: TextEdit): void {
  const value = holder[key];
  if (typeof value === 'string') {
    holder[key] = edit(value);
    return;
  }
  if (!Array.isArray(value)) return;
  for (let i = 0; i < value.length; i++) {
    const part = value[i];
    if (typeof part === 'string') {
      value[i] = edit(part);
    } else if (isObject(part)) {
      if (typeof part.text === 'string') part.text = edit(part.text);
      editContent(part, 'content', edit);
    }
  }
}
