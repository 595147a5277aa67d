import type { IncomingMessage } from 'http';
import { Errors, GatewayError } from '../errors';
import { admitMessage } from './admit';
import { sendJson, sendRpcError } from './answer';
import type { CallLog } from './calls';
import type { CompiledMcpProxy } from './compile';
import type { Exchange } from './front';
import { checkMessage, errorResponse, type JsonRpcId, type JsonRpcMessage, resultResponse, RPC_CODES } from './jsonrpc';
import { statusOfAnswer } from './limits';
import { answerRequest } from './local';
import { isStatelessEra, PROTOCOL_VERSIONS, STATELESS_PROTOCOL_VERSIONS } from './protocol';
import { relayAnswer } from './relay';
import { type StatelessRefusal, StatelessErrors, STATELESS_RPC_CODES } from './stateless-errors';
import { callMcpUpstream, discard, readBounded, refusedAnswer, upstreamHeaders } from './upstream';
import { argumentsBeforeHooks } from '../extensions/tools';
import type { RequestContext } from '../request-context';

/**
 * MCP revision 2026-07-28 over Streamable HTTP, beside the session era (front.ts): no session, no
 * initialize. Each POST is one request or notification that carries its revision, the client's
 * capabilities and identity in `params._meta`, and its revision and method (and, for tools/call, the
 * tool's name) in headers that must agree with the body; `server/discover` says what the server speaks.
 * Checked as the SDK's server checks it (its validation ladder; refusals are 400 with a JSON-RPC error
 * body), then the same admission as a session's messages (grants, rate limits, accounting: admit.ts).
 * An HTTP-to-MCP server is answered here; a proxy's request is passed to its upstream statelessly when
 * the upstream speaks the revision, else refused with -32022 naming the session revisions, which makes
 * the v2 client (`versionNegotiation: 'auto'`) initialize a session instead.
 */

type Message = Exclude<JsonRpcMessage, { kind: 'response' }>;
type Request = Extract<JsonRpcMessage, { kind: 'request' }>;

const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_CAPABILITIES_META = 'io.modelcontextprotocol/clientCapabilities';
const CLIENT_INFO_META = 'io.modelcontextprotocol/clientInfo';
const SERVER_INFO_META = 'io.modelcontextprotocol/serverInfo';

/** What the gateway speaks, newest first: the stateless revision here, the session ones through initialize. */
const ALL_VERSIONS: readonly string[] = [...STATELESS_PROTOCOL_VERSIONS, ...[...PROTOCOL_VERSIONS].reverse()];

/** The methods whose `Mcp-Name` header mirrors a field of params (SEP-2243), and which field. */
const NAME_SOURCE: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** Results a 2026 client may cache; lists here are filtered per consumer, so never shared (`private`), and grants change at reload (`ttlMs` 0). */
const CACHEABLE = new Set(['tools/list', 'server/discover']);

/** The error codes a server of the stateless revision refuses a request with (its ladder); any other 4xx is a session-era server's refusal. */
const STATELESS_REFUSAL_CODES: ReadonlySet<number> = new Set([
  RPC_CODES.parseError,
  RPC_CODES.invalidRequest,
  RPC_CODES.methodNotFound,
  RPC_CODES.invalidParams,
  STATELESS_RPC_CODES.headerMismatch,
  -32021, // a client capability the request needs is missing
  STATELESS_RPC_CODES.unsupportedProtocolVersion,
]);

const POST_ACCEPT = 'application/json, text/event-stream';
/** An upstream's refusal is an error message. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * Whether a POST speaks the stateless revision: its MCP-Protocol-Version header names one, or its body
 * claims one in `params._meta` (a claim that is not a string too: refused here as malformed). A claim
 * naming a 2025 revision stays on the session path, as the SDK routes it; a batch with any claim comes
 * here to be refused (the revision has no batches).
 */
export function isStatelessPost(req: IncomingMessage, parsed: unknown): boolean {
  if (isStatelessEra(req.headers['mcp-protocol-version'])) return true;
  if (Array.isArray(parsed)) return parsed.some((v) => claimOf(v) !== undefined);
  const claim = claimOf(parsed);
  return claim !== undefined && (typeof claim !== 'string' || isStatelessEra(claim));
}

