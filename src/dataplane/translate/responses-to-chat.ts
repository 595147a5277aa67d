/**
 * An OpenAI Responses API client (`POST /v1/responses`: the openai SDK's `responses.create`, Codex,
 * agent frameworks) talking to a chat completions backend (DashScope, DeepSeek, vLLM, Ollama, any
 * OpenAI-compatible server): the request goes out as a chat completions request; the answer comes
 * back through `chat-to-responses.ts`.
 *
 * A chat backend keeps nothing between requests, so what needs stored responses (`previous_response_id`,
 * `conversation`, `store: true`, `background`, stored `prompt` templates, `item_reference`) is refused
 * with a 400 that names the field and the way out, never silently ignored: the client would get an
 * answer to a conversation it did not send. OpenAI's built-in tools (web search, file search, code
 * interpreter…) run on OpenAI's side and are refused likewise.
 */
import { badRequest, type TranslationError } from './errors';
import { asArray, asObject, asString, isObject, optBoolean, optNumber, optPositiveInt, optString, type Json } from './read';
import {
  RESPONSES_REASONING_EFFORTS,
  type ChatImageDetailPart, type ChatReasoningEffort, type ChatResponseFormat, type ChatStrictTool,
  type ResponsesChatRequest, type ResponsesReasoningEffort,
} from './responses-wire';
import type { ChatAssistantMessage, ChatMessage, ChatToolChoice, ChatUserPart } from './wire';

const R = 'request' as const;

/** The way out for everything that needs responses kept between requests. */
const KEEPS_RESPONSES = 'Send the whole conversation in `input`, or use a model on an OpenAI or Azure OpenAI backend, which keeps responses.';
const OPENAI_ONLY = 'or use a model on an OpenAI or Azure OpenAI backend';

/**
 * Every top-level request field this translation knows, by what becomes of it. Fields not listed
 * are ignored, as the chat completions path ignores fields it does not know.
 */
export const RESPONSES_REQUEST_FIELDS = {
  /** Carried over to the chat request. */
  translated: [
    'model', 'input', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'max_output_tokens', 'temperature', 'top_p',
    'parallel_tool_calls', 'user', 'safety_identifier', 'stream',
  ],
  /** Refused with a 400 when set: they need state or tools only OpenAI has, or output not carried back yet (log probabilities). */
  refused: ['previous_response_id', 'conversation', 'store', 'background', 'prompt', 'top_logprobs', 'max_tool_calls'],
  /**
   * Accepted and not sent: nothing a chat backend can honour. `include` asks for extra output (encrypted
   * reasoning, search results…) the backend does not produce; `metadata` is echoed in the Response but
   * chat backends take none; `truncation` (the gateway never truncates: the Response says `disabled`),
   * `service_tier`, `prompt_cache_key`, `prompt_cache_retention` and `context_management` are OpenAI's
   * own serving options; `store: false` is what a chat backend does anyway; `stream_options` only
   * tunes obfuscation of OpenAI's stream.
   */
  dropped: ['include', 'metadata', 'truncation', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'context_management', 'stream_options'],
} as const;

// ---------------------------------------------------------------------------------------------
// Echo
// ---------------------------------------------------------------------------------------------

/**
 * What the Response object echoes from the request, read and typed (`reasoning_effort` is the
 * Response's `reasoning.effort`); absent fields take OpenAI's defaults when the Response is built.
 */
export interface ResponsesEcho {
  readonly [k: string]: unknown;
  readonly instructions?: string;
  readonly max_output_tokens?: number;
  readonly parallel_tool_calls?: boolean;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly tool_choice?: unknown;
  readonly tools?: unknown[];
  readonly text?: { format: { [key: string]: unknown }; verbosity?: string };
  readonly reasoning_effort?: ResponsesReasoningEffort;
  readonly metadata?: { [key: string]: string };
  readonly user?: string;
  readonly safety_identifier?: string;
  readonly prompt_cache_key?: string;
}

