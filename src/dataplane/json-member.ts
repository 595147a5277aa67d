import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-bytes';

/**
 * The raw text of one top-level member's object value in a JSON document, found by a single
 * scan that skips strings, without building the rest of the document: reading `usage` off a
 * completion must not cost a parse of the whole answer (it showed in the profile), and only the
 * top level counts (a tool's `input` may well contain a key named `usage`).
 *
 * Returns undefined when the text is not an object at the top level, the member is absent, or its
 * value is not an object; the caller then knows nothing more than a failed parse would tell it.
 */
export function topLevelObjectMember(json: string, key: string): string | undefined {
  const n = json.length;
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACE) return undefined;
  let depth = 0;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(json, i);
      if (end < 0) return undefined;
      if (depth === 1 && end - i - 1 === key.length && json.startsWith(key, i + 1)) {
        const colon = skipSpace(json, end + 1);
        if (json.charCodeAt(colon) === COLON) {
          const start = skipSpace(json, colon + 1);
          if (json.charCodeAt(start) !== OPEN_BRACE) return undefined;
          const close = valueEnd(json, start);
          return close < 0 ? undefined : json.slice(start, close + 1);
        }
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    i++;
  }
  return undefined;
}

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = s.charCodeAt(++i));
  return i;
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(s: string, start: number): number {
  let q = s.indexOf('"', start + 1);
  while (q > 0) {
    let backslashes = 0;
    for (let b = q - 1; s.charCodeAt(b) === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Index of the brace closing the object that opens at `start`, or -1. */
function valueEnd(s: string, start: number): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(s, i);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {depth++;} else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i;
    }
  }
  return -1;
}