/** One POST of the stateless revision: checked, admitted, answered (local) or passed on (proxy). */
export async function serveStateless(x: Exchange, parsed: unknown, calls: CallLog): Promise<void> {
  const { ctx } = x;
  if (Array.isArray(parsed)) {
    calls.done('invalid', 'invalid');
    return refuse(ctx, StatelessErrors.batch(), null);
  }
  const checked = checkMessage(parsed);
  if (!checked.ok) {
    calls.done(methodOf(parsed), 'invalid');
    return refuse(ctx, StatelessErrors.invalid(checked.detail), checked.id);
  }
  const m = checked.message;
  if (m.kind === 'response') {
    calls.done('response', 'invalid');
    return refuse(ctx, StatelessErrors.postedResponse(), null);
  }
  const version = claimOf(m.raw);
  const problem = checkRequest(ctx.req, m, version);
  if (problem) {
    calls.done(m.method, 'invalid', undefined, problem.error.code);
    return refuse(ctx, problem, m.kind === 'request' ? m.id : null);
  }
  // Awaited only when the admission has to ask the limit store (admit.ts).
  const pending = admitMessage(x, m, calls);
  const denied = pending instanceof Promise ? await pending : pending;
  if (denied) {
    const { status, headers } = statusOfAnswer(denied);
    return sendJson(ctx, status, denied, headers);
  }
  return x.route.server === 'proxy' ? passOn(x, m, version as string, calls) : answerHere(x, m, calls);
}

/**
 * The revision's checks, in the SDK server's order: the `_meta` envelope, the header against the
 * claim, a revision served here; then, for requests, the client's capabilities and the headers
 * intermediaries route by (MCP-Protocol-Version, Mcp-Method, Mcp-Name), which must say what the body
 * says: a request whose headers name another method or tool than the one the gateway checked grants
 * on is refused, so nothing on the path can act on one and the gateway on the other.
 */
function checkRequest(req: IncomingMessage, m: Message, claim: unknown): StatelessRefusal | undefined {
  const header = headerOf(req, 'mcp-protocol-version');
  const meta = objectOf(objectOf(m.raw.params)?._meta);
  if (claim === undefined) return StatelessErrors.envelope(`params._meta carries no '${PROTOCOL_VERSION_META}' (the MCP-Protocol-Version header names a 2026 revision)`);
  if (typeof claim !== 'string') return StatelessErrors.envelope(`'${PROTOCOL_VERSION_META}' must be a string`);
  if (header !== undefined && header !== claim) return StatelessErrors.headerMismatch('MCP-Protocol-Version', header, claim);
  if (!(STATELESS_PROTOCOL_VERSIONS as readonly string[]).includes(claim)) return StatelessErrors.unsupported(claim, ALL_VERSIONS);
  if (m.kind !== 'request') return undefined;
  const capabilities = meta![CLIENT_CAPABILITIES_META];
  if (objectOf(capabilities) === undefined) {
    return StatelessErrors.envelope(capabilities === undefined ? `params._meta carries no '${CLIENT_CAPABILITIES_META}'` : `'${CLIENT_CAPABILITIES_META}' must be an object`);
  }
  const info = meta![CLIENT_INFO_META];
  if (info !== undefined && objectOf(info) === undefined) return StatelessErrors.envelope(`'${CLIENT_INFO_META}' must be an object when present`);
  if (header === undefined) return StatelessErrors.headerMismatch('MCP-Protocol-Version', undefined, claim);
  const method = headerOf(req, 'mcp-method');
  if (method !== m.method) return StatelessErrors.headerMismatch('Mcp-Method', method, m.method);
  const field = NAME_SOURCE[m.method];
  const value = field === undefined ? undefined : m.params?.[field];
  if (typeof value === 'string') {
    const named = headerOf(req, 'mcp-name');
    if (named === undefined || decodeParamValue(named) !== value) return StatelessErrors.headerMismatch('Mcp-Name', named, encodeParamValue(value));
  }
  return undefined;
}

/** An HTTP-to-MCP server's answer: its tools (local.ts answers them as in a session), its discover, with the revision's result fields. */
async function answerHere(x: Exchange, m: Message, calls: CallLog): Promise<void> {
  if (m.kind === 'notification') {
    // cancelled, progress…: nothing to do for a server that answers each request in its own exchange.
    calls.done(m.method, 'ok');
    return void x.ctx.res.writeHead(202).end();
  }
  const answer = await localAnswer(x, m);
  calls.answered(m.id, answer);
  sendJson(x.ctx, 200, answer);
}

async function localAnswer(x: Exchange, m: Request): Promise<Record<string, unknown>> {
  switch (m.method) {
    case 'server/discover':
      return resultResponse(m.id, stamped(x, m.method, { supportedVersions: ALL_VERSIONS, capabilities: { tools: { listChanged: false } } }));
    // ping is no method of 2026-07-28; answered anyway, as any session revision answers it (harmless, and older tooling sends it).
    case 'ping':
    case 'tools/list':
    case 'tools/call': {
      const answer = await answerRequest(x, m);
      const result = objectOf(answer.result);
      return result ? { ...answer, result: stamped(x, m.method, result) } : answer;
    }
    default:
      return errorResponse(m.id, StatelessErrors.methodNotFound(m.method, x.route.name));
  }
}

