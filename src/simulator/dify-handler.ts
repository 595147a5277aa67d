/**
 * Dify's app API over HTTP, under any base path (the gateway keeps the configured `…/v1`): chat,
 * completion and workflow apps (blocking and streaming), stopping a task, the conversations and
 * messages a `user` owns, the app's parameters and file upload. Every call needs
 * `Authorization: Bearer <key>` (any non-empty key) and a `user`, as Dify does.
 */
import { randomUUID } from 'node:crypto';
import { triggersIn } from './agent-triggers';
import {
  type DifyConversation,
  blockingMessage,
  blockingWorkflow,
  chatAnswerText,
  completionAnswerText,
  CONVERSATION_NOT_FOUND,
  difyAnswer,
  type DifyErrorBody,
  difyErrorBody,
  difyParameters,
  type DifyStore,
  messageStream,
  newMessageIds,
  newWorkflowIds,
  promptTextsOf,
  SIMULATED_AGENT_ERROR,
  workflowAnswerText,
  workflowStream,
} from './dify';
import type { Exchange, HandlerContext } from './exchange';
import { fieldOf, filesOf } from './multipart';
import { isRecord } from './responses';
import { DIFY_ID_ROUTES, type DifyOperation } from './routes';

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

const MESSAGE_NOT_FOUND = difyErrorBody(404, 'not_found', 'Message Not Exists.');

export async function difyRequest(ctx: HandlerContext, exchange: Exchange, operation: DifyOperation, store: DifyStore): Promise<void> {
  const fail = (error: DifyErrorBody) => ctx.responder.json(exchange, error.status, error);
  if (!/^Bearer\s+\S/i.test(exchange.req.headers.authorization ?? '')) {
    fail(difyErrorBody(401, 'unauthorized', 'Authorization header must be provided and start with \'Bearer\'.'));
    return;
  }
  const query = new URL(exchange.req.url ?? '/', 'http://simulator.invalid').searchParams;
  switch (operation) {
    case 'dify-parameters': ctx.responder.json(exchange, 200, difyParameters()); return;
    case 'dify-conversations': conversations(ctx, exchange, store, query); return;
    case 'dify-messages': messages(ctx, exchange, store, query); return;
    case 'dify-upload': upload(ctx, exchange, store); return;
    case 'dify-suggested': suggested(ctx, exchange, store, query); return;
    default: break;
  }
  // Dify reads a DELETE's `user` from its JSON body; a bodiless DELETE is read from the query instead.
  const body = operation === 'dify-conversation-delete' && exchange.body === undefined ? { user: query.get('user') } : exchange.body;
  if (exchange.invalidBody || !isRecord(body)) {
    fail(difyErrorBody(400, 'invalid_param', 'The request body must be a JSON object.'));
    return;
  }
  if (typeof body.user !== 'string' || body.user === '') {
    fail(difyErrorBody(400, 'invalid_param', 'user is required'));
    return;
  }
  if (operation === 'dify-stop') {
    ctx.responder.json(exchange, 200, { result: 'success' });
    return;
  }
  if (operation === 'dify-conversation-delete' || operation === 'dify-conversation-rename' || operation === 'dify-feedback') {
    byId(ctx, exchange, store, operation, body.user, body);
    return;
  }
  if (!isRecord(body.inputs)) {
    fail(difyErrorBody(400, 'invalid_param', 'inputs is required and must be an object'));
    return;
  }
  const request: AppRequest = {
    user: body.user, inputs: body.inputs, files: body.files, streaming: body.response_mode === 'streaming',
  };
  if (operation === 'dify-chat') await chat(ctx, exchange, store, request, body);
  else if (operation === 'dify-completion') await completion(ctx, exchange, request);
  else await workflow(ctx, exchange, request);
}

interface AppRequest {
  readonly user: string;
  readonly inputs: Record<string, unknown>;
  readonly files: unknown;
  readonly streaming: boolean;
}

