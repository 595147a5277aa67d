import type { ServerResponse } from 'http';
import type { WireProtocol } from '../specs';
import { ENDPOINTS, STORED_RESPONSE_DAYS } from './endpoints';

/**
 * The shape an error body takes: the client's protocol. A native agent route answers in its agent's own
 * (Dify: `{code, message, status}`; DashScope: `{code, message, request_id}`), so that the agent's SDK reads it.
 */
/** `jsonrpc`: an MCP server's HTTP-level refusal, as a JSON-RPC error MCP clients show (the WAF's). */
export type ErrorFormat = WireProtocol | 'dify' | 'dashscope' | 'jsonrpc';

/** The OpenAI error types clients switch on. */
export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'api_error' | 'timeout_error';

/** Anthropic's error types for ours (https://docs.anthropic.com/en/api/errors). */
const ANTHROPIC_TYPES: Record<OpenAiErrorType, string> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
  api_error: 'api_error',
  timeout_error: 'api_error',
};

/** DashScope's error codes for ours (its API reference, "error codes"): what its SDKs switch on. */
const DASHSCOPE_CODES: Record<OpenAiErrorType, string> = {
  invalid_request_error: 'InvalidParameter',
  authentication_error: 'InvalidApiKey',
  permission_error: 'AccessDenied',
  not_found_error: 'NotFound',
  rate_limit_error: 'Throttling',
  api_error: 'InternalError',
  timeout_error: 'RequestTimeOut',
};

/** A failure the gateway answers itself, as an OpenAI-style error with the right status. */
export class GatewayError extends Error {
  public constructor(
    public readonly status: number,
    public readonly type: OpenAiErrorType,
    /** A stable machine-readable code, e.g. `model_not_found`. */
    public readonly code: string,
    message: string,
    public readonly param: string | null = null,
    /** Headers the error response carries (e.g. `retry-after`, `x-ratelimit-*`). */
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  public body(format: ErrorFormat = 'openai'): string {
    if (format === 'anthropic') return JSON.stringify({ type: 'error', error: { type: ANTHROPIC_TYPES[this.type], message: this.message } });
    if (format === 'dify') return JSON.stringify({ code: this.code, message: this.message, status: this.status });
    if (format === 'dashscope') return JSON.stringify({ code: DASHSCOPE_CODES[this.type], message: this.message, request_id: this.headers['x-request-id'] ?? '' });
    // -32000: the code the MCP SDK's server gives refusals at the HTTP level.
    if (format === 'jsonrpc') return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: this.message, data: { type: this.type, code: this.code } } });
    return JSON.stringify({ error: { message: this.message, type: this.type, param: this.param, code: this.code } });
  }
}

/**
 * Codes the access record and the `error_type` metric label carry for outcomes that send no error
 * body (the answer had started, or nobody is left to read it): named here so that every label
 * value comes from this file.
 */
export const RecordedErrors = {
  /** The client left before any answer (nginx's 499). */
  clientAborted: 'client_aborted',
  /** The upstream failed after the answer's headers were sent: the client sees a cut stream. */
  upstreamStreamFailed: 'upstream_stream_failed',
  /** An agent answered with an error status of its own, relayed as it is (its status is `aigw_requests_total`'s `status` label). */
  upstreamErrorStatus: 'upstream_error_status',
  /** An agent's stream ended in its own error (Dify's `error` event, a failed workflow) after the answer had started. */
  agentStreamFailed: 'agent_stream_failed',
} as const;

/** Every endpoint a model route serves, for the 404 that names them: computed once from ENDPOINTS. */
const ENDPOINT_LIST = [...Object.values(ENDPOINTS).map((e) => `/v1${e.suffix}`), '/v1/models', '/v1/models/{id}', '/v1/responses/{id}'].join(', ').replace(/, (?=[^,]*$)/, ' or ');

