/**
 * JSON-RPC 2.0 as MCP uses it: the shapes of the messages the gateway reads, the checks every client
 * message passes before anything acts on it, and every JSON-RPC error the gateway builds (one place, as
 * `Errors` is for HTTP errors: nothing else writes an `error` object).
 */

export type JsonRpcId = string | number;

export interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** A request (has `id` and `method`), a notification (`method`, no `id`) or a response (`id`, `result` or `error`). */
export type JsonRpcMessage =
  | { readonly kind: 'request'; readonly id: JsonRpcId; readonly method: string; readonly params: Record<string, unknown> | undefined; readonly raw: Record<string, unknown> }
  | { readonly kind: 'notification'; readonly method: string; readonly raw: Record<string, unknown> }
  | { readonly kind: 'response'; readonly id: JsonRpcId | null; readonly raw: Record<string, unknown> };

/** The standard codes (JSON-RPC 2.0 §5.1), and the two server-defined ones MCP servers answer with. */
export const RPC_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The SDK server's code for transport-level refusals (406, 415, a missing session id…). */
  serverError: -32000,
  /** The SDK server's code for an unknown or ended session (HTTP 404). */
  sessionNotFound: -32001,
} as const;

/** Longest method name accepted: MCP's are under 40 characters; a longer one is noise or an attack. */
export const MAX_METHOD_LENGTH = 128;

export const RpcErrors = {
  parse: (detail: string): JsonRpcError => ({ code: RPC_CODES.parseError, message: `Parse error: the body is not valid JSON (${detail.slice(0, 200)}). Send one JSON-RPC 2.0 message as JSON.` }),
  invalidRequest: (detail: string): JsonRpcError => ({ code: RPC_CODES.invalidRequest, message: `Invalid Request: ${detail}` }),
  methodNotFound: (method: string, server: string): JsonRpcError => ({
    code: RPC_CODES.methodNotFound,
    message: `Method not found: '${method.slice(0, MAX_METHOD_LENGTH)}' is not served by MCP server '${server}'. It serves initialize, ping, tools/list and tools/call.`,
  }),
  invalidParams: (detail: string): JsonRpcError => ({ code: RPC_CODES.invalidParams, message: `Invalid params: ${detail}` }),
  /** A tool the caller may not use: the same answer whether the tool exists or not, so nothing is learnt by probing. */
  toolNotAvailable: (tool: string, server: string, consumer: string): JsonRpcError => ({
    code: RPC_CODES.invalidParams,
    message: `Tool '${tool.slice(0, MAX_METHOD_LENGTH)}' not found: MCP server '${server}' offers consumer '${consumer}' no tool of that name (tools/list shows the ones it may call). Ask the gateway's owner for a grant to it.`,
  }),
  /** The upstream MCP server failed (unreachable, 5xx, broke off mid-answer): the request was not answered. */
  upstreamFailed: (server: string, detail: string): JsonRpcError => ({
    code: RPC_CODES.internalError,
    message: `The upstream of MCP server '${server}' failed before answering (${detail.slice(0, 200)}). Retry; the session is still usable.`,
  }),
  /** An HTTP-level refusal (406, 415, 404, 400 …), carried as a JSON-RPC error body the way the SDK server writes them. */
  transport: (code: number, message: string): JsonRpcError => ({ code, message }),
};

export function errorResponse(id: JsonRpcId | null, error: JsonRpcError): Record<string, unknown> {
  return { jsonrpc: '2.0', id, error };
}

export function resultResponse(id: JsonRpcId, result: unknown): Record<string, unknown> {
  return { jsonrpc: '2.0', id, result };
}

/** What a check of one message found: the message, or what is wrong with it (with the id, when the message had a usable one). */
export type CheckedMessage =
  | { readonly ok: true; readonly message: JsonRpcMessage }
  | { readonly ok: false; readonly id: JsonRpcId | null; readonly detail: string };

const isId = (v: unknown): v is JsonRpcId => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/**
 * One parsed value as a JSON-RPC 2.0 message, or why not: `jsonrpc: "2.0"`, a string method of at most
 * MAX_METHOD_LENGTH characters, an id that is a string or a number, params an object when present,
 * a notification named `notifications/…`, a response with exactly one of `result` and `error`.
 */
export function checkMessage(value: unknown): CheckedMessage {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad(null, 'a JSON-RPC message is a JSON object');
  const raw = value as Record<string, unknown>;
  const id = isId(raw.id) ? raw.id : null;
  if (raw.jsonrpc !== '2.0') return bad(id, '"jsonrpc" must be "2.0"');
  if ('method' in raw) {
    const method = raw.method;
    if (typeof method !== 'string' || method === '') return bad(id, '"method" must be a non-empty string');
    if (method.length > MAX_METHOD_LENGTH) return bad(id, `"method" is ${method.length} characters long; at most ${MAX_METHOD_LENGTH} are accepted`);
    const params = raw.params;
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) return bad(id, '"params" must be an object when present');
    if (!('id' in raw)) {
      // MCP's notifications are all `notifications/…`. Anything else without an id (a `tools/call` sent as a
      // notification) is refused: a server may still run it, and it would pass every check made on requests.
      if (!method.startsWith('notifications/')) return bad(null, `a message without "id" is a notification, and MCP's are named notifications/…; found "${method.slice(0, MAX_METHOD_LENGTH)}". Send a request (with an id)`);
      return { ok: true, message: { kind: 'notification', method, raw } };
    }
    if (!isId(raw.id)) return bad(null, '"id" must be a string or a number');
    return { ok: true, message: { kind: 'request', id: raw.id, method, params: params as Record<string, unknown> | undefined, raw } };
  }
  if (!('id' in raw) || (raw.id !== null && !isId(raw.id))) return bad(null, 'a message without "method" is a response and needs a string or number "id"');
  if (('result' in raw) === ('error' in raw)) return bad(id, 'a response carries exactly one of "result" and "error"');
  return { ok: true, message: { kind: 'response', id: raw.id as JsonRpcId | null, raw } };
}

function bad(id: JsonRpcId | null, detail: string): CheckedMessage {
  return { ok: false, id, detail };
}

/** The JSON-RPC code an HTTP-level refusal (a catalog error, errors.ts) carries in its body, as the SDK server writes them. */
export function rpcCodeOf(error: { readonly code: string; readonly status: number }): number {
  switch (error.code) {
    case 'invalid_json':
      return RPC_CODES.parseError;
    case 'invalid_request':
    case 'batch_not_supported':
    case 'json_too_deep':
    case 'duplicate_key':
      return RPC_CODES.invalidRequest;
    case 'session_not_found':
      return RPC_CODES.sessionNotFound;
    default:
      return error.status >= 500 ? RPC_CODES.internalError : RPC_CODES.serverError;
  }
}