/** The fields every result of the revision carries: `resultType`, cache hints on cacheable ones, the server's identity in `_meta`. */
function stamped(x: Exchange, method: string, result: Record<string, unknown>): Record<string, unknown> {
  const meta = objectOf(result._meta) ?? {};
  return {
    ...result,
    resultType: result.resultType ?? 'complete',
    ...(CACHEABLE.has(method) ? { ttlMs: 0, cacheScope: 'private' } : {}),
    _meta: { ...meta, [SERVER_INFO_META]: { name: x.route.name, version: '1.0.0' } },
  };
}

/**
 * A proxy's request, passed to the upstream as the gateway checked it: the body re-serialized, the
 * headers built from it (never copied from the client: its key, cookies and the rest stay here), the
 * answer relayed through relay.ts (tool lists filtered, accounting closed, the upstream's credential
 * scrubbed). No session on either side.
 */
async function passOn(x: Exchange, m: Message, version: string, calls: CallLog): Promise<void> {
  const { ctx } = x;
  const route = x.route as CompiledMcpProxy;
  const id = m.kind === 'request' ? m.id : null;
  const headers: Record<string, string> = { ...upstreamHeaders(route, undefined, version, POST_ACCEPT), 'content-type': 'application/json' };
  if (m.kind === 'request') {
    headers['mcp-method'] = m.method;
    const field = NAME_SOURCE[m.method];
    const value = field === undefined ? undefined : m.params?.[field];
    if (typeof value === 'string') headers['mcp-name'] = encodeParamValue(value);
    if (m.method === 'tools/call') Object.assign(headers, mirroredArguments(paramHeaders(ctx.req), argumentsBeforeHooks(m.params), m.params?.arguments));
  }
  let exchange: Awaited<ReturnType<typeof callMcpUpstream>>;
  try {
    exchange = await callMcpUpstream(ctx, route, 'POST', headers, JSON.stringify(m.raw));
  } catch (e) {
    settle(calls, m, 'upstream_failed');
    if (e instanceof GatewayError) return sendRpcError(ctx, e, id);
    throw e;
  }
  const { response, release } = exchange;
  try {
    const status = response.statusCode;
    if (status === 401 || status === 403 || status >= 500) {
      const error = (await refusedAnswer(ctx, route, response))!;
      settle(calls, m, 'upstream_failed');
      return sendRpcError(ctx, error, id);
    }
    if (status >= 400) return await upstreamRefused(x, m, version, calls, status, await readBounded(response, MAX_REFUSAL_BYTES).catch(() => ''));
    if (m.kind === 'notification' || status === 202) {
      settle(calls, m, 'ok');
      await discard(response);
      return void ctx.res.writeHead(202).end();
    }
    const unread = await relayAnswer(x, calls, response, {}, []);
    if (!unread || ctx.cancellation.cancelled) return;
    route.upstream.breaker.failure();
    settle(calls, m, 'upstream_failed');
    return sendRpcError(ctx, Errors.mcpUpstreamBadAnswer(route.name, unread.message), id);
  } finally {
    release();
  }
}

/**
 * The upstream's 4xx. One of the revision's own refusals (its ladder's codes) is relayed, scrubbed: the
 * upstream speaks 2026-07-28 and found fault with the request. Anything else (the SDK 1.x server's
 * "Server not initialized", "Unsupported protocol version", a session error) means an upstream of the
 * session era only: -32022 naming the session revisions, on which the v2 client falls back to initialize.
 */
async function upstreamRefused(x: Exchange, m: Message, version: string, calls: CallLog, status: number, text: string): Promise<void> {
  const route = x.route as CompiledMcpProxy;
  const id = m.kind === 'request' ? m.id : null;
  const code = refusalCode(text);
  if (code !== undefined && STATELESS_REFUSAL_CODES.has(code)) {
    settle(calls, m, 'error', code);
    const body = route.upstream.scrubber.text(text);
    x.ctx.record.error = 'upstream_rejected';
    x.ctx.res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return void x.ctx.res.end(body);
  }
  const refusal = StatelessErrors.upstreamSessionOnly(route.name, status, [...PROTOCOL_VERSIONS].reverse(), version);
  settle(calls, m, 'error', refusal.error.code);
  refuse(x.ctx, refusal, id);
}

