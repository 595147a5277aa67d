/**
 * What pii-redaction finds in text. Each detector is a pattern and, where a number carries one, its checksum:
 * a digit run that fails Luhn is not a card, an 18-character id whose check character is wrong is not a
 * Chinese resident id. This keeps order numbers, timestamps and dates out of the masks.
 */

export const PII_ENTITIES = ['email', 'phone', 'card', 'national-id'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

interface Detector {
  readonly pattern: RegExp;
  /** Whether a match is the entity (its checksum holds). @default every match is */
  readonly accept?: (match: string) => boolean;
}

// Digit runs are bounded by anything but a word character, so that no detector takes part of a longer number or word.
const DETECTORS: { readonly [E in PiiEntity]: readonly Detector[] } = {
  'email': [{ pattern: /(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])/g }],
  'national-id': [
    // Chinese resident identity card: 6-digit region, birth date, 3-digit sequence, ISO 7064 MOD 11-2 check character.
    { pattern: /(?<![\w])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\w])/g, accept: chineseIdChecksumHolds },
    // US Social Security number, written with dashes or spaces (nine bare digits are too often something else).
    { pattern: /(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w]|-\d)/g },
  ],
  'card': [
    // 13 to 19 digits, bare or in the printed groups (4-4-4-4[-3], Amex 4-6-5), with a valid Luhn check digit.
    { pattern: /(?<![\w-])\d{13,19}(?![\w])/g, accept: luhnHolds },
    { pattern: /(?<![\w-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?![\w]|[ -]\d)/g, accept: luhnHolds },
  ],
  'phone': [
    // E.164, with or without the usual separators: +14155550100, +1 (415) 555-0100, +86 138 0013 8000, +44 20 7946 0958.
    { pattern: /(?<![\w+])\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,4}\)?){1,5}(?![\w]|[ .-]\d)/g, accept: (m) => digitCount(m) >= 8 && digitCount(m) <= 15 },
    // National formats in groups ending in four digits: (415) 555-0100, 415-555-0100, 415.555.0100, 020 7946 0958,
    // 138 0013 8000. Numbers with thousands separators (10 000 000, 12.345.678) end in three and are left alone.
    { pattern: /(?<![\w.+-])(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{4}(?![\w]|[ .-]\d)/g },
    // A Chinese mobile number written bare: 13800138000.
    { pattern: /(?<![\w+])1[3-9]\d{9}(?![\w])/g },
  ],
};

/**
 * The order detectors run in: the most specific first, so that a checked id is not masked as a phone number,
 * and each mask (which has no digit and no `@`) is not found again by a later one.
 */
const ORDER: readonly PiiEntity[] = ['email', 'national-id', 'card', 'phone'];

/** Masks every entity of `entities` in `text`; `mask(entity)` is what replaces one. */
export interface Redactor {
  /** The text with its entities masked, and how many were (0: the same string). */
  redact(text: string): { text: string; count: number };
}

export function createRedactor(entities: readonly PiiEntity[], mask: (entity: PiiEntity) => string): Redactor {
  const steps = ORDER.filter((e) => entities.includes(e)).flatMap((e) => DETECTORS[e].map((d) => ({ ...d, replacement: mask(e) })));
  // No detector matches text without a digit or an `@`: most chat text is skipped without running a pattern.
  const mayMatch = /[\d@]/;
  return {
    redact(text) {
      if (!mayMatch.test(text)) return { text, count: 0 };
      let count = 0;
      let out = text;
      for (const { pattern, accept, replacement } of steps) {
        out = out.replace(pattern, (match) => {
          if (accept && !accept(match)) return match;
          count++;
          return replacement;
        });
      }
      return { text: out, count };
    },
  };
}

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

/** The Luhn check of a card number's digits (separators ignored). */
export function luhnHolds(number: string): boolean {
  const digits = number.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const CN_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CN_CHECK = '10X98765432';

/** GB 11643: the 18th character is `CN_CHECK[Σ digit × weight mod 11]`. */
export function chineseIdChecksumHolds(id: string): boolean {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * CN_WEIGHTS[i]!;
  return CN_CHECK[sum % 11] === id[17]!.toUpperCase();
}
