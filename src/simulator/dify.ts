/**
 * Dify's app API as its documentation describes it (https://docs.dify.ai, "Service API"): the answer
 * text, token usage, the blocking bodies and the stream events of chat, completion and workflow apps,
 * its error body, and the conversations it keeps per `user`. Pure builders plus one in-memory store;
 * the HTTP side is dify-handler.ts.
 */
import { randomUUID } from 'node:crypto';
import { BoundedStore, echoOf, stringValues } from './agent-triggers';
import { estimateTokens, splitIntoPieces } from './responses';

/** Dify's error body: `{ code, message, status }`, in an HTTP error and (with `event`) as a stream's `error` event. */
export interface DifyErrorBody {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

export function difyErrorBody(status: number, code: string, message: string): DifyErrorBody {
  return { code, message, status };
}

/** The body for an injected fault with this status, in Dify's shape. */
export function difyFaultError(status: number, overrides: { message?: string; code?: string | null }): DifyErrorBody {
  const [code, message] = status === 401 ? ['unauthorized', 'Access token is invalid']
    : status === 404 ? ['not_found', 'Not Found.']
      : status === 429 ? ['too_many_requests', 'Too many requests. Please try again later.']
        : status >= 500 ? ['internal_server_error', 'The server encountered an internal error.']
          : ['invalid_param', `Simulated error (HTTP ${status}).`];
  return difyErrorBody(status, overrides.code ?? code, overrides.message ?? message);
}

export const CONVERSATION_NOT_FOUND: DifyErrorBody = difyErrorBody(404, 'not_found', 'Conversation Not Exists.');

/** The error an `[[error]]` trigger produces: Dify's body for a failed model call. */
export const SIMULATED_AGENT_ERROR: DifyErrorBody = difyErrorBody(400, 'invalid_param', '[sim] The agent failed: the query asked for [[error]].');

/** Dify's token usage block (`metadata.usage`), prices included as Dify sends them (strings). */
export function difyUsage(promptTokens: number, completionTokens: number): Record<string, unknown> {
  const price = (tokens: number) => (tokens * 0.000001).toFixed(7);
  return {
    prompt_tokens: promptTokens,
    prompt_unit_price: '0.001',
    prompt_price_unit: '0.001',
    prompt_price: price(promptTokens),
    completion_tokens: completionTokens,
    completion_unit_price: '0.002',
    completion_price_unit: '0.001',
    completion_price: price(2 * completionTokens),
    total_tokens: promptTokens + completionTokens,
    total_price: price(promptTokens + 2 * completionTokens),
    currency: 'USD',
    latency: 0.01,
  };
}

/** One exchange of a chat conversation, as `GET /messages` lists it. */
export interface DifyMessage {
  readonly id: string;
  readonly conversation_id: string;
  readonly inputs: Record<string, unknown>;
  readonly query: string;
  readonly answer: string;
  readonly created_at: number;
}

export interface DifyConversation {
  readonly id: string;
  readonly user: string;
  name: string;
  readonly inputs: Record<string, unknown>;
  readonly created_at: number;
  updated_at: number;
  readonly messages: DifyMessage[];
}

/** Conversations and uploads, each owned by the `user` that made it, as Dify scopes them. */
export class DifyStore {
  private readonly conversations = new BoundedStore<DifyConversation>();
  private readonly endUsers = new BoundedStore<string>();

  /** The conversation `id` if `user` owns it; `undefined` when it is unknown or someone else's (Dify answers both with 404). */
  public conversation(id: string, user: string): DifyConversation | undefined {
    const found = this.conversations.get(id);
    return found?.user === user ? found : undefined;
  }

  public startConversation(user: string, query: string, inputs: Record<string, unknown>, now: number): DifyConversation {
    const conversation: DifyConversation = {
      id: randomUUID(), user, name: echoOf(query).slice(0, 40) || 'New conversation', inputs, created_at: now, updated_at: now, messages: [],
    };
    this.conversations.set(conversation.id, conversation);
    return conversation;
  }

