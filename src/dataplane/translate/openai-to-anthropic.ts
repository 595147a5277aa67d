/**
 * An OpenAI chat client talking to an Anthropic Messages backend: the request goes out as a
 * Messages request, the answer (JSON or SSE) comes back as a chat completion.
 */
import { badRequest, TranslationError } from './errors';
import { budgetOfEffort, REASONING_EFFORTS, type ReasoningEffort } from './output-tokens';
import {
  asArray, asObject, asString, count, isObject, optBoolean, optNumber, optPositiveInt, optString, parseDataUrl, parseJson, sseField,
  type Json,
} from './read';
import {
  IMAGE_MEDIA_TYPES,
  type AssistantBlock, type ChatCompletion, type ChatCompletionChunk, type ChatChunkDelta, type ChatErrorBody, type ChatErrorType,
  type ChatFinishReason, type ChatToolCall, type ChatUsage, type DocumentBlock, type ImageBlock, type ImageMediaType, type MessagesRequest,
  type MessagesTool, type MessagesToolChoice, type MessagesTurn, type TextBlock, type ToolResultBlock, type ToolUseBlock, type TranslatedUsage,
  type UserBlock,
} from './wire';

/** `max_tokens` is required by the Messages API; this is sent when the chat request names none. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface ChatRequestToMessagesOptions {
  /** Sent as `max_tokens` when the request has neither `max_completion_tokens` nor `max_tokens`. @default 4096 */
  readonly defaultMaxTokens?: number;
  /**
   * Leave out `temperature` and `top_p`. Anthropic API version 2026-10-21 rejects them at any value
   * (and some newer models already do under 2023-06-01); turn this on for such backends.
   * @default false
   */
  readonly dropSamplingParams?: boolean;
  /** The model entry's `maxOutputTokens`: `max_tokens` (asked for, or the default) is at most this. @default - no limit */
  readonly maxOutputTokens?: number;
}

const R = 'request' as const;
const S = 'response' as const;

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/**
 * An OpenAI chat completions request as an Anthropic Messages request for `servedModel`.
 *
 * System and developer messages (wherever they are) become `system`; tool results become user
 * turns of `tool_result` blocks; consecutive turns of one role are merged, since the Messages API
 * wants user and assistant to alternate. `max_tokens` (required there) is `max_completion_tokens`, else
 * `max_tokens`, else the default, at most `options.maxOutputTokens`; `reasoning_effort` becomes `thinking`
 * (see `thinkingOf`). Parameters without a Messages equivalent (`seed`, `logprobs`, penalties…) are not
 * sent; a `response_format` other than text is refused (the answer could not be held to it).
 *
 * @throws TranslationError (source `request`) naming the field that cannot be translated.
 */
