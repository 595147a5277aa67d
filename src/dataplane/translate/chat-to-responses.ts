/**
 * A chat completions answer (JSON or SSE chunks) as a Responses API answer: the Response object,
 * or its typed `response.*` stream events. The request side is `responses-to-chat.ts`.
 *
 * Output items come in the order the model produced them: reasoning (DeepSeek's and Qwen's
 * `reasoning_content`, vLLM's and OpenRouter's `reasoning`), the message (its text, or refusal),
 * then one `function_call` per tool call. Only the first choice is read: Responses has no `n`.
 *
 * Ids are made from the chat completion's id (`chatcmpl-abc` → `resp_chatcmpl-abc`, `msg_chatcmpl-abc`,
 * `fc_chatcmpl-abc_0`…), so the same answer always gets the same ids, streamed or not.
 */
import { randomUUID } from 'crypto';
import { RecordedErrors } from '../errors';
import { eventData } from '../sse';
import { badResponse } from './errors';
import { asArray, asObject, asString, count, isObject, optString, parseJson, type Json } from './read';
import type { ResponsesEcho } from './responses-to-chat';
import type {
  ResponsesError, ResponsesFunctionCall, ResponsesMessagePart, ResponsesOutputItem, ResponsesOutputMessage, ResponsesReasoningItem,
  ResponsesResponse, ResponsesStatus, ResponsesUsage,
} from './responses-wire';
import type { TranslatedUsage } from './wire';

const S = 'response' as const;

// ---------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------

/** What the answer came to: the Response's status and why it is incomplete. */
interface Outcome {
  status: ResponsesStatus;
  incomplete: ResponsesResponse['incomplete_details'];
  error: ResponsesError | null;
}

/** A chat finish reason as the Response's status: cut short by the token limit or the content filter, else completed. */
function outcomeOf(finishReason: unknown): Outcome {
  if (finishReason === 'length') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' }, error: null };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete: { reason: 'content_filter' }, error: null };
  return { status: 'completed', incomplete: null, error: null };
}

/** The chat completion's id with what an id should not hold (spaces, slashes…) left out; a random one when there is none. */
function idBase(id: unknown): string {
  if (typeof id === 'string') {
    const safe = id.replace(/[^A-Za-z0-9_-]/g, '');
    if (safe.length > 0) return safe;
  }
  // No id to derive from (a few OpenAI-compatible servers send none): unique is all that is left.
  return randomUUID().replace(/-/g, '');
}

/** The id of the `n`th item of a kind (`msg`, `rs`): the first has none of the suffix, as most answers have one of each. */
function itemId(prefix: string, base: string, n: number): string {
  return n === 0 ? `${prefix}_${base}` : `${prefix}_${base}_${n}`;
}

function functionCallId(base: string, toolIndex: number): string {
  return `fc_${base}_${toolIndex}`;
}

/** The call id the model gave, or one made from the completion's id. */
function callIdOf(raw: unknown, base: string, toolIndex: number): string {
  return typeof raw === 'string' && raw.length > 0 ? raw : `call_${base}_${toolIndex}`;
}

/** Chat usage as the Response's (prompt tokens include cached ones in both), or undefined when the upstream sent none. */
function usageOf(raw: unknown): ResponsesUsage | undefined {
  if (!isObject(raw)) return undefined;
  const input = count(raw.prompt_tokens);
  const output = count(raw.completion_tokens);
  const inDetails = isObject(raw.prompt_tokens_details) ? raw.prompt_tokens_details : {};
  const outDetails = isObject(raw.completion_tokens_details) ? raw.completion_tokens_details : {};
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: Math.min(input, count(inDetails.cached_tokens)) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: Math.min(output, count(outDetails.reasoning_tokens)) },
    total_tokens: count(raw.total_tokens) || input + output,
  };
}

function translatedUsage(u: ResponsesUsage): TranslatedUsage {
  return { inputTokens: u.input_tokens, outputTokens: u.output_tokens };
}

/** The reasoning a chat message or delta carries: DeepSeek's and Qwen's field, else vLLM's and OpenRouter's (some servers send both, alike). */
function reasoningOf(m: Json): string | undefined {
  if (typeof m.reasoning_content === 'string') return m.reasoning_content;
  return typeof m.reasoning === 'string' ? m.reasoning : undefined;
}

