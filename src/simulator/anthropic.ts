/**
 * Pure builders for Anthropic's Messages API wire format: validation, the deterministic reply (text, JSON
 * for structured outputs, a `tool_use` block when tools are offered (tool-answers.ts), a `thinking` block
 * when thinking is enabled; text over `max_tokens` words is cut, `stop_reason: 'max_tokens'`), the message
 * object, its stream events, and Anthropic-style error bodies.
 */
import { createHash } from 'node:crypto';
import { sampleObject, structuredText } from './json-schema-sample';
import { countWords, cutToWords, estimateTokens, isRecord, replyText, splitIntoPieces, textOf } from './responses';
import { anthropicTool } from './tool-answers';

export interface AnthropicErrorBody {
  readonly type: 'error';
  readonly error: { readonly type: string; readonly message: string };
  readonly request_id?: string;
}

export function anthropicError(type: string, message: string, requestId?: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message }, ...(requestId !== undefined ? { request_id: requestId } : {}) };
}

const FAULT_ERRORS: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Simulated invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'This request would exceed the rate limit for your organization. Please try again in 1s.'],
  529: ['overloaded_error', 'Overloaded'],
};

/** The Anthropic error body for an injected fault: 429 `rate_limit_error`, 529 `overloaded_error`, other 5xx `api_error`, ... */
export function anthropicFaultError(status: number, overrides: { message?: string; type?: string }, requestId?: string): AnthropicErrorBody {
  const [type, message] = FAULT_ERRORS[status]
    ?? (status >= 500 ? ['api_error', 'Internal server error'] : ['invalid_request_error', `Simulated error (HTTP ${status}).`]);
  return anthropicError(overrides.type ?? type, overrides.message ?? message, requestId);
}

/** The first problem with a Messages request body, in Anthropic's wording, or `undefined` if it is valid. */
export function messagesRequestProblem(body: Record<string, unknown>, needsMaxTokens = true): string | undefined {
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (needsMaxTokens) {
    if (body.max_tokens === undefined) return 'max_tokens: Field required';
    if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) return 'max_tokens: Input should be a positive integer';
  }
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  if (body.messages.length === 0) return 'messages: at least one message is required';
  const bad = body.messages.findIndex((m) => !isRecord(m) || (m.role !== 'user' && m.role !== 'assistant'));
  if (bad >= 0) return `messages.${bad}.role: Input should be 'user' or 'assistant'`;
  return undefined;
}

export interface AnthropicUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
}

export type ContentBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'thinking'; readonly thinking: string; readonly signature: string }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; readonly input: Record<string, unknown> };

export interface AnthropicReply {
  readonly content: readonly ContentBlock[];
  readonly stopReason: 'end_turn' | 'tool_use' | 'max_tokens';
  readonly usage: AnthropicUsage;
}

/** The text of Anthropic message content: a string, or its `text` blocks and `tool_result` contents. */
export function anthropicTextOf(content: unknown): string {
  if (!Array.isArray(content)) return textOf(content);
  return content
    .map((block) => (isRecord(block) && block.type === 'tool_result' ? textOf(block.content) : textOf([block])))
    .filter((text) => text !== '')
    .join(' ');
}

/** Input tokens: the system prompt and every message, one token per four characters. */
export function anthropicInputTokens(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
  return estimateTokens([anthropicTextOf(body.system), ...messages.map((m) => anthropicTextOf(m.content))]);
}

