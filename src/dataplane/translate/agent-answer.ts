/**
 * An agent's answer in OpenAI's shape: a `chat.completion`, or the `chat.completion.chunk` frames of a
 * stream, the same for every agent protocol. The protocol translators (dify.ts, dashscope-app.ts) say
 * what the agent said; this says it the way OpenAI clients read it.
 */
import { randomUUID } from 'crypto';
import type { JsonObject } from '../../specs';
import { CONVERSATION_HEADER } from '../agents/protocol';
import type { AgentErrorReport } from '../agents/wire';
import { Errors, RecordedErrors } from '../errors';
import type { Usage } from '../usage';
import { upstreamErrorMessage } from './error-message';
import { TranslationError } from './errors';
import { isObject, parseJson } from './read';
import type { StreamRelay } from './translator';

export type AgentFinishReason = 'stop' | 'length' | 'content_filter';

/** OpenAI's usage object for the gateway's. */
export function openAiUsage(usage: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

/** `chatcmpl-<the agent's id>`, or a fresh one when the agent gave none. */
export function completionId(agentId: unknown): string {
  return `chatcmpl-${typeof agentId === 'string' && agentId !== '' ? agentId : randomUUID()}`;
}

/** The `created` of an answer: the agent's (Unix seconds), else now. */
export function createdAt(agentCreated: unknown): number {
  return typeof agentCreated === 'number' && Number.isFinite(agentCreated) && agentCreated > 0 ? Math.floor(agentCreated) : Math.floor(Date.now() / 1000);
}

/** The conversation header of an answer, when the agent gave one. */
export function conversationHeaders(conversationId: string | undefined): Readonly<Record<string, string>> | undefined {
  return conversationId === undefined ? undefined : { [CONVERSATION_HEADER]: conversationId };
}

/** A non-streamed agent answer as a `chat.completion` (the body, its usage and headers, for Translator.response). */
export function completionAnswer(answer: {
  readonly id: unknown;
  readonly created: unknown;
  readonly text: string;
  readonly finishReason?: AgentFinishReason;
  readonly usage: Usage | undefined;
  readonly conversationId: string | undefined;
  readonly requestedModel: string;
}): { body: string; usage?: Usage; headers?: Readonly<Record<string, string>> } {
  const completion = {
    id: completionId(answer.id),
    object: 'chat.completion',
    created: createdAt(answer.created),
    model: answer.requestedModel,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.text, refusal: null }, finish_reason: answer.finishReason ?? 'stop', logprobs: null }],
    ...(answer.usage && { usage: openAiUsage(answer.usage) }),
  };
  const headers = conversationHeaders(answer.conversationId);
  return { body: JSON.stringify(completion), ...(answer.usage && { usage: answer.usage }), ...(headers && { headers }) };
}

/** The text of a JSON value for a client: a string as it is, anything else as JSON. */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The OpenAI side of an agent stream: one chunk shape, the role on the first chunk, the finish, the
 * usage chunk, `[DONE]`, the error frame. A protocol's relay feeds it what the agent said; it keeps the
 * state every agent stream shares (started, finished, the failure to record, the conversation header).
 */
export class AgentChunkWriter {
  private id: string | undefined;
  private created = 0;
  private started = false;
  private finished = false;
  private ended = false;
  private failed: string | undefined;
  /** The status the agent reported with its error after the answer started (its breaker hears of a 5xx). */
  private failedStatus: number | undefined;
  private conversationId: string | undefined;
  private lastUsage: Usage | undefined;

  public constructor(
    private readonly route: string,
    private readonly requestedModel: string,
    private readonly includeUsage: boolean,
  ) {}

  /** Nothing more goes to the client: the stream finished, or failed with an error frame. */
  public get done(): boolean {
    return this.ended;
  }

  /** The agent's id for the chunks (`chatcmpl-<id>`), kept from the first the agent gives. */
  public noteId(agentId: unknown): void {
    if (this.id === undefined && typeof agentId === 'string' && agentId !== '') this.id = completionId(agentId);
  }

  public noteConversation(conversationId: string | undefined): void {
    if (this.conversationId === undefined && conversationId !== undefined) this.conversationId = conversationId;
  }

  public noteUsage(usage: Usage | undefined): void {
    if (usage) this.lastUsage = usage;
  }

  public usage(): Usage | undefined {
    return this.lastUsage;
  }

  public headers(): Readonly<Record<string, string>> {
    return conversationHeaders(this.conversationId) ?? {};
  }

  /** The error to record: the agent's own (an error frame went out), or a stream that ended before its end. */
  public failure(): string | undefined {
    if (this.failed !== undefined) return this.failed;
    return this.ended ? undefined : RecordedErrors.upstreamStreamFailed;
  }

  /**
   * The run started (an event other than a keep-alive or an error): the first chunk, the role alone, so
   * that the head (and the conversation header) goes out now rather than at the first answer text, which
   * a long workflow may send minutes later. Nothing once a chunk went out.
   */
  public start(): string[] {
    if (this.started || this.ended) return [];
    return [this.chunk({ content: '' }, null)];
  }

  /** The status of the agent's error reported after the answer started; undefined when it reported none. */
  public failureStatus(): number | undefined {
    return this.failedStatus;
  }