/** The Response around `output`: the request's settings echoed, OpenAI's defaults where it sent none. */
function responseOf(
  id: string,
  createdAt: number,
  model: string,
  echo: ResponsesEcho,
  outcome: Outcome,
  output: ResponsesOutputItem[],
  usage: ResponsesUsage | undefined,
): ResponsesResponse {
  const response: ResponsesResponse = {
    id,
    object: 'response',
    created_at: createdAt,
    status: outcome.status,
    background: false,
    error: outcome.error,
    incomplete_details: outcome.incomplete,
    instructions: echo.instructions ?? null,
    max_output_tokens: echo.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: echo.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: echo.reasoning_effort ?? null, summary: null },
    store: false,
    temperature: echo.temperature ?? null,
    text: echo.text ?? { format: { type: 'text' } },
    tool_choice: echo.tool_choice ?? 'auto',
    tools: echo.tools ?? [],
    top_p: echo.top_p ?? null,
    // The gateway never drops input to fit the context window.
    truncation: 'disabled',
    metadata: echo.metadata ?? {},
  };
  if (outcome.status === 'completed') response.completed_at = Math.floor(Date.now() / 1000);
  if (usage) response.usage = usage;
  if (echo.user !== undefined) response.user = echo.user;
  if (echo.safety_identifier !== undefined) response.safety_identifier = echo.safety_identifier;
  if (echo.prompt_cache_key !== undefined) response.prompt_cache_key = echo.prompt_cache_key;
  return response;
}

function emptyMessage(base: string): ResponsesOutputMessage {
  return { type: 'message', id: itemId('msg', base, 0), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }] };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------

/**
 * A chat completion as a Response for `requestedModel` (its first choice), with the request's
 * settings from `echo`. An answer with neither text nor tool calls gets an empty message, so that
 * clients reading the message find one.
 *
 * @throws TranslationError (source `response`) when the completion is malformed (no choices, a tool call without a name…).
 */
export function chatResponseToResponses(chat: unknown, requestedModel: string, echo: ResponsesEcho): ResponsesResponse {
  const completion = asObject(chat, 'body', S);
  const choices = asArray(completion.choices, 'choices', S);
  if (choices.length === 0) throw badResponse('choices', 'is empty');
  const choice = asObject(choices[0], 'choices[0]', S);
  const message = asObject(choice.message, 'choices[0].message', S);
  const base = idBase(completion.id);
  const output: ResponsesOutputItem[] = [];

  const reasoning = reasoningOf(message);
  if (reasoning !== undefined && reasoning.length > 0) {
    output.push({ type: 'reasoning', id: itemId('rs', base, 0), summary: [], content: [{ type: 'reasoning_text', text: reasoning }] });
  }
  const parts: ResponsesMessagePart[] = [];
  const text = messageText(message.content, 'choices[0].message.content');
  if (text.length > 0) parts.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  const refusal = optString(message.refusal, 'choices[0].message.refusal', S);
  if (refusal !== undefined && refusal.length > 0) parts.push({ type: 'refusal', refusal });
  if (parts.length > 0) output.push({ type: 'message', id: itemId('msg', base, 0), status: 'completed', role: 'assistant', content: parts });
  let calls = 0;
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    asArray(message.tool_calls, 'choices[0].message.tool_calls', S).forEach((raw, k) => {
      const p = `choices[0].message.tool_calls[${k}]`;
      const call = asObject(raw, p, S);
      const fn = asObject(call.function, `${p}.function`, S);
      output.push({
        type: 'function_call',
        id: functionCallId(base, k),
        call_id: callIdOf(call.id, base, k),
        name: asString(fn.name, `${p}.function.name`, S),
        arguments: optString(fn.arguments, `${p}.function.arguments`, S) ?? '',
        status: 'completed',
      });
      calls++;
    });
  }
  if (parts.length === 0 && calls === 0) output.push(emptyMessage(base));

  const createdAt = typeof completion.created === 'number' ? completion.created : nowSeconds();
  return responseOf(`resp_${base}`, createdAt, requestedModel, echo, outcomeOf(choice.finish_reason), output, usageOf(completion.usage));
}

