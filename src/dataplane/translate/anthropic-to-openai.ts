/**
 * A Claude-style client (Anthropic SDK, Claude Code) talking to an OpenAI-compatible backend: the
 * Messages request goes out as a chat completions request, the answer (JSON or SSE) comes back as
 * an Anthropic message.
 */
import { randomUUID } from 'crypto';
import { badRequest, badResponse, TranslationError } from './errors';
import { chatOutputTokensField, chatReasoningStyle, type ChatReasoningStyle, effortOfBudget } from './output-tokens';
import {
  asArray, asObject, asString, count, isObject, optBoolean, optNumber, optPositiveInt, optString, parseJson, sseField,
  type Json,
} from './read';
import {
  IMAGE_MEDIA_TYPES,
  type AnswerBlock, type ChatMessage, type ChatRequest, type ChatTool, type ChatToolCall, type ChatToolChoice, type ChatUserPart,
  type MessagesErrorBody, type MessagesErrorType, type MessagesResponse, type MessagesStopReason, type MessagesUsage, type TranslatedUsage,
} from './wire';
import type { ProviderType } from '../../specs';

/** Where the request goes: a translator's `PayloadTarget` is one. */
export interface MessagesRequestToChatOptions {
  /**
   * The backend's provider: which field carries the token limit (`chatOutputTokensField`), and how the
   * backend is asked to think when the request's `thinking` enables it (`chatReasoningStyle`).
   * @default - `max_tokens`, and the request's `thinking` is not sent
   */
  readonly provider?: ProviderType;
  /**
   * Which field carries the token limit, whatever the provider: `max_tokens` (what most OpenAI-compatible
   * servers read) or `max_completion_tokens` (what OpenAI's reasoning models require).
   * @default - the provider's field
   */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** The model entry's `maxOutputTokens`: a larger `max_tokens` is sent as this. @default - no limit */
  readonly maxOutputTokens?: number;
}

const R = 'request' as const;
const S = 'response' as const;

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/**
 * An Anthropic Messages request as an OpenAI chat completions request for `servedModel`.
 *
 * `system` becomes one system message; `tool_result` blocks become `tool` messages (their text
 * flattened; images and PDFs they carry follow in a user message, as tool messages take text only);
 * thinking blocks are left out. `max_tokens` goes in the provider's field, at most
 * `options.maxOutputTokens`; `thinking` goes as the provider reads it (see `reasoningOf`). `top_k`
 * and `cache_control` have no chat completions equivalent and are not sent. Streaming asks for the usage chunk.
 *
 * @throws TranslationError (source `request`) naming the field that cannot be translated.
 */
