import type { Endpoint } from './endpoints';
import { Errors, GatewayError } from './errors';
import {
  ChatChunksToMessagesStream,
  chatRequestToMessages,
  chatResponseToMessages,
  MessagesStreamToChatChunks,
  messagesRequestToChat,
  messagesResponseToChat,
  TranslationError,
} from './translate';
import { type Usage, usageOfJson } from './usage';

/** Relays one stream's SSE events: each raw event in, the frames to send out. */
export interface StreamRelay {
  push(event: string): string[];
  usage(): Usage | undefined;
  /**
   * For a relay that passes events through: true when whole events in `chunk` need nothing from it
   * (no usage to read or strip), so the bytes may go to the client as they are, undecoded.
   */
  passesUnchanged?(chunk: Buffer): boolean;
}

/** Serves a client of one protocol from a backend of another. */
export interface Translator {
  /** The backend endpoint that answers the client's. */
  readonly upstreamEndpoint: Endpoint;
  request(body: Record<string, unknown>, servedModel: string): Record<string, unknown>;
  response(text: string, requestedModel: string): { body: string; usage?: Usage };
  stream(includeUsage: boolean, requestedModel: string): StreamRelay;
}

/** A translation failure: the client's request (400, naming the field) or the upstream's answer (502). */
function translated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    if (e.source === 'request') throw Errors.badRequest(e.message, e.param);
    throw new GatewayError(502, 'api_error', 'upstream_untranslatable', `The upstream's answer could not be translated: ${e.message}`);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError(502, 'api_error', 'upstream_untranslatable', 'The upstream answered with something that is not JSON.');
  }
}

/** OpenAI chat clients on an Anthropic backend. */
const openAiChatOnAnthropic: Translator = {
  upstreamEndpoint: 'messages',
  request: (body, servedModel) => translated(() => chatRequestToMessages(body, servedModel)),
  response: (text, requested) => ({
    body: JSON.stringify(translated(() => messagesResponseToChat(parse(text), requested))),
    usage: usageOfJson(text),
  }),
  stream: (includeUsage, requested) => {
    const t = new MessagesStreamToChatChunks(requested, { includeUsage });
    return { push: (event) => translated(() => t.pushEvent(event)), usage: () => t.usage() };
  },
};

/** Claude-style clients (`/v1/messages`) on an OpenAI-compatible backend. */
const anthropicMessagesOnOpenAi: Translator = {
  upstreamEndpoint: 'chat',
  request: (body, servedModel) => translated(() => messagesRequestToChat(body, servedModel)),
  response: (text, requested) => ({
    body: JSON.stringify(translated(() => chatResponseToMessages(parse(text), requested))),
    usage: usageOfJson(text),
  }),
  stream: (_includeUsage, requested) => {
    const t = new ChatChunksToMessagesStream(requested);
    return { push: (event) => translated(() => t.pushEvent(event)), usage: () => t.usage() };
  },
};

/** Translation is a property of the (client, backend) protocol pair and the endpoint, not a branch per provider. */
const TRANSLATORS: Partial<Record<`${'openai' | 'anthropic'}>${'openai' | 'anthropic'}:${Endpoint}`, Translator>> = {
  'openai>anthropic:chat': openAiChatOnAnthropic,
  'anthropic>openai:messages': anthropicMessagesOnOpenAi,
};

/** The translator for a (client protocol, backend protocol) pair on an endpoint, if there is one. */
export function translatorFor(client: 'openai' | 'anthropic', upstream: 'openai' | 'anthropic', endpoint: Endpoint): Translator | undefined {
  return TRANSLATORS[`${client}>${upstream}:${endpoint}`];
}
