/**
 * Model Studio's application API over HTTP: `POST …/apps/{app_id}/completion` under any prefix (the
 * gateway keeps the configured `…/api/v1`), blocking, or SSE with `X-DashScope-SSE: enable`. Needs
 * `Authorization: Bearer <key>` (any non-empty key), as DashScope does.
 */
import { triggersIn } from './agent-triggers';
import {
  appInputOf,
  appReply,
  appStream,
  blockingAppAnswer,
  type DashScopeErrorBody,
  dashScopeErrorBody,
  type DashScopeSessions,
  SIMULATED_APP_ERROR,
} from './dashscope-app';
import type { Exchange, HandlerContext } from './exchange';
import { isRecord } from './responses';

export const DASHSCOPE_APP_PATH = /\/apps\/([^/]+)\/completion$/;

export async function dashScopeAppCompletion(ctx: HandlerContext, exchange: Exchange, sessions: DashScopeSessions): Promise<void> {
  const { req, body, requestId } = exchange;
  const fail = (status: number, error: DashScopeErrorBody) => ctx.responder.json(exchange, status, error);
  const auth = req.headers.authorization ?? '';
  if (!/^Bearer\s+\S/i.test(auth)) {
    fail(401, dashScopeErrorBody('InvalidApiKey', auth === '' ? 'No API-key provided.' : 'Invalid API-key provided.', requestId));
    return;
  }
  if (exchange.invalidBody || !isRecord(body) || !isRecord(body.input)) {
    fail(400, dashScopeErrorBody('InvalidParameter', 'The request body must be a JSON object with an `input` object.', requestId));
    return;
  }
  const appId = decodeURIComponent(DASHSCOPE_APP_PATH.exec(exchange.path)![1]);
  const input = appInputOf(appId, body.input);
  if (typeof input === 'string') {
    fail(400, dashScopeErrorBody('InvalidParameter', input, requestId));
    return;
  }
  const parameters = isRecord(body.parameters) ? body.parameters : {};
  const sessionId = typeof body.input.session_id === 'string' && body.input.session_id !== '' ? body.input.session_id : undefined;
  const triggers = triggersIn(input.promptTexts);
  const failing = triggers.error || triggers.errorFirst;
  const { sessionId: session, turn } = sessions.nextTurn(sessionId, !failing);
  const reply = appReply(input, session, turn, parameters.has_thoughts === true);
  if (/^enable$/i.test(String(req.headers['x-dashscope-sse'] ?? ''))) {
    const shape = { pieces: ctx.streamChunks, incremental: parameters.incremental_output === true, ...triggers };
    await ctx.responder.frames(exchange, appStream(reply, requestId, shape), { 'x-dashscope-request-id': requestId }, triggers.slowMs || undefined);
    return;
  }
  await ctx.responder.delay(triggers.slowMs);
  if (failing) fail(SIMULATED_APP_ERROR.status, dashScopeErrorBody(SIMULATED_APP_ERROR.code, SIMULATED_APP_ERROR.message, requestId));
  else ctx.responder.json(exchange, 200, blockingAppAnswer(reply, requestId));
}
