/**
 * OpenAI chat clients on a custom agent, through the mapping its route declares (`mapping`): the chat
 * request fills the route's request template, and the agent's JSON answer is read at the route's paths
 * (the answer's text, its conversation, its usage) into a `chat.completion`.
 *
 * Named limit: a template knows no stream format, so the agent is never asked to stream. A streamed
 * request is sent as any other (asking for JSON), and the agent's whole answer then goes to the client as
 * a short stream: one chunk with the role and the whole text, the finish, the usage chunk when asked,
 * `[DONE]`. The client's first token therefore comes when the agent has finished (`answersWhole`).
 */
import type { AgentMappingPlaceholder, AgentRouteConfig } from '../../specs';
import { difyUser, CONVERSATION_HEADER, isConversationId, MAX_CONVERSATION_ID_CHARS } from '../agents/protocol';
import type { Usage } from '../usage';
import { agentErrorMessage, AgentChunkWriter, agentRelay, completionAnswer, textOf } from './agent-answer';
import { earlierTurns, readAgentChat } from './agent-request';
import { fillTemplate, placeholdersOf, readPath, type PlaceholderValues } from './custom-agent-mapping';
import { badRequest, TranslationError } from './errors';
import { parseJson } from './read';
import type { PayloadSource, StreamRelay, Translator } from './translator';

type CustomAgentMapping = NonNullable<AgentRouteConfig['mapping']>;

/** A custom agent's route with its mapping, and the placeholders its template uses (read once, at config load). */
export interface MappedAgent {
  readonly route: AgentRouteConfig;
  readonly mapping: CustomAgentMapping;
  readonly uses: ReadonlySet<AgentMappingPlaceholder>;
}

/** What the gateway reads of the agent's answer. */
export interface CustomAgentAnswer {
  readonly text: string;
  readonly conversationId: string | undefined;
  readonly usage: Usage | undefined;
}

/**
 * The agent's request for a chat request: the template, filled. What the template has no place for is
 * refused, never dropped: a system prompt without `{{system}}` or `{{messages}}`, earlier turns without
 * `{{messages}}` (unless they are the conversation being continued), a conversation without `{{conversationId}}`.
 *
 * @throws TranslationError (source `request`) naming what the agent cannot be given.
 */
export function customAgentRequest(agent: MappedAgent, request: PayloadSource, servedModel: string): unknown {
  const { route, uses } = agent;
  const chat = readAgentChat(route.name, request);
  if (chat.conversationId !== undefined && !uses.has('conversationId')) {
    throw badRequest(
      chat.conversationParam,
      `is set, but the mapping of agent route '${route.name}' has no {{conversationId}} to send it in: the agent keeps no conversation the gateway can continue`,
      uses.has('messages')
        ? `Leave ${chat.conversationParam} out and send the whole conversation in messages.`
        : `Leave ${chat.conversationParam} out and send only the new user message (or ask the route's operator to add {{conversationId}} to mapping.request).`,
    );
  }
  const system: string[] = [];
  for (const turn of earlierTurns(chat)) {
    if (turn.role === 'system') system.push(turn.text);
    // With {{messages}} every turn goes; with a conversation the earlier turns are the agent's already.
    if (uses.has('messages') || chat.conversationId !== undefined) continue;
    if (turn.role === 'system' && !uses.has('system')) {
      throw badRequest(
        `messages[${turn.index}]`,
        `is a system prompt, but the mapping of agent route '${route.name}' has no {{system}} or {{messages}} to send it in`,
        "Leave the system message out (or ask the route's operator to add {{system}} to mapping.request).",
      );
    }
    if (turn.role !== 'system') {
      throw badRequest(
        'messages',
        `has earlier turns (messages[${turn.index}] is a ${turn.role} message), but the mapping of agent route '${route.name}' sends only the new user message`,
        uses.has('conversationId')
          ? `Continue the conversation with the ${CONVERSATION_HEADER} header from the previous answer (or metadata.conversation_id), or send only the new user message.`
          : 'Send only the new user message.',
      );
    }
  }
  const values: PlaceholderValues = {
    query: chat.query,
    system: system.join('\n\n'),
    messages: chat.turns.map((t) => ({ role: t.role, content: t.text })),
    conversationId: chat.conversationId ?? null,
    user: difyUser(route, request.agentCall?.consumer, request.body.user),
    model: route.asModel ?? servedModel,
  };
  return fillTemplate(agent.mapping.request, values);
}

/**
 * Reads the agent's JSON answer at the mapping's paths.
 *
 * @throws TranslationError (source `response`: a 502) when the answer is not JSON, has nothing at the
 * answer path (naming the path and what is there instead), or a conversation id no header can carry.
 */
