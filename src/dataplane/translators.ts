import type { UpstreamProtocol } from './agents/protocol';
import type { Endpoint } from './endpoints';
import { Errors } from './errors';
import {
  ChatChunksToMessagesStream,
  chatRequestToMessages,
  chatResponseToMessages,
  MessagesStreamToChatChunks,
  messagesRequestToChat,
  messagesResponseToChat,
  TranslationError,
} from './translate';
import type { WireProtocol } from '../specs';
import { upstreamErrorMessage } from './translate/error-message';
import { identityTranslators } from './translate/identity';
import type { Translator } from './translate/translator';
import { usageOfJson } from './usage';

/** A translation failure: the client's request (400, naming the field) or the upstream's answer (502). */
export function translated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    if (e.source === 'request') throw Errors.badRequest(e.message, e.param);
    throw Errors.upstreamUntranslatable(e.message);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw Errors.upstreamNotJson();
  }
}

/** OpenAI chat clients on an Anthropic backend. */
const openAiChatOnAnthropic: Translator = {
  upstreamEndpoint: 'messages',
  payload: (request, servedModel, adapter) =>
    JSON.stringify({ ...translated(() => chatRequestToMessages(request.body, servedModel)), ...adapter.extraBody }),
  response: (text, requested) => ({
    body: JSON.stringify(translated(() => messagesResponseToChat(parse(text), requested))),
    usage: usageOfJson(text),
  }),
  stream: (includeUsage, requested) => {
    const t = new MessagesStreamToChatChunks(requested, { includeUsage });
    return { push: (event) => translated(() => t.pushEvent(event)), usage: () => t.usage() };
  },
  responseError: upstreamErrorMessage,
};

/** Claude-style clients (`/v1/messages`) on an OpenAI-compatible backend. */
const anthropicMessagesOnOpenAi: Translator = {
  upstreamEndpoint: 'chat',
  payload: (request, servedModel, adapter) =>
    JSON.stringify({ ...translated(() => messagesRequestToChat(request.body, servedModel)), ...adapter.extraBody }),
  response: (text, requested) => ({
    body: JSON.stringify(translated(() => chatResponseToMessages(parse(text), requested))),
    usage: usageOfJson(text),
  }),
  stream: (_includeUsage, requested) => {
    const t = new ChatChunksToMessagesStream(requested);
    return { push: (event) => translated(() => t.pushEvent(event)), usage: () => t.usage() };
  },
  responseError: upstreamErrorMessage,
};

/**
 * Every (client protocol > backend protocol) pair, then the client's endpoint: translation is a
 * property of the protocols, not a branch per provider. The identity pairs (`openai>openai`,
 * `anthropic>anthropic`) are translators too, so every JSON request takes one path. Nested rather
 * than keyed by a `client>backend:endpoint` string: looking a pair up builds no string per request.
 */
const TRANSLATORS: { readonly [C in WireProtocol]: { readonly [B in WireProtocol]: { readonly [E in Endpoint]?: Translator } } } = {
  openai: {
    openai: identityTranslators('openai'),
    anthropic: { chat: openAiChatOnAnthropic },
  },
  anthropic: {
    anthropic: identityTranslators('anthropic'),
    openai: { messages: anthropicMessagesOnOpenAi },
  },
};

/**
 * The translator for a (client protocol, backend protocol) pair on an endpoint; undefined when the pair
 * cannot serve it. An agent's translators are not here: they carry their route's settings, and its
 * adapter holds them (agents/adapter.ts).
 */
export function translatorFor(client: WireProtocol, backend: UpstreamProtocol, endpoint: Endpoint): Translator | undefined {
  return backend === 'openai' || backend === 'anthropic' ? TRANSLATORS[client][backend][endpoint] : undefined;
}
