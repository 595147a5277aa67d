import { type JsonRpcError, MAX_METHOD_LENGTH, RPC_CODES } from './jsonrpc';

/**
 * The JSON-RPC errors only the 2026-07-28 revision has (stateless.ts), beside jsonrpc.ts's RpcErrors: each
 * with the HTTP status the revision's validation ladder gives it (the SDK's LADDER_ERROR_HTTP_STATUS: every
 * refusal before dispatch is a 400, with the JSON-RPC error as body, which the v2 client reads as the
 * request's answer) and the `record.error` code the access log carries.
 */

/** The revision's new codes: header/body disagreement (SEP-2243), and a revision the server does not serve (with the ones it does in `data`). */
export const STATELESS_RPC_CODES = {
  headerMismatch: -32020,
  unsupportedProtocolVersion: -32022,
} as const;

export interface StatelessRefusal {
  readonly status: number;
  readonly record: string;
  readonly error: JsonRpcError;
}

const refusal = (record: string, error: JsonRpcError, status = 400): StatelessRefusal => ({ status, record, error });
const short = (s: string): string => s.slice(0, MAX_METHOD_LENGTH);

export const StatelessErrors = {
  batch: () =>
    refusal(
      'batch_not_supported',
      { code: RPC_CODES.invalidRequest, message: 'Invalid Request: a JSON-RPC batch cannot carry a request of MCP revision 2026-07-28 (the revision has no batches). Send one message per POST.' },
    ),
  invalid: (detail: string) => refusal('invalid_request', { code: RPC_CODES.invalidRequest, message: `Invalid Request: ${detail}` }),
  postedResponse: () =>
    refusal('invalid_request', {
      code: RPC_CODES.invalidRequest,
      message: 'Invalid Request: MCP revision 2026-07-28 has no server-to-client requests to answer by POST (a server asks for input in its result, input_required). Send requests and notifications only.',
    }),
  envelope: (problem: string) =>
    refusal('invalid_params', {
      code: RPC_CODES.invalidParams,
      message: `Invalid params: ${problem}. A request of MCP revision 2026-07-28 carries params._meta with 'io.modelcontextprotocol/protocolVersion' (a string) and 'io.modelcontextprotocol/clientCapabilities' (an object).`,
    }),
  unsupported: (requested: string, supported: readonly string[]) =>
    refusal('unsupported_protocol_version', {
      code: STATELESS_RPC_CODES.unsupportedProtocolVersion,
      message: `Unsupported protocol version: '${short(requested)}' is not served here; this gateway serves ${supported.join(', ')}. Send one of them (2025 revisions through initialize and a session).`,
      data: { supported, requested: short(requested) },
    }),
  headerMismatch: (header: string, found: string | undefined, expected: string) =>
    refusal('header_mismatch', {
      code: STATELESS_RPC_CODES.headerMismatch,
      message:
        found === undefined
          ? `Header mismatch: the ${header} header is required on a request of MCP revision 2026-07-28; send '${short(expected)}', as the body says.`
          : `Header mismatch: the ${header} header says '${short(found)}' but the body says '${short(expected)}'. Send the same value in both.`,
    }),
  /** An upstream that answers only the session era: the client then initializes a session (the v2 client does so itself in `auto` mode). */
  upstreamSessionOnly: (server: string, status: number, supported: readonly string[], requested: string) =>
    refusal('unsupported_protocol_version', {
      code: STATELESS_RPC_CODES.unsupportedProtocolVersion,
      message: `Unsupported protocol version: the upstream of MCP server '${server}' does not speak MCP revision ${short(requested)} (it refused the request with HTTP ${status}); it is served through a session only. Send initialize with one of ${supported.join(', ')}.`,
      data: { supported, requested: short(requested) },
    }),
  methodNotFound: (method: string, server: string): JsonRpcError => ({
    code: RPC_CODES.methodNotFound,
    message: `Method not found: '${short(method)}' is not served by MCP server '${server}' over MCP revision 2026-07-28. It serves server/discover, tools/list and tools/call.`,
  }),
};
