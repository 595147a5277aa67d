/**
 * The answer to a REST call the simulator does not otherwise serve, with `restEcho` on: a JSON echo
 * of what arrived, so that `aigw dev` can call any HTTP-to-MCP tool and show what the gateway sent.
 */
import type { IncomingMessage } from 'node:http';

/** Credentials never come back, not even the dev session's dummy values. */
const UNECHOED_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie']);

export interface RestEcho {
  readonly method: string;
  readonly path: string;
  /** For a repeated key, the last value wins (as in `RecordedRequest`). */
  readonly query: Record<string, string>;
  /** Lower-case names, credentials left out. */
  readonly headers: Record<string, string>;
  /** The parsed JSON body, the raw text if it is not JSON, or null when there is none. */
  readonly body: unknown;
}

export function restEcho(req: IncomingMessage, url: URL, body: unknown): RestEcho {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    const name = key.toLowerCase();
    if (value !== undefined && !UNECHOED_HEADERS.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    headers,
    body: body ?? null,
  };
}