/** The request fields the Response echoes. Never throws: a malformed field is left out (the request translation reports it). */
export function responsesEchoOf(body: unknown): ResponsesEcho {
  if (!isObject(body)) return {};
  const echo: { -readonly [K in keyof ResponsesEcho]: ResponsesEcho[K] } = {};
  if (typeof body.instructions === 'string') echo.instructions = body.instructions;
  if (typeof body.max_output_tokens === 'number') echo.max_output_tokens = body.max_output_tokens;
  if (typeof body.parallel_tool_calls === 'boolean') echo.parallel_tool_calls = body.parallel_tool_calls;
  if (typeof body.temperature === 'number') echo.temperature = body.temperature;
  if (typeof body.top_p === 'number') echo.top_p = body.top_p;
  if (typeof body.tool_choice === 'string' || isObject(body.tool_choice)) echo.tool_choice = body.tool_choice;
  if (Array.isArray(body.tools)) echo.tools = body.tools;
  if (isObject(body.text)) {
    const format = isObject(body.text.format) ? body.text.format : { type: 'text' };
    echo.text = typeof body.text.verbosity === 'string' ? { format, verbosity: body.text.verbosity } : { format };
  }
  const effort = isObject(body.reasoning) ? body.reasoning.effort : undefined;
  if (RESPONSES_REASONING_EFFORTS.includes(effort as ResponsesReasoningEffort)) echo.reasoning_effort = effort as ResponsesReasoningEffort;
  if (isObject(body.metadata)) {
    // OpenAI's metadata values are strings; anything else would break clients that type them so.
    const metadata: { [key: string]: string } = {};
    for (const [k, v] of Object.entries(body.metadata)) if (typeof v === 'string') metadata[k] = v;
    echo.metadata = metadata;
  }
  if (typeof body.user === 'string') echo.user = body.user;
  if (typeof body.safety_identifier === 'string') echo.safety_identifier = body.safety_identifier;
  if (typeof body.prompt_cache_key === 'string') echo.prompt_cache_key = body.prompt_cache_key;
  return echo;
}

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/**
 * A Responses API request as a chat completions request for `servedModel`.
 *
 * `instructions` becomes the first system message, `input` items become messages (developer
 * messages are system messages; consecutive `function_call` items one assistant message with
 * `tool_calls`; `function_call_output` items `tool` messages), reasoning items are left out (chat
 * backends take no reasoning back). The token limit goes out as `max_tokens`. Streaming asks for
 * the usage chunk. The result is a `ChatRequest` with the fields only this translation sends
 * (`response_format`, `reasoning_effort`, `logprobs`).
 *
 * @throws TranslationError (source `request`) naming the field that cannot be translated.
 */
