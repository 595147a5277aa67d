import { randomBytes } from 'crypto';
import { readBody } from '../body';
import { Errors } from '../errors';
import { admitMessage } from './admit';
import { SseWriter, sseEvent } from './answer';
import { CallLog } from './calls';
import type { CompiledMcpProxy } from './compile';
import { type Exchange, parseBody, type SessionExchange } from './front';
import { checkMessage, errorResponse, type JsonRpcMessage, RpcErrors } from './jsonrpc';
import { answerRequest, initializeResult } from './local';
import { checkAccept, checkContentType, headerVersion, negotiate } from './protocol';
import { relayJsonText, relaySse } from './relay';
import { callMcpUpstream, readBounded, refusedAnswer, upstreamHeaders } from './upstream';

type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) for older clients: GET `<path>/sse` opens a stream
 * whose first event (`endpoint`) names the message URL, `<path>/message?sessionId=…`; each message
 * POSTed there is answered 202 and its answer comes on the stream. The gateway speaks Streamable HTTP
 * to proxied upstreams either way.
 *
 * The streams are this replica's own (a registry in memory): a message must reach the replica that
 * holds its stream, or it gets 404. Streamable HTTP, whose sessions any replica serves, is the
 * transport for clients behind a load balancer without affinity (the unserved list says so).
 */
interface LegacyStream {
  readonly server: string;
  readonly consumer: string;
  readonly out: SseWriter;
  /** The revision initialize negotiated. */
  version: string | undefined;
  /** The proxied upstream's Streamable HTTP session id, once its initialize answered. */
  upstream: string | undefined;
}

const streams = new Map<string, LegacyStream>();
/** The legacy revision: what a stream speaks until initialize says otherwise. */
const LEGACY_VERSION = '2024-11-05';
const MAX_JSON_BYTES = 32 * 1024 * 1024;

/** GET `<path>/sse`: the stream, and the `endpoint` event that names where to POST. */
export function openLegacyStream(x: Exchange): void {
  const refusal = checkAccept(x.ctx.req);
  if (refusal) throw refusal;
  const id = randomBytes(16).toString('hex');
  const out = new SseWriter(x.ctx, {});
  streams.set(id, { server: x.route.name, consumer: x.consumer.name, out, version: undefined, upstream: undefined });
  x.ctx.res.once('close', () => streams.delete(id));
  void out.write(`event: endpoint\ndata: ${x.route.match.pathPrefix.replace(/\/+$/, '')}/message?sessionId=${id}\n\n`);
}

/** POST `<path>/message?sessionId=…`: one message, checked as on Streamable HTTP; 202, its answer on the stream. */
export async function legacyMessage(x: Exchange): Promise<void> {
  const { ctx, route } = x;
  const id = new URLSearchParams(ctx.query).get('sessionId');
  const stream = id === null ? undefined : streams.get(id);
  // Another consumer's or another server's stream is as unknown as one that never was.
  if (!stream || stream.server !== route.name || stream.consumer !== x.consumer.name) throw Errors.mcpSessionNotFound(route.name);
  const refusal = checkContentType(ctx.req);
  if (refusal) throw refusal;
  const claimed = headerVersion(ctx.req);
  const value = parseBody(await readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs), ctx.snapshot.maxJsonDepth);
  if (Array.isArray(value)) throw Errors.mcpInvalidMessage('batches are not served on the legacy HTTP+SSE transport; send one message per POST');
  const checked = checkMessage(value);
  if (!checked.ok) throw Errors.mcpInvalidMessage(checked.detail);
  const m = checked.message;
  const calls = new CallLog(ctx, route, x.consumer.name, x.deps);
  const version = claimed ?? stream.version ?? LEGACY_VERSION;
  // The stream is the session: the revision and the upstream's session id it holds.
  const session = { server: route.name, consumer: x.consumer.name, version, upstream: stream.upstream, issuedAt: 0 };
  const s: SessionExchange = { ...x, version, session };
  const answer = (message: Record<string, unknown>): void | Promise<void> => stream.out.write(sseEvent(message));

  const denied = await admitMessage(x, m, calls);
  if (denied) {
    await answer(denied);
    return accepted(x);
  }
  if (m.kind !== 'request') calls.done(m.kind === 'response' ? 'response' : m.method, 'ok');

  if (route.server === 'local') {
    if (m.kind === 'request') {
      const result = m.method === 'initialize' ? initializeLocal(s, stream, m) : await answerRequest(s, m);
      calls.answered(m.id, result);
      await answer(result);
    }
    return accepted(x);
  }
  await proxyLegacy(s, stream, m, calls);
  if (!ctx.res.headersSent) accepted(x);
}

