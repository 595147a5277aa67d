/** OpenAI-compatible text endpoints: chat completions (with tool calls, `n`, logprobs, JSON mode), legacy completions and embeddings, plain or streamed. */
import { chatAnswer, chatCompletion, chatCompletionChunks, chatOptionsProblem } from './chat-answer';
import type { Exchange, HandlerContext } from './exchange';
import {
  apiError,
  completionReply,
  embeddingInputsOf,
  embeddingList,
  isRecord,
  promptsOf,
  textCompletion,
  textCompletionChunks,
} from './responses';

const AZURE_DEPLOYMENT = /\/openai\/deployments\/([^/]+)\/(?:chat\/completions|completions|embeddings)$/;

export async function chat(ctx: HandlerContext, exchange: Exchange, body: Record<string, unknown>): Promise<void> {
  const model = modelFor(exchange.path, body);
  if (model === undefined) {
    ctx.responder.json(exchange, 400, apiError('you must provide a model parameter'));
    return;
  }
  if (!Array.isArray(body.messages) || !body.messages.every(isRecord)) {
    ctx.responder.json(exchange, 400, apiError('Missing required parameter: \'messages\'.', 'invalid_request_error', 'messages', 'missing_required_parameter'));
    return;
  }
  const problem = chatOptionsProblem(body);
  if (problem !== undefined) {
    ctx.responder.json(exchange, 400, apiError(problem.message, 'invalid_request_error', problem.param));
    return;
  }
  const answer = chatAnswer(ctx.name, model, body, exchange.seq);
  const meta = { id: `chatcmpl-sim${exchange.seq}`, created: nowSeconds(), model };
  if (body.stream === true) {
    await streamChunks(ctx, exchange, chatCompletionChunks(meta, answer, ctx.streamChunks, includeUsage(body)));
  } else {
    ctx.responder.json(exchange, 200, chatCompletion(meta, answer));
  }
}

export async function completions(ctx: HandlerContext, exchange: Exchange, body: Record<string, unknown>): Promise<void> {
  const model = modelFor(exchange.path, body);
  if (model === undefined) {
    ctx.responder.json(exchange, 400, apiError('you must provide a model parameter'));
    return;
  }
  const prompts = promptsOf(body.prompt ?? '');
  if (prompts === undefined) {
    ctx.responder.json(exchange, 400, apiError('Invalid value for \'prompt\'.', 'invalid_request_error', 'prompt'));
    return;
  }
  const reply = completionReply(ctx.name, model, prompts);
  const meta = { id: `cmpl-sim${exchange.seq}`, created: nowSeconds(), model };
  if (body.stream === true) {
    await streamChunks(ctx, exchange, textCompletionChunks(meta, reply, ctx.streamChunks, includeUsage(body)));
  } else {
    ctx.responder.json(exchange, 200, textCompletion(meta, reply));
  }
}

export function embeddings(ctx: HandlerContext, exchange: Exchange, body: Record<string, unknown>): void {
  const model = modelFor(exchange.path, body);
  if (model === undefined) {
    ctx.responder.json(exchange, 400, apiError('you must provide a model parameter'));
    return;
  }
  const inputs = embeddingInputsOf(body.input);
  if (inputs === undefined) {
    ctx.responder.json(exchange, 400, apiError('\'input\' must be a string, an array of strings, or an array of token arrays.', 'invalid_request_error', 'input'));
    return;
  }
  const format = body.encoding_format === 'base64' ? 'base64' : 'float';
  ctx.responder.json(exchange, 200, embeddingList(model, inputs, format));
}

/** Each chunk as its own `data: {json}\n\n` frame, then `data: [DONE]\n\n`. */
function streamChunks(ctx: HandlerContext, exchange: Exchange, chunks: readonly Record<string, unknown>[]): Promise<void> {
  return ctx.responder.frames(exchange, [...chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`), 'data: [DONE]\n\n']);
}

/** The model answered: Azure's deployment name from the path, else the request's `model`. */
function modelFor(path: string, body: Record<string, unknown>): string | undefined {
  const azure = AZURE_DEPLOYMENT.exec(path);
  if (azure) return decodeURIComponent(azure[1]);
  return typeof body.model === 'string' && body.model !== '' ? body.model : undefined;
}

function includeUsage(body: Record<string, unknown>): boolean {
  return isRecord(body.stream_options) && body.stream_options.include_usage === true;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
