/**
 * Pure builders for the OpenAI-compatible wire format the simulator speaks: reply text (shared by every
 * protocol), token estimates, legacy completion objects and chunks, embeddings and error bodies (chat
 * objects: chat-answer.ts; the Responses API: responses-api.ts). Everything is deterministic except `id`
 * and `created`, which the caller supplies.
 */
import { createHash } from 'node:crypto';

/** The most characters of the prompt echoed back in a reply. */
export const MAX_ECHO_CHARS = 200;

/** Dimensions of every simulated embedding. */
export const EMBEDDING_DIMENSIONS = 8;

/** Model ids listed by `GET /v1/models`. */
export const SIMULATED_MODELS: readonly string[] = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-3.5-turbo-instruct',
  'text-embedding-3-small',
  'qwen-plus',
];

/** `system_fingerprint` on chat responses. */
export const SYSTEM_FINGERPRINT = 'fp_simulator';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export interface ApiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

export function apiError(message: string, type = 'invalid_request_error', param: string | null = null, code: string | null = null): ApiErrorBody {
  return { error: { message, type, param, code } };
}

/** The error body for an injected fault with this status, filled with OpenAI's usual type, code and message. */
export function faultError(status: number, overrides: { message?: string; type?: string; code?: string | null } = {}): ApiErrorBody {
  let type = 'invalid_request_error';
  let code: string | null = null;
  let message = `Simulated error (HTTP ${status}).`;
  if (status === 429) {
    type = 'requests';
    code = 'rate_limit_exceeded';
    message = 'Rate limit reached for requests. Please try again in 1s.';
  } else if (status >= 500) {
    type = 'server_error';
    message = 'The server had an error while processing your request. Sorry about that!';
  } else if (status === 401) {
    code = 'invalid_api_key';
    message = 'Incorrect API key provided.';
  }
  return apiError(overrides.message ?? message, overrides.type ?? type, null, overrides.code !== undefined ? overrides.code : code);
}

/** The text of a chat message `content`: a string, or the `text` parts of a content-part array. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
      .filter((text) => text !== '')
      .join(' ');
  }
  return '';
}

/** The deterministic reply: `[sim:NAME] MODEL: ` followed by the prompt, whitespace-collapsed and truncated. */
export function replyText(name: string, model: string, prompt: string): string {
  const collapsed = prompt.replace(/\s+/g, ' ').trim();
  const echo = collapsed === '' ? '(empty prompt)' : collapsed.length > MAX_ECHO_CHARS ? `${collapsed.slice(0, MAX_ECHO_CHARS)}...` : collapsed;
  return `[sim:${name}] ${model}: ${echo}`;
}

/** A deterministic token estimate for prompt text: one token per four characters, rounded up. */
export function estimateTokens(texts: readonly string[]): number {
  return Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / 4);
}

/** Completion tokens of a reply: its number of whitespace-separated words. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

/**
 * `text` cut to its first `limit` words when it has more (a reply over the request's output-token limit, where
 * OpenAI ends with `length` / `incomplete` and Anthropic with `max_tokens`), else `undefined`.
 */
export function cutToWords(text: string, limit: number | undefined): string | undefined {
  if (limit === undefined || countWords(text) <= limit) return undefined;
  return text.split(/\s+/).filter((word) => word !== '').slice(0, limit).join(' ');
}

export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** Splits `text` into exactly `count` consecutive pieces (some may be empty if the text is short) that concatenate to it. */
export function splitIntoPieces(text: string, count: number): string[] {
  const chars = Array.from(text); // code points, so a piece never splits a surrogate pair
  const n = Math.max(1, Math.floor(count));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {
    pieces.push(chars.slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n)).join(''));
  }
  return pieces;
}

export interface ChatMessage {
  readonly role: string;
  readonly content: unknown;
}

export interface ChatReply {
  readonly content: string;
  readonly usage: Usage;
}

