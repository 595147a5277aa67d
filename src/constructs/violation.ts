import type { IConstruct } from 'constructs';

/** One broken rule: where, and a message naming the value, the limit and the fix. */
export interface Violation {
  /** The id of the rule that found it (see RULES). */
  readonly rule: string;
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

export function violation(rule: string, construct: IConstruct, message: string): Violation {
  return { rule, path: construct.node.path, message, construct };
}
