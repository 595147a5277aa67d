/**
 * Decodings that turn what a client sent into what an application behind the gateway would act on, so a rule
 * written against the plain form also catches its encoded forms (CRS applies the same transformations:
 * t:urlDecodeUni, t:htmlEntityDecode, t:jsDecode, t:utf8toUnicode, t:normalizePath, t:removeComments,
 * t:compressWhitespace, t:cmdLine, t:lowercase). Every function here is one pass over its input, so the cost
 * of inspecting a value is linear in its (bounded) length.
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

/**
 * One round of percent-decoding, as a lenient server decodes: `%XX` bytes are read as UTF-8 including the
 * overlong forms strict decoders refuse (`%c0%ae` is `.`, `%c0%af` is `/`, `%e0%80%ae` is `.`), IIS's `%uXXXX` is
 * read as a UTF-16 unit, a `%` not followed by two hex digits is kept as it is, and `+` is a space when `plusIsSpace`
 * (query strings and form values, not paths).
 */
export function percentDecodeOnce(s: string, plusIsSpace: boolean): string {
  if (!s.includes('%') && !(plusIsSpace && s.includes('+'))) return s;
  // Runs of characters left as they are are copied with one slice each: building the result a character at a time
  // costs ten times more on a long value.
  const parts: string[] = [];
  const bytes: number[] = [];
  let plainFrom = 0;
  const flushBytes = () => {
    if (bytes.length) parts.push(decodeLenientUtf8(bytes.splice(0)));
  };
  const replace = (i: number, width: number, text?: string) => {
    if (plainFrom < i) parts.push(s.slice(plainFrom, i));
    if (text !== undefined) {
      flushBytes();
      parts.push(text);
    }
    plainFrom = i + width;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const high = hexAt(s, i + 1);
      const low = hexAt(s, i + 2);
      if (high >= 0 && low >= 0) {
        replace(i, 3);
        bytes.push(high * 16 + low);
        i += 2;
        continue;
      }
      if (s[i + 1] === 'u' || s[i + 1] === 'U') {
        const digits = [hexAt(s, i + 2), hexAt(s, i + 3), hexAt(s, i + 4), hexAt(s, i + 5)];
        if (digits.every((d) => d >= 0)) {
          replace(i, 6, String.fromCharCode(digits.reduce((unit, d) => unit * 16 + d, 0)));
          i += 5;
          continue;
        }
      }
    } else if (plusIsSpace && c === 0x2b) {
      replace(i, 1, ' ');
      continue;
    }
    // A character kept as it is ends a run of escaped bytes: they are decoded before it.
    flushBytes();
  }
  flushBytes();
  parts.push(s.slice(plainFrom));
  return parts.join('');
}

/**
 * Bytes read as UTF-8 the way a lenient decoder does: a lead byte and its continuation bytes give their code point
 * even when the form is overlong; a byte that starts no valid sequence stands for itself (Latin-1), so nothing is lost.
 */
function decodeLenientUtf8(bytes: number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const need = b >= 0xf0 && b <= 0xf7 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    if (b < 0x80 || need === 0 || b > 0xf7) {
      out += String.fromCharCode(b);
      continue;
    }
    // Arithmetic rather than bit operations (the lint forbids those): the lead byte's payload, then 6 bits per continuation byte.
    let cp = b - [0, 0xc0, 0xe0, 0xf0][need];
    let ok = i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const cont = bytes[i + k];
      if (cont < 0x80 || cont > 0xbf) ok = false;
      else cp = cp * 64 + (cont - 0x80);
    }
    if (!ok || cp > 0x10ffff) {
      out += String.fromCharCode(b);
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need;
  }
  return out;
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
  if (!s.includes('&') && !s.includes('\\')) return s;
  return s
    .replace(/&#(?:x0{0,8}([0-9a-f]{1,6})|0{0,8}([0-9]{1,7}));?/gi, (whole, hex?: string, dec?: string) => {
      const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    })
    .replace(/&([a-z]{2,8});?/gi, (whole, name: string) => NAMED_ENTITIES[name.toLowerCase()] ?? whole)
    .replace(/\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|u\{([0-9a-f]{1,6})\})/gi, (whole, x?: string, u?: string, ub?: string) => {
      const cp = parseInt((x ?? u ?? ub)!, 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    });
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
    for (let open = out.indexOf('/*'); open !== -1; open = out.indexOf('/*', from)) {
      rebuilt += out.slice(from, open) + ' ';
      const close = out.indexOf('*/', open + 2);
      if (out[open + 2] === '!') {
        // Executable comment: keep what is inside, drop `/*!` and an optional version number.
        let body = open + 3;
        while (body < out.length && body < open + 9 && out[body] >= '0' && out[body] <= '9') body++;
        from = body;
        continue;
      }
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
  return s
    .replace(/[\u2215\u2044\u29f8]/g, '/')
    .replace(/[\u29f5\u29f9\uff3c]/g, '\\')
    .replace(/\\/g, '/')
    .replace(/\0/g, '')
    .replace(/\/{2,}/g, '/')
    .replace(/(?:^|\/)(?:\.\/)+/g, (m) => (m[0] === '/' ? '/' : ''));
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
 */
export function commandForm(s: string): string {
  return s
    .replace(/["'\\^]/g, '')
    .replace(/[\r\n]+/g, ';')
    .replace(/\$\{ifs\}|\$ifs(?:\$9)?\b/g, ' ')
    .replace(/[\s,]{2,}|[^\S ]|,/g, ' ')
    .replace(/ (?=[/(])/g, '');
}

/** Whitespace runs as one space: for phrase rules on prose. */
export function compressSpaces(s: string): string {
  // Only runs and characters that change: replacing every single space with itself would allocate a piece per word.
  return s.replace(/\s{2,}|[^\S ]/g, ' ');
}
