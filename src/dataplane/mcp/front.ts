import { readBody } from '../body';
import type { CompiledConsumer } from '../compile/snapshot';
import { Errors, GatewayError } from '../errors';
import { checkJsonShape } from '../json-shape';
import type { RequestContext } from '../request-context';
import { admitMessage } from './admit';
import { sendJson, sendRpcError } from './answer';
import { CallLog } from './calls';
import type { CompiledMcpRoute } from './compile';
import { checkMessage, errorResponse, type JsonRpcMessage, RpcErrors } from './jsonrpc';
import { legacyMessage, openLegacyStream } from './legacy-sse';
import { statusOfAnswer } from './limits';
import { serveLocal } from './local';
import { batchesAllowed, checkAccept, checkContentType, checkOrigin, headerVersion, isStatelessEra } from './protocol';
import { proxyDelete, proxyInitialize, proxyMessages, proxyStream } from './proxy';
import { endSession, isEnded, type McpSession } from './session';
import { isStatelessPost, serveStateless } from './stateless';
import { type ToolFilter, toolFilter } from './tools';
import type { PipelineDeps } from '../stages/stage';
import { inspectBody } from '../waf/inspection';

/**
 * The MCP front: an MCP server's path, for every kind of server. Checks what the Streamable HTTP
 * transport requires (Origin, Accept, Content-Type, MCP-Protocol-Version), reads and bounds each
 * message, opens the session the client presents, applies tool-level grants, then hands the messages
 * to the proxy (proxy.ts) or answers them itself (local.ts, HTTP-to-MCP). Every refusal is a JSON-RPC
 * error body with the right HTTP status; a malformed message never ends the session.
 */
export async function serveMcp(ctx: RequestContext, route: CompiledMcpRoute, deps: PipelineDeps): Promise<void> {
  // The authorize stage let only a granted consumer through.
  if (ctx.caller.kind !== 'consumer') throw Errors.noKey();
  const x: Exchange = { ctx, route, deps, consumer: ctx.caller.consumer, may: toolFilter(route, ctx.caller.consumer) };
  try {
    await dispatch(x);
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    sendRpcError(ctx, e);
  }
}

/** One HTTP exchange with an MCP server, and who it is for. */
export interface Exchange {
  readonly ctx: RequestContext;
  readonly route: CompiledMcpRoute;
  readonly deps: PipelineDeps;
  readonly consumer: CompiledConsumer;
  /** The tools this caller may list and call. */
  readonly may: ToolFilter;
}

/** A session's exchange: the session the client presented, and the revision its requests speak. */
export interface SessionExchange extends Exchange {
  readonly session: McpSession;
  readonly version: string;
}

async function dispatch(x: Exchange): Promise<void> {
  const { ctx, route } = x;
  const origin = checkOrigin(ctx.req, ctx.snapshot.config.domains);
  if (origin) throw origin;
  const below = ctx.path.slice(route.match.pathPrefix.replace(/\/+$/, '').length);
  if (below !== '' && below !== '/') {
    // The legacy HTTP+SSE transport's two endpoints (legacy-sse.ts); nothing else lies below a server's path.
    if (below === '/sse') {
      if (ctx.req.method !== 'GET') throw Errors.mcpMethodNotAllowed(ctx.req.method ?? '', 'GET');
      return openLegacyStream(x);
    }
    if (below === '/message') {
      if (ctx.req.method !== 'POST') throw Errors.mcpMethodNotAllowed(ctx.req.method ?? '', 'POST');
      return legacyMessage(x);
    }
    throw Errors.noRoute(ctx.host, ctx.path);
  }
  switch (ctx.req.method) {
    case 'POST':
      return post(x);
    case 'GET':
      return get(x);
    case 'DELETE':
      return remove(x);
    default:
      throw Errors.mcpMethodNotAllowed(ctx.req.method ?? '', 'GET, POST, DELETE');
  }
}