export function responsesRequestToChat(body: unknown, servedModel: string): ResponsesChatRequest {
  const req = asObject(body, 'body', R);
  refuseStateful(req);

  const messages: ChatMessage[] = [];
  const instructions = optString(req.instructions, 'instructions', R);
  if (instructions !== undefined && instructions.length > 0) messages.push({ role: 'system', content: instructions });
  const input = req.input;
  if (input === undefined || input === null) throw badRequest('input', 'is missing', "Send the conversation as a string or an array of items, e.g. [{role: 'user', content: 'Hello'}].");
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
  } else {
    inputMessages(asArray(input, 'input', R, 'Send input as a string or an array of items.'), messages);
  }
  if (!messages.some((m) => m.role !== 'system')) {
    throw badRequest('input', 'has no message, function call or function call output', 'Send at least one user message.');
  }

  const out: ResponsesChatRequest = { model: servedModel, messages };
  const maxTokens = optPositiveInt(req.max_output_tokens, 'max_output_tokens', R);
  if (maxTokens !== undefined) out.max_tokens = maxTokens;

  const tools = req.tools === undefined || req.tools === null ? [] : asArray(req.tools, 'tools', R).map((t, i) => toolOf(t, `tools[${i}]`));
  if (tools.length > 0) {
    out.tools = tools;
    // A chat backend rejects tool_choice without tools (OpenAI does): it is sent only with them.
    if (req.tool_choice !== undefined && req.tool_choice !== null) out.tool_choice = toolChoiceOf(req.tool_choice);
    const parallel = optBoolean(req.parallel_tool_calls, 'parallel_tool_calls', R);
    if (parallel !== undefined) out.parallel_tool_calls = parallel;
  }

  if (req.text !== undefined && req.text !== null) {
    const format = responseFormatOf(asObject(req.text, 'text', R, "Send {format: {type: 'text' | 'json_object' | 'json_schema'}}."));
    if (format) out.response_format = format;
  }
  if (req.reasoning !== undefined && req.reasoning !== null) {
    const reasoning = asObject(req.reasoning, 'reasoning', R, "Send {effort: 'low' | 'medium' | 'high'}.");
    const effort = reasoningEffortOf(reasoning.effort);
    if (effort) out.reasoning_effort = effort;
  }

  const temperature = optNumber(req.temperature, 'temperature', R);
  if (temperature !== undefined) out.temperature = temperature;
  const topP = optNumber(req.top_p, 'top_p', R);
  if (topP !== undefined) out.top_p = topP;
  // Log probabilities are not carried back into the Response yet: asked for, they are refused, not silently left out.
  const topLogprobs = optNumber(req.top_logprobs, 'top_logprobs', R);
  if (topLogprobs !== undefined && (!Number.isInteger(topLogprobs) || topLogprobs < 0 || topLogprobs > 20)) {
    throw badRequest('top_logprobs', `is ${topLogprobs}`, 'Send a whole number from 0 to 20.');
  }
  if (topLogprobs !== undefined && topLogprobs > 0) {
    throw badRequest('top_logprobs', `is ${topLogprobs}, but this gateway does not yet return log probabilities from a chat-completions backend`, `Drop top_logprobs, ${OPENAI_ONLY}.`);
  }
  if (Array.isArray(req.include) && req.include.includes('message.output_text.logprobs')) {
    throw badRequest('include', "asks for 'message.output_text.logprobs', which this gateway does not yet return from a chat-completions backend", `Drop it from include, ${OPENAI_ONLY}.`);
  }
  const maxToolCalls = optNumber(req.max_tool_calls, 'max_tool_calls', R);
  if (maxToolCalls !== undefined) {
    throw badRequest('max_tool_calls', `is ${maxToolCalls}, a limit a chat-completions backend cannot be held to`, `Drop max_tool_calls (parallel_tool_calls: false allows one call a turn), ${OPENAI_ONLY}.`);
  }
  const user = optString(req.user, 'user', R) ?? optString(req.safety_identifier, 'safety_identifier', R);
  if (user) out.user = user;
  const stream = optBoolean(req.stream, 'stream', R);
  if (stream !== undefined) out.stream = stream;
  // The gateway counts tokens from the stream's usage chunk.
  if (stream === true) out.stream_options = { include_usage: true };
  return out;
}

/** Refuses what needs responses kept between requests, or run in the background. */
function refuseStateful(req: Json): void {
  if (req.previous_response_id !== undefined && req.previous_response_id !== null) {
    throw badRequest('previous_response_id', "is set, but this model's backend serves chat completions and keeps no responses", KEEPS_RESPONSES);
  }
  if (req.conversation !== undefined && req.conversation !== null) {
    throw badRequest('conversation', "is set, but this model's backend serves chat completions and keeps no conversations", KEEPS_RESPONSES);
  }
  if (optBoolean(req.store, 'store', R) === true) {
    throw badRequest('store', "is true, but this model's backend serves chat completions and keeps no responses", `Send store: false. ${KEEPS_RESPONSES}`);
  }
  if (optBoolean(req.background, 'background', R) === true) {
    throw badRequest('background', "is true, but this model's backend serves chat completions and cannot run a response in the background", `Send background: false (stream, if the wait is long), ${OPENAI_ONLY}.`);
  }
  if (req.prompt !== undefined && req.prompt !== null) {
    throw badRequest('prompt', "names a stored prompt template, which this model's backend does not have", `Send the prompt's text as instructions and input, ${OPENAI_ONLY}.`);
  }
}

