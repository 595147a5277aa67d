/**
 * OpenAI chat clients on a Dify app (chat, completion or workflow): the chat request becomes the app's
 * request (`query`, `inputs`, `conversation_id`, a per-consumer `user`), its answer or event stream
 * becomes a `chat.completion` or `chat.completion.chunk` frames.
 */
import type { AgentRouteConfig, JsonObject } from '../../specs';
import { difyConversationId, difyError, difyUsage, type AgentErrorReport } from '../agents/wire';
import { Errors } from '../errors';
import { eventData } from '../sse';
import { agentErrorMessage, AgentChunkWriter, agentRelay, answerJson, completionAnswer, eventJson, textOf } from './agent-answer';
import { earlierTurns, readAgentChat } from './agent-request';
import { badRequest, TranslationError } from './errors';
import { asObject, asString, isObject } from './read';
import type { PayloadSource, StreamRelay, Translator } from './translator';
import { CONVERSATION_HEADER, difyUser, DIFY_DEFAULT_VARIABLES } from '../agents/protocol';

type DifyAppType = NonNullable<AgentRouteConfig['appType']>;

const appTypeOf = (route: AgentRouteConfig): DifyAppType => route.appType ?? 'chat';

/**
 * The Dify request for a chat request.
 *
 * @throws TranslationError (source `request`) naming what the app cannot take.
 */
export function difyRequest(route: AgentRouteConfig, request: PayloadSource): JsonObject {
  const chat = readAgentChat(route.name, request);
  const appType = appTypeOf(route);
  const inputs: Record<string, string> = {};
  if (chat.conversationId !== undefined && appType !== 'chat') {
    throw badRequest(chat.conversationParam, `is set, but the Dify ${appType} app of agent route '${route.name}' keeps no conversation`, `Leave it out: each call to a ${appType} app stands alone.`);
  }
  // With a conversation, the earlier turns (system prompt included) are the conversation's already.
  if (chat.conversationId === undefined) {
    const system: string[] = [];
    for (const turn of earlierTurns(chat)) {
      if (turn.role === 'system') {
        if (route.variables?.system === undefined) {
          throw badRequest(
            `messages[${turn.index}]`,
            `is a system prompt, but agent route '${route.name}' names no Dify input variable for one`,
            "Set the route's variables.system to the app's input variable that takes it, or leave the system message out.",
          );
        }
        system.push(turn.text);
      } else if (appType === 'chat') {
        throw badRequest(
          'messages',
          `has earlier turns (messages[${turn.index}] is a ${turn.role} message), but the Dify chat app of agent route '${route.name}' keeps the conversation itself`,
          `Continue the conversation with the ${CONVERSATION_HEADER} header from the previous answer (or metadata.conversation_id), or send only the new user message.`,
        );
      } else {
        throw badRequest(
          'messages',
          `has earlier turns (messages[${turn.index}] is a ${turn.role} message), but the Dify ${appType} app of agent route '${route.name}' takes one user message`,
          'Send only the new user message.',
        );
      }
    }
    if (system.length > 0) inputs[route.variables!.system!] = system.join('\n\n');
  }
  if (appType !== 'chat') inputs[route.variables?.query ?? DIFY_DEFAULT_VARIABLES.query] = chat.query;
  return {
    inputs,
    ...(appType === 'chat' && { query: chat.query }),
    response_mode: request.stream ? 'streaming' : 'blocking',
    user: difyUser(route, request.agentCall?.consumer, request.body.user),
    ...(appType === 'chat' && chat.conversationId !== undefined && { conversation_id: chat.conversationId }),
  };
}

/** A workflow that finished but not well: Dify's `failed` / `stopped` status. */
function workflowFailure(data: JsonObject): AgentErrorReport | undefined {
  if (data.status !== 'failed' && data.status !== 'stopped') return undefined;
  return { status: 500, code: `workflow_${data.status}`, message: typeof data.error === 'string' && data.error !== '' ? data.error : `the workflow ${data.status}` };
}

/** The answer in a workflow's outputs: the route's output variable. */
function workflowAnswer(route: AgentRouteConfig, outputs: unknown): string {
  const name = route.variables?.output ?? DIFY_DEFAULT_VARIABLES.output;
  const present = isObject(outputs) ? Object.keys(outputs) : [];
  if (!isObject(outputs) || outputs[name] === undefined || outputs[name] === null) {
    throw new TranslationError(
      `data.outputs.${name}`,
      `The workflow of agent route '${route.name}' has no output '${name}' (its outputs: ${present.length > 0 ? present.slice(0, 20).join(', ') : 'none'}). ` +
        "Set the route's variables.output to the output variable that holds the answer.",
      'response',
    );
  }
  return textOf(outputs[name]);
}