/** The reply to a valid Messages request (see `messagesRequestProblem`). */
export function anthropicReply(name: string, body: Record<string, unknown>, seq: number): AnthropicReply {
  const model = body.model as string;
  const messages = (body.messages as unknown[]).filter(isRecord);
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const prompt = lastUser ? anthropicTextOf(lastUser.content) : '';
  const content: ContentBlock[] = [];
  if (isRecord(body.thinking) && body.thinking.type !== 'disabled') {
    const thinking = replyText(name, `${model} thinking`, prompt);
    content.push({ type: 'thinking', thinking, signature: signatureOf(thinking) });
  }
  const tool = lastUser && !hasToolResult(lastUser.content) ? anthropicTool(body) : undefined;
  let cut: string | undefined;
  if (tool) {
    content.push({ type: 'tool_use', id: `toolu_sim${seq}`, name: tool.name, input: sampleObject(tool.parameters) });
  } else {
    const format = outputFormatOf(body);
    const text = structuredText(replyText(name, model, prompt), format?.type, format?.schema);
    cut = cutToWords(text, typeof body.max_tokens === 'number' ? body.max_tokens : undefined);
    content.push({ type: 'text', text: cut ?? text });
  }
  const outputWords = content.reduce((sum, block) => sum + countWords(blockText(block)), 0);
  return {
    content,
    stopReason: tool ? 'tool_use' : cut !== undefined ? 'max_tokens' : 'end_turn',
    usage: { input_tokens: anthropicInputTokens(body), output_tokens: outputWords },
  };
}

export function anthropicMessage(id: string, model: string, reply: AnthropicReply): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: reply.content,
    stop_reason: reply.stopReason,
    stop_sequence: null,
    usage: reply.usage,
  };
}

/** One SSE event: its `event:` name and its `data:` object (whose `type` is the same name). */
export interface AnthropicEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/**
 * The documented stream: `message_start`, per block `content_block_start` / deltas (`pieces` of them; a ping
 * after the first start) / `content_block_stop`, then `message_delta` and `message_stop`.
 */
export function anthropicEvents(id: string, model: string, reply: AnthropicReply, pieces: number): AnthropicEvent[] {
  const ev = (type: string, fields: Record<string, unknown> = {}): AnthropicEvent => ({ event: type, data: { type, ...fields } });
  const events = [ev('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: reply.usage.input_tokens, output_tokens: 1 },
    },
  })];
  reply.content.forEach((block, index) => {
    const delta = (d: Record<string, unknown>) => ev('content_block_delta', { index, delta: d });
    if (block.type === 'text') {
      events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    } else if (block.type === 'thinking') {
      events.push(ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    } else {
      events.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
    }
    if (index === 0) events.push(ev('ping'));
    if (block.type === 'text') {
      events.push(...splitIntoPieces(block.text, pieces).map((text) => delta({ type: 'text_delta', text })));
    } else if (block.type === 'thinking') {
      events.push(...splitIntoPieces(block.thinking, pieces).map((thinking) => delta({ type: 'thinking_delta', thinking })));
      events.push(delta({ type: 'signature_delta', signature: block.signature }));
    } else {
      events.push(...splitIntoPieces(JSON.stringify(block.input), pieces).map((json) => delta({ type: 'input_json_delta', partial_json: json })));
    }
    events.push(ev('content_block_stop', { index }));
  });
  events.push(ev('message_delta', { delta: { stop_reason: reply.stopReason, stop_sequence: null }, usage: { output_tokens: reply.usage.output_tokens } }));
  events.push(ev('message_stop'));
  return events;
}

/** `event: NAME\ndata: JSON\n\n`. */
export function sseFrame(event: AnthropicEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** Structured outputs: `output_config.format` (or the beta's `output_format`) `{ type: 'json_schema', schema }`. */
function outputFormatOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const config = isRecord(body.output_config) ? body.output_config : {};
  const format = isRecord(config.format) ? config.format : body.output_format;
  return isRecord(format) && format.type === 'json_schema' ? format : undefined;
}

function hasToolResult(content: unknown): boolean {
  return Array.isArray(content) && content.some((block) => isRecord(block) && block.type === 'tool_result');
}

function blockText(block: ContentBlock): string {
  if (block.type === 'text') return block.text;
  if (block.type === 'thinking') return block.thinking;
  return JSON.stringify(block.input);
}

function signatureOf(thinking: string): string {
  return `sim_${createHash('sha256').update(thinking).digest('base64')}`;
}