export function chatRequestToMessages(body: unknown, servedModel: string, options: ChatRequestToMessagesOptions = {}): MessagesRequest {
  const req = asObject(body, 'body', R);
  const n = optNumber(req.n, 'n', R);
  if (n !== undefined && n !== 1) throw badRequest('n', `is ${n}, but this route's Anthropic backend returns one choice`, 'Drop n or set it to 1.');
  // JSON mode has no Messages equivalent here: dropped, the client would take free text for the JSON it asked for.
  const format = isObject(req.response_format) ? req.response_format.type : undefined;
  if (format !== undefined && format !== 'text') {
    throw badRequest(
      'response_format.type',
      `is ${JSON.stringify(format)}, which this route's Anthropic backend cannot guarantee`,
      'Drop response_format and ask for JSON in the prompt, or define a tool with the schema, or use a model on an OpenAI-compatible backend.',
    );
  }
  for (const legacy of ['functions', 'function_call'] as const) {
    if (req[legacy] !== undefined && req[legacy] !== null) {
      throw badRequest(legacy, 'belongs to the deprecated function-calling API, which this route cannot translate', 'Send tools and tool_choice instead.');
    }
  }

  const messages = asArray(req.messages, 'messages', R, 'Send messages as an array of {role, content} objects.');
  const system: TextBlock[] = [];
  const turns = new Turns();
  messages.forEach((raw, i) => {
    const p = `messages[${i}]`;
    const m = asObject(raw, p, R, 'Send each message as a {role, content} object.');
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textOnly(m.content, `${p}.content`, `${String(m.role)} messages`));
        break;
      case 'user':
        turns.add('user', userBlocks(m.content, `${p}.content`));
        break;
      case 'assistant':
        turns.add('assistant', assistantBlocks(m, p));
        break;
      case 'tool':
        turns.add('user', [toolResult(m, p)]);
        break;
      case 'function':
        throw badRequest(`${p}.role`, "is 'function', the deprecated function-calling API, which this route cannot translate", "Send tool results as role 'tool' with a tool_call_id.");
      default:
        throw badRequest(`${p}.role`, `is ${JSON.stringify(m.role)}`, "Use 'system', 'developer', 'user', 'assistant' or 'tool'.");
    }
  });
  const built = turns.build();
  if (built.length === 0) throw badRequest('messages', 'has no user or assistant message with content', 'Send at least one user message.');

  const asked =
    optPositiveInt(req.max_completion_tokens, 'max_completion_tokens', R) ??
    optPositiveInt(req.max_tokens, 'max_tokens', R) ??
    options.defaultMaxTokens ??
    DEFAULT_MAX_TOKENS;
  const out: MessagesRequest = {
    model: servedModel,
    max_tokens: options.maxOutputTokens === undefined ? asked : Math.min(asked, options.maxOutputTokens),
    messages: built,
  };
  if (system.length > 0) out.system = system.length === 1 ? system[0].text : system;

  const tools = req.tools === undefined || req.tools === null ? [] : asArray(req.tools, 'tools', R).map((t, i) => toolOf(t, `tools[${i}]`));
  const parallel = optBoolean(req.parallel_tool_calls, 'parallel_tool_calls', R);
  if (tools.length > 0) {
    out.tools = tools;
    const choice = toolChoiceOf(req.tool_choice, parallel === false);
    if (choice) out.tool_choice = choice;
  }

  const stop = stopOf(req.stop);
  if (stop.length > 0) out.stop_sequences = stop;
  const temperature = optNumber(req.temperature, 'temperature', R);
  const topP = optNumber(req.top_p, 'top_p', R);
  if (!options.dropSamplingParams) {
    if (temperature !== undefined) out.temperature = temperature;
    if (topP !== undefined) out.top_p = topP;
  }
  const stream = optBoolean(req.stream, 'stream', R);
  if (stream !== undefined) out.stream = stream;
  const user = optString(req.user, 'user', R) ?? optString(req.safety_identifier, 'safety_identifier', R);
  if (user) out.metadata = { user_id: user };
  const thinking = thinkingOf(req.reasoning_effort, out);
  if (thinking) out.thinking = thinking;
  return out;
}

/**
 * `reasoning_effort` as Anthropic's extended thinking: a budget by effort (`budgetOfEffort`: low 2,048,
 * medium 4,096, high 16,384, xhigh 32,768 tokens), kept below `max_tokens`, which counts thinking as
 * OpenAI's limit counts reasoning. No thinking for `none` and `minimal`, when `max_tokens` leaves no room
 * for Anthropic's minimum budget (1,024), or when the request sets what thinking refuses: a sampling
 * parameter (`temperature`, `top_p`) or a forced tool (`tool_choice` required or named) — the client's
 * explicit settings win over a hint — or inside a tool loop (the last assistant turn calls tools): Anthropic
 * then wants that turn to start with its signed thinking block, which a chat client never had.
 */
function thinkingOf(raw: unknown, out: MessagesRequest): MessagesRequest['thinking'] {
  if (raw === undefined || raw === null) return undefined;
  const effort = asString(raw, 'reasoning_effort', R, `Send one of ${REASONING_EFFORTS.join(', ')}.`);
  if (!(REASONING_EFFORTS as readonly string[]).includes(effort)) {
    throw badRequest('reasoning_effort', `is '${effort}'`, `Send one of ${REASONING_EFFORTS.join(', ')}.`);
  }
  if (out.temperature !== undefined || out.top_p !== undefined) return undefined;
  if (out.tool_choice?.type === 'any' || out.tool_choice?.type === 'tool') return undefined;
  const lastAssistant = [...out.messages].reverse().find((t) => t.role === 'assistant');
  if (lastAssistant && Array.isArray(lastAssistant.content) && lastAssistant.content.some((b) => b.type === 'tool_use')) return undefined;
  const budget = budgetOfEffort(effort as ReasoningEffort, out.max_tokens);
  return budget === undefined ? undefined : { type: 'enabled', budget_tokens: budget };
}

