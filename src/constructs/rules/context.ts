import type { BuiltConfig } from '../config-builder';
import type { AiGatewayFleet } from '../fleet';
import type { AiGateway } from '../gateway';
import type { LockState } from '../lock-file';
import type { McpServer } from '../mcp-server';
import type { OpenApiToolsResult } from '../openapi-tools';
import type { Finding, RuleLevel } from '../violation';

/** Everything a rule may look at: the App's fleets and gateways, and what was read from disk. */
export interface RuleContext {
  readonly fleets: readonly AiGatewayFleet[];
  readonly gateways: readonly AiGateway[];
  readonly lock: LockState;
  readonly openApi: ReadonlyMap<McpServer, OpenApiToolsResult>;
  /** Whether a local file exists (custom extension modules). */
  readonly fileExists: (path: string) => boolean;
  /** The gateway's config as its constructs render it, and what each part's schema found. Memoized. */
  readonly configOf: (gateway: AiGateway) => BuiltConfig;
}

/**
 * A synth-time rule: a pure function of the App, one file each. It returns findings; the runner
 * stamps its id and level on them and honours suppressions (see suppressions.ts).
 */
export interface Rule {
  readonly id: string;
  /** One line for the docs. */
  readonly description: string;
  /** The level of its findings, unless a finding states its own. */
  readonly level: RuleLevel;
  /**
   * Whether `Rules.suppress` can silence its errors. Warnings and infos can always be silenced;
   * an error only when the rule is advisory. Otherwise the reason it cannot: what rejects the
   * output (Kubernetes, the data plane) or what it breaks, quoted when someone tries.
   */
  readonly errors: { readonly suppressible: true } | { readonly suppressible: false; readonly because: string };
  /** The ids its findings carry when not the rule's own (quotas: `quota:<quota>`); each can be suppressed by name. */
  readonly findingIds?: readonly string[];
  readonly check: (ctx: RuleContext) => Finding[];
}