  /** A content delta; nothing for empty text. */
  public text(text: string, finishReason: AgentFinishReason | null = null): string[] {
    if (this.ended || (text === '' && finishReason === null)) return [];
    if (finishReason !== null) this.finished = true;
    return [this.chunk(text === '' ? {} : { content: text }, finishReason)];
  }

  /** A workflow node event or an agent thought, as an extension field on an empty delta. */
  public agentEvent(event: string, data: JsonObject): string[] {
    if (this.ended) return [];
    return [this.chunk({}, null, { aigw_agent_event: { event, data } })];
  }

  /** The agent's end: the finish reason (unless one went out), the usage chunk when asked, `[DONE]`. */
  public finish(reason: AgentFinishReason = 'stop'): string[] {
    if (this.ended) return [];
    const out: string[] = [];
    if (!this.finished) out.push(this.chunk({}, reason));
    this.finished = true;
    if (this.includeUsage && this.lastUsage) {
      out.push(frame({ id: this.chunkId(), object: 'chat.completion.chunk', created: this.created, model: this.requestedModel, choices: [], usage: openAiUsage(this.lastUsage) }));
    }
    out.push('data: [DONE]\n\n');
    this.ended = true;
    return out;
  }

  /**
   * The agent reported an error. Before any frame: thrown as its own status (the head is still
   * deferred). After: one OpenAI error frame ends the stream, recorded as the agent's failure.
   */
  public agentError(failure: AgentErrorReport): string[] {
    if (this.ended) return [];
    const error = Errors.agentFailed(this.route, failure.status, failure.code, failure.message);
    if (!this.started) throw error;
    this.ended = true;
    this.failed = RecordedErrors.agentStreamFailed;
    this.failedStatus = failure.status;
    return [frame({ error: { message: error.message, type: 'api_error', param: null, code: 'agent_error' } })];
  }

  /**
   * The agent sent something that cannot be read (not JSON). Before any frame: a TranslationError (502).
   * After: an error frame ends the stream, recorded as the upstream's failure.
   */
  public unreadable(problem: TranslationError): string[] {
    if (this.ended) return [];
    if (!this.started) throw problem;
    this.ended = true;
    this.failed = RecordedErrors.upstreamStreamFailed;
    return [`data: ${Errors.upstreamUntranslatable(problem.message).body()}\n\n`];
  }

  private chunkId(): string {
    this.id ??= completionId(undefined);
    return this.id;
  }

  private chunk(delta: Record<string, unknown>, finishReason: AgentFinishReason | null, extra?: Record<string, unknown>): string {
    if (!this.started) {
      this.started = true;
      this.created = createdAt(undefined);
      delta = { role: 'assistant', ...delta };
    }
    return frame({
      id: this.chunkId(),
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.requestedModel,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
      ...extra,
    });
  }
}

function frame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** An agent's stream relay: also the status of an error the agent reported after the answer started. */
export interface AgentStreamRelay extends StreamRelay {
  /** The agent's own status for the error that ended the stream after its head went out (model/relay-events.ts tells the attempt). */
  agentFailureStatus(): number | undefined;
}

/** Whether a relay is an agent's (it knows the status of the agent's own error mid-stream). */
export function isAgentRelay(relay: StreamRelay): relay is AgentStreamRelay {
  return typeof (relay as Partial<AgentStreamRelay>).agentFailureStatus === 'function';
}

/** The relay hooks every agent stream shares, bound to its writer: push is the protocol's own. */
export function agentRelay(writer: AgentChunkWriter, push: (event: string) => string[]): AgentStreamRelay {
  return {
    deferHead: true,
    push,
    usage: () => writer.usage(),
    headers: () => writer.headers(),
    failure: () => writer.failure(),
    agentFailureStatus: () => writer.failureStatus(),
  };
}

/**
 * The explanation in an agent's error body: Dify's `{code, message, status}`, DashScope's
 * `{code, message, request_id}` (the code appended: it is what their docs index errors by), else
 * whatever upstreamErrorMessage reads.
 */
export function agentErrorMessage(text: string): string | undefined {
  const parsed = parseJson(text);
  if (parsed.ok && isObject(parsed.value) && typeof parsed.value.message === 'string' && parsed.value.message !== '') {
    const code = parsed.value.code;
    return typeof code === 'string' && code !== '' ? `${parsed.value.message} (${code})` : parsed.value.message;
  }
  return upstreamErrorMessage(text);
}

/** One agent SSE event's data as a JSON object; undefined for an event without data (a keep-alive). */
export function eventJson(route: string, data: string | undefined): JsonObject | TranslationError | undefined {
  if (data === undefined || data.trim() === '') return undefined;
  const parsed = parseJson(data);
  if (parsed.ok && isObject(parsed.value)) return parsed.value;
  return new TranslationError('data', `The agent of route '${route}' sent an event that is not a JSON object (${data.slice(0, 64)}).`, 'response');
}

/** A whole agent answer as a JSON object. */
export function answerJson(route: string, text: string): JsonObject {
  const parsed = parseJson(text);
  if (parsed.ok && isObject(parsed.value)) return parsed.value;
  throw new TranslationError('body', `The agent of route '${route}' answered with something that is not a JSON object (${text.slice(0, 64)}).`, 'response');
}
