import { CODINGS, type Coding, STREAM_CODINGS } from './codings';

/** One `Accept-Encoding` member's weight; `undefined` when the member is malformed (then ignored). */
function weightOf(params: string[]): number | undefined {
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const q = Number(param.slice(eq + 1).trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : undefined;
  }
  return 1;
}

/**
 * The coding to answer in, by `Accept-Encoding` (RFC 9110 §12.5.3), or `undefined` for identity: the
 * coding the client weighs highest among `available` (`*` weighs those it does not name; `q=0`
 * refuses), the server's order breaking ties, unless it weighs `identity` higher still. An empty header, or one naming none of them, is identity.
 * A client that refuses identity (`identity;q=0`) and accepts none of them still gets identity: an
 * uncompressed answer is more use to it than a 406.
 */
export function negotiateCoding(acceptEncoding: string, available: readonly Coding[] = CODINGS): Coding | undefined {
  const weights = new Map<string, number>();
  for (const member of acceptEncoding.split(',')) {
    const [token, ...params] = member.split(';');
    const name = token.trim().toLowerCase();
    if (name === '') continue;
    const q = weightOf(params);
    // x-gzip is gzip (RFC 9110 §8.4.1.3).
    if (q !== undefined) weights.set(name === 'x-gzip' ? 'gzip' : name, q);
  }
  let best: Coding | undefined;
  let bestWeight = 0;
  for (const coding of available) {
    const q = weights.get(coding.name) ?? weights.get('*') ?? 0;
    if (q > bestWeight) {
      best = coding;
      bestWeight = q;
    }
  }
  // A client that names identity above every coding asks for the answer as is.
  const identity = weights.get('identity');
  return identity !== undefined && identity > bestWeight ? undefined : best;
}

/** What a client accepts: the coding for a body of known length, and the one for a stream (see STREAM_CODINGS). */
export interface Negotiated {
  readonly body: Coding;
  readonly stream: Coding;
}

/** SDKs send the same few values on every request: each is read once. Bounded: emptied when full. */
const MEMO_SIZE = 64;
const memo = new Map<string, Negotiated | undefined>();

function negotiate(acceptEncoding: string): Negotiated | undefined {
  const body = negotiateCoding(acceptEncoding, CODINGS);
  const stream = negotiateCoding(acceptEncoding, STREAM_CODINGS);
  return body && stream ? { body, stream } : undefined;
}

/** `negotiateCoding` for the process's codings, remembered by header value; `undefined` for identity. */
export function codingsFor(acceptEncoding: string): Negotiated | undefined {
  const known = memo.get(acceptEncoding);
  if (known !== undefined || memo.has(acceptEncoding)) return known;
  // An odd, long value is read and not kept.
  if (acceptEncoding.length > 256) return negotiate(acceptEncoding);
  if (memo.size >= MEMO_SIZE) memo.clear();
  const negotiated = negotiate(acceptEncoding);
  memo.set(acceptEncoding, negotiated);
  return negotiated;
}