/** One message (or a 2025-03-26 batch): checked, bounded, each request accounted; tool calls the caller may not make are answered here. */
async function post(x: Exchange): Promise<void> {
  const { ctx, route, deps } = x;
  const refusal = checkAccept(ctx.req) ?? checkContentType(ctx.req);
  if (refusal) throw refusal;
  // A 2026-07-28 request names its revision here too, checked against its body (stateless.ts).
  const claimed = isStatelessEra(ctx.req.headers['mcp-protocol-version']) ? undefined : headerVersion(ctx.req);
  const raw = await readBody(ctx.req, route.maxBodyBytes, ctx.snapshot.bodyTimeoutMs, ctx.snapshot.bandwidth);
  const calls = new CallLog(ctx, route, x.consumer.name, deps);
  let parsed: unknown;
  try {
    parsed = parseBody(raw, ctx.snapshot.maxJsonDepth);
  } catch (e) {
    calls.done('invalid', 'invalid');
    throw e;
  }
  try {
    inspectBody(ctx, parsed);
  } catch (e) {
    calls.done(methodOf(Array.isArray(parsed) ? parsed[0] : parsed), 'denied');
    throw e;
  }
  // The stateless revision (2026-07-28): no session, no initialize.
  if (isStatelessPost(ctx.req, parsed)) return serveStateless(x, parsed, calls);
  const batch = Array.isArray(parsed);
  const values: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  if (values.length === 0) throw Errors.mcpInvalidMessage('an empty batch carries no message');
  const checked = values.map(checkMessage);
  const first = checked[0]!;
  if (!batch && !first.ok) {
    calls.done(methodOf(values[0]), 'invalid');
    return sendRpcError(ctx, Errors.mcpInvalidMessage(first.detail), first.id);
  }
  const initialize = checked.some((c) => c.ok && c.message.kind === 'request' && c.message.method === 'initialize');
  if (initialize) {
    if (batch) throw Errors.mcpInvalidMessage('initialize must be sent alone, not in a batch');
    const message = (first as { message: Extract<JsonRpcMessage, { kind: 'request' }> }).message;
    // Counted like any request (a limit may refuse it; admit.ts opens its accounting when admitted).
    const pending = admitMessage(x, message, calls);
    const refused = pending instanceof Promise ? await pending : pending;
    if (refused) {
      const { status, headers } = statusOfAnswer(refused);
      return sendJson(ctx, status, refused, headers);
    }
    return route.server === 'proxy' ? proxyInitialize(x, message, calls) : serveLocal.initialize(x, message, calls);
  }
  const session = openSession(x);
  const version = sessionVersion(claimed, session);
  if (batch && !batchesAllowed(version)) throw Errors.mcpBatchRefused(version);
  const s: SessionExchange = { ...x, session, version };

  // What goes on (to the upstream or the local tools), and what the gateway answers itself.
  const forward: JsonRpcMessage[] = [];
  const answered: Record<string, unknown>[] = [];
  for (let i = 0; i < checked.length; i++) {
    const c = checked[i]!;
    if (!c.ok) {
      calls.done(methodOf(values[i]), 'invalid');
      answered.push(errorResponse(c.id, RpcErrors.invalidRequest(c.detail)));
      continue;
    }
    // Awaited only when the admission has to ask the limit store (admit.ts).
    const pending = admitMessage(x, c.message, calls);
    const denied = pending instanceof Promise ? await pending : pending;
    if (denied) answered.push(denied);
    else forward.push(c.message);
  }
  if (forward.length === 0) {
    // Everything was answered here: nothing reaches the upstream. A lone request a limit refused is its 429 (or 503).
    const { status, headers } = statusOfAnswer(batch ? undefined : answered[0]);
    return sendJson(ctx, status, batch ? answered : answered[0], { ...headers, ...sessionHeader(s) });
  }
  return route.server === 'proxy' ? proxyMessages(s, forward, answered, batch, calls) : serveLocal.messages(s, forward, answered, batch, calls);
}

/** The server-to-client stream. */
async function get(x: Exchange): Promise<void> {
  const refusal = checkAccept(x.ctx.req);
  if (refusal) throw refusal;
  const claimed = headerVersion(x.ctx.req);
  const session = openSession(x);
  if (x.route.server === 'local') throw Errors.mcpNoServerStream(x.route.name);
  return proxyStream({ ...x, session, version: sessionVersion(claimed, session) });
}

/** The session's end. */
async function remove(x: Exchange): Promise<void> {
  const claimed = headerVersion(x.ctx.req);
  const session = openSession(x);
  const s = { ...x, session, version: sessionVersion(claimed, session) };
  // Told to every replica (the bus) before the answer; an unreachable bus leaves the others to the token's expiry.
  await endSession(x.deps.mcpBus, String(x.ctx.req.headers['mcp-session-id'])).catch((e: unknown) =>
    x.deps.logger.warn({ err: e, server: x.route.name }, 'MCP session ended on this replica only: the MCP bus (redis) does not answer'),
  );
  if (x.route.server === 'local' || session.upstream === undefined) {
    x.deps.metrics.mcpSessionsActive.dec({ server: x.route.name });
    x.ctx.res.writeHead(200).end();
    return;
  }
  return proxyDelete(s);
}

/**
 * The session the client presents. A token that does not open with this gateway's key, that was issued
 * for another server or another consumer, or that is older than `mcp.sessionTtlSeconds`, is "not found"
 * (404, as the spec says for an unknown session), and is never forwarded anywhere.
 */
function openSession(x: Exchange): McpSession {
  const id = x.ctx.req.headers['mcp-session-id'];
  if (id === undefined || id === '') throw Errors.mcpSessionRequired();
  const session = isEnded(x.deps.mcpBus, String(id)) ? undefined : x.ctx.snapshot.mcpSessions.open(String(id));
  if (!session || session.server !== x.route.name || session.consumer !== x.consumer.name) throw Errors.mcpSessionNotFound(x.route.name);
  // Expired: "not found" too, which tells the client to initialize a new session (the spec's rule for a 404).
  if (Date.now() / 1000 - session.issuedAt > x.ctx.snapshot.mcpSessionTtlSeconds) throw Errors.mcpSessionNotFound(x.route.name);
  return session;
}

/** The session's revision: a header naming another one is refused (it would change the rules mid-session, batches included). */
function sessionVersion(claimed: string | undefined, session: McpSession): string {
  if (claimed !== undefined && claimed !== session.version) throw Errors.mcpVersionMismatch(claimed, session.version);
  return session.version;
}

/** The session id header every answer of a session carries (the client keeps whatever id it last saw: always the gateway's). */
export function sessionHeader(s: SessionExchange): Record<string, string> {
  return { 'mcp-session-id': String(s.ctx.req.headers['mcp-session-id']) };
}

/** The body as JSON: 400 (-32700) when it is not, or nests deeper than `limits.maxJsonDepth`, or gives `method` twice. */
export function parseBody(raw: Buffer, maxDepth: number): unknown {
  const shape = checkJsonShape(raw, maxDepth, 'method');
  if (shape === 'too_deep') throw Errors.jsonTooDeep(maxDepth);
  if (shape === 'duplicate_key') throw Errors.duplicateKey('method');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw Errors.badJson((e as Error).message);
  }
}

/** A message's method for accounting, when it has a string one. */
function methodOf(value: unknown): string {
  const method = (value as { method?: unknown } | null)?.method;
  return typeof method === 'string' ? method : 'invalid';
}