export function customAgentAnswer(agent: MappedAgent, text: string): CustomAgentAnswer {
  const { route, mapping } = agent;
  const parsed = parseJson(text);
  if (!parsed.ok) {
    throw new TranslationError('body', `The agent of route '${route.name}' answered with something that is not JSON (${JSON.stringify(text.slice(0, 64))}).`, 'response');
  }
  const doc = parsed.value;
  const answer = readPath(doc, mapping.response.answer);
  if (!answer.found) {
    throw new TranslationError(
      mapping.response.answer,
      `The answer of the agent of route '${route.name}' has nothing at mapping.response.answer '${mapping.response.answer}': ` +
        `${answer.at} has no '${answer.missing}' (it is ${answer.there}). Set the route's mapping.response.answer to the path of the answer's text.`,
      'response',
    );
  }
  return { text: textOf(answer.value), conversationId: conversationOf(agent, doc), usage: usageOf(mapping, doc) };
}

/** The conversation id at its path: a string or a number; absent when the path finds nothing (the agent gave none). */
function conversationOf({ route, mapping }: MappedAgent, doc: unknown): string | undefined {
  const path = mapping.response.conversationId;
  if (path === undefined) return undefined;
  const found = readPath(doc, path);
  if (!found.found) return undefined;
  const id = typeof found.value === 'number' && Number.isFinite(found.value) ? String(found.value) : found.value;
  if (id === '') return undefined;
  if (typeof id !== 'string' || !isConversationId(id)) {
    throw new TranslationError(
      path,
      `The answer of the agent of route '${route.name}' has a conversation id at mapping.response.conversationId '${path}' that cannot be the ${CONVERSATION_HEADER} header ` +
        `(${typeof id === 'string' ? `${id.length} characters` : Array.isArray(id) ? 'an array' : typeof id === 'object' ? 'an object' : `a ${typeof id}`}; it must be printable ASCII without spaces, at most ${MAX_CONVERSATION_ID_CHARS} characters). ` +
        "Set the route's mapping.response.conversationId to the path of the conversation's id.",
      'response',
    );
  }
  return id;
}

/** A token count: a non-negative number (whole), or a string of digits; undefined for anything else. */
function countOf(doc: unknown, path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  const found = readPath(doc, path);
  if (!found.found) return undefined;
  const n = typeof found.value === 'string' && /^[0-9]{1,15}$/.test(found.value) ? Number(found.value) : found.value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

/**
 * The usage at the mapping's paths, when the answer has one of them (a side without a path counts 0, as
 * a Dify workflow's unsplit total does); none otherwise, and the gateway estimates as for any unreporting upstream.
 */
function usageOf(mapping: CustomAgentMapping, doc: unknown): Usage | undefined {
  const inputTokens = countOf(doc, mapping.response.inputTokens);
  const outputTokens = countOf(doc, mapping.response.outputTokens);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  return { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 };
}

/**
 * The client's stream from the agent's whole answer (`answersWhole`: `push` is handed the whole body
 * once). An answer that cannot be read fails before any byte, as a 502.
 */
export function customAgentStream(agent: MappedAgent, includeUsage: boolean, requestedModel: string): StreamRelay {
  const writer = new AgentChunkWriter(agent.route.name, requestedModel, includeUsage);
  const push = (body: string): string[] => {
    if (writer.done) return [];
    let answer: CustomAgentAnswer;
    try {
      answer = customAgentAnswer(agent, body);
    } catch (e) {
      if (e instanceof TranslationError) return writer.unreadable(e);
      throw e;
    }
    writer.noteConversation(answer.conversationId);
    writer.noteUsage(answer.usage);
    return [...writer.text(answer.text), ...writer.finish()];
  };
  return agentRelay(writer, push);
}

/**
 * The OpenAI chat translator of a custom agent's mapping (TranslationErrors unmapped: agents.ts maps them).
 * `answersWhole`: the agent answers streamed requests with one JSON document too (see the file's comment).
 *
 * @throws Error for a route without a mapping: the config has none to translate with.
 */
export function customAgentChatTranslator(route: AgentRouteConfig): Translator & { readonly answersWhole: true } {
  const mapping = route.mapping;
  if (mapping === undefined) throw new Error(`Agent route '${route.name}' has no mapping: a custom agent is a model only through its mapping.`);
  const agent: MappedAgent = { route, mapping, uses: placeholdersOf(mapping.request) };
  return {
    answersWhole: true,
    upstreamEndpoint: 'chat',
    payload: (request, servedModel) => JSON.stringify(customAgentRequest(agent, request, servedModel)),
    response: (text, requestedModel) => {
      const { text: answer, usage, conversationId } = customAgentAnswer(agent, text);
      return completionAnswer({ id: undefined, created: undefined, text: answer, usage, conversationId, requestedModel });
    },
    stream: (includeUsage, requestedModel) => customAgentStream(agent, includeUsage, requestedModel),
    responseError: agentErrorMessage,
  };
}
