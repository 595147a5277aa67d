import type { IncomingHttpHeaders } from 'http';
import type { Transform } from 'stream';
import * as zlib from 'zlib';
import { Errors } from '../errors';

/** How a compressed request body is read back: the coding's name (for messages) and a fresh decoder. */
export interface RequestDecoding {
  /** The coding as the client named it, lower-cased (`gzip`, `x-gzip`, `deflate`, `br`, `zstd`). */
  readonly encoding: string;
  readonly decoder: () => Transform;
}

/**
 * The codings a request body may arrive in, with their decoders. `deflate` is the zlib format, as RFC 9110 §8.4.1.2
 * defines it (raw deflate without the zlib wrapper is refused as corrupt, 400). `zstd` only where this Node's zlib
 * has it (Node 22.15+ and 23.8+; not Node 20): the 415 then lists it, and without it does not.
 */
const DECODERS: ReadonlyMap<string, () => Transform> = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip()],
  ['x-gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
  ...zstdDecoder(),
]);

/** The codings the gateway decompresses, for the 415 that names them. */
export const REQUEST_ENCODINGS: readonly string[] = [...DECODERS.keys()];

/**
 * The decoding a request's `Content-Encoding` asks for: undefined for none (absent, empty or `identity`), or 415
 * naming the value and what is supported: a coding the gateway cannot read, or several stacked (`gzip, br`), which
 * no client library sends and which would multiply the work a small body can demand.
 */
export function requestDecoding(headers: IncomingHttpHeaders): RequestDecoding | undefined {
  const header = headers['content-encoding'];
  if (header === undefined) return undefined;
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return undefined;
  const decoder = codings.length === 1 ? DECODERS.get(codings[0]!) : undefined;
  if (!decoder) throw Errors.unsupportedContentEncoding(header, REQUEST_ENCODINGS);
  return { encoding: codings[0]!, decoder };
}

function zstdDecoder(): Array<[string, () => Transform]> {
  const create = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return typeof create === 'function' ? [['zstd', () => create()]] : [];
}