export const Errors = {
  badJson: (detail: string) => new GatewayError(400, 'invalid_request_error', 'invalid_json', `The request body is not valid JSON (${detail}). Send a JSON object.`),
  badRequest: (message: string, param: string | null = null) => new GatewayError(400, 'invalid_request_error', 'invalid_request', message, param),
  // Request bodies: what the client sent, or failed to send (client faults, never the backend's).
  jsonTooDeep: (limit: number) =>
    new GatewayError(400, 'invalid_request_error', 'json_too_deep', `The JSON body nests objects and arrays deeper than ${limit} levels (limits.maxJsonDepth). Send a flatter body.`),
  duplicateKey: (key: string) =>
    new GatewayError(400, 'invalid_request_error', 'duplicate_key', `The JSON body has the top-level key '${key}' more than once. Send it exactly once.`, key),
  bodyTimeout: (ms: number) =>
    new GatewayError(408, 'invalid_request_error', 'request_body_timeout', `The request body stalled: nothing arrived for ${ms} ms (limits.bodyTimeoutMs). Send the body without pauses, or retry.`, null, { connection: 'close' }),
  bodyTooSlow: (ms: number, setting: string) =>
    new GatewayError(
      408,
      'invalid_request_error',
      'request_body_timeout',
      `The request body was still arriving when the attempt's time ran out (${ms} ms, ${setting}): the upload is too slow. Send the body faster, or a smaller one.`,
      null,
      { connection: 'close' },
    ),
  bodyIncomplete: () =>
    new GatewayError(400, 'invalid_request_error', 'request_body_incomplete', 'The request body ended before it was complete. Send the whole body.'),
  noKey: () =>
    new GatewayError(401, 'authentication_error', 'missing_api_key', 'No API key provided. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".'),
  badKey: () => new GatewayError(401, 'authentication_error', 'invalid_api_key', 'The API key is not valid for this gateway. Check the key, or ask for one.'),
  notGranted: (consumer: string, route: string) =>
    new GatewayError(403, 'permission_error', 'not_granted', `Consumer '${consumer}' has no grant to route '${route}'. Ask the gateway's owner for a grant.`),
  /** The WAF refused the request (waf/inspection.ts): the rules that decided it and the id its log line carries, never what matched. */
  wafBlocked: (rules: readonly string[], requestId: string) =>
    new GatewayError(
      403,
      'permission_error',
      'waf_blocked',
      `The gateway's web application firewall blocked this request (rule${rules.length === 1 ? '' : 's'} ${rules.slice(0, 5).join(', ')}${rules.length > 5 ? ', …' : ''}; request id ${requestId}). ` +
        "If the request is legitimate, give the request id to the gateway's operator: the gateway's log says what matched.",
      null,
      { 'x-request-id': requestId },
    ),
  // MCP servers (src/dataplane/mcp): HTTP-level refusals, answered with a JSON-RPC error body (mcp/answer.ts).
  mcpNotGranted: (consumer: string, server: string) =>
    new GatewayError(403, 'permission_error', 'not_granted', `Consumer '${consumer}' has no grant to MCP server '${server}'. Ask the gateway's owner for a grant.`),
  mcpOriginRefused: (origin: string, host: string) =>
    new GatewayError(
      403,
      'permission_error',
      'origin_not_allowed',
      `The Origin '${origin.slice(0, 200)}' is not this gateway's own origin (Host '${host.slice(0, 200)}', reached by a published domain, localhost or an IP address): MCP servers refuse calls from other sites' pages and from renamed ones (DNS-rebinding guard). Call from a client that sends no Origin, or from a page served on one of the gateway's domains.`,
    ),
  mcpNotAcceptable: (accept: string, needs: string) =>
    new GatewayError(406, 'invalid_request_error', 'not_acceptable', `Not Acceptable: the Accept header must list ${needs} (found '${accept.slice(0, 200)}'). Send the Accept header the MCP Streamable HTTP transport requires.`),
  mcpUnsupportedMediaType: (contentType: string) =>
    new GatewayError(415, 'invalid_request_error', 'unsupported_media_type', `Unsupported Media Type: an MCP message is sent as application/json (found '${contentType.slice(0, 200)}').`),
  mcpProtocolVersion: (found: string, supported: readonly string[]) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'unsupported_protocol_version',
      `Bad Request: MCP-Protocol-Version '${found.slice(0, 64)}' is not supported; this gateway speaks ${supported.join(', ')}. Send the version negotiated at initialize.`,
    ),
  mcpVersionMismatch: (found: string, negotiated: string) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'unsupported_protocol_version',
      `Bad Request: MCP-Protocol-Version '${found}' is not this session's; it negotiated ${negotiated} at initialize. Send ${negotiated}, or initialize a new session.`,
    ),
  mcpInvalidMessage: (detail: string) => new GatewayError(400, 'invalid_request_error', 'invalid_request', `Invalid Request: ${detail}`),
  mcpBatchRefused: (version: string) =>
    new GatewayError(400, 'invalid_request_error', 'batch_not_supported', `Invalid Request: JSON-RPC batches are not part of MCP ${version} (only 2025-03-26 allows them). Send one message per POST.`),
  mcpSessionRequired: () =>
    new GatewayError(400, 'invalid_request_error', 'session_required', 'Bad Request: the Mcp-Session-Id header is required after initialize. Send the id the initialize answer carried.'),
  mcpSessionNotFound: (server: string) =>
    new GatewayError(
      404,
      'not_found_error',
      'session_not_found',
      `Session not found on MCP server '${server}': the id was issued for another server or consumer, or by a gateway with another session key, or is not a session id. Initialize a new session.`,
    ),
  /** A consumer holds as many HTTP+SSE upstream sessions of one server as one replica keeps (mcp/sse-upstream.ts). */
  mcpTooManySessions: (server: string, consumer: string, max: number) =>
    new GatewayError(
      429,
      'rate_limit_error',
      'mcp_too_many_sessions',
      `MCP server '${server}': consumer '${consumer}' already has ${max} open sessions on this gateway replica, the most it keeps for one consumer. End the sessions you no longer use (DELETE with their Mcp-Session-Id), then initialize again.`,
    ),
  mcpStreamsUnreachable: (server: string) =>
    new GatewayError(
      503,
      'api_error',
      'mcp_streams_unavailable',
      `MCP server '${server}': the legacy HTTP+SSE streams are shared through Redis, which does not answer; a message cannot reach its stream now. Retry shortly, or use Streamable HTTP at the server's path.`,
      null,
      { 'retry-after': '1' },
    ),
  /** A legacy HTTP+SSE stream with as many messages still being answered on this replica as one stream may have. */
  mcpTooManyPending: (server: string, limit: number) =>
    new GatewayError(
      429,
      'rate_limit_error',
      'mcp_too_many_pending',
      `MCP server '${server}': this legacy HTTP+SSE stream already has ${limit} messages being answered on this gateway replica, the most one stream may have. Wait for their answers on the stream (or cancel some), then send again.`,
      null,
      { 'retry-after': '1' },
    ),
  mcpMethodNotAllowed: (method: string, allow: string) =>
    new GatewayError(405, 'invalid_request_error', 'method_not_allowed', `Method ${method} is not allowed on an MCP endpoint. Use ${allow}.`, null, { allow }),
  mcpNoServerStream: (server: string) =>
    new GatewayError(405, 'invalid_request_error', 'method_not_allowed', `MCP server '${server}' offers no server-to-client stream (GET). Its answers come on each POST.`, null, { allow: 'POST, DELETE' }),
  mcpNotServed: (server: string, what: string, fix: string) =>
    new GatewayError(501, 'api_error', 'mcp_not_served', `MCP server '${server}': ${what} is not served by this data plane version. ${fix}`),
  mcpUpstreamBadAnswer: (server: string, detail: string) =>
    new GatewayError(502, 'api_error', 'upstream_bad_answer', `The upstream of MCP server '${server}' answered with something the MCP transport does not allow (${detail.slice(0, 200)}). Retry later.`),
  mcpCircuitOpen: (server: string) =>
    new GatewayError(503, 'api_error', 'backends_cooling_down', `The upstream of MCP server '${server}' is cooling down after repeated failures. Retry shortly.`),
  /** An MCP server's request budget is spent: carried as the JSON-RPC error of the refused request (mcp/limits.ts). */
  mcpRateLimited: (server: string, consumer: string, rule: { name: string; limit: number; window: string; scope: 'consumer' | 'server'; tool?: string }, retryAfterSeconds: number, headers: Record<string, string>) => {
    const what = rule.tool === undefined ? `${rule.limit} requests per ${rule.window}` : `${rule.limit} calls of tool '${rule.tool}' per ${rule.window}`;
    const reached =
      rule.scope === 'consumer'
        ? `consumer '${consumer}' reached its limit '${rule.name}' of ${what}`
        : `the limit '${rule.name}' of ${what}, shared by all its callers, is reached (consumer '${consumer}' refused)`;
    return new GatewayError(
      429,
      'rate_limit_error',
      'mcp_rate_limited',
      `MCP server '${server}': ${reached}; retry in ${retryAfterSeconds} s, or ask the gateway's owner to raise the limit.`,
      null,
      headers,
    );
  },
  mcpLimitsUnavailable: (server: string) =>
    new GatewayError(503, 'api_error', 'rate_limit_unavailable', `MCP server '${server}': rate-limit state is unavailable and the server fails closed (onRedisUnavailable: 'failClosed'). Retry shortly.`, null, { 'retry-after': '1' }),
  noRoute: (host: string, path: string) =>
    new GatewayError(404, 'not_found_error', 'route_not_found', `No route matches host '${host}' and path '${path}'. Check the base URL.`),
  noEndpoint: (path: string) => new GatewayError(404, 'not_found_error', 'endpoint_not_found', `'${path}' is not an endpoint of this gateway. Use ${ENDPOINT_LIST}.`),
  /** `/v1/responses/input_tokens` and `/v1/responses/compact`: endpoints of the Responses API the gateway does not serve yet. */
  responsesEndpointNotServed: (method: string, path: string) => {
    const what = `${method.slice(0, 20)} '${path.slice(0, 200)}'`;
    const fix = path.endsWith('/responses/input_tokens')
      ? 'Count a prompt with POST /v1/messages/count_tokens (an estimate where the backend cannot count).'
      : 'Send the conversation as it is, or shorten it yourself.';
    return new GatewayError(501, 'api_error', 'endpoint_not_served', `${what} is not served by this gateway yet. ${fix}`);
  },
  // Responses kept by a backend (stored-responses.ts): reached by the consumer who created them, on the route they were created on.
  responseNotFound: (id: string) =>
    new GatewayError(
      404,
      'not_found_error',
      'response_not_found',
      `Response with id '${id}' not found. A stored response is reached on the route and with the API key that created it, for ${STORED_RESPONSE_DAYS} days, unless it was created with store: false.`,
    ),
  previousResponseNotFound: (id: string) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'previous_response_not_found',
      `Previous response with id '${id}' not found. Continue a response created on this route with this API key (with store not false, in the last ${STORED_RESPONSE_DAYS} days), or send the whole conversation in input.`,
      'previous_response_id',
    ),
  previousResponseElsewhere: (id: string, model: string) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'previous_response_elsewhere',
      `Previous response '${id}' is kept by a backend that does not serve model '${model}' on this route, so it cannot be continued with that model. Continue it with the model that created it, or send the whole conversation in input.`,
      'previous_response_id',
    ),
  storedResponsesUnavailable: (id: string) =>
    new GatewayError(503, 'api_error', 'stored_responses_unavailable', `The gateway could not look up which backend keeps response '${id}' (its Redis did not answer). Retry shortly.`),
  storedResponseMethod: (method: string, allow: string) =>
    new GatewayError(405, 'invalid_request_error', 'method_not_allowed', `Method ${method.slice(0, 20)} is not allowed here. Use ${allow.replace(', ', ' or ')}.`, null, { allow }),
  backgroundUncountable: (route: string) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'invalid_request',
      `background is true, but route '${route}' limits tokens, and a background response reports its usage only after this request has ended, so the gateway could not count it. Send background: false (streaming if the wait is long).`,
      'background',
    ),
  noModel: (model: string, route: string) =>
    new GatewayError(404, 'not_found_error', 'model_not_found', `The model '${model}' does not exist on route '${route}'. List the models with GET /v1/models.`, 'model'),
  tooLarge: (limit: number) =>
    new GatewayError(413, 'invalid_request_error', 'request_too_large', `The request body exceeds ${limit} bytes. Send a smaller request.`),
  // Compressed request bodies (src/dataplane/inflow): decoded before anything reads them, bounded by the body limit once decoded.
  tooLargeDecoded: (limit: number, encoding: string) =>
    new GatewayError(
      413,
      'invalid_request_error',
      'request_too_large',
      `The request body, once decompressed (Content-Encoding '${encoding}'), exceeds ${limit} bytes: the limit holds for the decompressed size. Send a smaller request.`,
    ),
  unsupportedContentEncoding: (value: string, supported: readonly string[]) =>
    new GatewayError(
      415,
      'invalid_request_error',
      'unsupported_content_encoding',
      `Unsupported Media Type: the request's Content-Encoding '${value.slice(0, 100)}' is not one the gateway decompresses (${supported.join(', ')}, or identity; one coding, not a list). Send the body with one of those, or uncompressed without the header.`,
    ),
  badContentEncoding: (encoding: string, detail: string) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'invalid_content_encoding',
      `The request body is not valid ${encoding} data (${detail.slice(0, 200)}), as its Content-Encoding says. Send the body compressed with ${encoding}, or uncompressed without the header.`,
    ),
  methodNotAllowed: (method: string) => new GatewayError(405, 'invalid_request_error', 'method_not_allowed', `Method ${method} is not allowed here. Use POST.`),
  // The edge and the agent proxy (request line, Host, path).
  methodRefused: (method: string) =>
    new GatewayError(405, 'invalid_request_error', 'method_not_allowed', `Method ${method} is not served by this gateway on any route. Use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.`, null, {
      allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
    }),
  unsupportedRequestTarget: (target: string, fix: string) =>
    new GatewayError(400, 'invalid_request_error', 'invalid_request_target', `The request target '${target.slice(0, 200)}' is not accepted: ${fix}.`),
  duplicateHost: (count: number) =>
    new GatewayError(400, 'invalid_request_error', 'duplicate_host', `The request carries ${count} Host headers; HTTP/1.1 allows exactly one (RFC 9112 §3.2). Send one Host header.`),
  conflictingAuthority: (authority: string, host: string) =>
    new GatewayError(
      400,
      'invalid_request_error',
      'conflicting_authority',
      `The request's :authority (${authority.slice(0, 256)}) and Host header (${host.slice(0, 256)}) name different hosts; HTTP/2 requires them to agree (RFC 9113 §8.3.1). Send :authority alone.`,
    ),
  upstreamEncoding: (backend: string, encoding: string) =>
    new GatewayError(
      502,
      'api_error',
      'upstream_encoding_unsupported',
      `The upstream '${backend}' answered with Content-Encoding '${encoding.slice(0, 50)}', which the gateway cannot read to scrub credentials (it asks for identity and reads gzip, deflate and br). Configure the upstream to honor Accept-Encoding.`,
    ),
  pathNotAllowed: (route: string, path: string, reason: string) =>
    new GatewayError(400, 'invalid_request_error', 'path_not_allowed', `The path '${path.slice(0, 200)}' is refused on agent route '${route}': ${reason}.`),
  /** The client closed the connection before an answer: nobody reads this, it names the outcome in logs and metrics (nginx's 499). */
  clientGone: () => new GatewayError(499, 'api_error', RecordedErrors.clientAborted, 'The client closed the connection before the answer.'),
  upstreamUnreachable: (backend: string, detail: string) =>
    new GatewayError(502, 'api_error', 'upstream_unreachable', `The upstream '${backend}' could not be reached (${detail}). Retry later.`),
  upstreamFailed: (backend: string, status: number) => new GatewayError(502, 'api_error', 'upstream_error', `The upstream '${backend}' failed with HTTP ${status}. Retry later.`),
  /** The upstream is rate limiting: worth another attempt; its message (scrubbed) goes to the client if none succeeds. */
  upstreamRateLimited: (scrubbedMessage: string) => new GatewayError(429, 'rate_limit_error', 'upstream_rate_limited', scrubbedMessage),
  /** The upstream refused the client's request (a 4xx other than 401/403/429): its status and its explanation, scrubbed. */
  upstreamRejected: (status: number, scrubbedMessage: string) => new GatewayError(status, 'invalid_request_error', 'upstream_rejected', scrubbedMessage),
  upstreamUntranslatable: (detail: string) =>
    new GatewayError(502, 'api_error', 'upstream_untranslatable', `The upstream's answer could not be translated: ${detail}`),
  upstreamNotJson: () => new GatewayError(502, 'api_error', 'upstream_untranslatable', 'The upstream answered with something that is not JSON.'),
  upstreamAuth: (backend: string) =>
    new GatewayError(502, 'api_error', 'upstream_auth_failed', `The upstream '${backend}' rejected the gateway's credentials. The gateway's operator must fix the backend's API key.`),
  upstreamTimeout: (backend: string, phase: string, ms: number) =>
    new GatewayError(504, 'timeout_error', 'upstream_timeout', `The upstream '${backend}' did not answer within ${ms} ms (${phase}). Retry later.`),
  rateLimited: (rule: { kind: string; limit: number; window: string; scope: string }, retryAfterSeconds: number, headers: Record<string, string>) =>
    new GatewayError(
      429,
      'rate_limit_error',
      'rate_limit_exceeded',
      `Rate limit reached: ${rule.limit} ${rule.kind} per ${rule.window} (${rule.scope}). Retry in ${retryAfterSeconds} s.`,
      null,
      headers,
    ),
  limitsUnavailable: () =>
    new GatewayError(503, 'api_error', 'rate_limit_unavailable', 'Rate-limit state is unavailable and this route fails closed. Retry shortly.', null, { 'retry-after': '1' }),
  circuitOpen: (model: string) =>
    new GatewayError(503, 'api_error', 'backends_cooling_down', `Every backend of model '${model}' is cooling down after repeated failures. Retry shortly.`),
  /**
   * The agent answered with an error of its own before any byte went to the client (Dify's `error` event,
   * a failed workflow, DashScope's error): its status when it gave a 4xx (the request's fault), else 502.
   */
  agentFailed: (route: string, status: number, agentCode: string, message: string) =>
    new GatewayError(
      status >= 400 && status < 500 && status !== 401 && status !== 403 ? status : 502,
      status === 429 ? 'rate_limit_error' : status >= 400 && status < 500 && status !== 401 && status !== 403 ? 'invalid_request_error' : 'api_error',
      'agent_error',
      `The agent of route '${route}' failed (${agentCode.slice(0, 100)}): ${message.slice(0, 500)}`,
    ),
  /** A native agent route serves its agent's documented endpoints only (the Dify app API's allow-list). */
  agentEndpointNotServed: (route: string, method: string, path: string, served: string) =>
    new GatewayError(404, 'not_found_error', 'endpoint_not_found', `${method.slice(0, 20)} '${path.slice(0, 200)}' is not an endpoint agent route '${route}' serves. It serves ${served}.`),
  agentCircuitOpen: (route: string) =>
    new GatewayError(503, 'api_error', 'backends_cooling_down', `The agent of route '${route}' is cooling down after repeated failures. Retry shortly.`),
  /** A connection over the replica's share of the spec's client connections, refused before any request is read. */
  tooManyConnections: () =>
    new GatewayError(
      503,
      'api_error',
      'too_many_connections',
      "This gateway replica is at its share of the capacity spec's client connections. Retry; another replica may take it, or raise the gateway's spec.",
      null,
      { 'retry-after': '1' },
    ),
  // Extensions (src/dataplane/extensions): a hook whose failure policy is `closed` failed; nothing reached the upstream.
  extensionFailed: (extension: string, hook: string) =>
    new GatewayError(
      500,
      'api_error',
      'extension_failed',
      `Extension '${extension}' failed in its ${hook} hook, and its failure policy is closed: the request was not served. Retry; if it persists, the gateway's owner must fix the extension or set its failPolicy to open.`,
    ),
  extensionTimeout: (extension: string, hook: string, budgetMs: number) =>
    new GatewayError(
      504,
      'timeout_error',
      'extension_timeout',
      `Extension '${extension}' did not finish its ${hook} hook within its ${budgetMs} ms budget, and its failure policy is closed: the request was not served. Retry shortly.`,
    ),
  /** A bug of the gateway's own (logged with its stack): the client gets a generic 500, never the details. */
  internal: () => new GatewayError(500, 'api_error', 'internal_error', 'The gateway failed to handle the request.'),
  unavailable: () => new GatewayError(503, 'api_error', 'unavailable', 'The gateway is shutting down. Retry on another replica.'),
  overQps: (qps: number) =>
    new GatewayError(503, 'api_error', 'capacity_exceeded', `This gateway replica is at its share of the capacity spec (${qps} QPS). Retry shortly, or raise the gateway's spec.`),
};

export function sendError(res: ServerResponse, error: GatewayError, headers: Record<string, string> = {}, format: ErrorFormat = 'openai'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = error.body(format);
  res.writeHead(error.status, { ...error.headers, ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
