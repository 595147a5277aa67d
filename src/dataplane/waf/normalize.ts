import { UnitWriter } from './unit-writer';

/**
 * Decodings that turn what a client sent into what an application behind the gateway would act on, so a rule
 * written against the plain form also catches its encoded forms (CRS applies the same transformations:
 * t:urlDecodeUni, t:htmlEntityDecode, t:jsDecode, t:utf8toUnicode, t:normalizePath, t:removeComments,
 * t:compressWhitespace, t:cmdLine, t:lowercase). Every function here reads its input a fixed number of times, so the
 * cost of inspecting a value is linear in its (bounded) length; those that may rewrite every other character write
 * a code unit at a time (unit-writer.ts), as a regular expression replace costs tens of nanoseconds per replacement.
 */

/** How many times percent-decoding is repeated: `%25252e` (triple-encoded `.`) is as far as a real client or proxy chain goes. */
export const MAX_DECODE_ROUNDS = 3;

/** The value of the hex digit at s[i], or -1. */
function hexAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The UTF-16 unit of the four hex digits at s[i..i+3] (IIS's `%uXXXX`), or -1. */
function hexUnitAt(s: string, i: number): number {
  let unit = 0;
  for (let k = i; k < i + 4; k++) {
    const d = hexAt(s, k);
    if (d < 0) return -1;
    unit = unit * 16 + d;
  }
  return unit;
}

/**
 * One round of percent-decoding, as a lenient server decodes: `%XX` bytes are read as UTF-8 including the
 * overlong forms strict decoders refuse (`%c0%ae` is `.`, `%c0%af` is `/`, `%e0%80%ae` is `.`), IIS's `%uXXXX` is
 * read as a UTF-16 unit, a `%` not followed by two hex digits is kept as it is, and `+` is a space when `plusIsSpace`
 * (query strings and form values, not paths).
 */
export function percentDecodeOnce(s: string, plusIsSpace: boolean): string {
  if (!s.includes('%') && !(plusIsSpace && s.includes('+'))) return s;
  // Written a code unit at a time: `+++…` or `%c0%c0…` would otherwise cost a replacement (or a piece) per character.
  const out = new UnitWriter(s.length);
  // Escaped bytes waiting to be decoded together (a UTF-8 sequence spans several): bytes[0, pending).
  const bytes: number[] = [];
  let pending = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const high = hexAt(s, i + 1);
      const low = hexAt(s, i + 2);
      if (high >= 0 && low >= 0) {
        bytes[pending++] = high * 16 + low;
        i += 2;
        continue;
      }
      const u = s.charCodeAt(i + 1);
      if (u === 0x75 || u === 0x55) {
        const unit = hexUnitAt(s, i + 2);
        if (unit >= 0) {
          if (pending > 0) pending = writeLenientUtf8(bytes, pending, out);
          out.unit(unit);
          i += 5;
          continue;
        }
      }
    }
    // A character kept as it is (or `+` as a space) ends a run of escaped bytes: they are decoded before it.
    if (pending > 0) pending = writeLenientUtf8(bytes, pending, out);
    out.unit(plusIsSpace && c === 0x2b ? 0x20 : c);
  }
  if (pending > 0) writeLenientUtf8(bytes, pending, out);
  return out.toString();
}

/**
 * bytes[0, count) read as UTF-8 the way a lenient decoder does, written to `out`; returns 0, the bytes left pending.
 * A lead byte and its continuation bytes give their code point even when the form is overlong; a byte that starts no
 * valid sequence stands for itself (Latin-1), so nothing is lost.
 */
function writeLenientUtf8(bytes: number[], count: number, out: UnitWriter): number {
  for (let i = 0; i < count; i++) {
    const b = bytes[i];
    const need = b >= 0xf0 && b <= 0xf7 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    if (b < 0x80 || need === 0 || b > 0xf7) {
      out.unit(b);
      continue;
    }
    // Arithmetic rather than bit operations (the lint forbids those): the lead byte's payload, then 6 bits per continuation byte.
    let cp = b - [0, 0xc0, 0xe0, 0xf0][need];
    let ok = i + need < count;
    for (let k = 1; ok && k <= need; k++) {
      const cont = bytes[i + k];
      if (cont < 0x80 || cont > 0xbf) ok = false;
      else cp = cp * 64 + (cont - 0x80);
    }
    if (!ok || cp > 0x10ffff) {
      out.unit(b);
      continue;
    }
    out.codePoint(cp);
    i += need;
  }
  return 0;
}

/** Percent-decoding repeated while it changes something, at most MAX_DECODE_ROUNDS times (double- and triple-encoded forms). */
export function percentDecode(s: string, plusIsSpace: boolean): string {
  let current = s;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = percentDecodeOnce(current, plusIsSpace && round === 0);
    if (next === current) break;
    current = next;
  }
  return current;
}

