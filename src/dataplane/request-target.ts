import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import { Errors, type GatewayError } from './errors';

/** What the request line and Host header say: the host to route on, the path and the query. */
export interface RequestTarget {
  /** Lower-case, without its port. */
  readonly host: string;
  /** Always starts with `/`: never a scheme or an authority, whatever the request line said. */
  readonly path: string;
  /** `?…` or ''. */
  readonly query: string;
  /** Why the gateway refuses the request before any routing, if it does. */
  readonly refusal?: GatewayError;
}

/**
 * Methods no route serves: TRACE echoes the request, credentials included (RFC 9110 §9.3.8), and
 * CONNECT would make the gateway a tunnel to anywhere.
 */
const REFUSED_METHODS = new Set(['TRACE', 'CONNECT']);

/**
 * Reads the request target (RFC 9112 §3.2). Origin-form (`/path?q`) is the usual case.
 * Absolute-form (`http://host/path`) is accepted, as a server MUST: its authority replaces the Host
 * header (§3.2.2) and only its path and query are used, so it can never name an upstream. The
 * asterisk-form (`*`, server-wide OPTIONS) is refused with 400; the authority-form (CONNECT) never
 * reaches here (see refuseConnect), and Node's parser already answers 400 to it on other methods.
 */
export function readRequestTarget(req: IncomingMessage): RequestTarget {
  const url = req.url ?? '/';
  // HTTP/2 names the host in `:authority` (RFC 9113 §8.3.1), which stands for Host.
  const authority = req.headers[':authority'];
  const hostHeader = req.headers.host ?? (typeof authority === 'string' ? authority : undefined);
  const hostHeaders = countHostHeaders(req.rawHeaders);
  let target: RequestTarget;
  if (url.charCodeAt(0) === 47 /* '/' */) {
    target = { host: hostOf(hostHeader), ...splitUrl(url) };
  } else if (url === '*') {
    target = { host: hostOf(hostHeader), path: '/', query: '', refusal: Errors.unsupportedRequestTarget('*', 'the asterisk-form is for server-wide OPTIONS, which this gateway does not serve') };
  } else {
    target = absoluteForm(url) ?? {
      host: hostOf(hostHeader),
      path: '/',
      query: '',
      refusal: Errors.unsupportedRequestTarget(url, 'use an origin-form path ("/…") or an absolute http(s) URL'),
    };
  }
  // A fragment never travels in a request (RFC 9112 §3.2); a parser downstream may cut the path at it.
  if (url.includes('#')) return { ...target, refusal: Errors.unsupportedRequestTarget(url, 'a request target never carries a fragment ("#")') };
  if (hostHeaders > 1) return { ...target, refusal: Errors.duplicateHost(hostHeaders) };
  // HTTP/2 with a Host header as well: one host for the WAF, another for the route would be request smuggling.
  if (typeof authority === 'string' && req.headers.host !== undefined && hostOf(authority) !== hostOf(req.headers.host)) {
    return { ...target, refusal: Errors.conflictingAuthority(authority, req.headers.host) };
  }
  const method = req.method ?? '';
  if (REFUSED_METHODS.has(method)) return { ...target, refusal: Errors.methodRefused(method) };
  return target;
}

/**
 * CONNECT arrives on the server's 'connect' event, not as a request: answer 405 and close, rather
 * than Node's default of closing without a word.
 */
export function refuseConnect(socket: Duplex): void {
  const error = Errors.methodRefused('CONNECT');
  const body = error.body();
  socket.end(
    `HTTP/1.1 ${error.status} Method Not Allowed\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function absoluteForm(url: string): RequestTarget | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.host === '') return undefined;
  // The path exactly as sent (the URL parser would resolve dot-segments and re-encode): the agent
  // proxy checks and normalizes it like any origin-form path.
  const authorityAt = url.indexOf('//') + 2;
  const slash = url.indexOf('/', authorityAt);
  const mark = url.indexOf('?', authorityAt);
  const end = slash < 0 ? mark : mark < 0 ? slash : Math.min(slash, mark);
  const rest = end < 0 ? '/' : url.slice(end);
  const { path, query } = splitUrl(rest.startsWith('/') ? rest : `/${rest}`);
  return { host: hostOf(parsed.host), path, query };
}

/** Node keeps the first Host header and drops the rest; a request with two is ambiguous (RFC 9112 §3.2). */
function countHostHeaders(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) };
}

/** The Host header, lower-cased, without its port. */
export function hostOf(host: string | undefined): string {
  if (!host) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}
