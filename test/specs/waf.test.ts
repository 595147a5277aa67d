import { cidrProblem, WafCustomRuleSchema, wafPatternProblem } from '../../src/specs';

describe("the WAF's part of the contract", () => {
  const rule = (over: object) => WafCustomRuleSchema.safeParse({ name: 'r', target: 'header', pattern: 'x', action: 'block', ...over });

  test('a custom rule may not read a credential header: the WAF never reads them, so the rule would never match', () => {
    for (const header of ['authorization', 'Authorization', 'x-api-key', 'api-key', 'proxy-authorization']) {
      const parsed = rule({ header });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/credential header, which the WAF never reads/);
    }
    expect(rule({ header: 'x-tenant' }).success).toBe(true);
    expect(rule({ header: 'cookie' }).success).toBe(true);
  });

  test('patterns are RE2: lookaround and back-references are refused with the fix; CIDRs are checked', () => {
    expect(wafPatternProblem('(a)\\1')).toMatch(/RE2/);
    expect(wafPatternProblem('(?!x)y')).toMatch(/lookahead/);
    expect(wafPatternProblem('(?i)^debug$')).toBeUndefined();
    expect(cidrProblem('10.0.0.0/33')).toMatch(/prefix length/);
    expect(cidrProblem('2001:db8::/32')).toBeUndefined();
  });
});