/** The reply to a chat request: echoes the last user message, or the tool result when the conversation ends with one. */
export function chatReply(name: string, model: string, messages: readonly ChatMessage[]): ChatReply {
  const last = messages[messages.length - 1];
  const echoed = last?.role === 'tool' ? last : [...messages].reverse().find((message) => message.role === 'user');
  const content = replyText(name, model, echoed ? textOf(echoed.content) : '');
  return { content, usage: usageOf(estimateTokens(messages.map((message) => textOf(message.content))), countWords(content)) };
}

export interface ResponseMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

/** The prompts of a legacy completions request: a string, strings, a token array, or token arrays. */
export function promptsOf(prompt: unknown): string[] | undefined {
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) return undefined;
    if (prompt.every((p) => typeof p === 'number')) return [prompt.join(' ')];
    if (prompt.every((p) => typeof p === 'string')) return prompt as string[];
    if (prompt.every((p) => Array.isArray(p) && p.every((t) => typeof t === 'number'))) {
      return prompt.map((p: number[]) => p.join(' '));
    }
  }
  return undefined;
}

export interface CompletionReply {
  readonly texts: readonly string[];
  readonly usage: Usage;
}

export function completionReply(name: string, model: string, prompts: readonly string[]): CompletionReply {
  const texts = prompts.map((prompt) => replyText(name, model, prompt));
  return { texts, usage: usageOf(estimateTokens(prompts), texts.reduce((sum, text) => sum + countWords(text), 0)) };
}

export function textCompletion(meta: ResponseMeta, reply: CompletionReply): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: reply.texts.map((text, index) => ({ text, index, logprobs: null, finish_reason: 'stop' })),
    usage: reply.usage,
  };
}

/** Streamed `text_completion` objects: per prompt, `pieces` text chunks and a `finish_reason` chunk; then the optional usage chunk. */
export function textCompletionChunks(meta: ResponseMeta, reply: CompletionReply, pieces: number, includeUsage: boolean): Record<string, unknown>[] {
  const chunk = (choices: unknown[], usage?: Usage): Record<string, unknown> => ({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const chunks = reply.texts.flatMap((text, index) => [
    ...splitIntoPieces(text, pieces).map((piece) => chunk([{ text: piece, index, logprobs: null, finish_reason: null }])),
    chunk([{ text: '', index, logprobs: null, finish_reason: 'stop' }]),
  ]);
  if (includeUsage) chunks.push(chunk([], reply.usage));
  return chunks;
}

/** The embedding inputs: a string, strings, a token array, or token arrays. */
export function embeddingInputsOf(input: unknown): string[] | undefined {
  const inputs = promptsOf(input);
  return inputs && inputs.length > 0 ? inputs : undefined;
}

/** A deterministic unit vector of `EMBEDDING_DIMENSIONS` float32-exact values, derived from the model and the input. */
export function embeddingVector(model: string, input: string): number[] {
  const digest = createHash('sha256').update(`${model}\u0000${input}`).digest();
  const raw: number[] = [];
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) raw.push(digest.readUInt32BE(i * 4) / 0x100000000 * 2 - 1);
  const norm = Math.sqrt(raw.reduce((sum, x) => sum + x * x, 0)) || 1;
  return raw.map((x) => Math.fround(x / norm));
}

/** A vector in OpenAI's `encoding_format: 'base64'`: little-endian float32 values, base64-encoded. */
export function toBase64Floats(vector: readonly number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => buffer.writeFloatLE(x, i * 4));
  return buffer.toString('base64');
}

export function embeddingList(model: string, inputs: readonly string[], encodingFormat: 'float' | 'base64'): Record<string, unknown> {
  const promptTokens = estimateTokens(inputs);
  return {
    object: 'list',
    data: inputs.map((input, index) => {
      const vector = embeddingVector(model, input);
      return { object: 'embedding', index, embedding: encodingFormat === 'base64' ? toBase64Floats(vector) : vector };
    }),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: 1700000000, owned_by: 'simulator' };
}

export function modelList(): Record<string, unknown> {
  return { object: 'list', data: SIMULATED_MODELS.map(modelObject) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
