/**
 * The subset of OpenAI's Responses API wire format the translators produce (the Response object,
 * its output items and the typed stream events), and the chat completions fields only the Responses
 * translation sends. As in `wire.ts`, inputs are untrusted JSON read field by field; these types
 * describe only what goes out. They follow the official SDK's types
 * (`openai/resources/responses/responses.d.ts`): every field it requires is here.
 *
 * https://platform.openai.com/docs/api-reference/responses and …/responses-streaming
 */
import type { ChatImagePart, ChatRequest, ChatTool } from './wire';

// ---------------------------------------------------------------------------------------------
// Chat completions fields the Responses translation adds (beyond `wire.ts`)
// ---------------------------------------------------------------------------------------------

/** An image part with the detail the client asked for (`input_image.detail`). */
export interface ChatImageDetailPart extends ChatImagePart {
  image_url: { url: string; detail?: 'low' | 'high' | 'auto' };
}

/** A function tool with its `strict` flag. */
export interface ChatStrictTool extends ChatTool {
  function: ChatTool['function'] & { strict?: boolean };
}

export type ChatResponseFormat =
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: { [key: string]: unknown }; strict?: boolean; description?: string } };

export type ChatReasoningEffort = 'low' | 'medium' | 'high';

/** A chat completions request as the Responses translation builds it. */
export type ResponsesChatRequest = ChatRequest & {
  response_format?: ChatResponseFormat;
  reasoning_effort?: ChatReasoningEffort;
  logprobs?: boolean;
  top_logprobs?: number;
};

// ---------------------------------------------------------------------------------------------
// Output items
// ---------------------------------------------------------------------------------------------

export interface ResponsesOutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

export interface ResponsesRefusal {
  type: 'refusal';
  refusal: string;
}

export type ResponsesMessagePart = ResponsesOutputText | ResponsesRefusal;

export type ResponsesItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface ResponsesOutputMessage {
  type: 'message';
  id: string;
  status: ResponsesItemStatus;
  role: 'assistant';
  content: ResponsesMessagePart[];
}

export interface ResponsesReasoningText {
  type: 'reasoning_text';
  text: string;
}

export interface ResponsesReasoningItem {
  type: 'reasoning';
  id: string;
  summary: never[];
  content: ResponsesReasoningText[];
}

export interface ResponsesFunctionCall {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ResponsesItemStatus;
}

export type ResponsesOutputItem = ResponsesReasoningItem | ResponsesOutputMessage | ResponsesFunctionCall;

// ---------------------------------------------------------------------------------------------
// The Response object
// ---------------------------------------------------------------------------------------------

export type ResponsesReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';
export const RESPONSES_REASONING_EFFORTS: readonly ResponsesReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export type ResponsesStatus = 'completed' | 'failed' | 'in_progress' | 'incomplete';

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** `error` of a failed Response (`ResponseError`). */
export interface ResponsesError {
  code: 'server_error';
  message: string;
}

/**
 * A Response. `output_text` is not here: OpenAI does not send it either, the SDKs compute it from
 * `output`. `usage` is absent while the response is in progress and when the upstream reported none.
 */
export type ResponsesResponse = {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponsesStatus;
  background: false;
  completed_at?: number;
  error: ResponsesError | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponsesOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: null;
  reasoning: { effort: ResponsesReasoningEffort | null; summary: null };
  store: false;
  temperature: number | null;
  text: { format: { [key: string]: unknown }; verbosity?: string };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: 'disabled';
  usage?: ResponsesUsage;
  user?: string;
  safety_identifier?: string;
  prompt_cache_key?: string;
  metadata: { [key: string]: string };
};
