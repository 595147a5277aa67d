import type { RequestContext } from '../request-context';
import type { RequestExtensions } from './contexts';
import { ResponseView } from './contexts';
import { runHook } from './runner';
import { StreamHooks } from './stream';

/** Headers onResponse may not set: the gateway frames the body itself. */
const FRAMING = ['content-length', 'transfer-encoding', 'connection'];

/** The request's extensions when some define onResponse; undefined otherwise (one check on the hot path). */
export function responseHooksOf(ctx: RequestContext): RequestExtensions | undefined {
  const state = ctx.extensions;
  return state && state.compiled.onResponse.length > 0 ? state : undefined;
}

/** The request's stream hooks when some extension defines onStreamChunk or onStreamEnd; undefined otherwise. */
export function streamHooksOf(ctx: RequestContext): StreamHooks | undefined {
  const state = ctx.extensions;
  return state && (state.compiled.onStreamChunk.length > 0 || state.compiled.onStreamEnd.length > 0) ? new StreamHooks(state) : undefined;
}

/** What goes to the client after onResponse: status, headers (lower-case), and the body of a whole answer. */
export interface HookedAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/**
 * Runs onResponse over an answer: `body` is a whole answer's text (its JSON parsed only if a hook reads it),
 * undefined for a stream (its events go through onStreamChunk) or a body that is not text. A failure under a
 * closed policy throws the catalog's error (nothing has been sent yet).
 */
export async function runResponseHooks(
  state: RequestExtensions,
  status: number,
  headers: Record<string, string>,
  body: string | undefined,
  streamed: boolean,
): Promise<HookedAnswer> {
  const response = new ResponseView(status, lowerCased(headers), body, streamed);
  state.response = response;
  const request = state.request;
  for (const ext of state.compiled.onResponse) {
    const onResponse = ext.definition.onResponse!;
    const result = runHook(state, ext, 'onResponse', (call) => onResponse.call(ext.definition, state.context(ext, call, { request, response })));
    if (result instanceof Promise) await result;
  }
  const out = response.headers;
  for (const name of FRAMING) delete out[name];
  for (const name in out) if (typeof out[name] !== 'string' || /[\r\n\0]/.test(out[name])) delete out[name];
  const finalStatus = Number.isInteger(response.status) && response.status >= 200 && response.status <= 599 ? response.status : status;
  return { status: finalStatus, headers: out, body: response.bodyText() };
}

/** Sends a whole answer, through onResponse when the request has such hooks. */
export async function sendWholeThroughHooks(
  ctx: RequestContext,
  state: RequestExtensions,
  status: number,
  headers: Record<string, string>,
  body: string,
): Promise<void> {
  const answer = await runResponseHooks(state, status, headers, body, false);
  const text = answer.body ?? '';
  ctx.res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) out[name.toLowerCase()] = headers[name]!;
  return out;
}