/** Message content as text: a string, or text parts (some backends send those). */
function messageText(raw: unknown, param: string): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  return asArray(raw, param, S)
    .map((part) => (isObject(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

/** An output item being streamed: where it is, and its id as JSON (written into every delta frame). */
interface OpenItem {
  readonly index: number;
  readonly id: string;
  readonly idJson: string;
}

interface OpenReasoning extends OpenItem {
  readonly kind: 'reasoning';
  text: string;
}

interface OpenMessage extends OpenItem {
  readonly kind: 'message';
  /** Parts already done. */
  readonly parts: ResponsesMessagePart[];
  /** The part being streamed. */
  part: { readonly type: 'output_text' | 'refusal'; text: string } | undefined;
}

interface ToolCall extends OpenItem {
  readonly callId: string;
  name: string;
  args: string;
  done: boolean;
}

/**
 * OpenAI `chat.completion.chunk` payloads in, Responses API stream frames out
 * (`event: <type>\ndata: <json>\n\n`, each with its `sequence_number`).
 *
 * Feed it every upstream event (`pushEvent(rawEvent)`, or `push(data)` with the `data:` payload),
 * `[DONE]` included; write what each call returns to the client. The first chunk brings
 * `response.created` and `response.in_progress`; reasoning, text and each tool call then stream as
 * output items, each closed (its `.done` events) when the next one starts or at the finish reason.
 * `response.completed` (or `response.incomplete`) carries the whole Response and goes out at
 * `[DONE]`, or at the usage chunk that follows the finish reason, so that it has the usage. An
 * `{error}` chunk ends the stream with `response.failed`. A stream cut before its end gets nothing
 * more (the relay reports the cut).
 */
export class ChatChunksToResponsesStream {
  private seq = 0;
  private started = false;
  private done = false;
  private base = '';
  private responseId = '';
  private createdAt = 0;
  /** Output items, by output index: set when each is done (a function call's again if arguments come late). */
  private readonly items: ResponsesOutputItem[] = [];
  /** The reasoning or message being streamed. */
  private current: OpenReasoning | OpenMessage | undefined;
  /** The tool call being streamed. */
  private call: ToolCall | undefined;
  /** Chat tool call index → its item. */
  private readonly calls = new Map<number, ToolCall>();
  private messages = 0;
  private reasonings = 0;
  private finishReason: unknown;
  private finished = false;
  private counts: ResponsesUsage | undefined;
  private failed: string | undefined;

  public constructor(private readonly model: string, private readonly echo: ResponsesEcho) {}

  /** One raw SSE event as `SseFramer` returns it (`data: …\n\n`). */
  public pushEvent(raw: string): string[] {
    const data = eventData(raw);
    return data === undefined ? [] : this.push(data);
  }

  /**
   * One upstream `data:` payload.
   *
   * @throws TranslationError (source `response`) when it is neither JSON nor `[DONE]`.
   */
  public push(data: string): string[] {
    if (this.done) return [];
    if (data.length < 16 && data.trim() === '[DONE]') return this.end();
    const parsed = parseJson(data);
    if (!parsed.ok || !isObject(parsed.value)) throw badResponse('stream chunk', `is not a JSON object (${data.slice(0, 64)})`);
    const chunk = parsed.value;
    const out = this.started ? [] : this.start(chunk);
    if (chunk.error !== undefined && chunk.error !== null) return this.fail(chunk.error, out);
    const usage = usageOf(chunk.usage);
    if (usage) this.counts = usage;
    const choices = chunk.choices;
    let choice: unknown;
    if (Array.isArray(choices)) {
      for (const c of choices) {
        if (isObject(c) && (c.index === 0 || c.index === undefined)) {
          choice = c;
          break;
        }
      }
    }
    if (!isObject(choice)) {
      // The usage chunk after the finish reason: the last thing the Response waits for.
      if (usage && this.finished) out.push(...this.end());
      return out;
    }
    const delta = isObject(choice.delta) ? choice.delta : undefined;
    if (delta) {
      const reasoning = reasoningOf(delta);
      if (reasoning !== undefined && reasoning.length > 0) this.reasoning(reasoning, out);
      if (typeof delta.content === 'string' && delta.content.length > 0) this.text('output_text', delta.content, out);
      if (typeof delta.refusal === 'string' && delta.refusal.length > 0) this.text('refusal', delta.refusal, out);
      if (Array.isArray(delta.tool_calls)) {
        for (let k = 0; k < delta.tool_calls.length; k++) this.toolCall(delta.tool_calls[k], k, out);
      }
    }
    if (typeof choice.finish_reason === 'string') {
      this.finishReason = choice.finish_reason;
      this.finished = true;
      this.closeAll(out);
    }
    return out;
  }

  /**
   * Ends the Response: open items done, then `response.completed` (or `response.incomplete`) with
   * the whole Response. `[DONE]` calls it; call it yourself only when the upstream ended cleanly
   * without one.
   */
  public end(): string[] {
    if (this.done) return [];
    const out = this.started ? [] : this.start(undefined);
    this.closeAll(out);
    if (this.messages === 0 && this.calls.size === 0) {
      // Neither text nor tool calls: an empty message, as the non-streamed answer has.
      this.text('output_text', '', out);
      this.closeAll(out);
    }
    const outcome = outcomeOf(this.finishReason);
    const response = responseOf(this.responseId, this.createdAt, this.model, this.echo, outcome, this.items.slice(), this.counts);
    out.push(this.frame(outcome.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response }));
    this.done = true;
    return out;
  }

  /** Tokens so far (input includes cached prompt tokens), or undefined before the upstream reported any. */
  public usage(): TranslatedUsage | undefined {
    return this.counts ? translatedUsage(this.counts) : undefined;
  }

  /** `RecordedErrors.upstreamStreamFailed` once the upstream's stream carried an error, else undefined. */
  public failure(): string | undefined {
    return this.failed;
  }

  private start(chunk: Json | undefined): string[] {
    this.started = true;
    this.base = idBase(chunk?.id);
    this.responseId = `resp_${this.base}`;
    this.createdAt = typeof chunk?.created === 'number' ? chunk.created : nowSeconds();
    const outcome: Outcome = { status: 'in_progress', incomplete: null, error: null };
    const response = responseOf(this.responseId, this.createdAt, this.model, this.echo, outcome, [], undefined);
    return [this.frame('response.created', { response }), this.frame('response.in_progress', { response })];
  }

  /** The upstream's `{error}` chunk: `response.failed`, with the output so far (unfinished items `incomplete`). */
  private fail(error: unknown, out: string[]): string[] {
    const message = typeof error === 'string' ? error : isObject(error) && typeof error.message === 'string' ? error.message : 'The upstream failed.';
    const output = this.items.slice();
    const current = this.current;
    if (current?.kind === 'reasoning') output[current.index] = reasoningItem(current);
    else if (current?.kind === 'message') output[current.index] = messageItem(current, 'incomplete');
    for (const call of this.calls.values()) if (!call.done) output[call.index] = callItem(call, 'incomplete');
    const outcome: Outcome = { status: 'failed', incomplete: null, error: { code: 'server_error', message } };
    out.push(this.frame('response.failed', { response: responseOf(this.responseId, this.createdAt, this.model, this.echo, outcome, output, this.counts) }));
    this.failed = RecordedErrors.upstreamStreamFailed;
    this.done = true;
    return out;
  }

  private reasoning(delta: string, out: string[]): void {
    let item = this.current;
    if (item?.kind !== 'reasoning') {
      this.closeAll(out);
      const id = itemId('rs', this.base, this.reasonings++);
      item = { kind: 'reasoning', index: this.items.length, id, idJson: JSON.stringify(id), text: '' };
      this.items.length++;
      this.current = item;
      out.push(this.frame('response.output_item.added', { output_index: item.index, item: { type: 'reasoning', id, summary: [], content: [] } }));
      out.push(this.frame('response.content_part.added', { item_id: id, output_index: item.index, content_index: 0, part: { type: 'reasoning_text', text: '' } }));
    }
    item.text += delta;
    out.push(this.deltaFrame('response.reasoning_text.delta', item, 0, delta, ''));
  }

  /** Text or refusal: into the open message (opened when none is), in a part of that type. */
  private text(type: 'output_text' | 'refusal', delta: string, out: string[]): void {
    let item = this.current;
    if (item?.kind !== 'message') {
      this.closeAll(out);
      const id = itemId('msg', this.base, this.messages++);
      item = { kind: 'message', index: this.items.length, id, idJson: JSON.stringify(id), parts: [], part: undefined };
      this.items.length++;
      this.current = item;
      out.push(this.frame('response.output_item.added', { output_index: item.index, item: { type: 'message', id, status: 'in_progress', role: 'assistant', content: [] } }));
    }
    if (item.part !== undefined && item.part.type !== type) this.closePart(item, out);
    if (item.part === undefined) {
      item.part = { type, text: '' };
      const part = type === 'output_text' ? { type, text: '', annotations: [], logprobs: [] } : { type, refusal: '' };
      out.push(this.frame('response.content_part.added', { item_id: item.id, output_index: item.index, content_index: item.parts.length, part }));
    }
    if (delta.length === 0) return;
    item.part.text += delta;
    if (type === 'output_text') out.push(this.deltaFrame('response.output_text.delta', item, item.parts.length, delta, ',"logprobs":[]'));
    else out.push(this.deltaFrame('response.refusal.delta', item, item.parts.length, delta, ''));
  }

  private toolCall(raw: unknown, position: number, out: string[]): void {
    if (!isObject(raw)) return;
    const index = typeof raw.index === 'number' ? raw.index : position;
    const fn = isObject(raw.function) ? raw.function : {};
    let call = this.calls.get(index);
    if (call === undefined) {
      this.closeAll(out);
      const id = functionCallId(this.base, index);
      call = { index: this.items.length, id, idJson: JSON.stringify(id), callId: callIdOf(raw.id, this.base, index), name: typeof fn.name === 'string' ? fn.name : '', args: '', done: false };
      this.items.length++;
      this.calls.set(index, call);
      this.call = call;
      out.push(this.frame('response.output_item.added', { output_index: call.index, item: callItem(call, 'in_progress') }));
    } else if (call.name.length === 0 && typeof fn.name === 'string') {
      call.name = fn.name;
    }
    if (typeof fn.arguments === 'string' && fn.arguments.length > 0) {
      call.args += fn.arguments;
      // Arguments for a call already done (a backend interleaving calls) still go to its item: the
      // SDKs append them by output index, and the final Response has them whole.
      if (call.done) this.items[call.index] = callItem(call, 'completed');
      out.push(this.deltaFrame('response.function_call_arguments.delta', call, -1, fn.arguments, ''));
    }
  }

  /** Everything open done: the reasoning or message, and the tool call. */
  private closeAll(out: string[]): void {
    const item = this.current;
    if (item !== undefined) {
      this.current = undefined;
      if (item.kind === 'reasoning') {
        const text = item.text;
        out.push(this.frame('response.reasoning_text.done', { item_id: item.id, output_index: item.index, content_index: 0, text }));
        out.push(this.frame('response.content_part.done', { item_id: item.id, output_index: item.index, content_index: 0, part: { type: 'reasoning_text', text } }));
        const done = reasoningItem(item);
        this.items[item.index] = done;
        out.push(this.frame('response.output_item.done', { output_index: item.index, item: done }));
      } else {
        this.closePart(item, out);
        const done = messageItem(item, 'completed');
        this.items[item.index] = done;
        out.push(this.frame('response.output_item.done', { output_index: item.index, item: done }));
      }
    }
    const call = this.call;
    if (call !== undefined) {
      this.call = undefined;
      call.done = true;
      out.push(this.frame('response.function_call_arguments.done', { item_id: call.id, output_index: call.index, name: call.name, arguments: call.args }));
      const done = callItem(call, 'completed');
      this.items[call.index] = done;
      out.push(this.frame('response.output_item.done', { output_index: call.index, item: done }));
    }
  }

  private closePart(item: OpenMessage, out: string[]): void {
    const part = item.part;
    if (part === undefined) return;
    item.part = undefined;
    const at = { item_id: item.id, output_index: item.index, content_index: item.parts.length };
    let done: ResponsesMessagePart;
    if (part.type === 'output_text') {
      done = { type: 'output_text', text: part.text, annotations: [], logprobs: [] };
      out.push(this.frame('response.output_text.done', { ...at, text: part.text, logprobs: [] }));
    } else {
      done = { type: 'refusal', refusal: part.text };
      out.push(this.frame('response.refusal.done', { ...at, refusal: part.text }));
    }
    out.push(this.frame('response.content_part.done', { ...at, part: done }));
    item.parts.push(done);
  }

  private frame(type: string, fields: { [key: string]: unknown }): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...fields })}\n\n`;
  }

  /**
   * A delta frame, written by hand: the hot path, one per upstream chunk. `contentIndex` -1 for a
   * function call's arguments (they have none); `tail` the JSON of any fields after `delta`.
   */
  private deltaFrame(type: string, item: OpenItem, contentIndex: number, delta: string, tail: string): string {
    const content = contentIndex < 0 ? '' : `"content_index":${contentIndex},`;
    return `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.seq++},"item_id":${item.idJson},"output_index":${item.index},${content}"delta":${JSON.stringify(delta)}${tail}}\n\n`;
  }
}

function reasoningItem(item: OpenReasoning): ResponsesReasoningItem {
  return { type: 'reasoning', id: item.id, summary: [], content: [{ type: 'reasoning_text', text: item.text }] };
}

/** The message as streamed so far: its done parts and the one being streamed. */
function messageItem(item: OpenMessage, status: ResponsesOutputMessage['status']): ResponsesOutputMessage {
  const content = item.parts.slice();
  const part = item.part;
  if (part !== undefined) content.push(part.type === 'output_text' ? { type: 'output_text', text: part.text, annotations: [], logprobs: [] } : { type: 'refusal', refusal: part.text });
  return { type: 'message', id: item.id, status, role: 'assistant', content };
}

function callItem(call: ToolCall, status: ResponsesFunctionCall['status']): ResponsesFunctionCall {
  return { type: 'function_call', id: call.id, call_id: call.callId, name: call.name, arguments: call.args, status };
}
