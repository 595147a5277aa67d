import type { IncomingHttpHeaders } from 'http';
import { GATEWAY_CONFIG_DEFAULTS } from '../../specs';
import { Errors, type GatewayError } from '../errors';
import type { RequestContext } from '../request-context';
import { callUpstream, type UpstreamResponse } from '../upstream-call';
import { type CompiledMcpProxy, MCP_FIRST_BYTE_MS } from './compile';
import type { McpSession } from './session';

/**
 * One HTTP exchange with a proxied MCP server, over its pool, cancelled when the client leaves, with
 * the breaker told only about the upstream's own failures: it cannot be reached, times out, or answers
 * 5xx. The client leaving, or a client fault the upstream answers with a 4xx, never charges it.
 */
export async function callMcpUpstream(
  ctx: RequestContext,
  route: CompiledMcpProxy,
  method: 'POST' | 'GET' | 'DELETE',
  headers: Record<string, string>,
  body?: string,
  /** Where on the upstream's origin: its URL's path unless given (an HTTP+SSE upstream's message endpoint, sse-upstream.ts). */
  path: string = route.upstream.path,
): Promise<{ response: UpstreamResponse; release: () => void }> {
  const up = route.upstream;
  if (!up.breaker.allow()) throw Errors.mcpCircuitOpen(route.name);
  const call = callUpstream(up.pool, { path, method, headers, body, headersTimeoutMs: MCP_FIRST_BYTE_MS, bodyTimeoutMs: 0 });
  const stopListening = ctx.cancellation.onCancel(() => call.abort(clientGone()));
  const release = (): void => {
    stopListening();
    call.release();
  };
  let response: UpstreamResponse;
  try {
    response = await call.response;
  } catch (e) {
    release();
    if (ctx.cancellation.cancelled) {
      up.breaker.abandon();
      throw Errors.clientGone();
    }
    up.breaker.failure();
    throw transportError(route, e);
  }
  if (response.statusCode >= 500) up.breaker.failure();
  else up.breaker.success();
  return { response, release };
}

/**
 * What every call to the upstream carries: the configured headers and credential, the upstream's own
 * session id (from the sealed token, never the client's header), the negotiated revision. Nothing of the
 * client's request is copied: its gateway key, cookies and other headers never reach the upstream.
 */
export function upstreamHeaders(
  route: CompiledMcpProxy,
  session: McpSession | undefined,
  version: string | undefined,
  accept: string,
): Record<string, string> {
  const headers: Record<string, string> = { ...route.upstream.headers, accept };
  if (version !== undefined) headers['mcp-protocol-version'] = version;
  if (session?.upstream !== undefined) headers['mcp-session-id'] = session.upstream;
  return headers;
}

/** An upstream answer that is not a success, as the client gets it: the upstream's credential failing or its 5xx are the gateway's 502. */
export async function refusedAnswer(ctx: RequestContext, route: CompiledMcpProxy, response: UpstreamResponse): Promise<GatewayError | undefined> {
  const status = response.statusCode;
  const fault = await upstreamFault(route, response);
  if (fault) return fault;
  if (status >= 400) {
    // The upstream's refusal of the client's request (400, 404 unknown session, 405, 409 …): relayed, scrubbed.
    const text = await readBounded(response, MAX_REFUSAL_BYTES).catch(() => '');
    const body = route.upstream.scrubber.text(text);
    ctx.record.error = 'upstream_rejected';
    ctx.res.writeHead(status, { 'content-type': String(response.headers['content-type'] ?? 'application/json'), 'content-length': Buffer.byteLength(body), ...allowOf(response.headers) });
    ctx.res.end(body);
    return undefined;
  }
  return undefined;
}

/** The upstream's own failure in an answer (its credential refused, 401/403, or a 5xx) as the gateway's 502, the body discarded; undefined for any other status. */
export async function upstreamFault(route: CompiledMcpProxy, response: UpstreamResponse): Promise<GatewayError | undefined> {
  const status = response.statusCode;
  if (status !== 401 && status !== 403 && status < 500) return undefined;
  await discard(response);
  return status >= 500 ? Errors.upstreamFailed(route.name, status) : Errors.upstreamAuth(route.name);
}

/** The body as text, at most `limit` bytes: past it the upstream request is ended and the read fails. */
export async function readBounded(response: UpstreamResponse, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  await response.forEachChunk((chunk) => {
    size += chunk.length;
    if (size > limit) throw new Error(`the upstream's answer is over ${limit} bytes`);
    parts.push(chunk);
  });
  return Buffer.concat(parts).toString('utf8');
}

export async function discard(response: UpstreamResponse): Promise<void> {
  await response.forEachChunk(() => undefined).catch(() => undefined);
}

/** A refusal's body is an error message: a few KiB at most. */
const MAX_REFUSAL_BYTES = 64 * 1024;

function allowOf(headers: IncomingHttpHeaders): Record<string, string> {
  return typeof headers.allow === 'string' ? { allow: headers.allow } : {};
}

export function transportError(route: CompiledMcpProxy, e: unknown): GatewayError {
  const err = e as { code?: string; name?: string };
  if (err.code === 'UND_ERR_CONNECT_TIMEOUT') return Errors.upstreamTimeout(route.name, 'connect', GATEWAY_CONFIG_DEFAULTS.timeouts.connectMs);
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT') return Errors.upstreamTimeout(route.name, 'first byte', MCP_FIRST_BYTE_MS);
  return Errors.upstreamUnreachable(route.name, err.code ?? err.name ?? 'error');
}

/** Why a call was aborted: the client left (never charged to the upstream). */
function clientGone(): Error {
  const e = new Error('the client went away');
  e.name = 'AbortError';
  return e;
}
