export { TranslationError } from './errors';
export {
  DEFAULT_MAX_TOKENS,
  MessagesStreamToChatChunks,
  anthropicErrorToChat,
  chatRequestToMessages,
  finishReasonOf,
  messagesResponseToChat,
  wantsStreamUsage,
  type ChatRequestToMessagesOptions,
  type MessagesStreamToChatChunksOptions,
} from './openai-to-anthropic';
export {
  ChatChunksToMessagesStream,
  chatErrorToMessages,
  chatResponseToMessages,
  messagesRequestToChat,
  stopReasonOf,
  type MessagesRequestToChatOptions,
} from './anthropic-to-openai';
export { sseField } from './read';
export type * from './wire';
