import type { IncomingMessage } from 'http';
import { isIP } from 'net';
import { Errors, type GatewayError } from '../errors';

/**
 * The MCP revisions the gateway speaks and the Streamable HTTP transport's header rules
 * (https://modelcontextprotocol.io/specification/2025-11-25/basic/transports): what every request
 * is checked for before its body is read.
 */
export const PROTOCOL_VERSIONS = ['2025-03-26', '2025-06-18', '2025-11-25'] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];
export const LATEST_PROTOCOL_VERSION: ProtocolVersion = '2025-11-25';

export function isSupportedVersion(v: unknown): v is ProtocolVersion {
  return typeof v === 'string' && (PROTOCOL_VERSIONS as readonly string[]).includes(v);
}

/**
 * The stateless revisions (2026-07-28): no session, no initialize; each request names its revision in
 * `params._meta` and the MCP-Protocol-Version header (stateless.ts). Kept apart from PROTOCOL_VERSIONS,
 * the ones initialize negotiates, as the SDK keeps them: an initialize asking for 2026-07-28 is answered
 * with the latest session revision, and no session is ever held to a stateless revision.
 */
export const STATELESS_PROTOCOL_VERSIONS = ['2026-07-28'] as const;
const FIRST_STATELESS_VERSION = '2026-07-28';

/** A revision of the stateless era (2026-07-28 or later, as the SDK decides the era), served here or not. */
export function isStatelessEra(v: unknown): v is string {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= FIRST_STATELESS_VERSION;
}

/** initialize: the client's version when the gateway speaks it, else the latest (the client then decides). */
export function negotiate(requested: unknown): ProtocolVersion {
  return isSupportedVersion(requested) ? requested : LATEST_PROTOCOL_VERSION;
}

/** JSON-RPC batches were removed in 2025-06-18. */
export function batchesAllowed(version: string): boolean {
  return version === '2025-03-26';
}

/**
 * The DNS-rebinding guard, for browsers (non-browser clients send no Origin and pass). A page of another
 * site sends its own Origin: refused. A rebinding page sends its own too, but its name now resolves to
 * the gateway, so Origin and Host agree: that is why the host must also be one the gateway answers to
 * by name (a published domain, `localhost`) or an IP address, which no rebinding can forge. `null`
 * (sandboxed frames, file://) is another site too. Checked only when an Origin is present.
 */
export function checkOrigin(req: IncomingMessage, domains: readonly { readonly host: string }[]): GatewayError | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const host = (req.headers.host ?? '').toLowerCase();
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url || url.host === '' || url.host.toLowerCase() !== host) return Errors.mcpOriginRefused(origin, host);
  return ownName(url.hostname.toLowerCase(), domains) ? undefined : Errors.mcpOriginRefused(origin, host);
}

/** A host name no DNS rebinding can point elsewhere: an IP literal, localhost, or a domain the gateway publishes (`*.x` covers one label). */
function ownName(hostname: string, domains: readonly { readonly host: string }[]): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare) !== 0 || bare === 'localhost') return true;
  return domains.some((d) => (d.host.startsWith('*.') ? bare.endsWith(d.host.slice(1)) && !bare.slice(0, -d.host.length + 1).includes('.') : bare === d.host));
}

/** POST must accept both JSON and SSE answers, GET an SSE stream (406 otherwise, as the SDK server answers). */
export function checkAccept(req: IncomingMessage): GatewayError | undefined {
  const accept = req.headers.accept ?? '';
  if (req.method === 'POST') {
    return accept.includes('application/json') && accept.includes('text/event-stream') ? undefined : Errors.mcpNotAcceptable(accept, 'both application/json and text/event-stream');
  }
  if (req.method === 'GET') return accept.includes('text/event-stream') ? undefined : Errors.mcpNotAcceptable(accept, 'text/event-stream');
  return undefined;
}

export function checkContentType(req: IncomingMessage): GatewayError | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' ? undefined : Errors.mcpUnsupportedMediaType(req.headers['content-type'] ?? '');
}

/**
 * The MCP-Protocol-Version header: undefined when absent, 400 when it names a revision the gateway does
 * not speak. Absent, a request speaks the revision its session negotiated (the spec's "other way to
 * identify the version"; 2025-03-26 is only for a server that has none).
 */
export function headerVersion(req: IncomingMessage): ProtocolVersion | undefined {
  const v = req.headers['mcp-protocol-version'];
  if (v === undefined) return undefined;
  if (!isSupportedVersion(v)) throw Errors.mcpProtocolVersion(String(v), PROTOCOL_VERSIONS);
  return v;
}
