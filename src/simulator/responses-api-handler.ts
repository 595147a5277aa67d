/**
 * OpenAI's Responses API: `POST …/responses` (plain or streamed), and the stored-response endpoints
 * `GET` / `DELETE …/responses/{id}`, `POST …/responses/{id}/cancel` and `GET …/responses/{id}/input_items`.
 * Like OpenAI, responses are kept unless `store: false`, and `previous_response_id` continues a stored
 * one's conversation; the store is bounded (oldest dropped) so a long benchmark cannot grow it forever.
 */
import { randomBytes } from 'node:crypto';
import { BoundedStore } from './agent-triggers';
import type { Exchange, HandlerContext } from './exchange';
import { apiError } from './responses';
import {
  inputItemsOf,
  type Item,
  responseObject,
  responsesAnswer,
  responsesEvents,
  responsesFrame,
  responsesRequestProblem,
  storedInputItem,
  unmatchedCallId,
} from './responses-api';
import type { StoredResponseOperation } from './routes';

/** Responses kept per simulator. */
export const MAX_STORED_RESPONSES = 1_000;

/** Id prefixes OpenAI gives stored input items, by type. */
const ITEM_ID_PREFIXES: Record<string, string> = { message: 'msg', function_call: 'fc', function_call_output: 'fco', reasoning: 'rs' };

interface StoredResponse {
  /** What `GET …/responses/{id}` answers. */
  readonly response: Record<string, unknown>;
  /** This request's input items, with ids (`GET …/input_items`). */
  readonly inputItems: readonly Item[];
  /** The whole conversation after this response: earlier history, this input, this output (for `previous_response_id`). */
  readonly history: readonly Item[];
}

export class ResponsesStore extends BoundedStore<StoredResponse> {
  public constructor() {
    super(MAX_STORED_RESPONSES);
  }
}

export async function createResponse(ctx: HandlerContext, exchange: Exchange, body: Record<string, unknown>, store: ResponsesStore): Promise<void> {
  const problem = responsesRequestProblem(body);
  if (problem !== undefined) {
    ctx.responder.json(exchange, 400, apiError(problem.message, 'invalid_request_error', problem.param, problem.code));
    return;
  }
  let earlier: readonly Item[] = [];
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    const previous = store.get(String(body.previous_response_id));
    if (previous === undefined) {
      ctx.responder.json(exchange, 400, apiError(
        `Previous response with id '${String(body.previous_response_id)}' not found.`, 'invalid_request_error', 'previous_response_id', 'previous_response_not_found',
      ));
      return;
    }
    earlier = previous.history;
  }
  const input = inputItemsOf(body.input)!;
  const conversation = [...earlier, ...input];
  const unmatched = unmatchedCallId(conversation);
  if (unmatched !== undefined) {
    ctx.responder.json(exchange, 400, apiError(`No tool call found for function call output with call_id ${unmatched}.`, 'invalid_request_error', 'input'));
    return;
  }
  const answer = responsesAnswer(ctx.name, body, conversation, { message: newId('msg'), functionCall: newId('fc'), callId: newId('call') });
  const meta = { id: newId('resp'), createdAt: Math.floor(Date.now() / 1000), model: body.model as string };
  const response = responseObject(meta, body, answer);
  if (body.store !== false) {
    store.set(meta.id, { response, inputItems: input.map((item) => storedInputItem(item, newId(ITEM_ID_PREFIXES[String(item.type)] ?? 'item'))), history: [...conversation, ...answer.output] });
  }
  if (body.stream === true) {
    const events = responsesEvents(responseObject(meta, body), response, ctx.streamChunks);
    await ctx.responder.frames(exchange, events.map(responsesFrame));
  } else {
    ctx.responder.json(exchange, 200, response);
  }
}

/** The stored-response endpoints; an unknown (or deleted, or `store: false`) id gets OpenAI's 404. */
export function storedResponse(ctx: HandlerContext, exchange: Exchange, operation: StoredResponseOperation, id: string, store: ResponsesStore): void {
  const stored = store.get(id);
  if (stored === undefined) {
    ctx.responder.json(exchange, 404, apiError(`Response with id '${id}' not found.`, 'invalid_request_error'));
  } else if (operation === 'response-get') {
    ctx.responder.json(exchange, 200, stored.response);
  } else if (operation === 'response-delete') {
    store.delete(id);
    ctx.responder.json(exchange, 200, { id, object: 'response', deleted: true });
  } else if (operation === 'response-cancel') {
    // Only background responses can be cancelled; the simulator finishes even those at once, so there is never anything left to cancel.
    if (stored.response.background === true) ctx.responder.json(exchange, 200, stored.response);
    else ctx.responder.json(exchange, 400, apiError('Cannot cancel a synchronous response.', 'invalid_request_error'));
  } else {
    inputItems(ctx, exchange, stored.inputItems);
  }
}

/** `GET …/input_items`: OpenAI's cursor page, `order` (default `desc`), `limit` (default 20, at most 100) and `after`. */
function inputItems(ctx: HandlerContext, exchange: Exchange, items: readonly Item[]): void {
  const query = new URL(exchange.req.url ?? '/', 'http://simulator.invalid').searchParams;
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    ctx.responder.json(exchange, 400, apiError(`Invalid value for 'order': expected 'asc' or 'desc', got '${order}'.`, 'invalid_request_error', 'order'));
    return;
  }
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  let ordered = order === 'asc' ? [...items] : [...items].reverse();
  const after = query.get('after');
  if (after !== null) ordered = ordered.slice(ordered.findIndex((item) => item.id === after) + 1);
  const data = ordered.slice(0, limit);
  ctx.responder.json(exchange, 200, {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: ordered.length > limit,
  });
}

/** An OpenAI-looking id (`resp_…`, `msg_…`, `fc_…`, `call_…`) marked as simulated; random, so ids stay unique across simulator restarts. */
function newId(prefix: string): string {
  return `${prefix}_sim${randomBytes(12).toString('hex')}`;
}
