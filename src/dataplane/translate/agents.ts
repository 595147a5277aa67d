/**
 * The translators of an agent exposed as a model (`asModel`): OpenAI chat clients through the agent's
 * own mapping (dify.ts, dashscope-app.ts, custom-agent.ts for a custom agent's declared one), Anthropic
 * `/v1/messages` clients through that same mapping behind the existing Messages ⇄ chat translation, so
 * that there is one agent mapping, not two.
 */
import { isAgentRelay } from './agent-answer';
import { ChatChunksToMessagesStream, chatResponseToMessages, messagesRequestToChat } from './anthropic-to-openai';
import { countTokensEstimated } from './count-tokens';
import { customAgentChatTranslator } from './custom-agent';
import { dashScopeAppChatTranslator } from './dashscope-app';
import { difyChatTranslator } from './dify';
import { badRequest, TranslationError } from './errors';
import { isObject } from './read';
import { responsesThrough } from './responses-translators';
import { translated } from './translated';
import type { PayloadSource, StreamRelay, Translator } from './translator';
import type { AgentRouteConfig } from '../../specs';

/** The translator with its TranslationErrors answered as 400 / 502 (the agent's own errors pass as they are). */
function guarded(t: Translator): Translator {
  const response = t.response;
  return {
    ...t,
    payload: (request, servedModel, adapter, target) => translated(() => t.payload(request, servedModel, adapter, target)),
    ...(response && {
      response: (text: string, requestedModel: string, request: PayloadSource) => translated(() => response(text, requestedModel, request)),
    }),
    stream: (includeUsage, requestedModel, request) => {
      const relay = t.stream(includeUsage, requestedModel, request);
      return { ...relay, push: (event: string) => translated(() => relay.push(event)) };
    },
  };
}

/**
 * Anthropic content the agent cannot take, named in the client's own terms (before the chat
 * translation renames it): tool use, tool results, images and documents.
 */
function refuseNonText(route: string, body: Record<string, unknown>): void {
  if (!Array.isArray(body.messages)) return;
  body.messages.forEach((m, i) => {
    if (!isObject(m) || !Array.isArray(m.content)) return;
    m.content.forEach((block, j) => {
      if (isObject(block) && block.type !== 'text') {
        throw badRequest(`messages[${i}].content[${j}].type`, `is ${JSON.stringify(block.type)}, but agent route '${route}' takes text only`, "Send {type: 'text', text} blocks.");
      }
    });
  });
}

/** Whether an Anthropic `system` carries text (then it is the chat request's first message). */
function hasSystemText(system: unknown): boolean {
  if (typeof system === 'string') return system.length > 0;
  return Array.isArray(system) && system.some((block) => isObject(block) && typeof block.text === 'string' && block.text.length > 0);
}

/**
 * A refusal of the chat request the Anthropic one became, named in the client's own terms: the chat's
 * `messages[0]` is the top-level `system` when there is one, and the others shift by one. Only where
 * the messages map one to one (text only, as refuseNonText left them, none empty): else the chat's
 * names stand, still pointing at the right kind of field.
 */
function inClientTerms(e: TranslationError, body: Record<string, unknown>, chatMessages: number): TranslationError {
  const system = hasSystemText(body.system) ? 1 : 0;
  // One to one without a system prompt, the indexes are the client's already.
  if (system === 0 || !Array.isArray(body.messages) || chatMessages !== body.messages.length + system) return e;
  const rename = (text: string) => text.replace(/messages\[(\d+)\]/g, (_, n: string) => (Number(n) < system ? 'system' : `messages[${Number(n) - system}]`));
  return new TranslationError(rename(e.param), rename(e.message), e.source);
}

/** Anthropic Messages clients on the agent's chat translator. */
function messagesThrough(route: AgentRouteConfig, chat: Translator): Translator {
  const chatResponse = chat.response;
  return {
    // A custom agent's mapping answers streams whole: so does its Messages twin.
    ...('answersWhole' in chat && { answersWhole: chat.answersWhole }),
    upstreamEndpoint: chat.upstreamEndpoint,
    payload: (request, servedModel, adapter, target) => {
      refuseNonText(route.name, request.body);
      const converted = messagesRequestToChat(request.body, servedModel);
      const body: Record<string, unknown> = { ...converted };
      // The conversation to continue, as an OpenAI client would send it (the header works the same).
      const metadata = request.body.metadata;
      if (isObject(metadata) && metadata.conversation_id !== undefined) body.metadata = { conversation_id: metadata.conversation_id };
      try {
        return chat.payload({ body, stream: request.stream, agentCall: request.agentCall }, servedModel, adapter, target);
      } catch (e) {
        throw e instanceof TranslationError && e.source === 'request' ? inClientTerms(e, request.body, converted.messages.length) : e;
      }
    },
    upstreamHeaders: chat.upstreamHeaders,
    ...(chatResponse && {
      response: (text: string, requestedModel: string, request: PayloadSource) => {
        const answer = chatResponse(text, requestedModel, request);
        return { ...answer, body: JSON.stringify(chatResponseToMessages(JSON.parse(answer.body), requestedModel)) };
      },
    }),
    stream: (_includeUsage, requestedModel, request): StreamRelay => {
      // Usage always: the Messages stream reports it in message_delta.
      const inner = chat.stream(true, requestedModel, request);
      const messages = new ChatChunksToMessagesStream(requestedModel);
      return {
        deferHead: inner.deferHead,
        // An OpenAI error frame becomes Anthropic's `event: error`; `[DONE]` closes the message.
        push: (event) => inner.push(event).flatMap((frame) => messages.pushEvent(frame)),
        usage: () => inner.usage(),
        headers: () => inner.headers?.() ?? {},
        failure: () => inner.failure?.(),
        ...(isAgentRelay(inner) && { agentFailureStatus: () => inner.agentFailureStatus() }),
      };
    },
    responseError: chat.responseError,
  };
}

/**
 * The translators of an agent route: `chat` for `/v1/chat/completions`, `messages` for `/v1/messages`.
 *
 * @throws Error for a custom agent without a mapping: the gateway has no protocol to translate it with.
 */
export function agentTranslators(route: AgentRouteConfig): { readonly [E in 'chat' | 'messages' | 'messages.count_tokens' | 'responses']: Translator } {
  let chat: Translator;
  if (route.kind === 'dify') chat = difyChatTranslator(route);
  else if (route.kind === 'model-studio') chat = dashScopeAppChatTranslator(route);
  else if (route.mapping !== undefined) chat = customAgentChatTranslator(route);
  else throw new Error(`Agent route '${route.name}' is a custom agent without a mapping: the gateway has no protocol to translate it with. Declare its mapping to take asModel.`);
  const chatGuarded = guarded(chat);
  // A Responses client reaches the agent through its chat translator, as any chat-only backend.
  return {
    'chat': chatGuarded,
    'messages': guarded(messagesThrough(route, chat)),
    // An agent counts no tokens: Claude-style clients get the gateway's estimate, as on any backend that cannot.
    'messages.count_tokens': countTokensEstimated,
    'responses': responsesThrough(chatGuarded),
  };
}
