import { Pool } from 'undici';
import type { McpServerConfig } from '../../../specs/config';
import { GATEWAY_CONFIG_DEFAULTS } from '../../../specs/defaults';
import { backoffDelayMs, CircuitBreaker, sleep } from '../../resilience';
import { compileScrubber, type Scrubber } from '../../scrub';
import { callUpstream, type UpstreamResponse } from '../../upstream-call';
import type { McpToolResult } from '../tool-backend';
import type { BuiltRequest, UpstreamTarget } from './build-request';
import { ToolErrors } from './tool-results';

/**
 * Calling an HTTP-to-MCP server's upstream: one keep-alive pool per server, its deadlines, retries and
 * circuit breaker.
 *
 * - Redirects are never followed: undici's dispatch API does not follow them (no redirect
 *   interceptor is installed), and a 3xx becomes a tool error (see tool.ts).
 * - No private/loopback address guard: arguments can never change the host (build-request.ts), so
 *   the only host this pool ever connects to is the one the config declares; an operator who declares
 *   a private upstream means it. A DNS check here would add nothing but latency.
 * - Timeouts are the contract's defaults for upstream calls (GATEWAY_CONFIG_DEFAULTS.timeouts): the
 *   connect timeout, the first byte (also the longest silence within the body), and a total deadline
 *   over the whole call, retries included.
 * - Retries only for idempotent methods (GET, HEAD), on connection errors and 502/503/504, with
 *   exponential backoff and full jitter. Each failed attempt is one failure for the breaker.
 * - The breaker counts the upstream's own failures (connection errors, timeouts, 5xx). A call the
 *   client abandons (its `signal` aborts) says nothing about the upstream and is never charged:
 *   one client's cancellations cannot take a shared upstream away from everyone else.
 */

export type HttpToMcpServerConfig = Extract<McpServerConfig, { kind: 'http-to-mcp' }>;

export interface ToolUpstream {
  readonly server: string;
  readonly pool: Pool;
  readonly target: UpstreamTarget;
  /** The credential header (`<header>: <prefix><secret>`), when the server has one. */
  readonly auth: { name: string; value: string } | undefined;
  readonly scrubber: Scrubber;
  readonly breaker: CircuitBreaker;
}

const TIMEOUTS = GATEWAY_CONFIG_DEFAULTS.timeouts;
const RETRIES = GATEWAY_CONFIG_DEFAULTS.retries;
const BREAKER = GATEWAY_CONFIG_DEFAULTS.circuitBreaker;
const IDEMPOTENT = new Set(['GET', 'HEAD']);
const RETRY_STATUSES = new Set([502, 503, 504]);
/** Errors of the connection itself (nothing was answered): worth a retry for an idempotent request. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

export function createToolUpstream(server: HttpToMcpServerConfig, credential: string | undefined): ToolUpstream {
  const url = new URL(server.upstream.baseUrl);
  const auth = server.upstream.auth && credential !== undefined ? { name: server.upstream.auth.header, value: `${server.upstream.auth.prefix}${credential}` } : undefined;
  return {
    server: server.name,
    pool: new Pool(url.origin, {
      connections: 64,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: TIMEOUTS.connectMs },
      headersTimeout: TIMEOUTS.firstByteMs,
      bodyTimeout: TIMEOUTS.firstByteMs,
    }),
    target: { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') },
    auth,
    scrubber: compileScrubber(credential),
    breaker: new CircuitBreaker(BREAKER),
  };
}

/** Turns the upstream's answer into the tool result (reads its body, bounded). */
export type Answer = (response: UpstreamResponse) => Promise<McpToolResult>;

/** Sends the request (with retries when it may), hands the answer to `answer`. Rejects only when `signal` aborts. */
export async function callToolUpstream(
  upstream: ToolUpstream,
  tool: string,
  request: BuiltRequest,
  signal: AbortSignal,
  answer: Answer,
): Promise<McpToolResult> {
  const { breaker, server } = upstream;
  const retries = IDEMPOTENT.has(request.method) ? RETRIES.attempts : 0;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), TIMEOUTS.totalMs);
  try {
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortReason(signal);
      if (deadline.signal.aborted) return ToolErrors.timeout(server, 'total', TIMEOUTS.totalMs);
      if (!breaker.allow()) return ToolErrors.circuitOpen(server, BREAKER.failureThreshold, BREAKER.cooldownMs);

      const call = callUpstream(upstream.pool, {
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body,
        headersTimeoutMs: TIMEOUTS.firstByteMs,
        bodyTimeoutMs: TIMEOUTS.firstByteMs,
      });
      const onAbort = () => call.abort(abortReason(signal));
      const onDeadline = () => call.abort(new Error(`total timeout of ${TIMEOUTS.totalMs} ms`));
      signal.addEventListener('abort', onAbort, { once: true });
      deadline.signal.addEventListener('abort', onDeadline, { once: true });
      try {
        const response = await call.response;
        if (attempt < retries && RETRY_STATUSES.has(response.statusCode)) {
          breaker.failure();
          call.release();
          await sleep(backoffDelayMs(attempt, RETRIES.backoffBaseMs), signal);
          continue;
        }
        const result = await answer(response);
        if (response.statusCode >= 500) breaker.failure();
        else breaker.success();
        return result;
      } catch (e) {
        if (signal.aborted) {
          // The client left: nothing is known about the upstream, so nothing is charged to it.
          breaker.abandon();
          throw abortReason(signal);
        }
        const code = (e as { code?: unknown }).code;
        if ((typeof code !== 'string' || code === 'UND_ERR_INVALID_ARG') && !deadline.signal.aborted) {
          // Not a transport error: the gateway's own fault, not the upstream's failure.
          breaker.abandon();
          return ToolErrors.internal(server, tool, e instanceof Error ? e.message : String(e));
        }
        breaker.failure();
        if (deadline.signal.aborted) return ToolErrors.timeout(server, 'total', TIMEOUTS.totalMs);
        if (code === 'UND_ERR_HEADERS_TIMEOUT') return ToolErrors.timeout(server, 'first byte', TIMEOUTS.firstByteMs);
        if (code === 'UND_ERR_BODY_TIMEOUT') return ToolErrors.timeout(server, 'body silence', TIMEOUTS.firstByteMs);
        if (attempt < retries && CONNECTION_ERRORS.has(code as string)) {
          await sleep(backoffDelayMs(attempt, RETRIES.backoffBaseMs), signal);
          continue;
        }
        if (code === 'UND_ERR_CONNECT_TIMEOUT') return ToolErrors.timeout(server, 'connect', TIMEOUTS.connectMs);
        return ToolErrors.unreachable(server, upstream.scrubber.text(code as string));
      } finally {
        signal.removeEventListener('abort', onAbort);
        deadline.signal.removeEventListener('abort', onDeadline);
        call.release();
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function abortReason(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const e = new Error('the MCP client abandoned the tool call');
  e.name = 'AbortError';
  return e;
}
