import type { OutgoingHttpHeader } from 'http';

/** Below this many bytes a known-length answer is sent as is: the coding's framing outweighs what it saves. */
export const MIN_COMPRESSED_BYTES = 1024;

/** Text the gateway answers with: JSON, SSE, NDJSON, text, XML. Media (images, audio) is compressed already. */
const COMPRESSIBLE_TYPES = new Set([
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'application/javascript',
  'application/xml',
  'application/x-www-form-urlencoded',
  'image/svg+xml',
]);

/** Whether a `Content-Type` names text worth compressing (`text/*`, JSON and XML, their `+json`/`+xml` kinds). */
export function isCompressibleType(contentType: OutgoingHttpHeader | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type.startsWith('text/') || COMPRESSIBLE_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml');
}

/**
 * Whether an answer is one document its client parses whole (JSON, XML), so that the pieces it is written in
 * need not leave one by one; anything else of unknown length (SSE, NDJSON, text an agent streams) may be read
 * as it comes, and is flushed at each write.
 */
export function isWholeDocument(contentType: OutgoingHttpHeader | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || type === 'application/xml' || type.endsWith('+json') || type.endsWith('+xml');
}

/** What the head of a response says about compressing it. */
export interface ResponseHead {
  readonly status: number;
  readonly contentType: OutgoingHttpHeader | undefined;
  readonly contentEncoding: OutgoingHttpHeader | undefined;
  readonly cacheControl: OutgoingHttpHeader | undefined;
  /** The body's length when known: its Content-Length, or the one body given to `end()`. */
  readonly length: number | undefined;
}

/**
 * Whether to compress a response the client accepts compressed: it has a body (not 1xx, 204, 304), is
 * not encoded already (an answer relayed as the upstream encoded it is never encoded twice), is text,
 * allows transformation (`Cache-Control: no-transform`), and is not known to be small.
 */
export function shouldCompress(head: ResponseHead): boolean {
  if (head.status < 200 || head.status === 204 || head.status === 304) return false;
  if (head.contentEncoding !== undefined && String(head.contentEncoding).trim().toLowerCase() !== 'identity') return false;
  if (!isCompressibleType(head.contentType)) return false;
  if (head.cacheControl !== undefined && /\bno-transform\b/i.test(String(head.cacheControl))) return false;
  return head.length === undefined || head.length >= MIN_COMPRESSED_BYTES;
}

/** `Vary` with `accept-encoding` added (RFC 9110 §12.5.5): a cache keeps the compressed and plain answers apart. */
export function varyWithAcceptEncoding(vary: OutgoingHttpHeader | undefined): string | undefined {
  if (vary === undefined) return 'accept-encoding';
  const value = Array.isArray(vary) ? vary.join(', ') : String(vary);
  if (/(^|,)\s*(\*|accept-encoding)\s*(,|$)/i.test(value)) return undefined;
  return value.trim() === '' ? 'accept-encoding' : `${value}, accept-encoding`;
}