async function chat(ctx: HandlerContext, exchange: Exchange, store: DifyStore, request: AppRequest, body: Record<string, unknown>): Promise<void> {
  if (typeof body.query !== 'string') {
    ctx.responder.json(exchange, 400, difyErrorBody(400, 'invalid_param', 'query is required'));
    return;
  }
  const now = nowSeconds();
  const requested = typeof body.conversation_id === 'string' && body.conversation_id !== '' ? body.conversation_id : undefined;
  const conversation = requested === undefined
    ? store.startConversation(request.user, body.query, request.inputs, now)
    : store.conversation(requested, request.user);
  if (conversation === undefined) {
    ctx.responder.json(exchange, 404, CONVERSATION_NOT_FOUND);
    return;
  }
  const triggers = triggersIn(promptTextsOf(body.query, request.inputs));
  const turn = conversation.messages.length + 1;
  const answer = difyAnswer(chatAnswerText(body.query, turn, request.user, request.inputs, request.files), promptTextsOf(body.query, request.inputs));
  const ids = newMessageIds(now, conversation.id);
  if (!triggers.error && !triggers.errorFirst) {
    store.addMessage(conversation, {
      id: ids.messageId, conversation_id: conversation.id, inputs: request.inputs, query: body.query, answer: answer.text, created_at: now,
    });
  }
  if (request.streaming) {
    const frames = messageStream(ids, answer, body.query, { pieces: ctx.streamChunks, ...triggers });
    await ctx.responder.frames(exchange, frames, {}, triggers.slowMs || undefined);
    return;
  }
  await ctx.responder.delay(triggers.slowMs);
  if (triggers.error || triggers.errorFirst) ctx.responder.json(exchange, SIMULATED_AGENT_ERROR.status, SIMULATED_AGENT_ERROR);
  else ctx.responder.json(exchange, 200, blockingMessage(ids, 'chat', answer));
}

async function completion(ctx: HandlerContext, exchange: Exchange, request: AppRequest): Promise<void> {
  const prompt = promptTextsOf('', request.inputs);
  const triggers = triggersIn(prompt);
  const answer = difyAnswer(completionAnswerText(request.inputs, request.user, request.files), prompt);
  const ids = newMessageIds(nowSeconds());
  if (request.streaming) {
    const query = typeof request.inputs.query === 'string' ? request.inputs.query : '';
    const frames = messageStream(ids, answer, query, { pieces: ctx.streamChunks, ...triggers });
    await ctx.responder.frames(exchange, frames, {}, triggers.slowMs || undefined);
    return;
  }
  await ctx.responder.delay(triggers.slowMs);
  if (triggers.error || triggers.errorFirst) ctx.responder.json(exchange, SIMULATED_AGENT_ERROR.status, SIMULATED_AGENT_ERROR);
  else ctx.responder.json(exchange, 200, blockingMessage(ids, 'completion', answer));
}

async function workflow(ctx: HandlerContext, exchange: Exchange, request: AppRequest): Promise<void> {
  const prompt = promptTextsOf('', request.inputs);
  const triggers = triggersIn(prompt);
  const answer = difyAnswer(workflowAnswerText(request.inputs, request.user, request.files), prompt);
  const ids = newWorkflowIds(nowSeconds());
  if (request.streaming) {
    const frames = workflowStream(ids, request.inputs, answer, { pieces: ctx.streamChunks, ...triggers, failed: triggers.workflowFail });
    await ctx.responder.frames(exchange, frames, {}, triggers.slowMs || undefined);
    return;
  }
  await ctx.responder.delay(triggers.slowMs);
  if (triggers.error || triggers.errorFirst) ctx.responder.json(exchange, SIMULATED_AGENT_ERROR.status, SIMULATED_AGENT_ERROR);
  else ctx.responder.json(exchange, 200, blockingWorkflow(ids, request.inputs, answer, triggers.workflowFail));
}

/** The id in a path like `…/conversations/:id/name`. */
function idIn(exchange: Exchange, operation: DifyOperation): string {
  const [, pattern] = DIFY_ID_ROUTES.find(([, , op]) => op === operation)!;
  return decodeURIComponent(pattern.exec(exchange.path)![1]);
}

function conversationRecord(c: DifyConversation): Record<string, unknown> {
  return { id: c.id, name: c.name, inputs: c.inputs, status: 'normal', introduction: '', created_at: c.created_at, updated_at: c.updated_at };
}

/** DELETE `conversations/:id` (204), POST `conversations/:id/name`, POST `messages/:id/feedbacks`: only on what the user owns, else 404. */
function byId(
  ctx: HandlerContext, exchange: Exchange, store: DifyStore, operation: DifyOperation, user: string, body: Record<string, unknown>,
): void {
  const id = idIn(exchange, operation);
  if (operation === 'dify-feedback') {
    if (store.message(id, user) === undefined) ctx.responder.json(exchange, 404, MESSAGE_NOT_FOUND);
    else ctx.responder.json(exchange, 200, { result: 'success' });
    return;
  }
  const conversation = store.conversation(id, user);
  if (conversation === undefined) {
    ctx.responder.json(exchange, 404, CONVERSATION_NOT_FOUND);
  } else if (operation === 'dify-conversation-delete') {
    store.deleteConversation(conversation);
    ctx.responder.payload(exchange, 204, Buffer.alloc(0), {});
  } else {
    if (body.auto_generate === true) conversation.name = conversation.messages[0]?.query.slice(0, 40) ?? conversation.name;
    else if (typeof body.name === 'string' && body.name !== '') conversation.name = body.name;
    ctx.responder.json(exchange, 200, conversationRecord(conversation));
  }
}

