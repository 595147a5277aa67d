import type { Endpoint } from './endpoints';
import type { ProviderAdapter } from './providers';
import {
  ChatChunksToMessagesStream,
  chatRequestToMessages,
  chatResponseToMessages,
  MessagesStreamToChatChunks,
  messagesRequestToChat,
  messagesResponseToChat,
} from './translate';
import type { WireProtocol } from '../specs';
import { countTokensEstimated } from './translate/count-tokens';
import { upstreamErrorMessage } from './translate/error-message';
import { identityTranslators } from './translate/identity';
import { adaptChatReasoning } from './translate/output-tokens';
import { responsesNative, responsesThrough } from './translate/responses-translators';
import { parseUpstreamJson as parse, translated } from './translate/translated';
import type { Translator } from './translate/translator';
import { usageOfJson } from './usage';

/** OpenAI chat clients on an Anthropic backend. */
const openAiChatOnAnthropic: Translator = {
  upstreamEndpoint: 'messages',
  payload: (request, servedModel, adapter, target) =>
    JSON.stringify({
      ...translated(() => chatRequestToMessages(request.body, servedModel, { maxOutputTokens: target.maxOutputTokens })),
      ...adapter.extraBody,
    }),
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
  payload: (request, servedModel, adapter, target) =>
    JSON.stringify({ ...translated(() => messagesRequestToChat(request.body, servedModel, target)), ...adapter.extraBody }),
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
 * The API a backend speaks, as translation sees it: OpenAI's whole API (the Responses API included), an
 * OpenAI-compatible one with chat completions but no Responses API (DashScope, DeepSeek, vLLM, Ollama…), or Anthropic's.
 */
type BackendApi = 'openai' | 'openai-chat' | 'anthropic';

const OPENAI_IDENTITY = identityTranslators('openai');
/** Same-protocol chat on an OpenAI-compatible backend: what a Responses client is served through there. */
const OPENAI_CHAT = OPENAI_IDENTITY.chat!;

/** Claude-style clients on any OpenAI-style backend: messages translated to chat, token counts estimated. */
const ANTHROPIC_ON_OPENAI: { readonly [E in Endpoint]?: Translator } = { 'messages': anthropicMessagesOnOpenAi, 'messages.count_tokens': countTokensEstimated };

/**
 * Every (client protocol > backend API) pair, then the client's endpoint: translation is a property of
 * the protocols, not a branch per provider. The identity pairs (`openai>openai`, `anthropic>anthropic`)
 * are translators too, so every JSON request takes one path. A Responses client on a backend without
 * the Responses API is served through that backend's chat translator (responses-translators.ts).
 * Nested rather than keyed by a `client>backend:endpoint` string: looking a pair up builds no string per request.
 */
const TRANSLATORS: { readonly [C in WireProtocol]: { readonly [B in BackendApi]: { readonly [E in Endpoint]?: Translator } } } = {
  openai: {
    'openai': { ...OPENAI_IDENTITY, responses: responsesNative },
    'openai-chat': { ...OPENAI_IDENTITY, responses: responsesThrough(OPENAI_CHAT, { upstreamTextReadable: true, adaptChat: adaptChatReasoning }) },
    'anthropic': { chat: openAiChatOnAnthropic, responses: responsesThrough(openAiChatOnAnthropic, { upstreamTextReadable: true }) },
  },
  anthropic: {
    'anthropic': identityTranslators('anthropic'),
    'openai': ANTHROPIC_ON_OPENAI,
    'openai-chat': ANTHROPIC_ON_OPENAI,
  },
};

/** The API a provider's backend speaks; undefined for an agent (its adapter holds its own translators). */
function backendApi(adapter: ProviderAdapter): BackendApi | undefined {
  if (adapter.protocol === 'anthropic') return 'anthropic';
  if (adapter.protocol === 'openai') return adapter.servesResponses === true ? 'openai' : 'openai-chat';
  return undefined;
}

/**
 * The translator for a (client protocol, backend) pair on an endpoint; undefined when the pair
 * cannot serve it. An agent's translators are not here: they carry their route's settings, and its
 * adapter holds them (agents/adapter.ts).
 */
export function translatorFor(client: WireProtocol, adapter: ProviderAdapter, endpoint: Endpoint): Translator | undefined {
  const api = backendApi(adapter);
  return api === undefined ? undefined : TRANSLATORS[client][api][endpoint];
}