export function messagesRequestToChat(body: unknown, servedModel: string, options: MessagesRequestToChatOptions = {}): ChatRequest {
  const req = asObject(body, 'body', R);
  const maxTokens = optPositiveInt(req.max_tokens, 'max_tokens', R);
  if (maxTokens === undefined) throw badRequest('max_tokens', 'is missing, and the Messages API requires it', 'Send max_tokens, e.g. 1024.');

  const messages: ChatMessage[] = [];
  const system = systemText(req.system, 'system');
  if (system !== undefined) messages.push({ role: 'system', content: system });
  const turns = asArray(req.messages, 'messages', R, 'Send messages as an array of {role, content} objects.');
  let conversational = 0;
  turns.forEach((raw, i) => {
    const p = `messages[${i}]`;
    const m = asObject(raw, p, R, 'Send each message as a {role, content} object.');
    switch (m.role) {
      case 'user': {
        const converted = userMessages(m.content, `${p}.content`);
        conversational += converted.length;
        messages.push(...converted);
        break;
      }
      case 'assistant': {
        const converted = assistantMessage(m.content, `${p}.content`);
        if (converted) {
          conversational++;
          messages.push(converted);
        }
        break;
      }
      case 'system': {
        const text = systemText(m.content, `${p}.content`);
        if (text !== undefined) messages.push({ role: 'system', content: text });
        break;
      }
      default:
        throw badRequest(`${p}.role`, `is ${JSON.stringify(m.role)}`, "Use 'user' or 'assistant'.");
    }
  });
  if (conversational === 0) throw badRequest('messages', 'has no user or assistant message with content', 'Send at least one user message.');

  const out: ChatRequest = { model: servedModel, messages };
  const field = options.maxTokensField ?? (options.provider === undefined ? 'max_tokens' : chatOutputTokensField(options.provider));
  out[field] = options.maxOutputTokens === undefined ? maxTokens : Math.min(maxTokens, options.maxOutputTokens);
  const reasoning = options.provider === undefined ? undefined : chatReasoningStyle(options.provider, servedModel);
  if (reasoning !== undefined) Object.assign(out, reasoningOf(req, reasoning, req.stream === true));

  const tools = req.tools === undefined || req.tools === null ? [] : asArray(req.tools, 'tools', R).map((t, i) => toolOf(t, `tools[${i}]`));
  if (tools.length > 0) {
    out.tools = tools;
    if (req.tool_choice !== undefined && req.tool_choice !== null) {
      const choice = asObject(req.tool_choice, 'tool_choice', R, "Send {type: 'auto' | 'any' | 'tool' | 'none'}.");
      out.tool_choice = toolChoiceOf(choice);
      if (optBoolean(choice.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use', R) === true && out.tool_choice !== 'none') {
        out.parallel_tool_calls = false;
      }
    }
  }

  if (req.stop_sequences !== undefined && req.stop_sequences !== null) {
    const stop = asArray(req.stop_sequences, 'stop_sequences', R, 'Send an array of strings.').map((s, i) => asString(s, `stop_sequences[${i}]`, R));
    if (stop.length > 0) out.stop = stop;
  }
  const temperature = optNumber(req.temperature, 'temperature', R);
  if (temperature !== undefined) out.temperature = temperature;
  const topP = optNumber(req.top_p, 'top_p', R);
  if (topP !== undefined) out.top_p = topP;
  const stream = optBoolean(req.stream, 'stream', R);
  if (stream !== undefined) out.stream = stream;
  if (stream === true) out.stream_options = { include_usage: true };
  if (req.metadata !== undefined && req.metadata !== null) {
    const user = optString(asObject(req.metadata, 'metadata', R, 'Send {user_id}.').user_id, 'metadata.user_id', R);
    if (user) out.user = user;
  }
  return out;
}

/**
 * The request's thinking as the backend's reasoning fields. `{type: 'enabled', budget_tokens}` becomes
 * `reasoning_effort` by the budget (`effortOfBudget`: under 4,096 low, under 16,384 medium, else high), or
 * DashScope's `enable_thinking` with the budget as `thinking_budget`; `adaptive` (the model decides) sends
 * no effort, and turns DashScope's thinking on; `disabled` turns DashScope's off (OpenAI's reasoning models
 * cannot be turned off, and the others default to off). Without `thinking`, `output_config.effort` (Claude's
 * effort) goes as `reasoning_effort` where it has a match.
 */
function reasoningOf(req: Json, style: NonNullable<ChatReasoningStyle>, streams: boolean): Partial<ChatRequest> {
  // DashScope's Qwen3 models think only when streaming, and the open-source ones think by default: a whole answer is
  // asked for with thinking off, said outright (a non-streamed call that leaves it on is refused).
  if (style === 'enable_thinking' && !streams) return { enable_thinking: false };
  if (req.thinking === undefined || req.thinking === null) {
    const config = isObject(req.output_config) ? req.output_config : {};
    const effort = config.effort;
    if (style === 'reasoning_effort' && (effort === 'low' || effort === 'medium' || effort === 'high')) return { reasoning_effort: effort };
    return {};
  }
  const thinking = asObject(req.thinking, 'thinking', R, "Send {type: 'enabled', budget_tokens} or {type: 'disabled'}.");
  switch (thinking.type) {
    case 'enabled': {
      const budget = optPositiveInt(thinking.budget_tokens, 'thinking.budget_tokens', R);
      if (budget === undefined) throw badRequest('thinking.budget_tokens', "is missing, and thinking of type 'enabled' needs it", 'Send budget_tokens, e.g. 4096.');
      return style === 'reasoning_effort' ? { reasoning_effort: effortOfBudget(budget) } : { enable_thinking: true, thinking_budget: budget };
    }
    case 'adaptive':
    case 'between_tools':
      return style === 'enable_thinking' ? { enable_thinking: true } : {};
    case 'disabled':
      return style === 'enable_thinking' ? { enable_thinking: false } : {};
    default:
      throw badRequest('thinking.type', `is ${JSON.stringify(thinking.type)}`, "Use 'enabled', 'adaptive' or 'disabled'.");
  }
}

/** A system prompt (a string or text blocks) as one string, or undefined when empty. */
function systemText(raw: unknown, param: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw.length > 0 ? raw : undefined;
  const blocks = asArray(raw, param, R, 'Send a string or an array of text blocks.');
  const texts = blocks.map((b, i) => {
    const block = asObject(b, `${param}[${i}]`, R);
    if (block.type !== 'text') throw badRequest(`${param}[${i}].type`, `is ${JSON.stringify(block.type)}, but the system prompt carries text only`, "Send {type: 'text', text} blocks.");
    return asString(block.text, `${param}[${i}].text`, R);
  });
  const text = texts.filter((t) => t.length > 0).join('\n\n');
  return text.length > 0 ? text : undefined;
}

/** A user turn: its tool results as `tool` messages first, then the rest as one user message. */
function userMessages(content: unknown, param: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const blocks = asArray(content, param, R, 'Send a string or an array of content blocks.');
  const tools: ChatMessage[] = [];
  const fromTools: ChatUserPart[] = [];
  const parts: ChatUserPart[] = [];
  blocks.forEach((raw, j) => {
    const pp = `${param}[${j}]`;
    const block = asObject(raw, pp, R);
    switch (block.type) {
      case 'tool_result': {
        const id = asString(block.tool_use_id, `${pp}.tool_use_id`, R, 'Send the id of the tool_use block this result answers.');
        const { text, media } = flattenToolResult(block.content, `${pp}.content`);
        tools.push({ role: 'tool', tool_call_id: id, content: text });
        fromTools.push(...media);
        break;
      }
      case 'text':
        parts.push({ type: 'text', text: asString(block.text, `${pp}.text`, R) });
        break;
      case 'image':
        parts.push(imagePart(block, pp));
        break;
      case 'document':
        parts.push(documentPart(block, pp));
        break;
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        throw unsupportedBlock(block.type, `${pp}.type`);
    }
  });
  const all = [...fromTools, ...parts];
  if (all.length === 0) return tools;
  const only = all.length === 1 ? all[0] : undefined;
  return [...tools, { role: 'user', content: only && only.type === 'text' ? only.text : all }];
}

/** A tool result's content as text; images and PDFs in it are returned apart. */
function flattenToolResult(raw: unknown, param: string): { text: string; media: ChatUserPart[] } {
  if (raw === undefined || raw === null) return { text: '', media: [] };
  if (typeof raw === 'string') return { text: raw, media: [] };
  const texts: string[] = [];
  const media: ChatUserPart[] = [];
  asArray(raw, param, R, 'Send a string or an array of content blocks.').forEach((b, k) => {
    const pp = `${param}[${k}]`;
    const block = asObject(b, pp, R);
    if (block.type === 'text') texts.push(asString(block.text, `${pp}.text`, R));
    else if (block.type === 'image') media.push(imagePart(block, pp));
    else if (block.type === 'document') media.push(documentPart(block, pp));
    else throw unsupportedBlock(block.type, `${pp}.type`);
  });
  return { text: texts.join('\n'), media };
}

function unsupportedBlock(type: unknown, param: string): TranslationError {
  return badRequest(param, `is ${JSON.stringify(type)}, a block this route's OpenAI-compatible backend has no equivalent for`, "Send 'text', 'image', 'document', 'tool_use' or 'tool_result' blocks.");
}

function imagePart(block: Json, p: string): ChatUserPart {
  const source = asObject(block.source, `${p}.source`, R, "Send {type: 'base64', media_type, data} or {type: 'url', url}.");
  if (source.type === 'base64') {
    const mediaType = asString(source.media_type, `${p}.source.media_type`, R);
    if (!(IMAGE_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw badRequest(`${p}.source.media_type`, `is '${mediaType}'`, `Send one of ${IMAGE_MEDIA_TYPES.join(', ')}.`);
    }
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${asString(source.data, `${p}.source.data`, R)}` } };
  }
  if (source.type === 'url') return { type: 'image_url', image_url: { url: asString(source.url, `${p}.source.url`, R) } };
  throw badRequest(`${p}.source.type`, `is ${JSON.stringify(source.type)}, which an OpenAI-compatible backend cannot read`, "Send the image as {type: 'base64'} or {type: 'url'}.");
}

function documentPart(block: Json, p: string): ChatUserPart {
  const source = asObject(block.source, `${p}.source`, R, "Send {type: 'base64', media_type: 'application/pdf', data}.");
  if (source.type === 'base64' && source.media_type === 'application/pdf') {
    const title = optString(block.title, `${p}.title`, R);
    const data = asString(source.data, `${p}.source.data`, R);
    return { type: 'file', file: { file_data: `data:application/pdf;base64,${data}`, ...(title ? { filename: title } : {}) } };
  }
  if (source.type === 'text') return { type: 'text', text: asString(source.data, `${p}.source.data`, R) };
  throw badRequest(`${p}.source`, `is a ${JSON.stringify(source.type)} document source, which an OpenAI-compatible backend cannot read`, 'Send the PDF inline as base64, or plain text as a text source.');
}

function assistantMessage(content: unknown, param: string): ChatMessage | undefined {
  if (typeof content === 'string') return { role: 'assistant', content };
  const blocks = asArray(content, param, R, 'Send a string or an array of content blocks.');
  let text = '';
  const toolCalls: ChatToolCall[] = [];
  blocks.forEach((raw, j) => {
    const pp = `${param}[${j}]`;
    const block = asObject(raw, pp, R);
    switch (block.type) {
      case 'text':
        text += asString(block.text, `${pp}.text`, R);
        break;
      case 'tool_use': {
        const id = asString(block.id, `${pp}.id`, R);
        const name = asString(block.name, `${pp}.name`, R);
        const input = block.input === undefined || block.input === null ? {} : asObject(block.input, `${pp}.input`, R, 'Send the tool input as a JSON object.');
        toolCalls.push({ id, type: 'function', function: { name, arguments: JSON.stringify(input) } });
        break;
      }
      // Thinking sent back in history is dropped: its signature proves it to Anthropic only, an
      // OpenAI-compatible backend has no field to take it back in, and reasoning models do not want it.
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        throw unsupportedBlock(block.type, `${pp}.type`);
    }
  });
  if (text.length === 0 && toolCalls.length === 0) return undefined;
  const message: ChatMessage = { role: 'assistant', content: text.length > 0 ? text : null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function toolOf(raw: unknown, p: string): ChatTool {
  const tool = asObject(raw, p, R, 'Send {name, description, input_schema}.');
  if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
    throw badRequest(`${p}.type`, `is ${JSON.stringify(tool.type)}, an Anthropic server tool this route's OpenAI-compatible backend cannot run`, 'Define it as a custom tool with an input_schema.');
  }
  const fn: ChatTool['function'] = { name: asString(tool.name, `${p}.name`, R) };
  const description = optString(tool.description, `${p}.description`, R);
  if (description !== undefined) fn.description = description;
  fn.parameters = asObject(tool.input_schema, `${p}.input_schema`, R, "Send a JSON Schema object, e.g. {type: 'object', properties: {…}}.");
  return { type: 'function', function: fn };
}

function toolChoiceOf(choice: Json): ChatToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: asString(choice.name, 'tool_choice.name', R, 'Send the name of the tool to use.') } };
    default:
      throw badRequest('tool_choice.type', `is ${JSON.stringify(choice.type)}`, "Use 'auto', 'any', 'tool' or 'none'.");
  }
}