/** Whether an OpenAI chat request asks for the final usage chunk (`stream_options.include_usage`). */
export function wantsStreamUsage(body: unknown): boolean {
  return isObject(body) && isObject(body.stream_options) && body.stream_options.include_usage === true;
}

/** Turns in order, consecutive ones of one role merged into one. */
class Turns {
  private readonly turns: Array<{ role: 'user' | 'assistant'; blocks: Array<UserBlock | AssistantBlock> }> = [];

  public add(role: 'user', blocks: UserBlock[]): void;
  public add(role: 'assistant', blocks: AssistantBlock[]): void;
  public add(role: 'user' | 'assistant', blocks: Array<UserBlock | AssistantBlock>): void {
    if (blocks.length === 0) return;
    const last = this.turns[this.turns.length - 1];
    if (last && last.role === role) last.blocks.push(...blocks);
    else this.turns.push({ role, blocks: [...blocks] });
  }

  /** A turn that is one text block is sent as a plain string. */
  public build(): MessagesTurn[] {
    return this.turns.map((t): MessagesTurn => {
      const only = t.blocks.length === 1 ? t.blocks[0] : undefined;
      if (only && only.type === 'text') return { role: t.role, content: only.text };
      return t.role === 'user' ? { role: 'user', content: t.blocks as UserBlock[] } : { role: 'assistant', content: t.blocks as AssistantBlock[] };
    });
  }
}

/** Text content (a string or text parts) as text blocks; empty text is dropped (the Messages API rejects it). */
function textOnly(content: unknown, param: string, what: string): TextBlock[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  const parts = asArray(content, param, R, 'Send a string or an array of text parts.');
  const out: TextBlock[] = [];
  parts.forEach((raw, j) => {
    const part = asObject(raw, `${param}[${j}]`, R);
    if (part.type !== 'text') throw badRequest(`${param}[${j}].type`, `is ${JSON.stringify(part.type)}, but ${what} carry text only`, "Send {type: 'text', text} parts.");
    const text = asString(part.text, `${param}[${j}].text`, R);
    if (text.length > 0) out.push({ type: 'text', text });
  });
  return out;
}

function userBlocks(content: unknown, param: string): UserBlock[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  const parts = asArray(content, param, R, 'Send a string or an array of content parts.');
  const out: UserBlock[] = [];
  parts.forEach((raw, j) => {
    const pp = `${param}[${j}]`;
    const part = asObject(raw, pp, R);
    switch (part.type) {
      case 'text': {
        const text = asString(part.text, `${pp}.text`, R);
        if (text.length > 0) out.push({ type: 'text', text });
        break;
      }
      case 'image_url':
        out.push(imageBlock(part.image_url, `${pp}.image_url`));
        break;
      case 'file':
        out.push(documentBlock(part.file, `${pp}.file`));
        break;
      case 'input_audio':
        throw badRequest(`${pp}.type`, "is 'input_audio', which this route's Anthropic backend does not accept", 'Transcribe the audio first, or use a route with an OpenAI backend.');
      default:
        throw badRequest(`${pp}.type`, `is ${JSON.stringify(part.type)}`, "Use 'text', 'image_url' or 'file' parts.");
    }
  });
  return out;
}