/** `GET messages/:id/suggested?user=`: three follow-up questions for the user's message. */
function suggested(ctx: HandlerContext, exchange: Exchange, store: DifyStore, query: URLSearchParams): void {
  const user = query.get('user');
  if (!user) {
    ctx.responder.json(exchange, 400, difyErrorBody(400, 'invalid_param', 'user is required'));
    return;
  }
  if (store.message(idIn(exchange, 'dify-suggested'), user) === undefined) {
    ctx.responder.json(exchange, 404, MESSAGE_NOT_FOUND);
    return;
  }
  ctx.responder.json(exchange, 200, { result: 'success', data: ['Tell me more.', 'Can you give an example?', 'What should I do next?'] });
}

/** `GET /conversations?user=&limit=&last_id=`: only that user's, most recent first. */
function conversations(ctx: HandlerContext, exchange: Exchange, store: DifyStore, query: URLSearchParams): void {
  const user = query.get('user');
  const limit = pageSize(query.get('limit'));
  if (!user || limit === undefined) {
    ctx.responder.json(exchange, 400, difyErrorBody(400, 'invalid_param', user ? `limit must be an integer from 1 to ${MAX_PAGE}` : 'user is required'));
    return;
  }
  let list = store.conversationsOf(user);
  const lastId = query.get('last_id');
  if (lastId) {
    const at = list.findIndex((c) => c.id === lastId);
    if (at < 0) {
      ctx.responder.json(exchange, 404, CONVERSATION_NOT_FOUND);
      return;
    }
    list = list.slice(at + 1);
  }
  ctx.responder.json(exchange, 200, {
    limit,
    has_more: list.length > limit,
    data: list.slice(0, limit).map(conversationRecord),
  });
}

/** `GET /messages?conversation_id=&user=&first_id=&limit=`: a conversation's latest messages, oldest first; 404 when it is not the user's. */
function messages(ctx: HandlerContext, exchange: Exchange, store: DifyStore, query: URLSearchParams): void {
  const user = query.get('user');
  const conversationId = query.get('conversation_id');
  const limit = pageSize(query.get('limit'));
  if (!user || !conversationId || limit === undefined) {
    const message = !user ? 'user is required' : !conversationId ? 'conversation_id is required' : `limit must be an integer from 1 to ${MAX_PAGE}`;
    ctx.responder.json(exchange, 400, difyErrorBody(400, 'invalid_param', message));
    return;
  }
  const conversation = store.conversation(conversationId, user);
  if (conversation === undefined) {
    ctx.responder.json(exchange, 404, CONVERSATION_NOT_FOUND);
    return;
  }
  const firstId = query.get('first_id');
  const end = firstId ? conversation.messages.findIndex((m) => m.id === firstId) : conversation.messages.length;
  if (end < 0) {
    ctx.responder.json(exchange, 404, difyErrorBody(404, 'not_found', 'First Message Not Exists.'));
    return;
  }
  const page = conversation.messages.slice(Math.max(0, end - limit), end);
  ctx.responder.json(exchange, 200, {
    limit,
    has_more: end > limit,
    data: page.map((m) => ({ ...m, message_files: [], feedback: null, retriever_resources: [], agent_thoughts: [] })),
  });
}

/** `POST /files/upload` (multipart: `file` and `user`): 201 and the file's record. */
function upload(ctx: HandlerContext, exchange: Exchange, store: DifyStore): void {
  const parts = exchange.parts;
  const file = parts === undefined ? undefined : filesOf(parts, 'file')[0];
  if (parts === undefined || file === undefined) {
    ctx.responder.json(exchange, 400, difyErrorBody(400, 'no_file_uploaded', 'Please upload your file.'));
    return;
  }
  const user = fieldOf(parts, 'user');
  if (!user) {
    ctx.responder.json(exchange, 400, difyErrorBody(400, 'invalid_param', 'user is required'));
    return;
  }
  const dot = file.filename.lastIndexOf('.');
  ctx.responder.json(exchange, 201, {
    id: randomUUID(),
    name: file.filename,
    size: file.size,
    extension: dot >= 0 ? file.filename.slice(dot + 1).toLowerCase() : '',
    mime_type: file.contentType,
    created_by: store.endUserId(user),
    created_at: nowSeconds(),
  });
}

function pageSize(raw: string | null): number | undefined {
  if (raw === null || raw === '') return DEFAULT_PAGE;
  const n = Number(raw);
  return /^\d+$/.test(raw) && n >= 1 && n <= MAX_PAGE ? n : undefined;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
