import type { GatewayConfig } from '../../specs';
import type { AiGatewayFleet } from '../fleet';
import type { AiGateway } from '../gateway';
import type { LockState } from '../lock-file';
import type { McpServer } from '../mcp-server';
import type { OpenApiToolsResult } from '../openapi-tools';
import type { Violation } from '../violation';

/** Everything a rule may look at: the App's fleets and gateways, and what was read from disk. */
export interface RuleContext {
  readonly fleets: readonly AiGatewayFleet[];
  readonly gateways: readonly AiGateway[];
  readonly lock: LockState;
  readonly openApi: ReadonlyMap<McpServer, OpenApiToolsResult>;
  /** Whether a local file exists (custom extension modules). */
  readonly fileExists: (path: string) => boolean;
  /** The gateway's built config, or why it could not be built. Memoized. */
  readonly configOf: (gateway: AiGateway) => { config?: GatewayConfig; error?: string };
}

/** A synth-time rule: a pure function of the App, one file each. */
export interface Rule {
  readonly id: string;
  /** One line for the docs. */
  readonly description: string;
  readonly check: (ctx: RuleContext) => Violation[];
}