function imageBlock(raw: unknown, param: string): ImageBlock {
  const url = typeof raw === 'string' ? raw : asString(asObject(raw, param, R, 'Send {url}.').url, `${param}.url`, R);
  const urlParam = typeof raw === 'string' ? param : `${param}.url`;
  if (/^data:/i.test(url)) {
    const parsed = parseDataUrl(url);
    if (!parsed) throw badRequest(urlParam, 'is a data URL that is not base64-encoded', 'Send data:<media type>;base64,<data>.');
    if (!(IMAGE_MEDIA_TYPES as readonly string[]).includes(parsed.mediaType)) {
      throw badRequest(urlParam, `has media type '${parsed.mediaType}', which the Anthropic backend does not accept`, `Send one of ${IMAGE_MEDIA_TYPES.join(', ')}.`);
    }
    return { type: 'image', source: { type: 'base64', media_type: parsed.mediaType as ImageMediaType, data: parsed.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badRequest(urlParam, `is neither an http(s) URL nor a data URL (${JSON.stringify(url.slice(0, 32))})`, 'Send https://… or data:<media type>;base64,<data>.');
}

function documentBlock(raw: unknown, param: string): DocumentBlock {
  const file = asObject(raw, param, R, 'Send {file_data, filename}.');
  if (file.file_data === undefined && file.file_id !== undefined) {
    throw badRequest(`${param}.file_id`, "refers to OpenAI's file store, which this route's Anthropic backend cannot read", 'Send the file inline as file_data.');
  }
  const fileData = asString(file.file_data, `${param}.file_data`, R, 'Send the file inline as a base64 data URL.');
  const parsed = /^data:/i.test(fileData) ? parseDataUrl(fileData) : { mediaType: 'application/pdf', data: fileData };
  if (!parsed || parsed.mediaType !== 'application/pdf') {
    throw badRequest(`${param}.file_data`, 'is not a base64 PDF', 'Send data:application/pdf;base64,<data>; other file types cannot be sent to an Anthropic backend.');
  }
  const title = optString(file.filename, `${param}.filename`, R);
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: parsed.data }, ...(title ? { title } : {}) };
}

function assistantBlocks(m: Json, p: string): AssistantBlock[] {
  if (m.function_call !== undefined && m.function_call !== null) {
    throw badRequest(`${p}.function_call`, 'belongs to the deprecated function-calling API, which this route cannot translate', 'Send tool_calls instead.');
  }
  const out: AssistantBlock[] = [];
  const content = m.content;
  if (typeof content === 'string') {
    if (content.length > 0) out.push({ type: 'text', text: content });
  } else if (content !== undefined && content !== null) {
    asArray(content, `${p}.content`, R, 'Send a string, null or an array of text parts.').forEach((raw, j) => {
      const pp = `${p}.content[${j}]`;
      const part = asObject(raw, pp, R);
      if (part.type !== 'text' && part.type !== 'refusal') throw badRequest(`${pp}.type`, `is ${JSON.stringify(part.type)}`, "Assistant messages carry 'text' or 'refusal' parts.");
      const text = asString(part.type === 'text' ? part.text : part.refusal, `${pp}.${String(part.type)}`, R);
      if (text.length > 0) out.push({ type: 'text', text });
    });
  }
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    asArray(m.tool_calls, `${p}.tool_calls`, R).forEach((raw, j) => out.push(toolUse(raw, `${p}.tool_calls[${j}]`)));
  }
  return out;
}

function toolUse(raw: unknown, p: string): ToolUseBlock {
  const call = asObject(raw, p, R, "Send {id, type: 'function', function: {name, arguments}}.");
  if (call.type !== undefined && call.type !== 'function') {
    throw badRequest(`${p}.type`, `is ${JSON.stringify(call.type)}, which this route's Anthropic backend cannot call`, "Only 'function' tool calls translate.");
  }
  const id = asString(call.id, `${p}.id`, R, 'Send the id the tool call was given.');
  const fn = asObject(call.function, `${p}.function`, R, 'Send {name, arguments}.');
  const name = asString(fn.name, `${p}.function.name`, R);
  const args = fn.arguments === undefined || fn.arguments === null ? '' : asString(fn.arguments, `${p}.function.arguments`, R, 'Send the arguments as a JSON-encoded string.');
  let input: unknown = {};
  if (args.trim().length > 0) {
    const parsed = parseJson(args);
    if (!parsed.ok) {
      throw badRequest(`${p}.function.arguments`, `is not valid JSON (${parsed.error})`, 'Send the arguments as a JSON-encoded object, e.g. "{\\"city\\":\\"Paris\\"}".');
    }
    input = parsed.value;
  }
  if (!isObject(input)) {
    throw badRequest(`${p}.function.arguments`, 'must encode a JSON object', 'Send the arguments as a JSON-encoded object, e.g. "{\\"city\\":\\"Paris\\"}".');
  }
  return { type: 'tool_use', id, name, input };
}

