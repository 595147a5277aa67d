import { estimatePromptTokens } from '../token-estimate';
import { upstreamErrorMessage } from './error-message';
import type { Translator } from './translator';

/** About four characters a token, as the prompt estimate counts: a tool's definition costs its JSON. */
const CHARS_PER_TOKEN = 4;

/** The response header that says a count is the gateway's estimate, not the backend's tokenizer. */
const TOKEN_COUNT_HEADER = 'x-aigw-token-count';

function answeredLocally(): never {
  throw new Error('token counting on this backend is answered by the gateway: nothing is sent upstream');
}

/**
 * `POST /v1/messages/count_tokens` on a backend without the endpoint (any OpenAI-compatible one): the
 * gateway's estimate from the body (messages, system, tools), in Anthropic's shape, with
 * `x-aigw-token-count: estimated` so that a client can tell it from a tokenizer's count.
 */
export const countTokensEstimated: Translator = {
  upstreamEndpoint: 'messages.count_tokens',
  local: (request) => {
    const tools = Array.isArray(request.body.tools) ? Math.ceil(JSON.stringify(request.body.tools).length / CHARS_PER_TOKEN) : 0;
    return { body: JSON.stringify({ input_tokens: estimatePromptTokens('messages', request.body) + tools }), headers: { [TOKEN_COUNT_HEADER]: 'estimated' } };
  },
  payload: answeredLocally,
  stream: answeredLocally,
  responseError: upstreamErrorMessage,
};