  public addMessage(conversation: DifyConversation, message: DifyMessage): void {
    conversation.messages.push(message);
    conversation.updated_at = message.created_at;
    this.conversations.set(conversation.id, conversation);
  }

  public deleteConversation(conversation: DifyConversation): void {
    this.conversations.delete(conversation.id);
  }

  /** A message in one of `user`'s conversations. */
  public message(id: string, user: string): DifyMessage | undefined {
    for (const conversation of this.conversations.values()) {
      if (conversation.user !== user) continue;
      const found = conversation.messages.find((m) => m.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** `user`'s conversations, most recently updated first. */
  public conversationsOf(user: string): DifyConversation[] {
    return [...this.conversations.values()].filter((c) => c.user === user).reverse();
  }

  /** Dify's end-user id for a `user` string (files' `created_by`): stable per user, a uuid like Dify's. */
  public endUserId(user: string): string {
    let id = this.endUsers.get(user);
    if (id === undefined) {
      id = randomUUID();
      this.endUsers.set(user, id);
    }
    return id;
  }
}

/** What a chat, completion or workflow answer is made of. */
export interface DifyAnswer {
  readonly text: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** Token counts from text lengths (one per four characters), so tests can compute them. */
export function difyAnswer(text: string, promptTexts: readonly string[]): DifyAnswer {
  return { text, promptTokens: estimateTokens(promptTexts), completionTokens: estimateTokens([text]) };
}

/** ` with inputs {...}` when there are inputs, ` with N file(s)` when files came: so a test sees the mapping. */
export function extrasOf(inputs: Record<string, unknown>, files: unknown): string {
  const parts: string[] = [];
  if (Object.keys(inputs).length > 0) parts.push(` with inputs ${JSON.stringify(inputs)}`);
  if (Array.isArray(files) && files.length > 0) parts.push(` with ${files.length} file(s)`);
  return parts.join('');
}

/** The chat answer: `Dify heard "<query>" (turn <n> of conversation, user <user>)`, plus the inputs and files it got. */
export function chatAnswerText(query: string, turn: number, user: string, inputs: Record<string, unknown>, files: unknown): string {
  return `Dify heard "${echoOf(query)}" (turn ${turn} of conversation, user ${user})${extrasOf(inputs, files)}`;
}

/** The completion app's answer, from its inputs. */
export function completionAnswerText(inputs: Record<string, unknown>, user: string, files: unknown): string {
  return `Dify completed inputs ${echoOf(JSON.stringify(inputs))} (user ${user})${extrasOf({}, files)}`;
}

/** The workflow's `text` output, from its inputs. */
export function workflowAnswerText(inputs: Record<string, unknown>, user: string, files: unknown): string {
  return `Dify workflow ran with inputs ${echoOf(JSON.stringify(inputs))} (user ${user})${extrasOf({}, files)}`;
}

/** The prompt texts of a request, for the token count: the query and every input value. */
export function promptTextsOf(query: string, inputs: Record<string, unknown>): string[] {
  return [query, ...stringValues(inputs)];
}

/** `data: {json}\n\n`: every Dify event but the keep-alive. */
export function difyFrame(data: Record<string, unknown>): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** Dify's keep-alive, exactly as Dify writes it: an `event:` line and no data. */
export const PING_FRAME = 'event: ping\n\n';

/** Ids shared by every event of one chat or completion answer. */
export interface MessageIds {
  readonly taskId: string;
  readonly messageId: string;
  /** Chat apps only. */
  readonly conversationId?: string;
  readonly createdAt: number;
}

export function newMessageIds(createdAt: number, conversationId?: string): MessageIds {
  return { taskId: randomUUID(), messageId: randomUUID(), conversationId, createdAt };
}

function conversationField(ids: MessageIds): Record<string, unknown> {
  return ids.conversationId === undefined ? {} : { conversation_id: ids.conversationId };
}

/** The blocking answer of a chat (`mode: 'chat'`) or completion (`mode: 'completion'`) app. */
export function blockingMessage(ids: MessageIds, mode: 'chat' | 'completion', answer: DifyAnswer): Record<string, unknown> {
  return {
    event: 'message',
    task_id: ids.taskId,
    id: ids.messageId,
    message_id: ids.messageId,
    ...conversationField(ids),
    mode,
    answer: answer.text,
    metadata: { usage: difyUsage(answer.promptTokens, answer.completionTokens), retriever_resources: [] },
    created_at: ids.createdAt,
  };
}

export interface StreamShape {
  /** Answer pieces (empty ones are skipped: Dify never sends an empty `message`). */
  readonly pieces: number;
  readonly error: boolean;
  readonly errorFirst: boolean;
  readonly thought: boolean;
}

/**
 * The stream of a chat or completion answer: a ping, an `agent_thought` when asked, `message` events
 * carrying the answer in pieces, then `message_end` with the usage. `error`: two pieces, then the
 * `error` event, and the stream ends; `errorFirst`: the `error` event alone.
 */
export function messageStream(ids: MessageIds, answer: DifyAnswer, query: string, shape: StreamShape): string[] {
  const base = { task_id: ids.taskId, message_id: ids.messageId, ...conversationField(ids), created_at: ids.createdAt };
  const errorEvent = difyFrame({ event: 'error', task_id: ids.taskId, message_id: ids.messageId, ...SIMULATED_AGENT_ERROR });
  if (shape.errorFirst) return [errorEvent];
  const frames = [PING_FRAME];
  if (shape.thought) {
    frames.push(difyFrame({
      event: 'agent_thought',
      id: randomUUID(),
      ...base,
      position: 1,
      thought: `Thinking about "${echoOf(query)}"`,
      observation: '',
      tool: '',
      tool_input: '',
      message_files: [],
    }));
  }
  const pieces = splitIntoPieces(answer.text, shape.pieces).filter((piece) => piece !== '');
  for (const piece of shape.error ? pieces.slice(0, 2) : pieces) frames.push(difyFrame({ event: 'message', id: ids.messageId, ...base, answer: piece }));
  if (shape.error) {
    frames.push(errorEvent);
  } else {
    frames.push(difyFrame({
      event: 'message_end',
      id: ids.messageId,
      ...base,
      metadata: { usage: difyUsage(answer.promptTokens, answer.completionTokens), retriever_resources: [] },
      files: [],
    }));
  }
  return frames;
}

/** Ids of one workflow run. */
export interface WorkflowIds {
  readonly taskId: string;
  readonly runId: string;
  readonly workflowId: string;
  readonly createdAt: number;
}

export function newWorkflowIds(createdAt: number): WorkflowIds {
  return { taskId: randomUUID(), runId: randomUUID(), workflowId: 'wf-sim', createdAt };
}

export const WORKFLOW_FAILURE = '[sim] Node LLM run failed: the inputs asked for [[workflow-fail]].';

/** The finished run's `data`, as the blocking answer and the `workflow_finished` event carry it. */
export function workflowResult(ids: WorkflowIds, inputs: Record<string, unknown>, answer: DifyAnswer, failed: boolean): Record<string, unknown> {
  return {
    id: ids.runId,
    workflow_id: ids.workflowId,
    sequence_number: 1,
    status: failed ? 'failed' : 'succeeded',
    inputs,
    outputs: failed ? {} : { text: answer.text },
    error: failed ? WORKFLOW_FAILURE : null,
    elapsed_time: 0.01,
    total_tokens: failed ? 0 : answer.promptTokens + answer.completionTokens,
    total_steps: 3,
    created_at: ids.createdAt,
    finished_at: ids.createdAt,
  };
}

/** The blocking answer of a workflow app. */
export function blockingWorkflow(ids: WorkflowIds, inputs: Record<string, unknown>, answer: DifyAnswer, failed: boolean): Record<string, unknown> {
  return { task_id: ids.taskId, workflow_run_id: ids.runId, data: workflowResult(ids, inputs, answer, failed) };
}

/**
 * A workflow's stream: a ping, `workflow_started`, the start node, the LLM node (whose output arrives as
 * `text_chunk` events), the end node, then `workflow_finished` with `outputs.text` and `total_tokens`.
 * `failed`: the LLM node and the run finish `failed`; `error` / `errorFirst`: as for messages.
 */
export function workflowStream(
  ids: WorkflowIds, inputs: Record<string, unknown>, answer: DifyAnswer, shape: StreamShape & { failed: boolean },
): string[] {
  const event = (name: string, data: Record<string, unknown>) => difyFrame({ event: name, task_id: ids.taskId, workflow_run_id: ids.runId, data });
  const errorEvent = difyFrame({ event: 'error', task_id: ids.taskId, ...SIMULATED_AGENT_ERROR });
  if (shape.errorFirst) return [errorEvent];
  const node = (index: number, nodeId: string, type: string, title: string, predecessor: string | null) => ({
    id: `${ids.runId}-${nodeId}`, node_id: nodeId, node_type: type, title, index, predecessor_node_id: predecessor, created_at: ids.createdAt,
  });
  const finished = (n: Record<string, unknown>, outputs: Record<string, unknown>, status: string, error: string | null, tokens: number) => ({
    ...n, inputs, outputs, status, error, elapsed_time: 0.001, execution_metadata: { total_tokens: tokens, total_price: '0', currency: 'USD' }, finished_at: ids.createdAt,
  });
  const start = node(1, 'start', 'start', 'Start', null);
  const llm = node(2, 'llm', 'llm', 'LLM', 'start');
  const end = node(3, 'end', 'end', 'End', 'llm');
  const frames = [
    PING_FRAME,
    event('workflow_started', { id: ids.runId, workflow_id: ids.workflowId, sequence_number: 1, inputs, created_at: ids.createdAt }),
    event('node_started', start),
    event('node_finished', finished(start, inputs, 'succeeded', null, 0)),
    event('node_started', llm),
  ];
  if (shape.failed) {
    frames.push(event('node_finished', finished(llm, {}, 'failed', WORKFLOW_FAILURE, 0)));
    frames.push(event('workflow_finished', workflowResult(ids, inputs, answer, true)));
    return frames;
  }
  const pieces = splitIntoPieces(answer.text, shape.pieces).filter((piece) => piece !== '');
  for (const piece of shape.error ? pieces.slice(0, 2) : pieces) frames.push(event('text_chunk', { text: piece, from_variable_selector: ['llm', 'text'] }));
  if (shape.error) {
    frames.push(errorEvent);
    return frames;
  }
  const tokens = answer.promptTokens + answer.completionTokens;
  frames.push(
    event('node_finished', finished(llm, { text: answer.text }, 'succeeded', null, tokens)),
    event('node_started', end),
    event('node_finished', finished(end, { text: answer.text }, 'succeeded', null, 0)),
    event('workflow_finished', workflowResult(ids, inputs, answer, false)),
  );
  return frames;
}

/** `GET /parameters`: a chat app with one optional text input, `query`, and image upload on. */
export function difyParameters(): Record<string, unknown> {
  return {
    opening_statement: 'Hello from the simulated Dify app.',
    suggested_questions: [],
    suggested_questions_after_answer: { enabled: false },
    speech_to_text: { enabled: false },
    text_to_speech: { enabled: false },
    retriever_resource: { enabled: false },
    annotation_reply: { enabled: false },
    more_like_this: { enabled: false },
    sensitive_word_avoidance: { enabled: false },
    user_input_form: [{ 'text-input': { label: 'Query', variable: 'query', required: false, max_length: 4096, default: '' } }],
    file_upload: { image: { enabled: true, number_limits: 3, detail: 'high', transfer_methods: ['remote_url', 'local_file'] } },
    system_parameters: {
      file_size_limit: 15, image_file_size_limit: 10, audio_file_size_limit: 50, video_file_size_limit: 100, workflow_file_upload_limit: 10,
    },
  };
}
