/**
 * Pure builders for OpenAI's Responses API wire format (`POST …/responses`): input items, the answer (the
 * chat reply text, or a function call when tools are offered — tool-answers.ts), the `Response` object and
 * its typed stream events. Everything is deterministic except ids and timestamps, which the caller supplies.
 */
import { sampleObject, structuredText } from './json-schema-sample';
import { type ChatMessage, chatReply, countWords, cutToWords, estimateTokens, isRecord, splitIntoPieces, textOf } from './responses';
import { responsesTool } from './tool-answers';

/** OpenAI's floor for `max_output_tokens`. */
export const MIN_MAX_OUTPUT_TOKENS = 16;

/** An input or output item (`message`, `function_call`, `function_call_output`, `reasoning`, …) as JSON. */
export type Item = Record<string, unknown>;

export interface ResponsesUsage {
  readonly input_tokens: number;
  readonly input_tokens_details: { readonly cached_tokens: number };
  readonly output_tokens: number;
  readonly output_tokens_details: { readonly reasoning_tokens: number };
  readonly total_tokens: number;
}

/** A problem with the request, as OpenAI words it. */
export interface RequestProblem {
  readonly message: string;
  readonly param: string | null;
  readonly code: string | null;
}

/** The first problem with a Responses request body (besides `previous_response_id`, which needs the store), or `undefined`. */
export function responsesRequestProblem(body: Record<string, unknown>): RequestProblem | undefined {
  if (typeof body.model !== 'string' || body.model === '') {
    return { message: 'Missing required parameter: \'model\'.', param: 'model', code: 'missing_required_parameter' };
  }
  if (inputItemsOf(body.input) === undefined) {
    return {
      message: `Invalid type for 'input': expected one of a string or an array of input items, but got ${typeName(body.input)} instead.`,
      param: 'input',
      code: 'invalid_type',
    };
  }
  const max = body.max_output_tokens;
  if (max !== undefined && max !== null) {
    if (!Number.isInteger(max)) return { message: `Invalid type for 'max_output_tokens': expected an integer, but got ${typeName(max)} instead.`, param: 'max_output_tokens', code: 'invalid_type' };
    if ((max as number) < MIN_MAX_OUTPUT_TOKENS) {
      return {
        message: `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_MAX_OUTPUT_TOKENS}, but got ${String(max)} instead.`,
        param: 'max_output_tokens',
        code: 'integer_below_min_value',
      };
    }
  }
  const format = formatOf(body);
  if (format?.type === 'json_schema' && !isRecord(format.schema)) {
    return { message: 'Missing required parameter: \'text.format.schema\'.', param: 'text.format.schema', code: 'missing_required_parameter' };
  }
  return undefined;
}

/** `input` as items: a string is one user message; an item without `type` but with a `role` is a message. `undefined` if malformed. */
export function inputItemsOf(input: unknown): Item[] | undefined {
  if (input === undefined || input === null) return [];
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (!Array.isArray(input) || !input.every(isRecord)) return undefined;
  return input.map((item) => (item.type === undefined && typeof item.role === 'string' ? { type: 'message', ...item } : item));
}

/**
 * An input item as `GET …/input_items` lists it: with an id (its own, else `id`), and a message's string
 * content as an `input_text` part (`output_text` for an assistant's), as OpenAI stores them.
 */
export function storedInputItem(item: Item, id: string): Item {
  const withId = { ...item, id: typeof item.id === 'string' ? item.id : id };
  if (item.type !== 'message') return withId;
  const partType = item.role === 'assistant' ? 'output_text' : 'input_text';
  const content = typeof item.content === 'string' ? [{ type: partType, text: item.content }] : item.content;
  return { ...withId, content, status: typeof item.status === 'string' ? item.status : 'completed' };
}

/** The `call_id` of a `function_call_output` no `function_call` in the conversation made, or `undefined`. OpenAI rejects such an output. */
export function unmatchedCallId(conversation: readonly Item[]): string | undefined {
  const calls = new Set(conversation.filter((item) => item.type === 'function_call').map((item) => item.call_id));
  return conversation.find((item) => item.type === 'function_call_output' && !calls.has(item.call_id))?.call_id as string | undefined;
}

/** The conversation as chat messages, for the shared reply logic: instructions as system, tool outputs as `tool`. */
export function chatMessagesOf(instructions: unknown, conversation: readonly Item[]): ChatMessage[] {
  const messages: ChatMessage[] = typeof instructions === 'string' ? [{ role: 'system', content: instructions }] : [];
  for (const item of conversation) {
    if (item.type === 'message') messages.push({ role: String(item.role), content: item.content });
    else if (item.type === 'function_call_output') messages.push({ role: 'tool', content: item.output });
    else if (item.type === 'function_call') messages.push({ role: 'assistant', content: typeof item.arguments === 'string' ? item.arguments : '' });
  }
  return messages;
}

/** Ids the caller mints for the output items. */
export interface OutputIds {
  readonly message: string;
  readonly functionCall: string;
  readonly callId: string;
}

export interface ResponsesAnswer {
  readonly output: Item[];
  readonly status: 'completed' | 'incomplete';
  readonly usage: ResponsesUsage;
}