const FULL_WIDTH = /[\uff01-\uff5e]/;

/**
 * Full-width forms (`．．／`, CRS 920260) folded to ASCII and the text lower-cased: rules then need only one case
 * and one width. NFKC runs only when a full-width character is present, as it is costly on long text.
 */
export function fold(s: string): string {
  return (FULL_WIDTH.test(s) ? s.normalize('NFKC') : s).toLowerCase();
}

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  tab: '\t',
  newline: '\n',
  lpar: '(',
  rpar: ')',
  sol: '/',
  bsol: '\\',
  semi: ';',
  equals: '=',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  grave: '`',
  nbsp: ' ',
  excl: '!',
  num: '#',
  period: '.',
  comma: ',',
  plus: '+',
  quest: '?',
  percnt: '%',
  dollar: '$',
  ast: '*',
  vert: '|',
};

/**
 * HTML character references decoded, with or without their `;` and with any number of leading zeros
 * (`&#x3c`, `&#0000060;`, `&lt;`, `&colon;`), then JavaScript escapes (`\x3c`, `\u003c`, `\u{3c}`): what a browser
 * would see in an attribute or a script. The digit runs are bounded so each reference is read in constant time.
 */
export function htmlDecode(s: string): string {
  // Three passes, each on the one before's output as a browser's layers read it (`&#38;lt;` is `&lt;`, then `<`); each
  // a copy only when it finds something, written a unit at a time: `&lt&lt&lt…` costs no replacement per reference.
  let out = s;
  if (out.includes('&#')) out = numericReferences(out);
  if (out.includes('&')) out = namedReferences(out);
  if (out.includes('\\')) out = javaScriptEscapes(out);
  return out;
}

/** `&#x3c;`, `&#60`, `&#0000060;`: up to 8 leading zeros, then up to 6 hex or 7 decimal digits, then an optional `;`. */
function numericReferences(s: string): string {
  const out = new UnitWriter(s.length);
  let copied = 0;
  for (let at = s.indexOf('&#'); at !== -1; at = s.indexOf('&#', at)) {
    const hex = s.charCodeAt(at + 2) === 0x78 || s.charCodeAt(at + 2) === 0x58;
    const from = hex ? at + 3 : at + 2;
    let zeros = 0;
    while (zeros < 8 && s.charCodeAt(from + zeros) === 0x30) zeros++;
    let digits = 0;
    let cp = 0;
    for (let d = digitAt(s, from + zeros, hex); digits < (hex ? 6 : 7) && d >= 0; d = digitAt(s, from + zeros + digits, hex)) {
      cp = cp * (hex ? 16 : 10) + d;
      digits++;
    }
    if (digits === 0 && zeros === 0) {
      at += 2;
      continue;
    }
    // Zeros and no digit after them read as the value 0, which is left as it is, like one past U+10FFFF.
    let end = from + zeros + digits;
    if (s.charCodeAt(end) === 0x3b) end++;
    if (cp > 0 && cp <= 0x10ffff) {
      out.copy(s, copied, at);
      out.codePoint(cp);
      copied = end;
    }
    at = end;
  }
  if (copied === 0) return s;
  out.copy(s, copied, s.length);
  return out.toString();
}

function digitAt(s: string, i: number, hex: boolean): number {
  if (hex) return hexAt(s, i);
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : -1;
}

