import type { TargetKind } from '../targets';

export type WafFamily = 'sqli' | 'xss' | 'traversal' | 'cmdi' | 'protocol' | 'prompt-injection';

/**
 * The form of a value a rule reads (see normalize.ts): `raw` as received but lower-cased, `decoded` percent-decoded
 * and folded, and the family forms built from `decoded`.
 */
export type ViewName = 'raw' | 'decoded' | 'sql' | 'html' | 'path' | 'command' | 'prose';

/**
 * A built-in rule: a pattern run on one form of each value of the kinds it applies to. Every pattern is a
 * JavaScript RegExp written to run in linear time: each quantified part is bounded or is a single character class
 * that the next part cannot also match, and no quantified group holds alternatives that overlap; the adversarial
 * test (test/dataplane/waf/redos.test.ts) runs each one on 100 KB inputs built to make a backtracking engine slow.
 */
export interface ValueRule {
  /** '<family>-<n>': stable, used as a metric label and in the 403 answer. */
  readonly id: string;
  readonly family: WafFamily;
  /** The OWASP CRS rule ids whose detection logic this rule re-expresses (CRS commit in engine.ts). */
  readonly crs: readonly string[];
  /** The anomaly score of a match, as CRS grades them: 5 critical, 4 error, 3 warning, 2 notice. */
  readonly score: number;
  readonly view: ViewName;
  readonly pattern: RegExp;
  /** The kinds of value it reads. */
  readonly kinds: readonly TargetKind[];
}

/** Values of a request an attacker controls and an application reads as data: everything but message text. */
export const DATA_KINDS: readonly TargetKind[] = ['path', 'query', 'query-name', 'header', 'cookie', 'body', 'body-key'];
/** Data values and, when a route inspects messages, message text. */
export const DATA_AND_MESSAGE_KINDS: readonly TargetKind[] = [...DATA_KINDS, 'message'];

/** Shorthand for a rule list of one family: ids numbered in order. */
export function familyRules(
  family: WafFamily,
  rules: ReadonlyArray<Omit<ValueRule, 'id' | 'family' | 'kinds' | 'score'> & { readonly kinds?: readonly TargetKind[]; readonly score?: number }>,
  defaultKinds: readonly TargetKind[],
): ValueRule[] {
  return rules.map((r, i) => ({ ...r, id: `${family}-${i + 1}`, family, kinds: r.kinds ?? defaultKinds, score: r.score ?? 5 }));
}