/**
 * The answer to a valid request over `conversation` (a previous response's history, then this input): a
 * function call when tools are offered and the conversation does not end with a tool output; else the
 * chat reply, shaped by `text.format` and cut to `max_output_tokens` words (status `incomplete`).
 */
export function responsesAnswer(name: string, body: Record<string, unknown>, conversation: readonly Item[], ids: OutputIds): ResponsesAnswer {
  const model = body.model as string;
  const messages = chatMessagesOf(body.instructions, conversation);
  const inputTokens = estimateTokens(messages.map((m) => textOf(m.content)));
  const last = conversation[conversation.length - 1];
  const tool = last?.type === 'function_call_output' ? undefined : responsesTool(body);
  if (tool) {
    const args = JSON.stringify(sampleObject(tool.parameters));
    const call = { id: ids.functionCall, type: 'function_call', status: 'completed', arguments: args, call_id: ids.callId, name: tool.name };
    return { output: [call], status: 'completed', usage: usageOf(inputTokens, countWords(args)) };
  }
  const format = formatOf(body);
  let text = structuredText(chatReply(name, model, messages).content, format?.type, format?.schema);
  let status: ResponsesAnswer['status'] = 'completed';
  const max = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : undefined;
  const cut = cutToWords(text, max);
  if (cut !== undefined) {
    text = cut;
    status = 'incomplete';
  }
  const message = { id: ids.message, type: 'message', status, role: 'assistant', content: [outputText(text)] };
  return { output: [message], status, usage: usageOf(inputTokens, countWords(text)) };
}

export interface ResponseMeta {
  readonly id: string;
  readonly createdAt: number;
  readonly model: string;
}

/**
 * The `Response` object with every field the OpenAI SDK's type requires, echoing the request's settings.
 * Without `answer`, the in-progress response the stream starts with (no output, no usage).
 */
export function responseObject(meta: ResponseMeta, body: Record<string, unknown>, answer?: ResponsesAnswer): Record<string, unknown> {
  const status = answer?.status ?? 'in_progress';
  const text = isRecord(body.text) ? body.text : {};
  const output = answer?.output ?? [];
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status,
    background: body.background === true,
    completed_at: status === 'completed' ? meta.createdAt : null,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model: meta.model,
    output,
    output_text: outputTextOf(output),
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null, ...(isRecord(body.reasoning) ? body.reasoning : {}) },
    service_tier: 'default',
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text: { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: answer?.usage ?? null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

/** One typed stream event: `event: TYPE` and a `data` object with the same `type` and its `sequence_number`. */
export interface ResponsesEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * The documented stream: `response.created`, `response.in_progress`; per output item `output_item.added`,
 * then for a message `content_part.added`, `pieces` × `output_text.delta`, `output_text.done`,
 * `content_part.done`, for a function call `pieces` × `function_call_arguments.delta` and `.done`; then
 * `output_item.done`; finally `response.completed` (or `response.incomplete`) with the whole response.
 */
export function responsesEvents(inProgress: Record<string, unknown>, final: Record<string, unknown>, pieces: number): ResponsesEvent[] {
  const events: ResponsesEvent[] = [];
  const ev = (type: string, fields: Record<string, unknown>) => events.push({ type, data: { type, sequence_number: events.length, ...fields } });
  ev('response.created', { response: inProgress });
  ev('response.in_progress', { response: inProgress });
  (final.output as Item[]).forEach((item, outputIndex) => {
    const at = { item_id: item.id, output_index: outputIndex };
    if (item.type === 'function_call') {
      ev('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of splitIntoPieces(String(item.arguments), pieces)) ev('response.function_call_arguments.delta', { ...at, delta });
      ev('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments });
    } else {
      ev('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      const parts = Array.isArray(item.content) ? item.content.filter(isRecord) : [];
      parts.forEach((part, contentIndex) => {
        const text = String(part.text);
        const partAt = { ...at, content_index: contentIndex };
        ev('response.content_part.added', { ...partAt, part: outputText('') });
        for (const delta of splitIntoPieces(text, pieces)) ev('response.output_text.delta', { ...partAt, delta, logprobs: [] });
        ev('response.output_text.done', { ...partAt, text, logprobs: [] });
        ev('response.content_part.done', { ...partAt, part });
      });
    }
    ev('response.output_item.done', { output_index: outputIndex, item });
  });
  ev(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
  return events;
}

/** `event: TYPE\ndata: JSON\n\n`. */
export function responsesFrame(event: ResponsesEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

function outputText(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/** What the SDK's `output_text` convenience holds: the text of every output message, joined. */
function outputTextOf(output: readonly Item[]): string {
  return output
    .filter((item) => item.type === 'message' && Array.isArray(item.content))
    .flatMap((item) => (item.content as unknown[]).filter(isRecord).filter((part) => part.type === 'output_text').map((part) => String(part.text)))
    .join('');
}

function formatOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  return isRecord(body.text) && isRecord(body.text.format) ? body.text.format : undefined;
}

function usageOf(input: number, output: number): ResponsesUsage {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