/** Input items as chat messages, appended to `messages`. */
function inputMessages(items: unknown[], messages: ChatMessage[]): void {
  // Images and files returned by function calls: chat `tool` messages carry text only, so they follow
  // the run of tool messages in one user message.
  let toolMedia: ChatUserPart[] = [];
  const flushToolMedia = (): void => {
    if (toolMedia.length === 0) return;
    messages.push({ role: 'user', content: toolMedia });
    toolMedia = [];
  };
  items.forEach((raw, i) => {
    const p = `input[${i}]`;
    const item = asObject(raw, p, R, "Send each item as a JSON object, e.g. {role: 'user', content: 'Hello'}.");
    // `type` may be left out of a message (the SDK's EasyInputMessage).
    const type = item.type === undefined && item.role !== undefined ? 'message' : item.type;
    if (type !== 'function_call_output') flushToolMedia();
    switch (type) {
      case 'message':
        messageOf(item, p, messages);
        break;
      case 'function_call':
        functionCallOf(item, p, messages);
        break;
      case 'function_call_output': {
        const callId = asString(item.call_id, `${p}.call_id`, R, 'Send the call_id of the function_call this output answers.');
        const { text, media } = functionOutputOf(item.output, `${p}.output`);
        messages.push({ role: 'tool', tool_call_id: callId, content: text });
        toolMedia.push(...media);
        break;
      }
      case 'reasoning':
        // A chat backend takes no reasoning back: the model reasons afresh.
        break;
      case 'item_reference':
        throw badRequest(`${p}.type`, "is 'item_reference', which names an item of a stored response, and this model's backend keeps none", `Send the item itself. ${KEEPS_RESPONSES}`);
      default:
        throw badRequest(
          `${p}.type`,
          `is ${JSON.stringify(type)}, an item this model's chat completions backend has no equivalent for`,
          `Send message, function_call and function_call_output items, ${OPENAI_ONLY}.`,
        );
    }
  });
  flushToolMedia();
}

function messageOf(item: Json, p: string, messages: ChatMessage[]): void {
  switch (item.role) {
    case 'user': {
      if (typeof item.content === 'string') {
        messages.push({ role: 'user', content: item.content });
        return;
      }
      const parts = asArray(item.content, `${p}.content`, R, 'Send a string or an array of content parts.').map((raw, j) => userPartOf(raw, `${p}.content[${j}]`));
      if (parts.length === 0) return;
      const only = parts.length === 1 ? parts[0] : undefined;
      messages.push({ role: 'user', content: only && only.type === 'text' ? only.text : parts });
      return;
    }
    case 'system':
    case 'developer': {
      const text = textOf(item.content, `${p}.content`, ['input_text']);
      if (text.length > 0) messages.push({ role: 'system', content: text });
      return;
    }
    case 'assistant': {
      const text = textOf(item.content, `${p}.content`, ['output_text', 'refusal', 'input_text']);
      if (text.length === 0) return;
      // Text after the turn's function calls joins their message: a chat backend wants the tool
      // messages right after the message with the calls.
      const last = messages[messages.length - 1];
      if (last !== undefined && last.role === 'assistant' && last.tool_calls !== undefined) last.content = (last.content ?? '') + text;
      else messages.push({ role: 'assistant', content: text });
      return;
    }
    default:
      throw badRequest(`${p}.role`, `is ${JSON.stringify(item.role)}`, "Use 'user', 'assistant', 'system' or 'developer'.");
  }
}

/** Message content that can only be text, as one string; text parts of other roles joined without separator, as OpenAI reads them. */
function textOf(content: unknown, param: string, types: readonly string[]): string {
  if (typeof content === 'string') return content;
  let text = '';
  asArray(content, param, R, 'Send a string or an array of content parts.').forEach((raw, j) => {
    const pp = `${param}[${j}]`;
    const part = asObject(raw, pp, R);
    if (typeof part.type !== 'string' || !types.includes(part.type)) {
      throw badRequest(`${pp}.type`, `is ${JSON.stringify(part.type)}, but this message carries text only`, `Send ${types.map((t) => `'${t}'`).join(' or ')} parts.`);
    }
    text += part.type === 'refusal' ? asString(part.refusal, `${pp}.refusal`, R) : asString(part.text, `${pp}.text`, R);
  });
  return text;
}

