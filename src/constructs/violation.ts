import type { IConstruct } from 'constructs';

/**
 * How much a finding matters. `error` fails synth; `warning` and `info` are annotations that
 * synth prints and goes on.
 */
export type RuleLevel = 'error' | 'warning' | 'info';

/**
 * What a rule returns: where, and a message naming the value, the limit and the fix. The runner
 * stamps the rule's id and level, so that no rule restates them.
 */
export interface Finding {
  /** The offending construct: the finding is reported, annotated and suppressed there. */
  readonly construct: IConstruct;
  readonly message: string;
  /** Only for a rule that reports a family of ids (see `Rule.findingIds`): which one. */
  readonly id?: string;
  /** Only when it differs from the rule's level (no-downgrade's spec-change note is `info`). */
  readonly level?: RuleLevel;
}

/** One finding, stamped by the runner: the rule's id and level, and the construct's path. */
export interface Violation {
  /** The id of the rule that found it (see RULES), or the member of its family (`quota:routes`). */
  readonly rule: string;
  readonly level: RuleLevel;
  /** The construct path of the offending construct. */
  readonly path: string;
  readonly message: string;
  /** The construct, to annotate. */
  readonly construct?: IConstruct;
}

/** `Gateway 'prod' (Stack/Fleet/prod)`: how messages name a gateway or child. */
export function describe(kind: string, name: string, construct: IConstruct): string {
  return `${kind} '${name}' (${construct.node.path})`;
}

/** A finding of the rule that returns it. */
export function finding(construct: IConstruct, message: string): Finding {
  return { construct, message };
}

/** A value as a message shows it: JSON, cut short so that one huge value cannot swamp a message. */
export function shown(value: unknown): string {
  const json = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}