/** `&lt;`, `&colon`: `&`, 2 to 8 letters (as many as there are, up to 8), an optional `;`; names not in NAMED_ENTITIES are left. */
function namedReferences(s: string): string {
  const out = new UnitWriter(s.length);
  let copied = 0;
  for (let at = s.indexOf('&'); at !== -1; at = s.indexOf('&', at)) {
    let letters = 0;
    while (letters < 8 && isAsciiLetter(s.charCodeAt(at + 1 + letters))) letters++;
    if (letters < 2) {
      at += 1;
      continue;
    }
    let end = at + 1 + letters;
    const text = NAMED_ENTITIES[s.slice(at + 1, end).toLowerCase()];
    if (s.charCodeAt(end) === 0x3b) end++;
    if (text !== undefined) {
      out.copy(s, copied, at);
      out.unit(text.charCodeAt(0));
      copied = end;
    }
    at = end;
  }
  if (copied === 0) return s;
  out.copy(s, copied, s.length);
  return out.toString();
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** `\x3c`, `\u003c`, `\u{3c}` (up to 6 hex digits, up to U+10FFFF). */
function javaScriptEscapes(s: string): string {
  const out = new UnitWriter(s.length);
  let copied = 0;
  for (let at = s.indexOf('\\'); at !== -1; at = s.indexOf('\\', at)) {
    const [cp, end] = javaScriptEscapeAt(s, at);
    if (end === -1) {
      at += 1;
      continue;
    }
    if (cp <= 0x10ffff) {
      out.copy(s, copied, at);
      out.codePoint(cp);
      copied = end;
    }
    at = end;
  }
  if (copied === 0) return s;
  out.copy(s, copied, s.length);
  return out.toString();
}

/** The code point of the escape at s[at] (a `\\`) and where it ends, or end -1 when none starts there. */
function javaScriptEscapeAt(s: string, at: number): [number, number] {
  const kind = s.charCodeAt(at + 1);
  if (kind === 0x78 || kind === 0x58) {
    const high = hexAt(s, at + 2);
    const low = hexAt(s, at + 3);
    return high >= 0 && low >= 0 ? [high * 16 + low, at + 4] : [0, -1];
  }
  if (kind !== 0x75 && kind !== 0x55) return [0, -1];
  const unit = hexUnitAt(s, at + 2);
  if (unit >= 0) return [unit, at + 6];
  if (s.charCodeAt(at + 2) !== 0x7b) return [0, -1];
  let cp = 0;
  let digits = 0;
  for (let d = hexAt(s, at + 3); digits < 6 && d >= 0; d = hexAt(s, at + 3 + digits)) {
    cp = cp * 16 + d;
    digits++;
  }
  return digits > 0 && s.charCodeAt(at + 3 + digits) === 0x7d ? [cp, at + 4 + digits] : [0, -1];
}

/**
 * For SQL: comments removed (`UNION/**\/SELECT` is `UNION SELECT`) except MySQL's executable `/*!50000 … *\/`, whose
 * content MySQL runs, so only its markers go; whitespace (and MySQL's other separators) compressed to one space.
 * Expects lower-cased text.
 */
export function sqlForm(s: string): string {
  let out = s;
  if (out.includes('/*')) {
    let rebuilt = '';
    let from = 0;
    // The first `*/` at or after the comment being read, searched again only once passed: searching afresh for each
    // `/*` would scan the rest of the value each time (quadratic on `/*!/*!/*!…`, which has no `*/` at all).
    let close = 0;
    for (let open = out.indexOf('/*'); open !== -1; open = out.indexOf('/*', from)) {
      rebuilt += out.slice(from, open) + ' ';
      if (out[open + 2] === '!') {
        // Executable comment: keep what is inside, drop `/*!` and an optional version number.
        let body = open + 3;
        while (body < out.length && body < open + 9 && out[body] >= '0' && out[body] <= '9') body++;
        from = body;
        continue;
      }
      if (close !== -1 && close < open + 2) close = out.indexOf('*/', open + 2);
      from = close === -1 ? out.length : close + 2;
    }
    out = rebuilt + out.slice(from);
    out = out.split('*/').join(' ');
  }
  return compressSpaces(out);
}

/**
 * For paths and file names: look-alike slashes (`∕` U+2215, IIS's `%u2215`) and backslashes as slashes (Windows and IIS accept both), repeated slashes as one, `./`
 * segments removed (`/etc/./passwd` is `/etc/passwd`), and NUL bytes removed (a NUL ends a C string: `../../etc/passwd%00.png`). Expects decoded, lower-cased text.
 */
export function pathForm(s: string): string {
  const slashed = slashesAsOne(s);
  return slashed.includes('./') ? slashed.replace(/(?:^|\/)(?:\.\/)+/g, (m) => (m[0] === '/' ? '/' : '')) : slashed;
}

/** Look-alike slashes and backslashes as `/`, NUL deleted, then each run of `/` as one: one pass, a copy only when something changes. */
function slashesAsOne(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0 || isOtherSlash(c) || (c === 0x2f && s.charCodeAt(i + 1) === 0x2f)) break;
    i++;
  }
  if (i === n) return s;
  const out = new UnitWriter(n);
  out.copy(s, 0, i);
  // Whether the last unit written is `/`: a NUL between two slashes leaves them next to each other, so they are one too.
  let afterSlash = i > 0 && s.charCodeAt(i - 1) === 0x2f;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) continue;
    if (c === 0x2f || isOtherSlash(c)) {
      if (!afterSlash) out.unit(0x2f);
      afterSlash = true;
    } else {
      out.unit(c);
      afterSlash = false;
    }
  }
  return out.toString();
}