function userPartOf(raw: unknown, pp: string): ChatUserPart {
  const part = asObject(raw, pp, R);
  switch (part.type) {
    case 'input_text':
      return { type: 'text', text: asString(part.text, `${pp}.text`, R) };
    case 'input_image':
      return imagePartOf(part, pp);
    case 'input_file':
      return filePartOf(part, pp);
    default:
      throw badRequest(`${pp}.type`, `is ${JSON.stringify(part.type)}`, "Send 'input_text', 'input_image' or 'input_file' parts.");
  }
}

function imagePartOf(part: Json, pp: string): ChatImageDetailPart {
  const url = optString(part.image_url, `${pp}.image_url`, R);
  if (url === undefined) {
    if (part.file_id !== undefined && part.file_id !== null) {
      throw badRequest(`${pp}.file_id`, "names an uploaded file, and this model's backend has no files API", `Send the image as image_url (a URL or a data: URL), ${OPENAI_ONLY}.`);
    }
    throw badRequest(`${pp}.image_url`, 'is missing', 'Send the image as image_url (a URL or a data: URL).');
  }
  const detail = part.detail;
  // 'original' (keep the full resolution) has no chat completions equivalent: the backend's default applies.
  if (detail === 'low' || detail === 'high' || detail === 'auto') return { type: 'image_url', image_url: { url, detail } };
  return { type: 'image_url', image_url: { url } };
}

function filePartOf(part: Json, pp: string): ChatUserPart {
  const data = optString(part.file_data, `${pp}.file_data`, R);
  if (data === undefined) {
    const field = part.file_id !== undefined && part.file_id !== null ? 'file_id' : part.file_url !== undefined && part.file_url !== null ? 'file_url' : undefined;
    if (field === 'file_id') throw badRequest(`${pp}.file_id`, "names an uploaded file, and this model's backend has no files API", `Send the file inline as file_data (a data: URL), ${OPENAI_ONLY}.`);
    if (field === 'file_url') throw badRequest(`${pp}.file_url`, "is a file this model's backend cannot fetch", `Send the file inline as file_data (a data: URL), ${OPENAI_ONLY}.`);
    throw badRequest(`${pp}.file_data`, 'is missing', 'Send the file inline as file_data (a data: URL).');
  }
  const filename = optString(part.filename, `${pp}.filename`, R);
  return { type: 'file', file: { file_data: data, ...(filename !== undefined ? { filename } : {}) } };
}

/** A `function_call` item: a tool call of the assistant message before it, when that is one, else of a new one. */
function functionCallOf(item: Json, p: string, messages: ChatMessage[]): void {
  const call = {
    id: asString(item.call_id, `${p}.call_id`, R, 'Send the call_id the model gave the call.'),
    type: 'function' as const,
    function: { name: asString(item.name, `${p}.name`, R), arguments: asString(item.arguments, `${p}.arguments`, R, 'Send the arguments as a JSON string.') },
  };
  const last = messages[messages.length - 1];
  if (last !== undefined && last.role === 'assistant') {
    (last.tool_calls ??= []).push(call);
    return;
  }
  const message: ChatAssistantMessage = { role: 'assistant', content: null, tool_calls: [call] };
  messages.push(message);
}

/** A function call's output as text; images and files in it are returned apart. */
function functionOutputOf(raw: unknown, param: string): { text: string; media: ChatUserPart[] } {
  if (typeof raw === 'string') return { text: raw, media: [] };
  const texts: string[] = [];
  const media: ChatUserPart[] = [];
  asArray(raw, param, R, 'Send a string or an array of content parts.').forEach((b, k) => {
    const pp = `${param}[${k}]`;
    const part = userPartOf(b, pp);
    if (part.type === 'text') texts.push(part.text);
    else media.push(part);
  });
  return { text: texts.join('\n'), media };
}

