/**
 * Pure builders for chat completions beyond the plain reply: `n` choices (each a deterministic variation),
 * tool calls (tool-answers.ts decides when), `logprobs` per token, JSON mode (`response_format`
 * json_object / json_schema) and the `length` cut at `max_completion_tokens`; then the `chat.completion`
 * object and its stream chunks.
 */
import { createHash } from 'node:crypto';
import { structuredText, sampleObject } from './json-schema-sample';
import {
  type ChatMessage,
  chatReply,
  countWords,
  cutToWords,
  estimateTokens,
  isRecord,
  type ResponseMeta,
  splitIntoPieces,
  SYSTEM_FINGERPRINT,
  textOf,
  type Usage,
  usageOf,
} from './responses';
import { chatTool } from './tool-answers';

/** OpenAI's limits on `n` and `top_logprobs`. */
export const MAX_CHOICES = 128;
export const MAX_TOP_LOGPROBS = 20;

export interface ChatToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface TopLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
}

export interface TokenLogprob extends TopLogprob {
  readonly top_logprobs: TopLogprob[];
}

export interface ChatChoice {
  /** `null` when the choice is a tool call. */
  readonly content: string | null;
  readonly toolCall?: ChatToolCall;
  /** Per token of `content`, when the request asked for `logprobs`. */
  readonly logprobs?: readonly TokenLogprob[];
  /** `length` when the reply was cut at `max_completion_tokens` (or `max_tokens`) words. */
  readonly finishReason: 'stop' | 'length' | 'tool_calls';
}

export interface ChatAnswer {
  readonly choices: readonly ChatChoice[];
  readonly usage: Usage;
}

/** The first problem with `n`, `top_logprobs` or `response_format`, in OpenAI's wording, or `undefined`. */
export function chatOptionsProblem(body: Record<string, unknown>): { message: string; param: string } | undefined {
  const { n, top_logprobs: top } = body;
  if (n !== undefined && n !== null && !(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_CHOICES)) {
    return { message: `Invalid 'n': expected an integer from 1 to ${MAX_CHOICES}, got ${JSON.stringify(n)}.`, param: 'n' };
  }
  if (top !== undefined && top !== null) {
    if (!(Number.isInteger(top) && (top as number) >= 0 && (top as number) <= MAX_TOP_LOGPROBS)) {
      return { message: `Invalid 'top_logprobs': expected an integer from 0 to ${MAX_TOP_LOGPROBS}, got ${JSON.stringify(top)}.`, param: 'top_logprobs' };
    }
    if (body.logprobs !== true) return { message: 'top_logprobs requires logprobs to be true.', param: 'top_logprobs' };
  }
  const format = body.response_format;
  if (isRecord(format) && format.type === 'json_schema' && !isRecord(format.json_schema)) {
    return { message: 'Missing required parameter: \'response_format.json_schema\'.', param: 'response_format.json_schema' };
  }
  return undefined;
}

/** The answer to a valid chat request (`chatOptionsProblem` found nothing). */
export function chatAnswer(name: string, model: string, body: Record<string, unknown>, seq: number): ChatAnswer {
  const messages = (body.messages as Record<string, unknown>[]).map((m): ChatMessage => ({ role: String(m.role), content: m.content }));
  const reply = chatReply(name, model, messages);
  const n = typeof body.n === 'number' ? body.n : 1;
  const last = messages[messages.length - 1];
  const tool = last?.role === 'tool' ? undefined : chatTool(body);
  const top = typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
  const limit = [body.max_completion_tokens, body.max_tokens].find((m): m is number => typeof m === 'number');
  const choices: ChatChoice[] = [];
  for (let i = 0; i < n; i++) {
    if (tool) {
      const call: ChatToolCall = { id: `call_sim${seq}_${i}`, type: 'function', function: { name: tool.name, arguments: JSON.stringify(sampleObject(tool.parameters)) } };
      choices.push({ content: null, toolCall: call, finishReason: 'tool_calls' });
    } else {
      const whole = formatted(variation(reply.content, i), body.response_format);
      const cut = cutToWords(whole, limit);
      const content = cut ?? whole;
      choices.push({ content, ...(body.logprobs === true ? { logprobs: tokenLogprobs(content, top) } : {}), finishReason: cut === undefined ? 'stop' : 'length' });
    }
  }
  const completionTokens = choices.reduce((sum, c) => sum + countWords(c.content ?? c.toolCall!.function.arguments), 0);
  return { choices, usage: usageOf(estimateTokens(messages.map((m) => textOf(m.content))), completionTokens) };
}

/** Choice 0 is the plain reply; choice i > 0 says which it is, so `n` choices differ but stay deterministic. */
function variation(text: string, index: number): string {
  return index === 0 ? text : `${text} (choice ${index + 1})`;
}

