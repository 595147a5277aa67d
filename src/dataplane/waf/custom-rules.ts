import { RE2JS } from 're2js';
import type { Target } from './targets';
import { type WafCustomRuleConfig, wafPatternProblem } from '../../specs/waf';

/**
 * An operator's own rules, as the config's `waf.customRules` declares them (src/specs/waf.ts). Their patterns are
 * written by an admin but run on client input, synchronously: they are compiled by RE2 (the pure-JavaScript port
 * `re2js`), whose matching time is linear in the input for every pattern; what RE2 cannot match in linear time
 * (back-references, lookahead, lookbehind) is refused at load (and at synth) with an error naming the rule.
 */
export type WafCustomRule = Omit<WafCustomRuleConfig, 'action'> & {
  /** `block` refuses a matching request (in block mode); `log` only records the match. @default 'block' */
  readonly action?: WafCustomRuleConfig['action'];
};

export interface CompiledCustomRule {
  readonly name: string;
  readonly action: 'block' | 'log';
  /** Whether the rule reads this value. */
  readonly reads: (target: Target) => boolean;
  /** Whether the value (decoded, case kept) matches. */
  readonly matches: (value: string) => boolean;
}

/** The rule compiled, or an Error whose message names the rule, the problem and the fix. */
export function compileCustomRule(rule: WafCustomRule, index: number): CompiledCustomRule | Error {
  const where = `waf.customRules[${index}] (${JSON.stringify(rule.name)})`;
  if (typeof rule.pattern !== 'string' || rule.pattern === '') return new Error(`${where}: pattern must be a non-empty regular expression (RE2 syntax)`);
  if (!['path', 'query', 'header', 'body'].includes(rule.target)) {
    return new Error(`${where}: target must be 'path', 'query', 'header' or 'body', found ${JSON.stringify(rule.target)}`);
  }
  const problem = wafPatternProblem(rule.pattern);
  if (problem !== undefined) return new Error(`${where}: pattern ${JSON.stringify(rule.pattern.slice(0, 200))} ${problem}`);
  const compiled = RE2JS.compile(rule.pattern);
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
