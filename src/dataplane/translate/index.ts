export { TranslationError } from './errors';
export {
  DEFAULT_MAX_TOKENS,
  MessagesStreamToChatChunks,
  anthropicErrorToChat,
  chatRequestToMessages,
  messagesResponseToChat,
  wantsStreamUsage,
} from './openai-to-anthropic';
export {
  ChatChunksToMessagesStream,
  chatErrorToMessages,
  chatResponseToMessages,
  messagesRequestToChat,
} from './anthropic-to-openai';
export type * from './wire';