/** A Dify blocking answer as a `chat.completion`. */
export function difyResponse(route: AgentRouteConfig, text: string, requestedModel: string): ReturnType<NonNullable<Translator['response']>> {
  const doc = answerJson(route.name, text);
  const reported = difyError(doc) ?? (isObject(doc.data) ? workflowFailure(doc.data) : undefined);
  if (reported) throw Errors.agentFailed(route.name, reported.status, reported.code, reported.message);
  if (appTypeOf(route) === 'workflow') {
    const data = asObject(doc.data, 'data', 'response');
    return completionAnswer({
      id: doc.workflow_run_id,
      created: data.created_at,
      text: workflowAnswer(route, data.outputs),
      usage: difyUsage({ event: 'workflow_finished', data }),
      conversationId: undefined,
      requestedModel,
    });
  }
  return completionAnswer({
    id: doc.message_id ?? doc.id,
    created: doc.created_at,
    text: asString(doc.answer, 'answer', 'response'),
    usage: difyUsage(doc),
    // A completion app's answers may carry a conversation id too, which it would refuse back: chat apps only.
    conversationId: appTypeOf(route) === 'chat' ? difyConversationId(doc) : undefined,
    requestedModel,
  });
}

/** Dify's SSE events as `chat.completion.chunk` frames. */
export function difyStream(route: AgentRouteConfig, includeUsage: boolean, requestedModel: string): StreamRelay {
  const writer = new AgentChunkWriter(route.name, requestedModel, includeUsage);
  const isWorkflow = appTypeOf(route) === 'workflow';
  const isChat = appTypeOf(route) === 'chat';
  /** Whether a workflow streamed its answer (`text_chunk`): its outputs then repeat it. */
  let streamedText = false;
  /** The frames one event of a run makes (none for most workflow events, unless the route surfaces them). */
  const framesOf = (doc: JsonObject): string[] => {
    const data = isObject(doc.data) ? doc.data : undefined;
    switch (doc.event) {
      case 'message':
      case 'agent_message':
        return writer.text(typeof doc.answer === 'string' ? doc.answer : '');
      case 'message_replace':
        // Moderation replaced the answer: what the client has so far is to be read as filtered.
        return writer.text(typeof doc.answer === 'string' ? doc.answer : '', 'content_filter');
      case 'message_end':
        return writer.finish();
      case 'text_chunk':
        if (!isWorkflow) break;
        if (typeof data?.text === 'string' && data.text !== '') streamedText = true;
        return writer.text(typeof data?.text === 'string' ? data.text : '');
      case 'workflow_finished': {
        // A chat app's workflow (chatflow) ends before its message_end: not the answer's end.
        if (!isWorkflow) break;
        if (streamedText) return writer.finish();
        let answer: string;
        try {
          answer = workflowAnswer(route, data?.outputs);
        } catch (e) {
          if (e instanceof TranslationError) return writer.unreadable(e);
          throw e;
        }
        return [...writer.text(answer), ...writer.finish()];
      }
    }
    return route.surfaceAgentEvents ? writer.agentEvent(typeof doc.event === 'string' ? doc.event : 'unknown', doc) : [];
  };
  const push = (event: string): string[] => {
    if (writer.done) return [];
    // `event: ping` keep-alives carry no data: nothing to say.
    const doc = eventJson(route.name, eventData(event));
    if (doc === undefined) return [];
    if (doc instanceof TranslationError) return writer.unreadable(doc);
    writer.noteId(doc.message_id ?? doc.workflow_run_id);
    if (isChat) writer.noteConversation(difyConversationId(doc));
    writer.noteUsage(difyUsage(doc));
    const reported = difyError(doc);
    if (reported) return writer.agentError(reported);
    // Any other event proves the run started (`workflow_started`, `node_started`, `message`…): the head goes out with it.
    const out = framesOf(doc);
    return out.length > 0 ? out : writer.start();
  };
  return agentRelay(writer, push);
}

/** The OpenAI chat translator of a Dify route (TranslationErrors unmapped: agents.ts maps them). */
export function difyChatTranslator(route: AgentRouteConfig): Translator {
  return {
    upstreamEndpoint: 'chat',
    payload: (request) => JSON.stringify(difyRequest(route, request)),
    response: (text, requestedModel) => difyResponse(route, text, requestedModel),
    stream: (includeUsage, requestedModel) => difyStream(route, includeUsage, requestedModel),
    responseError: agentErrorMessage,
  };
}
