import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-bytes';

/**
 * One pass over a JSON request body's bytes, before it is parsed, for the two things JSON.parse
 * will not refuse but the gateway must:
 *
 * - nesting deeper than the limit: V8 parses 5,000 levels happily, and re-serializing them
 *   (JSON.stringify recurses) overflows the stack, a 500 with a stack trace;
 * - a top-level key given twice (`{"model":"cheap","model":"dear"}`): JSON.parse keeps the last
 *   value, which is what the gateway authorizes, while an upstream's parser may keep the first, and
 *   the raw bytes are what is forwarded.
 *
 * Strings are skipped with a native search for the next quote (the bulk of a chat body is string
 * content), so the per-byte work is only over structure, numbers and spaces. Nothing is allocated
 * unless a top-level key carries escapes (then that key alone is decoded: `"mod\u0065l"` is `model`).
 *
 * Meant for bodies that JSON.parse reads next: on text that is not JSON the answer may be either
 * value, and the parse refuses it anyway.
 */
export type JsonShape = 'ok' | 'too_deep' | 'duplicate_key';

export function checkJsonShape(body: Buffer, maxDepth: number, uniqueTopLevelKey: string): JsonShape {
  const n = body.length;
  let depth = 0;
  let seen = false;
  for (let i = 0; i < n; i++) {
    const c = body[i];
    if (c === QUOTE) {
      const end = stringEnd(body, i);
      if (end < 0) return 'ok'; // unterminated: the parse refuses it
      if (depth === 1 && followedByColon(body, end + 1) && keyEquals(body, i, end, uniqueTopLevelKey)) {
        if (seen) return 'duplicate_key';
        seen = true;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return 'too_deep';
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return 'ok';
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(s: Buffer, start: number): number {
  let q = s.indexOf(QUOTE, start + 1);
  while (q > 0) {
    let backslashes = 0;
    for (let b = q - 1; s[b] === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = s.indexOf(QUOTE, q + 1);
  }
  return -1;
}

/** A string at the top level is a key when a colon follows it (a value never has one after it). */
function followedByColon(s: Buffer, i: number): boolean {
  let c = s[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s[++i];
  return c === COLON;
}

/** Whether the string between the quotes at `open` and `close` is `key`, escapes decoded. */
function keyEquals(s: Buffer, open: number, close: number, key: string): boolean {
  const length = close - open - 1;
  let escaped = false;
  for (let k = open + 1; k < close; k++) {
    if (s[k] === BACKSLASH) {
      escaped = true;
      break;
    }
  }
  if (!escaped) {
    if (length !== key.length) return false;
    for (let k = 0; k < length; k++) if (s[open + 1 + k] !== key.charCodeAt(k)) return false;
    return true;
  }
  // Escapes (rare in a key): decode this one string the way JSON.parse will.
  try {
    return JSON.parse(s.toString('utf8', open, close + 1)) === key;
  } catch {
    return false;
  }
}
