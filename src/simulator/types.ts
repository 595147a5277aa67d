/** One request as the simulator received it, recorded before any fault is applied. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Query parameters; for a repeated key, the last value wins. */
  readonly query: Record<string, string>;
  /** Header names in lower case; repeated headers are joined with `, `. */
  readonly headers: Record<string, string>;
  /**
   * The parsed JSON body, the raw string if it is not JSON, or `undefined` if the body is empty. A
   * `multipart/form-data` body is an object of its fields (an array where a name repeats), with each file
   * part summarised as `{ filename, contentType, size, sha256 }`; the file bytes themselves are never kept.
   */
  readonly body: unknown;
  /** `Date.now()` when the body had been read. */
  readonly receivedAt: number;
}

/** A failure the simulator injects in place of (or in the middle of) a normal response. */
export interface Fault {
  /**
   * Respond with this HTTP status and an OpenAI-style error body; on Anthropic paths (`.../v1/messages`), an
   * Anthropic-style one (`{ type: 'error', error: { type, message } }`; 429 `rate_limit_error`,
   * 529 `overloaded_error`, other 5xx `api_error`).
   */
  readonly status?: number;
  /** OpenAI-style error body message. Defaults to a message typical of the status. */
  readonly message?: string;
  /** `error.type` in the error body. Defaults by status: 429 `requests`, 5xx `server_error`, else `invalid_request_error`. */
  readonly type?: string;
  /** `error.code` in the error body. Defaults by status: 429 `rate_limit_exceeded`, 401 `invalid_api_key`, else `null`. Not in Anthropic bodies. */
  readonly code?: string | null;
  /** Extra delay before the response (added to `SimulatorOptions.latencyMs`). */
  readonly latencyMs?: number;
  /**
   * Close the socket after N SSE `data:` frames of a streaming response (the role chunk, or Anthropic's
   * `message_start`, counts as the first), after N pieces of a chunked binary body (speech), or before any
   * response byte if 0. For a non-streaming response, any N > 0 sends the headers and half of the body,
   * then closes the socket.
   */
  readonly dropAfterChunks?: number;
}

export interface SimulatorOptions {
  /** Port to listen on. Default 0: a free port. */
  readonly port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Delay before the first response byte of every request. Default 0. */
  readonly latencyMs?: number;
  /** Delay between SSE chunks. Default 0. */
  readonly chunkDelayMs?: number;
  /** Content chunks per streamed response (text deltas, tool-call argument pieces, speech audio pieces), per choice or output item. Default 10. */
  readonly streamChunks?: number;
  /** Echoed in every generated reply (`[sim:NAME] ...`) and in the `x-simulator-name` header. Default `sim`. */
  readonly name?: string;
  /**
   * Answer a request that is none of the simulated APIs' with 200 and a JSON echo of it (method, path,
   * query, headers without credentials, body), as a stand-in for any REST API (HTTP-to-MCP upstreams
   * in `aigw dev`). Default false: such a request gets OpenAI's 404.
   */
  readonly restEcho?: boolean;
}
