/**
 * The subset of the two wire formats the translators produce. Inputs are untrusted JSON and are
 * read field by field (see `read.ts`); these types describe only what goes out. Whole bodies are
 * type aliases, not interfaces, so that they are assignable to `Record<string, unknown>`.
 *
 * OpenAI: https://platform.openai.com/docs/api-reference/chat
 * Anthropic: https://docs.anthropic.com/en/api/messages and …/messages-streaming
 */

// ---------------------------------------------------------------------------------------------
// OpenAI chat completions
// ---------------------------------------------------------------------------------------------

export interface ChatTextPart {
  type: 'text';
  text: string;
}

export interface ChatImagePart {
  type: 'image_url';
  image_url: { url: string };
}

export interface ChatFilePart {
  type: 'file';
  file: { file_data: string; filename?: string };
}

export type ChatUserPart = ChatTextPart | ChatImagePart | ChatFilePart;

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatSystemMessage {
  role: 'system';
  content: string;
}

export interface ChatUserMessage {
  role: 'user';
  content: string | ChatUserPart[];
}

export interface ChatAssistantMessage {
  role: 'assistant';
  content: string | null;
  tool_calls?: ChatToolCall[];
}

export interface ChatToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

export type ChatMessage = ChatSystemMessage | ChatUserMessage | ChatAssistantMessage | ChatToolMessage;

export interface ChatTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: { [key: string]: unknown } };
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export type ChatRequest = {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  temperature?: number;
  top_p?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
  parallel_tool_calls?: boolean;
  user?: string;
  /** OpenAI and Azure OpenAI reasoning models. */
  reasoning_effort?: 'low' | 'medium' | 'high';
  /** DashScope (Qwen): thinking on or off, and its budget in tokens. */
  enable_thinking?: boolean;
  thinking_budget?: number;
};

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
}

export type ChatCompletion = {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    /** `reasoning_content`: the model's thinking, as DeepSeek and DashScope (Qwen) return it. */
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ChatToolCall[]; reasoning_content?: string };
    finish_reason: ChatFinishReason;
    logprobs: null;
  }>;
  usage: ChatUsage;
};

export interface ChatChunkToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatChunkDelta {
  role?: 'assistant';
  content?: string;
  /** The model's thinking, streamed (the DeepSeek and DashScope convention). */
  reasoning_content?: string;
  tool_calls?: ChatChunkToolCall[];
}

export type ChatCompletionChunk = {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: ChatChunkDelta; finish_reason: ChatFinishReason | null; logprobs: null }>;
  usage?: ChatUsage | null;
};

/** The error types OpenAI clients switch on (as in `../errors.ts`). */
export type ChatErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'api_error';

export type ChatErrorBody = {
  error: { message: string; type: ChatErrorType; param: string | null; code: string | null };
};

// ---------------------------------------------------------------------------------------------
// Anthropic messages
// ---------------------------------------------------------------------------------------------

export type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';
export const IMAGE_MEDIA_TYPES: readonly ImageMediaType[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: ImageMediaType; data: string } | { type: 'url'; url: string };
}

export interface DocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: 'application/pdf'; data: string };
  title?: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: { [key: string]: unknown };
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | TextBlock[];
}

/**
 * The model's thinking. `signature` is Anthropic's proof that Claude wrote it; a block made from another
 * backend's reasoning carries `''` (nothing to prove, and only that backend's route takes it back).
 */
export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export type UserBlock = TextBlock | ImageBlock | DocumentBlock | ToolResultBlock;
export type AssistantBlock = TextBlock | ToolUseBlock;
/** What an answer carries: what a request's assistant turn may, and thinking. */
export type AnswerBlock = ThinkingBlock | AssistantBlock;

export type MessagesTurn =
  | { role: 'user'; content: string | UserBlock[] }
  | { role: 'assistant'; content: string | AssistantBlock[] };

export interface MessagesTool {
  name: string;
  description?: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

export type MessagesToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export type MessagesRequest = {
  model: string;
  max_tokens: number;
  messages: MessagesTurn[];
  system?: string | TextBlock[];
  tools?: MessagesTool[];
  tool_choice?: MessagesToolChoice;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  stream?: boolean;
  metadata?: { user_id: string };
  /** Extended thinking: `budget_tokens` at least 1,024 and below `max_tokens`. */
  thinking?: { type: 'enabled'; budget_tokens: number };
};

export type MessagesStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type MessagesResponse = {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnswerBlock[];
  stop_reason: MessagesStopReason;
  stop_sequence: string | null;
  usage: MessagesUsage;
};

export type MessagesErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export type MessagesErrorBody = {
  type: 'error';
  error: { type: MessagesErrorType; message: string };
};

// ---------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------

/** Token counts for the gateway's metrics and limits; input includes cached prompt tokens. */
export interface TranslatedUsage {
  inputTokens: number;
  outputTokens: number;
}
