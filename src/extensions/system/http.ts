import type { JsonObject } from '../types';

/**
 * What the system extensions share about HTTP: header names, the headers they may never touch, and the shape of
 * an error body for the client's protocol (the gateway's own errors come from its catalog, which extensions do not
 * import: these bodies take the same shapes).
 */

/** An RFC 9110 field name (`token`). */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field value an extension may write: no CR, LF or NUL (a header cannot be split into two). */
export const HEADER_VALUE = /^[^\r\n\0]*$/;

/**
 * Credentials the gateway sets or checks itself (the providers' key headers among them: the runtime never sends
 * those from hooks): no extension config may set, remove or log them.
 */
export const CREDENTIAL_HEADERS: readonly string[] = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie', 'proxy-authorization', 'host'];

/**
 * Headers that frame the message or belong to one connection (hop-by-hop, RFC 9110 §7.6.1, and `expect`): the
 * gateway writes them, and a rewritten one would break the answer or the connection.
 */
export const FRAMING_HEADERS: readonly string[] = [
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-connection',
];

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error';

/** Whether a request path is Anthropic's Messages API (`…/v1/messages`, `…/v1/messages/count_tokens`). */
export function isAnthropicPath(path: string): boolean {
  return path.endsWith('/messages') || path.endsWith('/messages/count_tokens');
}

/** Whether a request path is OpenAI's Responses API (`…/v1/responses`). */
export function isResponsesPath(path: string): boolean {
  return path.endsWith('/responses');
}

/** An error answer as the client's SDK reads it: Anthropic's shape on its paths, OpenAI's elsewhere. */
export function errorBody(path: string, type: ErrorType, code: string, message: string): JsonObject {
  if (isAnthropicPath(path)) return { type: 'error', error: { type, message } };
  return { error: { message, type, param: null, code } };
}

/** The SDK server's JSON-RPC code for refusals at the HTTP level (the gateway's own MCP refusals use it too). */
const RPC_SERVER_ERROR = -32000;

/**
 * A refusal's body in the protocol of the route it answers: a JSON-RPC error on an MCP server (what MCP clients
 * show), else the API's error shape (errorBody). What a guard answering on every kind of route sends.
 */
export function refusalBody(route: { readonly kind: string }, path: string, type: ErrorType, code: string, message: string): JsonObject {
  if (route.kind === 'mcp') return { jsonrpc: '2.0', id: null, error: { code: RPC_SERVER_ERROR, message } };
  return errorBody(path, type, code, message);
}

/** The same error as one event of a stream that already started: how each protocol reports a failure mid-stream. */
export function errorEvent(path: string, type: ErrorType, code: string, message: string): { event: string | undefined; data: string } {
  if (isAnthropicPath(path)) return { event: 'error', data: JSON.stringify({ type: 'error', error: { type, message } }) };
  if (isResponsesPath(path)) return { event: 'error', data: JSON.stringify({ type: 'error', code, message, param: null }) };
  return { event: undefined, data: JSON.stringify({ error: { message, type, param: null, code } }) };
}