function formatted(text: string, format: unknown): string {
  if (!isRecord(format)) return text;
  const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
  return structuredText(text, format.type, schema);
}

/** Tokens as GPT tokenizers tend to cut prose: each word with the whitespace before it; they concatenate to `text`. */
export function tokensOf(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** A deterministic log probability in (-0.5, 0] for a token, and `top` alternatives (the token itself first). */
export function tokenLogprobs(text: string, top: number): TokenLogprob[] {
  return tokensOf(text).map((token) => {
    const logprob = logprobOf(token);
    const alternatives: TopLogprob[] = [];
    for (let j = 0; j < top; j++) {
      const alt = j === 0 ? token : `${token}~${j}`;
      alternatives.push({ token: alt, logprob: round(logprob - j), bytes: bytesOf(alt) });
    }
    return { token, logprob, bytes: bytesOf(token), top_logprobs: alternatives };
  });
}

function logprobOf(token: string): number {
  const digest = createHash('sha256').update(token).digest();
  return round(-(digest.readUInt16BE(0) / 0xffff) * 0.5);
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6 || 0; // `|| 0`: no -0
}

function bytesOf(token: string): number[] {
  return [...Buffer.from(token, 'utf8')];
}

export function chatCompletion(meta: ResponseMeta, answer: ChatAnswer): Record<string, unknown> {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: answer.choices.map((choice, index) => ({
      index,
      message: {
        role: 'assistant',
        content: choice.content,
        refusal: null,
        ...(choice.toolCall ? { tool_calls: [choice.toolCall] } : {}),
      },
      logprobs: choice.logprobs ? { content: choice.logprobs, refusal: null } : null,
      finish_reason: choice.finishReason,
    })),
    usage: answer.usage,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed answer, choices interleaved by `index` as OpenAI sends
 * them: each choice's first chunk (the role; for a tool call, also the call's id and name with empty
 * arguments), `pieces` content or argument chunks per choice (with logprobs, whole tokens per chunk and
 * their logprobs), each choice's `finish_reason` chunk and, with `includeUsage`, the usage chunk
 * (`choices: []`; every other chunk then carries `usage: null`).
 */
export function chatCompletionChunks(meta: ResponseMeta, answer: ChatAnswer, pieces: number, includeUsage: boolean): Record<string, unknown>[] {
  const chunk = (choices: unknown[], usage?: Usage): Record<string, unknown> => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const choiceChunk = (index: number, delta: Record<string, unknown>, logprobs: unknown = null, finishReason: string | null = null) => (
    chunk([{ index, delta, logprobs, finish_reason: finishReason }])
  );
  const firsts = answer.choices.map((choice, index) => {
    const call = choice.toolCall;
    return call
      ? choiceChunk(index, { role: 'assistant', content: null, tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }], refusal: null })
      : choiceChunk(index, { role: 'assistant', content: '', refusal: null });
  });
  const perChoice = answer.choices.map((choice, index) => (
    bodyChunks(choice, pieces).map(({ delta, logprobs }) => choiceChunk(index, delta, logprobs))
  ));
  const interleaved: Record<string, unknown>[] = [];
  for (let p = 0; p < pieces; p++) for (const chunks of perChoice) if (chunks[p]) interleaved.push(chunks[p]);
  const chunks = [
    ...firsts,
    ...interleaved,
    ...answer.choices.map((choice, index) => choiceChunk(index, {}, null, choice.finishReason)),
  ];
  if (includeUsage) chunks.push(chunk([], answer.usage));
  return chunks;
}

/** A choice's deltas after its first chunk: argument pieces of a tool call, or content pieces (whole tokens when logprobs are on). */
function bodyChunks(choice: ChatChoice, pieces: number): { delta: Record<string, unknown>; logprobs: unknown }[] {
  if (choice.toolCall) {
    return splitIntoPieces(choice.toolCall.function.arguments, pieces)
      .map((args) => ({ delta: { tool_calls: [{ index: 0, function: { arguments: args } }] }, logprobs: null }));
  }
  const content = choice.content ?? '';
  if (choice.logprobs === undefined) return splitIntoPieces(content, pieces).map((piece) => ({ delta: { content: piece }, logprobs: null }));
  const groups = groupInto(choice.logprobs, pieces);
  return groups.map((group) => ({ delta: { content: group.map((t) => t.token).join('') }, logprobs: { content: group, refusal: null } }));
}

/** Splits `items` into exactly `count` consecutive groups (some empty if there are fewer items). */
function groupInto<T>(items: readonly T[], count: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < count; i++) groups.push(items.slice(Math.floor((i * items.length) / count), Math.floor(((i + 1) * items.length) / count)));
  return groups;
}