/** Built-in tools run on OpenAI's side: a chat backend has only the functions the client runs. */
function builtInTool(type: unknown, param: string, fix: string): TranslationError {
  if (typeof type !== 'string') throw badRequest(param, type === undefined ? 'is missing' : `is ${JSON.stringify(type)}`, fix);
  return badRequest(param, `'${type}' is a built-in tool this backend cannot run`, `Remove it, ${OPENAI_ONLY}.`);
}

function toolOf(raw: unknown, p: string): ChatStrictTool {
  const tool = asObject(raw, p, R, "Send {type: 'function', name, parameters}.");
  if (tool.type !== 'function') throw builtInTool(tool.type, `${p}.type`, "Send {type: 'function', name, parameters}.");
  const fn: ChatStrictTool['function'] = { name: asString(tool.name, `${p}.name`, R) };
  const description = optString(tool.description, `${p}.description`, R);
  if (description !== undefined) fn.description = description;
  if (tool.parameters !== undefined && tool.parameters !== null) {
    fn.parameters = asObject(tool.parameters, `${p}.parameters`, R, "Send a JSON Schema object, e.g. {type: 'object', properties: {…}}.");
  }
  // Responses treats a function without `strict` as strict; chat completions as not. Only an explicit
  // flag is sent: a chat backend that enforces strict schemas would reject the many schemas written
  // without additionalProperties: false.
  const strict = optBoolean(tool.strict, `${p}.strict`, R);
  if (strict !== undefined) fn.strict = strict;
  return { type: 'function', function: fn };
}

function toolChoiceOf(raw: unknown): ChatToolChoice {
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (typeof raw === 'string') throw badRequest('tool_choice', `is ${JSON.stringify(raw)}`, "Use 'auto', 'none', 'required' or {type: 'function', name}.");
  const choice = asObject(raw, 'tool_choice', R, "Send 'auto', 'none', 'required' or {type: 'function', name}.");
  if (choice.type === 'function') {
    return { type: 'function', function: { name: asString(choice.name, 'tool_choice.name', R, 'Send the name of the function to call.') } };
  }
  if (choice.type === 'allowed_tools') {
    throw badRequest('tool_choice.type', "is 'allowed_tools', which this model's chat completions backend has no equivalent for", `Send only the allowed tools in tools, ${OPENAI_ONLY}.`);
  }
  throw builtInTool(choice.type, 'tool_choice.type', "Send {type: 'function', name}.");
}

function responseFormatOf(text: Json): ChatResponseFormat | undefined {
  if (text.format === undefined || text.format === null) return undefined;
  const format = asObject(text.format, 'text.format', R, "Send {type: 'text' | 'json_object' | 'json_schema'}.");
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const schema: Extract<ChatResponseFormat, { type: 'json_schema' }>['json_schema'] = {
        name: asString(format.name, 'text.format.name', R, 'Send a name for the schema, e.g. "answer".'),
        schema: asObject(format.schema, 'text.format.schema', R, "Send a JSON Schema object, e.g. {type: 'object', properties: {…}}."),
      };
      const strict = optBoolean(format.strict, 'text.format.strict', R);
      if (strict !== undefined) schema.strict = strict;
      const description = optString(format.description, 'text.format.description', R);
      if (description !== undefined) schema.description = description;
      return { type: 'json_schema', json_schema: schema };
    }
    default:
      throw badRequest('text.format.type', `is ${JSON.stringify(format.type)}`, "Use 'text', 'json_object' or 'json_schema'.");
  }
}

/** Responses' efforts on the three most chat backends know; `none` asks for no reasoning: nothing is sent. */
function reasoningEffortOf(raw: unknown): ChatReasoningEffort | undefined {
  switch (raw) {
    case undefined:
    case null:
    case 'none':
      return undefined;
    case 'minimal':
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    case 'high':
    case 'xhigh':
      return 'high';
    default:
      throw badRequest('reasoning.effort', `is ${JSON.stringify(raw)}`, "Use 'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'.");
  }
}
