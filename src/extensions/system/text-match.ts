/**
 * A compiled deny rule: its name in the config (`denyPatterns[2]`, `denyWords[0]`) and how it finds its matches:
 * `eachMatch` calls `found` with each match's span in `text` that starts at `from` or later (leftmost first, not
 * overlapping, never empty; the text before `from` is seen by `\b` and lookbehind) until `found` returns true. Its
 * time must be linear in the text: it runs on client text, synchronously.
 */
export interface DenyRule {
  readonly name: string;
  readonly eachMatch: (text: string, from: number, found: (start: number, end: number) => boolean) => void;
  /**
   * Whether a match depends on the text around it (`^`, `$`, `\b`, lookaround): then a match that ends at a window's
   * cut end may be false (the cut looked like the text's end) and is left to the next window.
   */
  readonly edgeSensitive: boolean;
}

/** A rule from a global JavaScript regex: only for regexes that cannot backtrack (an escaped word, fixed-width lookarounds). */
export function regExpRule(name: string, regex: RegExp, edgeSensitive: boolean): DenyRule {
  return {
    name,
    edgeSensitive,
    eachMatch(text, from, found) {
      regex.lastIndex = from;
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        if (m[0].length === 0) {
          regex.lastIndex++;
          continue;
        }
        if (found(m.index, m.index + m[0].length)) return;
      }
    },
  };
}

/**
 * Texts are scanned in windows of this many characters: what one scan holds (RE2's state, a match's span) is
 * bounded by the window, not by the prompt, and a match never spans more than a window.
 */
export const SCAN_WINDOW = 8192;
/** Windows overlap by this much: a match up to this long is found across a window's edge (longer ones may not be). */
export const SCAN_OVERLAP = 256;
/** Where each window starts after the previous one: one more than the overlap, so that a match of SCAN_OVERLAP characters that starts a window ends before the previous window's cut edge. */
const SCAN_STEP = SCAN_WINDOW - SCAN_OVERLAP - 1;

export interface TextMatch {
  readonly rule: DenyRule;
  readonly start: number;
  readonly end: number;
}

/**
 * Calls `found` with each match of each rule in `text` (a match in two windows' overlap may be reported twice),
 * until it returns true. Empty matches are skipped.
 */
export function scanText(text: string, rules: readonly DenyRule[], found: (match: TextMatch) => boolean): void {
  for (let from = 0; ; from += SCAN_STEP) {
    const last = from + SCAN_WINDOW >= text.length;
    // A window after the first holds the character before it too, searched from the next: `^`, `\b` and
    // lookbehind at its start then see the text as it is.
    const context = from > 0 ? 1 : 0;
    const window = from === 0 && last ? text : text.slice(from - context, from + SCAN_WINDOW);
    const offset = from - context;
    for (const rule of rules) {
      let stop = false;
      rule.eachMatch(window, context, (start, end) => {
        // Where the window ends but the text does not, `$` and `\b` match falsely: the next window sees past it.
        if (!last && rule.edgeSensitive && end === window.length) return false;
        return (stop = found({ rule, start: offset + start, end: offset + end }));
      });
      if (stop) return;
    }
    if (last) return;
  }
}

/** The first rule that matches `text`, if any. */
export function firstMatch(text: string, rules: readonly DenyRule[]): TextMatch | undefined {
  let first: TextMatch | undefined;
  scanText(text, rules, (m) => ((first = m), true));
  return first;
}

/** Every match's span, merged: sorted, none overlapping. */
export function matchedSpans(text: string, rules: readonly DenyRule[]): [number, number][] {
  const spans: [number, number][] = [];
  scanText(text, rules, (m) => (spans.push([m.start, m.end]), false));
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}

/** `text` with each span replaced by `mask`. */
export function maskSpans(text: string, spans: readonly [number, number][], mask: string): string {
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start) + mask;
    at = end;
  }
  return out + text.slice(at);
}
