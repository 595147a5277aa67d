/**
 * OpenAI chat clients on a Model Studio (DashScope) application, `POST /apps/{app_id}/completion`: the
 * chat becomes the app's `input` (its `messages`, or the new `prompt` of a `session_id`), its answer
 * or `X-DashScope-SSE` stream becomes a `chat.completion` or `chat.completion.chunk` frames.
 */
import type { AgentRouteConfig, JsonObject } from '../../specs';
import { dashScopeError, dashScopeSessionId, dashScopeUsage } from '../agents/wire';
import { Errors } from '../errors';
import { eventData, eventField } from '../sse';
import { agentErrorMessage, AgentChunkWriter, agentRelay, answerJson, completionAnswer, eventJson, type AgentFinishReason } from './agent-answer';
import { readAgentChat } from './agent-request';
import { badRequest, TranslationError } from './errors';
import { asObject, isObject } from './read';
import type { PayloadSource, StreamRelay, Translator } from './translator';

/**
 * The application request for a chat request. Without a session the app takes the whole history
 * (`input.messages`, system included); with one it holds the history itself, and takes only the
 * new user message (`input.prompt`). `biz_params` (the app's own parameters: the OpenAI SDK sends it
 * as an extra body field) goes through.
 *
 * @throws TranslationError (source `request`) naming what the app cannot take.
 */
export function dashScopeAppRequest(route: AgentRouteConfig, request: PayloadSource): JsonObject {
  const chat = readAgentChat(route.name, request);
  const biz = request.body.biz_params;
  if (biz !== undefined && biz !== null && !isObject(biz)) {
    throw badRequest('biz_params', `must be a JSON object, not ${Array.isArray(biz) ? 'an array' : typeof biz}`, "Send the application's parameters as an object.");
  }
  const input: JsonObject =
    chat.conversationId !== undefined
      ? { prompt: chat.query, session_id: chat.conversationId }
      : { messages: chat.turns.map((t) => ({ role: t.role, content: t.text })) };
  if (isObject(biz)) input.biz_params = biz;
  return { input, parameters: request.stream ? { incremental_output: true } : {}, debug: {} };
}

/** `X-DashScope-SSE: enable` asks DashScope for a stream. */
export function dashScopeAppHeaders(request: PayloadSource): Readonly<Record<string, string>> | undefined {
  return request.stream ? { 'x-dashscope-sse': 'enable' } : undefined;
}

function finishReasonOf(reason: unknown): AgentFinishReason | undefined {
  // DashScope sends the string 'null' until the end.
  if (typeof reason !== 'string' || reason === '' || reason === 'null') return undefined;
  return reason === 'length' ? 'length' : 'stop';
}

/** An application's answer as a `chat.completion`. */
export function dashScopeAppResponse(route: AgentRouteConfig, text: string, requestedModel: string): ReturnType<NonNullable<Translator['response']>> {
  const doc = answerJson(route.name, text);
  const reported = dashScopeError(doc, 500);
  if (reported) throw Errors.agentFailed(route.name, reported.status, reported.code, reported.message);
  const output = asObject(doc.output, 'output', 'response');
  return completionAnswer({
    id: doc.request_id,
    created: undefined,
    text: typeof output.text === 'string' ? output.text : '',
    finishReason: finishReasonOf(output.finish_reason) ?? 'stop',
    usage: dashScopeUsage(doc),
    conversationId: dashScopeSessionId(doc),
    requestedModel,
  });
}

/** The HTTP status DashScope notes in an event's comment (`:HTTP_STATUS/400`), else 200. */
function eventStatus(event: string): number {
  const m = /(?:^|\n):HTTP_STATUS\/(\d{3})/.exec(event);
  return m ? Number(m[1]) : 200;
}

/** DashScope's SSE events (`incremental_output`: each text a delta) as `chat.completion.chunk` frames. */
export function dashScopeAppStream(route: AgentRouteConfig, includeUsage: boolean, requestedModel: string): StreamRelay {
  const writer = new AgentChunkWriter(route.name, requestedModel, includeUsage);
  const push = (event: string): string[] => {
    if (writer.done) return [];
    const doc = eventJson(route.name, eventData(event));
    if (doc === undefined) return [];
    if (doc instanceof TranslationError) return writer.unreadable(doc);
    writer.noteId(doc.request_id);
    writer.noteConversation(dashScopeSessionId(doc));
    // Usage is cumulative: the last report is the whole answer's.
    writer.noteUsage(dashScopeUsage(doc));
    const status = eventStatus(event);
    const isError = eventField(event, 'event') === 'error' || status >= 400;
    const reported = dashScopeError(doc, isError && status < 400 ? 500 : status);
    if (reported) return writer.agentError(reported);
    if (isError) return writer.agentError({ status: status >= 400 ? status : 500, code: 'error', message: 'the application reported an error' });
    const output = isObject(doc.output) ? doc.output : {};
    const out: string[] = [];
    if (Array.isArray(output.thoughts) && output.thoughts.length > 0 && route.surfaceAgentEvents) {
      out.push(...writer.agentEvent('thoughts', { thoughts: output.thoughts }));
    }
    out.push(...writer.text(typeof output.text === 'string' ? output.text : ''));
    const finish = finishReasonOf(output.finish_reason);
    if (finish !== undefined) out.push(...writer.finish(finish));
    // A result without text yet still proves the run started: the head goes out with it.
    return out.length > 0 ? out : writer.start();
  };
  return agentRelay(writer, push);
}

/** The OpenAI chat translator of a Model Studio application route (TranslationErrors unmapped: agents.ts maps them). */
export function dashScopeAppChatTranslator(route: AgentRouteConfig): Translator {
  return {
    upstreamEndpoint: 'chat',
    payload: (request) => JSON.stringify(dashScopeAppRequest(route, request)),
    upstreamHeaders: dashScopeAppHeaders,
    response: (text, requestedModel) => dashScopeAppResponse(route, text, requestedModel),
    stream: (includeUsage, requestedModel) => dashScopeAppStream(route, includeUsage, requestedModel),
    responseError: agentErrorMessage,
  };
}