/**
 * A tools/call's `Mcp-Param-*` headers (SEP-2243: arguments a tool's schema marks `x-mcp-header`, mirrored
 * for intermediaries), the only client headers that go upstream: the gateway does not hold the upstream's
 * tool schemas to build them, and the upstream checks each against the arguments (400 -32020 when one
 * disagrees). Bounded in number, name and size; anything past the bounds stays here.
 */
function paramHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(req.headers)) {
    if (!PARAM_HEADER.test(name) || typeof value !== 'string' || value.length > MAX_PARAM_HEADER_BYTES) continue;
    if (++count > MAX_PARAM_HEADERS) break;
    out[name] = value;
  }
  return out;
}

/**
 * The client's `Mcp-Param-*` headers after an extension changed the arguments they mirror (`sent` → `now`): the
 * gateway has not the tool's schema, which names the argument of each header, so a header is matched to the
 * top-level argument whose sent value it carries. Matched to one whose value changed, it carries the new value (or
 * is dropped, the argument gone or no longer a scalar); a header whose argument cannot be told apart is dropped when
 * any candidate changed. Either way the old value does not go upstream, and what goes agrees with the body.
 */
function mirroredArguments(headers: Record<string, string>, sent: Record<string, unknown> | undefined, now: unknown): Record<string, string> {
  if (sent === undefined) return headers;
  const current = now !== null && typeof now === 'object' && !Array.isArray(now) ? (now as Record<string, unknown>) : {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const candidates = Object.keys(sent).filter((k) => scalarHeader(sent[k]) === value);
    const changed = candidates.filter((k) => scalarHeader(current[k]) !== value);
    if (changed.length === 0) {out[name] = value;} else if (candidates.length === 1) {
      const next = scalarHeader(current[candidates[0]!]);
      if (next !== undefined) out[name] = next;
    }
  }
  return out;
}

/** A scalar argument as its Mcp-Param-* header carries it; undefined for what no header mirrors. */
function scalarHeader(value: unknown): string | undefined {
  if (typeof value === 'string') return encodeParamValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

const PARAM_HEADER = /^mcp-param-[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const MAX_PARAM_HEADERS = 32;
const MAX_PARAM_HEADER_BYTES = 4096;

/** A refusal before anything acted on the request: its HTTP status, and the JSON-RPC error as body. */
function refuse(ctx: RequestContext, refusal: StatelessRefusal, id: JsonRpcId | null): void {
  ctx.record.error = refusal.record;
  sendJson(ctx, refusal.status, errorResponse(id, refusal.error));
}

/** Closes a passed-on message's accounting: a request's open call, or a notification's own line. */
function settle(calls: CallLog, m: Message, result: 'ok' | 'error' | 'upstream_failed', rpcCode?: number): void {
  if (m.kind === 'request') calls.finish(m.id, result, rpcCode);
  else calls.done(m.method, result);
}

function refusalCode(text: string): number | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The revision a message's `_meta` claims: undefined when it claims none. */
function claimOf(value: unknown): unknown {
  return objectOf(objectOf(objectOf(value)?.params)?._meta)?.[PROTOCOL_VERSION_META];
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function methodOf(value: unknown): string {
  const method = objectOf(value)?.method;
  return typeof method === 'string' ? method : 'invalid';
}

const BASE64_PREFIX = '=?base64?';
const BASE64_SUFFIX = '?=';

/**
 * A header value as SEP-2243 encodes it: plain when it is a safe ASCII field value, else (non-ASCII,
 * control characters, edge whitespace, empty, or itself looking encoded) `=?base64?<UTF-8 base64>?=`.
 */
export function encodeParamValue(value: string): string {
  const plain = value !== '' && value === value.trim() && !(value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX)) && /^[\t\x20-\x7e]*$/.test(value);
  return plain ? value : `${BASE64_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${BASE64_SUFFIX}`;
}

/** The value an encoded header carries; undefined when its base64 is not well formed. */
export function decodeParamValue(header: string): string | undefined {
  const sentinel = header.length >= BASE64_PREFIX.length + BASE64_SUFFIX.length && header.startsWith(BASE64_PREFIX) && header.endsWith(BASE64_SUFFIX);
  if (!sentinel) return header;
  const b64 = header.slice(BASE64_PREFIX.length, header.length - BASE64_SUFFIX.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) return undefined;
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  // Not UTF-8 (a replacement character the original did not have): not a value the client encoded.
  return Buffer.from(decoded, 'utf8').toString('base64') === b64 ? decoded : undefined;
}
