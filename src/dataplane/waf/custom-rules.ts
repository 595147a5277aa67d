import { RE2JS } from 're2js';
import type { Target } from './targets';

/**
 * An operator's own rules, as WafProps.customRules declares them. Their patterns are written by an admin but run on
 * client input, synchronously: they are compiled by RE2 (the pure-JavaScript port `re2js`), whose matching time is
 * linear in the input for every pattern, and what RE2 cannot match in linear time (back-references, lookahead,
 * lookbehind) is refused at load with an error naming the rule.
 */
export interface WafCustomRule {
  readonly name: string;
  readonly target: 'path' | 'query' | 'header' | 'body';
  /**
   * For `target: 'header'`: the header whose value is read (`cookie` for cookie values; never a credential header
   * such as authorization or x-api-key); without it, every inspected header and cookie.
   */
  readonly header?: string;
  /** RE2 syntax; case-sensitive unless it starts with `(?i)`. Matched on the decoded value (the path, each query value, …). */
  readonly pattern: string;
  /** `block` refuses a matching request (in block mode); `log` only records the match. @default 'block' */
  readonly action?: 'block' | 'log';
}

export interface CompiledCustomRule {
  readonly name: string;
  readonly action: 'block' | 'log';
  /** Whether the rule reads this value. */
  readonly reads: (target: Target) => boolean;
  /** Whether the value (decoded, case kept) matches. */
  readonly matches: (value: string) => boolean;
}

const MAX_PATTERN_LENGTH = 1024;

/** The rule compiled, or an Error whose message names the rule, the problem and the fix. */
export function compileCustomRule(rule: WafCustomRule, index: number): CompiledCustomRule | Error {
  const where = `waf.customRules[${index}] (${JSON.stringify(rule.name)})`;
  if (typeof rule.pattern !== 'string' || rule.pattern === '') return new Error(`${where}: pattern must be a non-empty regular expression (RE2 syntax)`);
  if (rule.pattern.length > MAX_PATTERN_LENGTH) {
    return new Error(`${where}: pattern is ${rule.pattern.length} characters, more than the limit of ${MAX_PATTERN_LENGTH}: split it into several rules`);
  }
  if (!['path', 'query', 'header', 'body'].includes(rule.target)) {
    return new Error(`${where}: target must be 'path', 'query', 'header' or 'body', found ${JSON.stringify(rule.target)}`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(rule.pattern);
  } catch (e) {
    return new Error(
      `${where}: pattern ${JSON.stringify(rule.pattern)} is not a regular expression RE2 accepts (${(e as Error).message}). ` +
        'WAF patterns use RE2 syntax, which matches in linear time: no back-references (\\1), lookahead or lookbehind ((?=, (?!, (?<=, (?<!); ' +
        'rewrite the pattern without them (e.g. match the alternatives explicitly)',
    );
  }
  const header = rule.header?.toLowerCase();
  const reads = (t: Target): boolean => {
    switch (rule.target) {
      case 'path':
        return t.kind === 'path';
      case 'query':
        return t.kind === 'query';
      case 'header':
        if (header === undefined) return t.kind === 'header' || t.kind === 'cookie';
        return header === 'cookie' ? t.kind === 'cookie' : (t.kind === 'header' || t.kind === 'custom-header') && t.label === `header:${header}`;
      case 'body':
        return t.kind === 'body' || t.kind === 'message';
    }
  };
  return { name: rule.name, action: rule.action ?? 'block', reads, matches: (value) => compiled.matcher(value).find() };
}
