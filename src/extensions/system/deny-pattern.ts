import { RE2JS } from 're2js';

/**
 * Deny patterns are written by an admin but run on client text, synchronously: a backtracking engine (JavaScript's
 * RegExp) can spend seconds on one request for patterns as plain as `\w+\d+x`, and no syntax check finds every
 * such pattern. They run in RE2 instead (the pure-JavaScript port `re2js`), whose time is linear in the text for
 * every pattern; what RE2 cannot do in linear time (back-references, lookahead, lookbehind) it refuses to compile.
 */

/** `source` compiled by RE2, or an Error whose message says why RE2 refuses it (the caller names the pattern). */
export function compileDenyPattern(source: string): RE2JS | Error {
  try {
    return RE2JS.compile(source);
  } catch (e) {
    return new Error(
      `is not a pattern RE2 accepts (${(e as Error).message}): deny patterns use RE2 syntax, which matches in linear time; ` +
        'it has no back-references (\\1), lookahead or lookbehind ((?=, (?!, (?<=, (?<!), and writes \\x{e9} for \\u00e9',
    );
  }
}

/**
 * Whether `source` asserts anything about the text around a match: `^`, `$`, `\b`, `\B`, `\A` or `\z` outside a
 * character class. Without these, a match in part of a text is a match in the whole text.
 */
export function hasAssertion(source: string): boolean {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      if (!inClass && 'bBAz'.includes(source[i + 1] ?? '')) return true;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      // A `]` right after `[` or `[^` is a literal, not the class's end.
      if (source[i + 1] === '^') i++;
      if (source[i + 1] === ']') i++;
    } else if (c === '^' || c === '$') {
      return true;
    }
  }
  return false;
}

/**
 * Calls `found` with each match of `pattern` in `text` that starts at `from` or later (UTF-16 offsets, leftmost
 * first, not overlapping; empty matches skipped) until it returns true. The text before `from` is seen by `^` and `\b`.
 */
export function eachRe2Match(pattern: RE2JS, text: string, from: number, found: (start: number, end: number) => boolean): void {
  const m = pattern.matcher(text);
  for (let more = m.find(from); more; more = m.find()) {
    const start = m.start();
    const end = m.end();
    if (end > start && found(start, end)) return;
  }
}