// ---------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------

/** An OpenAI finish reason as Anthropic's stop reason; tool calls make it `tool_use` whatever the backend said. */
export function stopReasonOf(finishReason: unknown, sawToolCall: boolean): MessagesStopReason {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'refusal';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    default: // stop, null, anything new
      return sawToolCall ? 'tool_use' : 'end_turn';
  }
}

/** OpenAI usage counts (prompt tokens include cached ones). */
interface OpenAiCounts {
  prompt: number;
  completion: number;
  cached: number;
}

function countsOf(raw: unknown): OpenAiCounts {
  const u = isObject(raw) ? raw : {};
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const prompt = count(u.prompt_tokens);
  return { prompt, completion: count(u.completion_tokens), cached: Math.min(prompt, count(details.cached_tokens)) };
}

/** Anthropic counts input tokens without cache reads; OpenAI counts them in. */
function messagesUsage(c: OpenAiCounts): MessagesUsage {
  return { input_tokens: c.prompt - c.cached, output_tokens: c.completion, cache_creation_input_tokens: 0, cache_read_input_tokens: c.cached };
}

function messageId(id: unknown): string {
  const raw = typeof id === 'string' && id.length > 0 ? id : randomUUID();
  return raw.startsWith('msg_') ? raw : `msg_${raw}`;
}