/** `\`, and the characters that look like `/` (`∕` U+2215, `⁄` U+2044, `⧸` U+29F8) or `\` (U+29F5, U+29F9, U+FF3C). */
function isOtherSlash(c: number): boolean {
  return c === 0x5c || c === 0x2215 || c === 0x2044 || c === 0x29f8 || c === 0x29f5 || c === 0x29f9 || c === 0xff3c;
}

/**
 * A path with its `.` and `..` segments resolved as RFC 3986 §5.2.4 does (also `..;` as Tomcat reads it), and
 * whether a `..` tried to climb above the root: what file a naive static server would open.
 */
export function resolveDotSegments(path: string): { path: string; escapesRoot: boolean } {
  const out: string[] = [];
  let escapesRoot = false;
  for (const segment of path.split('/')) {
    const name = segment.endsWith(';') ? segment.slice(0, -1) : segment;
    if (name === '.' || name === '') continue;
    if (name === '..') {
      if (out.length === 0) escapesRoot = true;
      else out.pop();
      continue;
    }
    out.push(segment);
  }
  return { path: '/' + out.join('/'), escapesRoot };
}

/**
 * For shell commands, as CRS's t:cmdLine: the characters shells drop or use only to split words (`\`, `"`, `'`, `^`)
 * deleted (`c''a\t` is `cat`), line breaks as `;` (a shell runs each line), `$IFS` forms and `,` as spaces, spaces before `/` and `(` removed, whitespace
 * compressed; `;` is kept, as the rules read it as a command separator. Expects decoded, lower-cased text.
 * Two passes over the characters (the `$IFS` forms are read between them, on the text without quotes), each a copy
 * only when it changes something.
 */
export function commandForm(s: string): string {
  let text = dropQuotesAndBreakLines(s);
  if (text.includes('ifs')) text = text.replace(/\$\{ifs\}|\$ifs(?:\$9)?\b/g, ' ');
  return spaceWords(text);
}

/** `\`, `"`, `'` and `^` deleted, each run of CR and LF as one `;`. */
function dropQuotesAndBreakLines(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n && !isQuoteOrBreak(s.charCodeAt(i))) i++;
  if (i === n) return s;
  const out = new UnitWriter(n);
  out.copy(s, 0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) {
      out.unit(0x3b);
      // Quotes between the breaks go too (they are deleted), so the run is still one `;`.
      while (i + 1 < n && isQuoteOrBreak(s.charCodeAt(i + 1))) i++;
    } else if (!isQuoteOrBreak(c)) {
      out.unit(c);
    }
  }
  return out.toString();
}

function isQuoteOrBreak(c: number): boolean {
  return c === 0x22 || c === 0x27 || c === 0x5c || c === 0x5e || c === 0x0d || c === 0x0a;
}

/** Each run of whitespace and commas as one space, and none before `/` or `(`. */
function spaceWords(s: string): string {
  const n = s.length;
  // A single space not before `/` or `(` is the only separator left as it is: the first other one starts the copy.
  const changesAt = (i: number): boolean => {
    const c = s.charCodeAt(i);
    if (c !== 0x20) return c === 0x2c || isSpace(c);
    const next = s.charCodeAt(i + 1);
    return next === 0x2c || next === 0x2f || next === 0x28 || isSpace(next);
  };
  let i = 0;
  while (i < n && !changesAt(i)) i++;
  if (i === n) return s;
  const out = new UnitWriter(n);
  out.copy(s, 0, i);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 0x2c && !isSpace(c)) {
      out.unit(c);
      i++;
      continue;
    }
    while (i < n && (s.charCodeAt(i) === 0x2c || isSpace(s.charCodeAt(i)))) i++;
    const next = s.charCodeAt(i);
    if (next !== 0x2f && next !== 0x28) out.unit(0x20);
  }
  return out.toString();
}

/** Whether a code unit is whitespace as `\s` reads it (ECMAScript's WhiteSpace and LineTerminator). */
export function isSpace(c: number): boolean {
  if (c > 0x20) {
    if (c < 0xa0) return false;
    if (c >= 0x2000 && c <= 0x200a) return true;
    return c === 0xa0 || c === 0x1680 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
  }
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * Whitespace runs as one space: for phrase rules on prose. Text that needs nothing (most) is read and returned as it
 * is; otherwise one copy from the first change on.
 */
export function compressSpaces(s: string): string {
  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 ? isSpace(s.charCodeAt(i + 1)) : isSpace(c)) break;
  }
  if (i === n) return s;
  const out = new UnitWriter(n);
  out.copy(s, 0, i);
  while (i < n) {
    const c = s.charCodeAt(i);
    if (!isSpace(c)) {
      out.unit(c);
      i++;
      continue;
    }
    out.unit(0x20);
    while (i < n && isSpace(s.charCodeAt(i))) i++;
  }
  return out.toString();
}
