import { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { FINAL_RULES, RULES } from './rules';
import type { Violation } from './violation';

/**
 * The construct metadata type a suppression is stored under: it travels with the construct (so
 * children find it by walking up), and cdktf's annotations and manifest ignore it.
 */
const SUPPRESSION_METADATA = 'aigw:suppress';

/** Where the synthesized stack JSON records what suppressions silenced: Terraform JSON's comment key. */
const SUPPRESSIONS_OUTPUT_PATH = '//.aigw.suppressions';

/** A declared suppression, as the nearest construct at or above a finding holds it. */
export interface Suppression {
  /** The rule id, or one member of a rule's family (`quota:routes`). */
  readonly ruleId: string;
  readonly reason: string;
  /** The path of the construct `Rules.suppress` was called on. */
  readonly declaredAt: string;
}

/** A finding a suppression silenced, and why: what the synthesized output records. */
export interface SuppressedViolation extends Violation {
  readonly suppression: Suppression;
}

interface SuppressionData {
  readonly ruleId: string;
  readonly reason: string;
}

/** Every id a suppression may name: each rule's, and each member of a family. Read at call time: the list is the rules'. */
function knownRuleIds(): Set<string> {
  return new Set([...RULES, ...FINAL_RULES].flatMap((r) => [r.id, ...(r.findingIds ?? [])]));
}

/** The synth-time rules, seen from user code. */
export class Rules {
  /**
   * Silences a rule on `construct` and every construct under it, as cdk-nag's suppressions do:
   * its warnings and infos are not reported, and each silenced finding is recorded with the
   * reason in the synthesized stack JSON (`"//": { "aigw": { "suppressions": [...] } }`). An
   * error is silenced only when its rule is advisory; an error for something Kubernetes or the
   * data plane rejects stays an error, and its message says why it cannot be suppressed.
   *
   * @param ruleId a rule id (see RULES), or one member of a family such as `quota:routes`
   * @param reason why it is acceptable here, for the reviewer; required
   */
  public static suppress(construct: IConstruct, ruleId: string, reason: string): void {
    const known = knownRuleIds();
    if (!known.has(ruleId)) {
      throw new Error(`Rules.suppress(${construct.node.path}): unknown rule '${ruleId}'. Use one of ${[...known].join(', ')}.`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`Rules.suppress(${construct.node.path}, '${ruleId}'): a reason is required; it is recorded in the synthesized output for the reviewer.`);
    }
    const data: SuppressionData = { ruleId, reason };
    construct.node.addMetadata(SUPPRESSION_METADATA, data);
  }
}

/** The suppression of any of `ids` nearest to `construct`: on it, else on its closest ancestor that has one. */
export function suppressionOf(construct: IConstruct, ids: readonly string[]): Suppression | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    for (const entry of scope.node.metadata) {
      if (entry.type !== SUPPRESSION_METADATA) continue;
      const data = entry.data as SuppressionData;
      if (ids.includes(data.ruleId)) return { ruleId: data.ruleId, reason: data.reason, declaredAt: scope.node.path };
    }
  }
  return undefined;
}

/** Writes what suppressions silenced into the stack JSON of each finding's construct, so that the reasons are reviewed with the plan. */
export function recordSuppressions(suppressed: readonly SuppressedViolation[]): void {
  const byStack = new Map<TerraformStack, object[]>();
  for (const v of suppressed) {
    if (!v.construct) continue;
    const stack = TerraformStack.of(v.construct);
    const { reason, declaredAt } = v.suppression;
    const entry = { rule: v.rule, level: v.level, path: v.path, message: v.message, reason, suppressedAt: declaredAt };
    byStack.set(stack, [...(byStack.get(stack) ?? []), entry]);
  }
  for (const [stack, entries] of byStack) stack.addOverride(SUPPRESSIONS_OUTPUT_PATH, entries);
}