function toolUseId(): string {
  return `toolu_${randomUUID().replace(/-/g, '')}`;
}

function parseArguments(args: string, param: string): { [key: string]: unknown } {
  if (args.trim().length === 0) return {};
  const parsed = parseJson(args);
  if (!parsed.ok) throw badResponse(param, `is not valid JSON (${parsed.error})`);
  if (!isObject(parsed.value)) throw badResponse(param, 'is not a JSON object');
  return parsed.value;
}

/**
 * An OpenAI chat completion as an Anthropic message for `requestedModel` (its first choice).
 *
 * @throws TranslationError (source `response`) when the completion is malformed, e.g. tool call
 * arguments that are not JSON.
 */
export function chatResponseToMessages(resp: unknown, requestedModel: string): MessagesResponse {
  const completion = asObject(resp, 'body', S);
  const choices = asArray(completion.choices, 'choices', S);
  if (choices.length === 0) throw badResponse('choices', 'is empty');
  const choice = asObject(choices[0], 'choices[0]', S);
  const message = asObject(choice.message, 'choices[0].message', S);
  const content: AnswerBlock[] = [];
  const reasoning = reasoningText(message);
  if (reasoning.length > 0) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = messageText(message.content, 'choices[0].message.content') + (optString(message.refusal, 'choices[0].message.refusal', S) ?? '');
  if (text.length > 0) content.push({ type: 'text', text });
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    asArray(message.tool_calls, 'choices[0].message.tool_calls', S).forEach((raw, j) => {
      const p = `choices[0].message.tool_calls[${j}]`;
      const call = asObject(raw, p, S);
      const fn = asObject(call.function, `${p}.function`, S);
      content.push({
        type: 'tool_use',
        id: optString(call.id, `${p}.id`, S) ?? toolUseId(),
        name: asString(fn.name, `${p}.function.name`, S),
        input: parseArguments(optString(fn.arguments, `${p}.function.arguments`, S) ?? '', `${p}.function.arguments`),
      });
    });
  }
  return {
    id: messageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: requestedModel,
    content,
    stop_reason: stopReasonOf(choice.finish_reason, content.some((b) => b.type === 'tool_use')),
    stop_sequence: null,
    usage: messagesUsage(countsOf(completion.usage)),
  };
}

