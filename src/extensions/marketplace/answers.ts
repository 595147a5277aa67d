import type { ExtensionRequest, JsonValue } from '../types';

export type ErrorType = 'authentication_error' | 'api_error';

/**
 * The JSON error body a marketplace extension answers with, in the client's own API: Anthropic's shape on an
 * Anthropic Messages path, OpenAI's elsewhere (the shapes and codes the gateway's own errors use, src/dataplane/errors.ts).
 */
export function errorBody(request: Pick<ExtensionRequest, 'path'>, type: ErrorType, code: string, message: string): JsonValue {
  if (/\/messages(\/count_tokens)?$/.test(request.path)) return { type: 'error', error: { type, message } };
  return { error: { message, type, param: null, code } };
}