function initializeLocal(s: SessionExchange, stream: LegacyStream, m: Request): Record<string, unknown> {
  stream.version = negotiate(m.params?.protocolVersion);
  return initializeResult(s, m, stream.version);
}

/** One message to the proxied upstream over Streamable HTTP; whatever it answers goes onto the client's stream. */
async function proxyLegacy(s: SessionExchange, stream: LegacyStream, m: JsonRpcMessage, calls: CallLog): Promise<void> {
  const route = s.route as CompiledMcpProxy;
  const init = m.kind === 'request' && m.method === 'initialize';
  const raw = init ? { ...m.raw, params: { ...(m.params ?? {}), protocolVersion: negotiate(m.params?.protocolVersion) } } : m.raw;
  const headers = { ...upstreamHeaders(route, s.session, init ? undefined : s.version, 'application/json, text/event-stream'), 'content-type': 'application/json' };
  const fail = async (detail: string): Promise<void> => {
    if (m.kind !== 'request') return;
    const error = RpcErrors.upstreamFailed(route.name, detail);
    calls.finish(m.id, 'upstream_failed', error.code);
    await stream.out.write(sseEvent(errorResponse(m.id, error)));
  };
  let exchange: Awaited<ReturnType<typeof callMcpUpstream>>;
  try {
    exchange = await callMcpUpstream(s.ctx, route, 'POST', headers, JSON.stringify(raw));
  } catch (e) {
    return fail((e as Error).message);
  }
  const { response, release } = exchange;
  try {
    if (response.statusCode >= 400) {
      // The client's stream is where answers go: the refusal becomes the request's error there.
      const error = await refusedAnswerText(s, response);
      return await fail(error);
    }
    const sid = response.headers['mcp-session-id'];
    if (init && typeof sid === 'string') stream.upstream = sid;
    if (init) stream.version = s.version;
    const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'text/event-stream') return await relaySse(s, calls, response, stream.out);
    const text = await readBounded(response, MAX_JSON_BYTES).catch(() => '');
    if (text === '') return;
    // Re-serialized: an event's data must be one line.
    const body = relayJsonText(s, calls, text, []).toString('utf8');
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch {
      return await fail('an answer that is not JSON');
    }
    for (const one of Array.isArray(message) ? message : [message]) await stream.out.write(sseEvent(one));
    if (init) {
      const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
      if (typeof version === 'string') stream.version = version;
    }
  } finally {
    release();
  }
}

/** An upstream refusal as a line of text (the breaker was told by the call). */
async function refusedAnswerText(s: SessionExchange, response: Awaited<ReturnType<typeof callMcpUpstream>>['response']): Promise<string> {
  if (response.statusCode >= 500 || response.statusCode === 401 || response.statusCode === 403) {
    const error = await refusedAnswer(s.ctx, s.route as CompiledMcpProxy, response);
    return error?.message ?? `HTTP ${response.statusCode}`;
  }
  const text = await readBounded(response, 64 * 1024).catch(() => '');
  return `HTTP ${response.statusCode}: ${(s.route as CompiledMcpProxy).upstream.scrubber.text(text).slice(0, 200)}`;
}

function accepted(x: Exchange): void {
  x.ctx.res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
}