/**
 * The model's reasoning in a chat message or delta: `reasoning_content` (DeepSeek, DashScope, vLLM) or
 * `reasoning` (OpenRouter, Ollama, newer vLLM); '' when neither is there.
 */
function reasoningText(message: Json): string {
  if (typeof message.reasoning_content === 'string') return message.reasoning_content;
  return typeof message.reasoning === 'string' ? message.reasoning : '';
}

/** Message content as text: a string, or text parts (some backends send those). */
function messageText(raw: unknown, param: string): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  return asArray(raw, param, S)
    .map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

const MESSAGES_ERROR_TYPES: Record<string, MessagesErrorType> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
  insufficient_quota: 'rate_limit_error',
  timeout_error: 'api_error',
};

/** An OpenAI error body (`{error: {message, type, code}}`) as an Anthropic one. */
export function chatErrorToMessages(body: unknown): MessagesErrorBody {
  const raw = isObject(body) ? body.error : undefined;
  const err = isObject(raw) ? raw : {};
  const message = typeof raw === 'string' ? raw : typeof err.message === 'string' ? err.message : 'The upstream failed.';
  const type = typeof err.type === 'string' ? MESSAGES_ERROR_TYPES[err.type] : undefined;
  return { type: 'error', error: { type: type ?? 'api_error', message } };
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

/**
 * OpenAI `chat.completion.chunk` payloads in, Anthropic Messages SSE events out.
 *
 * Feed it the `data:` payload of every upstream event, `[DONE]` included (`push(data)`, or
 * `pushEvent(rawEvent)`); write what each call returns to the client. Reasoning (`reasoning_content`
 * or `reasoning`), text and each tool call become content blocks (thinking, text, tool_use);
 * `message_delta` (stop reason, usage) and `message_stop` go out at `[DONE]`, after the usage chunk
 * that follows the finish reason. An `{error}` payload ends the
 * stream with an `error` event. `usage()` has the token counts once the upstream reported them.
 */
export class ChatChunksToMessagesStream {
  private id: string | undefined;
  private started = false;
  private done = false;
  private nextBlock = 0;
  /** The open content block: its index and kind, and for tool calls the OpenAI tool call index. */
  private open: { block: number; kind: 'text' | 'thinking' | 'tool'; tool?: number } | undefined;
  /** OpenAI tool call index → content block index. */
  private readonly toolBlocks = new Map<number, number>();
  private finishReason: unknown;
  private counts: OpenAiCounts | undefined;

  public constructor(private readonly model: string) {}

  /**
   * One upstream `data:` payload.
   *
   * @throws TranslationError (source `response`) when it is neither JSON nor `[DONE]`.
   */
  public push(data: string): string[] {
    if (this.done) return [];
    if (data.trim() === '[DONE]') return this.end();
    const parsed = parseJson(data);
    if (!parsed.ok || !isObject(parsed.value)) throw new TranslationError('data', `The upstream sent a chunk that is not a JSON object (${data.slice(0, 64)}).`, 'response');
    const chunk = parsed.value;
    if (chunk.error !== undefined && chunk.error !== null) {
      this.done = true;
      return [event('error', chatErrorToMessages(chunk))];
    }
    if (isObject(chunk.usage)) this.counts = countsOf(chunk.usage);
    const out = this.start(chunk.id);
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices.find((c) => isObject(c) && (c.index === 0 || c.index === undefined));
    if (!isObject(choice)) return out; // the usage-only chunk, or a keep-alive
    const delta = isObject(choice.delta) ? choice.delta : {};
    const reasoning = reasoningText(delta);
    if (reasoning.length > 0) out.push(...this.thinking(reasoning));
    if (typeof delta.content === 'string' && delta.content.length > 0) out.push(...this.text(delta.content));
    if (typeof delta.refusal === 'string' && delta.refusal.length > 0) out.push(...this.text(delta.refusal));
    if (Array.isArray(delta.tool_calls)) delta.tool_calls.forEach((tc, k) => out.push(...this.toolCall(tc, k)));
    if (typeof choice.finish_reason === 'string') {
      this.finishReason = choice.finish_reason;
      out.push(...this.close());
    }
    return out;
  }

  /** One raw SSE event as `SseFramer` returns it (`data: …\n\n`). */
  public pushEvent(raw: string): string[] {
    const data = sseField(raw, 'data');
    return data === undefined ? [] : this.push(data);
  }

  /**
   * Ends the message: the open block's stop, `message_delta` with the stop reason and usage,
   * `message_stop`. `[DONE]` calls it; call it yourself only if the upstream ended cleanly without one.
   */
  public end(): string[] {
    if (this.done) return [];
    const out = [...this.start(undefined), ...this.close()];
    const usage: Partial<MessagesUsage> & { output_tokens: number } = { output_tokens: this.counts?.completion ?? 0 };
    if (this.counts) {
      const u = messagesUsage(this.counts);
      usage.input_tokens = u.input_tokens;
      usage.cache_read_input_tokens = u.cache_read_input_tokens;
    }
    out.push(event('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(this.finishReason, this.toolBlocks.size > 0), stop_sequence: null },
      usage,
    }));
    out.push(event('message_stop', { type: 'message_stop' }));
    this.done = true;
    return out;
  }

  /** Tokens so far (input includes cached prompt tokens), or undefined before the upstream reported any. */
  public usage(): TranslatedUsage | undefined {
    return this.counts ? { inputTokens: this.counts.prompt, outputTokens: this.counts.completion } : undefined;
  }

  private start(chunkId: unknown): string[] {
    if (this.started) return [];
    this.started = true;
    this.id = messageId(chunkId);
    const usage = this.counts ? messagesUsage(this.counts) : { input_tokens: 0, output_tokens: 0 };
    return [event('message_start', {
      type: 'message_start',
      message: { id: this.id, type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage },
    })];
  }

  /**
   * The backend's reasoning as a thinking block, as Claude streams one: started empty, `thinking_delta`s,
   * and a `signature_delta` before its stop (`close`). The signature is '' (see `ThinkingBlock`).
   */
  private thinking(text: string): string[] {
    const out: string[] = [];
    if (this.open?.kind !== 'thinking') {
      out.push(...this.close());
      const block = this.nextBlock++;
      this.open = { block, kind: 'thinking' };
      out.push(event('content_block_start', { type: 'content_block_start', index: block, content_block: { type: 'thinking', thinking: '', signature: '' } }));
    }
    out.push(event('content_block_delta', { type: 'content_block_delta', index: this.open.block, delta: { type: 'thinking_delta', thinking: text } }));
    return out;
  }

  private text(text: string): string[] {
    const out: string[] = [];
    if (this.open?.kind !== 'text') {
      out.push(...this.close());
      const block = this.nextBlock++;
      this.open = { block, kind: 'text' };
      out.push(event('content_block_start', { type: 'content_block_start', index: block, content_block: { type: 'text', text: '' } }));
    }
    out.push(event('content_block_delta', { type: 'content_block_delta', index: this.open.block, delta: { type: 'text_delta', text } }));
    return out;
  }

  private toolCall(raw: unknown, position: number): string[] {
    if (!isObject(raw)) return [];
    const index = typeof raw.index === 'number' ? raw.index : position;
    const fn = isObject(raw.function) ? raw.function : {};
    const out: string[] = [];
    let block = this.toolBlocks.get(index);
    if (block === undefined) {
      out.push(...this.close());
      block = this.nextBlock++;
      this.toolBlocks.set(index, block);
      this.open = { block, kind: 'tool', tool: index };
      const id = typeof raw.id === 'string' && raw.id.length > 0 ? raw.id : toolUseId();
      const name = typeof fn.name === 'string' ? fn.name : '';
      out.push(event('content_block_start', { type: 'content_block_start', index: block, content_block: { type: 'tool_use', id, name, input: {} } }));
    }
    // Arguments for a tool call whose block was closed (interleaved calls) still go to its index.
    if (typeof fn.arguments === 'string' && fn.arguments.length > 0) {
      out.push(event('content_block_delta', { type: 'content_block_delta', index: block, delta: { type: 'input_json_delta', partial_json: fn.arguments } }));
    }
    return out;
  }

  private close(): string[] {
    if (!this.open) return [];
    const { block: index, kind } = this.open;
    this.open = undefined;
    const stop = event('content_block_stop', { type: 'content_block_stop', index });
    if (kind !== 'thinking') return [stop];
    return [event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: '' } }), stop];
  }
}

function event(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
}
