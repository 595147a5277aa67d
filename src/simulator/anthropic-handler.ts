/**
 * Anthropic's Messages API: `POST .../v1/messages` (plain or streamed) and `POST .../v1/messages/count_tokens`.
 * Requires the `anthropic-version` header, as Anthropic does; authentication headers are only recorded.
 */
import {
  anthropicError,
  anthropicEvents,
  anthropicInputTokens,
  anthropicMessage,
  anthropicReply,
  messagesRequestProblem,
  sseFrame,
} from './anthropic';
import type { Exchange, HandlerContext } from './exchange';
import { isRecord } from './responses';

/** Anthropic SDKs read the request id from this header. */
export function anthropicHeaders(exchange: Exchange): Record<string, string> {
  return { 'request-id': exchange.requestId };
}

export async function anthropicMessages(ctx: HandlerContext, exchange: Exchange, countTokens: boolean): Promise<void> {
  const body = checkedBody(ctx, exchange, !countTokens);
  if (body === undefined) return;
  if (countTokens) {
    ctx.responder.json(exchange, 200, { input_tokens: anthropicInputTokens(body) }, anthropicHeaders(exchange));
    return;
  }
  const model = body.model as string;
  const id = `msg_sim${exchange.seq}`;
  const reply = anthropicReply(ctx.name, body, exchange.seq);
  if (body.stream === true) {
    const frames = anthropicEvents(id, model, reply, ctx.streamChunks).map(sseFrame);
    await ctx.responder.frames(exchange, frames, anthropicHeaders(exchange));
  } else {
    ctx.responder.json(exchange, 200, anthropicMessage(id, model, reply), anthropicHeaders(exchange));
  }
}

/** The JSON body if the request is valid; otherwise sends Anthropic's 400 and returns `undefined`. */
function checkedBody(ctx: HandlerContext, exchange: Exchange, needsMaxTokens: boolean): Record<string, unknown> | undefined {
  let problem: string | undefined;
  const { body } = exchange;
  if (exchange.req.headers['anthropic-version'] === undefined) {
    problem = 'anthropic-version: header is required';
  } else if (exchange.invalidBody || !isRecord(body)) {
    problem = 'There was an error parsing the body of your request: it must be a JSON object.';
  } else {
    problem = messagesRequestProblem(body, needsMaxTokens);
  }
  if (problem === undefined) return body as Record<string, unknown>;
  ctx.responder.json(exchange, 400, anthropicError('invalid_request_error', problem, exchange.requestId), anthropicHeaders(exchange));
  return undefined;
}
