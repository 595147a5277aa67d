import type { IConstruct } from 'constructs';
import { type SuppressedViolation, suppressionOf } from '../suppressions';
import type { Finding, Violation } from '../violation';
import type { Rule, RuleContext } from './context';

/** What a run of rules found. */
export interface RuleReport {
  /** What synth reports: errors fail it, warnings and infos are annotations. Silenced findings are not here. */
  readonly violations: Violation[];
  /** What suppressions silenced, each with its reason: recorded in the synthesized output. */
  readonly suppressed: SuppressedViolation[];
}

/**
 * Runs each rule and stamps its findings with the rule's id and level (so that no rule restates
 * them), then honours suppressions: a warning or info is silenced by the nearest suppression of
 * its id at or above its construct; an error only when its rule says its errors can be.
 */
export function runRules(rules: readonly Rule[], ctx: RuleContext): RuleReport {
  const report: RuleReport = { violations: [], suppressed: [] };
  for (const rule of rules) {
    const { findings, broken, unplaced } = checkSafely(rule, ctx);
    for (const f of findings) judge(rule, f, report);
    for (const f of broken) judge(brokenRule(rule), f, report);
    report.violations.push(...unplaced);
  }
  return report;
}

function judge(rule: Rule, f: Finding, report: RuleReport): void {
  const { construct, message } = f;
  const v: Violation = { rule: f.id ?? rule.id, level: f.level ?? rule.level, path: construct.node.path, message, construct };
  // A family member (`quota:routes`) is silenced by its own id or by the rule's.
  const suppression = suppressionOf(f.construct, f.id ? [f.id, rule.id] : [rule.id]);
  if (!suppression) {
    report.violations.push(v);
  } else if (v.level !== 'error' || rule.errors.suppressible) {
    report.suppressed.push({ ...v, suppression });
  } else {
    const because = rule.errors.because;
    report.violations.push({ ...v, message: `${v.message} Rules.suppress('${suppression.ruleId}') at ${suppression.declaredAt} cannot silence this error: ${because}.` });
  }
}

/** A rule that cannot check something reports an error no suppression silences: nothing was checked. */
function brokenRule(rule: Rule): Rule {
  return { ...rule, level: 'error', errors: { suppressible: false, because: `rule '${rule.id}' could not check it` } };
}

/**
 * A rule that throws on props it did not expect is a bug in the rule; report it with the others
 * instead of crashing synth. To name where, the rule is run again on each fleet and each gateway
 * alone: what passes alone keeps its findings, and what throws alone is reported at its path.
 * What cannot be placed (it throws on the App as a whole only) has no construct.
 */
function checkSafely(rule: Rule, ctx: RuleContext): { findings: Finding[]; broken: Finding[]; unplaced: Violation[] } {
  try {
    return { findings: rule.check(ctx), broken: [], unplaced: [] };
  } catch (whole) {
    const alone: [IConstruct, RuleContext][] = [
      ...ctx.fleets.map((f): [IConstruct, RuleContext] => [f, { ...ctx, fleets: [f], gateways: [] }]),
      ...ctx.gateways.map((g): [IConstruct, RuleContext] => [g, { ...ctx, fleets: [], gateways: [g] }]),
    ];
    const findings: Finding[] = [];
    const broken: Finding[] = [];
    for (const [construct, one] of alone) {
      try {
        findings.push(...rule.check(one));
      } catch (e) {
        const message = `${construct.node.path}: rule '${rule.id}' could not check it (${(e as Error).message}): a prop has a value of an unexpected type. Check its props against their types; report this if it persists.`;
        broken.push({ construct, message });
      }
    }
    if (broken.length > 0) return { findings, broken, unplaced: [] };
    const message = `rule '${rule.id}' could not check the App as a whole (${(whole as Error).message}); report this.`;
    return { findings, broken, unplaced: [{ rule: rule.id, level: 'error', path: '', message }] };
  }
}