function toolResult(m: Json, p: string): ToolResultBlock {
  const id = asString(m.tool_call_id, `${p}.tool_call_id`, R, 'Send the id of the tool call this message answers.');
  const block: ToolResultBlock = { type: 'tool_result', tool_use_id: id };
  if (typeof m.content === 'string') {
    if (m.content.length > 0) block.content = m.content;
  } else if (m.content !== undefined && m.content !== null) {
    const blocks = textOnly(m.content, `${p}.content`, 'tool messages');
    if (blocks.length > 0) block.content = blocks;
  }
  return block;
}

function toolOf(raw: unknown, p: string): MessagesTool {
  const tool = asObject(raw, p, R, "Send {type: 'function', function: {name, description, parameters}}.");
  if (tool.type !== 'function') {
    throw badRequest(`${p}.type`, `is ${JSON.stringify(tool.type)}, which this route's Anthropic backend cannot call`, "Only 'function' tools translate.");
  }
  const fn = asObject(tool.function, `${p}.function`, R, 'Send {name, description, parameters}.');
  const out: MessagesTool = { name: asString(fn.name, `${p}.function.name`, R), input_schema: { type: 'object', properties: {} } };
  const description = optString(fn.description, `${p}.function.description`, R);
  if (description !== undefined) out.description = description;
  if (fn.parameters !== undefined && fn.parameters !== null) {
    const schema = asObject(fn.parameters, `${p}.function.parameters`, R, 'Send a JSON Schema object.');
    if (schema.type !== undefined && schema.type !== 'object') {
      throw badRequest(`${p}.function.parameters.type`, `is ${JSON.stringify(schema.type)}, but Anthropic tools take an object schema`, "Use {type: 'object', properties: {…}}.");
    }
    out.input_schema = { ...schema, type: 'object' };
  }
  return out;
}

function toolChoiceOf(raw: unknown, noParallel: boolean): MessagesToolChoice | undefined {
  const parallel = noParallel ? { disable_parallel_tool_use: true } : {};
  if (raw === undefined || raw === null) return noParallel ? { type: 'auto', ...parallel } : undefined;
  if (raw === 'auto') return { type: 'auto', ...parallel };
  if (raw === 'required') return { type: 'any', ...parallel };
  if (raw === 'none') return { type: 'none' };
  if (isObject(raw) && raw.type === 'function') {
    const name = asString(asObject(raw.function, 'tool_choice.function', R, 'Send {name}.').name, 'tool_choice.function.name', R);
    return { type: 'tool', name, ...parallel };
  }
  throw badRequest('tool_choice', `is ${JSON.stringify(raw)}, which this route cannot translate`, "Use 'auto', 'required', 'none' or {type: 'function', function: {name}}.");
}

function stopOf(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return raw.length > 0 ? [raw] : [];
  return asArray(raw, 'stop', R, 'Send a string or an array of strings.')
    .map((s, i) => asString(s, `stop[${i}]`, R))
    .filter((s) => s.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------

/** Anthropic's stop reason as an OpenAI finish reason. */
export function finishReasonOf(stopReason: unknown): ChatFinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn, null
      return 'stop';
  }
}

/** Anthropic usage counts, tracked as they arrive (a stream reports them in two events). */
interface AnthropicCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

function chatUsage(c: AnthropicCounts): ChatUsage {
  const prompt = c.input + c.cacheRead + c.cacheCreation;
  return {
    prompt_tokens: prompt,
    completion_tokens: c.output,
    total_tokens: prompt + c.output,
    prompt_tokens_details: { cached_tokens: c.cacheRead },
  };
}

function countsOf(raw: unknown): AnthropicCounts {
  const u = isObject(raw) ? raw : {};
  return {
    input: count(u.input_tokens),
    output: count(u.output_tokens),
    cacheRead: count(u.cache_read_input_tokens),
    cacheCreation: count(u.cache_creation_input_tokens),
  };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * An Anthropic message as an OpenAI chat completion for `requestedModel`: text blocks joined,
 * `tool_use` blocks as `tool_calls`, thinking blocks joined as `reasoning_content` (the DeepSeek and
 * DashScope convention chat clients read), redacted thinking and server-tool blocks left out; prompt
 * tokens include cache reads and writes.
 *
 * @throws TranslationError (source `response`) when the message is malformed.
 */
export function messagesResponseToChat(resp: unknown, requestedModel: string): ChatCompletion {
  const msg = asObject(resp, 'body', S);
  const blocks = asArray(msg.content, 'content', S);
  let text = '';
  let reasoning = '';
  const toolCalls: ChatToolCall[] = [];
  blocks.forEach((raw, i) => {
    const block = asObject(raw, `content[${i}]`, S);
    if (block.type === 'text') {
      text += asString(block.text, `content[${i}].text`, S);
    } else if (block.type === 'thinking') {
      reasoning += asString(block.thinking, `content[${i}].thinking`, S);
    } else if (block.type === 'tool_use') {
      toolCalls.push({
        id: asString(block.id, `content[${i}].id`, S),
        type: 'function',
        function: { name: asString(block.name, `content[${i}].name`, S), arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // redacted_thinking (encrypted, nothing to show) and server-tool blocks have no chat completion equivalent.
  });
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text.length > 0 || toolCalls.length === 0 ? text : null,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning.length > 0) message.reasoning_content = reasoning;
  return {
    id: optString(msg.id, 'id', S) ?? 'msg',
    object: 'chat.completion',
    created: nowSeconds(),
    model: requestedModel,
    choices: [{ index: 0, message, finish_reason: finishReasonOf(msg.stop_reason), logprobs: null }],
    usage: chatUsage(countsOf(msg.usage)),
  };
}

const CHAT_ERROR_TYPES: Record<string, ChatErrorType> = {
  invalid_request_error: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
};

/** An Anthropic error body (`{type: 'error', error: {type, message}}`) as an OpenAI one; the Anthropic type is kept as `code`. */
export function anthropicErrorToChat(body: unknown): ChatErrorBody {
  const err = isObject(body) && isObject(body.error) ? body.error : {};
  const type = typeof err.type === 'string' ? err.type : 'api_error';
  const message = typeof err.message === 'string' ? err.message : 'The upstream failed.';
  return { error: { message, type: CHAT_ERROR_TYPES[type] ?? 'api_error', param: null, code: type } };
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

export interface MessagesStreamToChatChunksOptions {
  /** Emit the usage chunk (`choices: []`) before `[DONE]`, as `stream_options.include_usage` asks. @default false */
  readonly includeUsage?: boolean;
}

/**
 * Anthropic Messages SSE events in, OpenAI `chat.completion.chunk` SSE frames out.
 *
 * Feed it every event in order (`push(name, data)`, or `pushEvent(rawEvent)`); write what each call
 * returns to the client. `message_stop` ends the stream with `[DONE]`; an `error` event ends it
 * with an OpenAI error frame. `usage()` has the token counts once the upstream reported them.
 */
export class MessagesStreamToChatChunks {
  private readonly includeUsage: boolean;
  private readonly created = nowSeconds();
  private id = 'msg';
  private started = false;
  private finished = false;
  private done = false;
  private counts: AnthropicCounts | undefined;
  /** Content block index → tool call index, for tool_use blocks. */
  private readonly toolIndex = new Map<number, number>();

  public constructor(private readonly model: string, options: MessagesStreamToChatChunksOptions = {}) {
    this.includeUsage = options.includeUsage ?? false;
  }

  /**
   * One Anthropic event: its SSE `event:` name and `data:` payload. The payload's `type` wins
   * over the name. Unknown events (and `ping`) give nothing.
   *
   * @throws TranslationError (source `response`) when the payload is not JSON.
   */
  public push(eventName: string, data: string): string[] {
    if (this.done) return [];
    const parsed = parseJson(data);
    if (!parsed.ok || !isObject(parsed.value)) throw new TranslationError(`event ${eventName}`, `The upstream sent an event that is not a JSON object (${data.slice(0, 64)}).`, 'response');
    const event = parsed.value;
    const type = typeof event.type === 'string' ? event.type : eventName;
    switch (type) {
      case 'message_start':
        return this.onMessageStart(event);
      case 'content_block_start':
        return this.onBlockStart(event);
      case 'content_block_delta':
        return this.onBlockDelta(event);
      case 'message_delta':
        return this.onMessageDelta(event);
      case 'message_stop':
        return this.end();
      case 'error':
        this.done = true;
        return [frame(anthropicErrorToChat(event))];
      default: // ping, content_block_stop, and events added later
        return [];
    }
  }

  /** One raw SSE event as `SseFramer` returns it (`event: …\ndata: …\n\n`). */
  public pushEvent(event: string): string[] {
    const data = sseField(event, 'data');
    return data === undefined ? [] : this.push(sseField(event, 'event') ?? '', data);
  }

  /**
   * Ends the stream: the finish chunk if none was sent, the usage chunk if asked for, `[DONE]`.
   * `message_stop` calls it; call it yourself only if the upstream ended cleanly without one.
   */
  public end(): string[] {
    if (this.done) return [];
    const out = this.start();
    if (!this.finished) {
      this.finished = true;
      out.push(this.chunk({}, 'stop'));
    }
    if (this.includeUsage) {
      const usage = chatUsage(this.counts ?? countsOf(undefined));
      out.push(frame({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage } satisfies ChatCompletionChunk));
    }
    out.push('data: [DONE]\n\n');
    this.done = true;
    return out;
  }

  /** Tokens so far (input includes cache reads and writes), or undefined before the upstream reported any. */
  public usage(): TranslatedUsage | undefined {
    if (!this.counts) return undefined;
    const u = chatUsage(this.counts);
    return { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens };
  }

  private onMessageStart(event: Json): string[] {
    const message = isObject(event.message) ? event.message : {};
    if (typeof message.id === 'string') this.id = message.id;
    this.counts = countsOf(message.usage);
    return this.start();
  }

  private onBlockStart(event: Json): string[] {
    const out = this.start();
    const block = isObject(event.content_block) ? event.content_block : {};
    const index = typeof event.index === 'number' ? event.index : -1;
    if (block.type === 'text' && typeof block.text === 'string' && block.text.length > 0) {
      out.push(this.chunk({ content: block.text }));
    } else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking.length > 0) {
      out.push(this.chunk({ reasoning_content: block.thinking }));
    } else if (block.type === 'tool_use') {
      const toolIndex = this.toolIndex.size;
      this.toolIndex.set(index, toolIndex);
      const input = isObject(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
      const name = typeof block.name === 'string' ? block.name : '';
      const id = typeof block.id === 'string' ? block.id : `toolu_${toolIndex}`;
      out.push(this.chunk({ tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: input } }] }));
    }
    return out;
  }

  private onBlockDelta(event: Json): string[] {
    const out = this.start();
    const delta = isObject(event.delta) ? event.delta : {};
    if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text.length > 0) {
      out.push(this.chunk({ content: delta.text }));
    } else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string' && delta.thinking.length > 0) {
      out.push(this.chunk({ reasoning_content: delta.thinking }));
    } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json.length > 0) {
      const toolIndex = this.toolIndex.get(typeof event.index === 'number' ? event.index : -1);
      if (toolIndex !== undefined) out.push(this.chunk({ tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] }));
    }
    // signature_delta, citations_delta: no chat completion equivalent.
    return out;
  }

  private onMessageDelta(event: Json): string[] {
    const out = this.start();
    if (isObject(event.usage)) {
      // Counts in message_delta are cumulative: they replace, never add.
      const u = event.usage;
      const c = this.counts ?? countsOf(undefined);
      if (typeof u.output_tokens === 'number') c.output = count(u.output_tokens);
      if (typeof u.input_tokens === 'number') c.input = count(u.input_tokens);
      if (typeof u.cache_read_input_tokens === 'number') c.cacheRead = count(u.cache_read_input_tokens);
      if (typeof u.cache_creation_input_tokens === 'number') c.cacheCreation = count(u.cache_creation_input_tokens);
      this.counts = c;
    }
    const delta = isObject(event.delta) ? event.delta : {};
    if (typeof delta.stop_reason === 'string' && !this.finished) {
      this.finished = true;
      out.push(this.chunk({}, finishReasonOf(delta.stop_reason)));
    }
    return out;
  }

  /** The first chunk (role) if not yet sent. */
  private start(): string[] {
    if (this.started) return [];
    this.started = true;
    return [this.chunk({ role: 'assistant', content: '' })];
  }

  private chunk(delta: ChatChunkDelta, finishReason: ChatFinishReason | null = null): string {
    const chunk: ChatCompletionChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    };
    if (this.includeUsage) chunk.usage = null;
    return frame(chunk);
  }
}

function frame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}
