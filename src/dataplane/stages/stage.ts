import type { Logger } from 'pino';
import type { RateLimiter } from '../limits';
import type { McpBus } from '../mcp/bus';
import type { GatewayMetrics } from '../metrics';
import type { RequestContext } from '../request-context';

/** What every stage gets besides the request: the replica's metrics and logger, and the limiter and MCP bus the request started with. */
export interface PipelineDeps {
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly limiter: RateLimiter;
  readonly mcpBus: McpBus;
}

/** The stage has answered the request itself (a CORS preflight, the model list): no later stage runs. */
export const ANSWERED = 'answered';

/** A stage either carries on (returns nothing) or has answered; a failure is thrown as a GatewayError. */
type StageResult = void | typeof ANSWERED;

export type StageRun = (ctx: RequestContext, deps: PipelineDeps) => StageResult | Promise<StageResult>;

type StageName =
  | 'accept'
  | 'inspect'
  | 'identify'
  | 'route'
  | 'cors'
  | 'endpoint'
  | 'authorize'
  | 'read'
  | 'capture'
  | 'limits'
  | 'request-extensions'
  | 'attempts'
  | 'response-extensions'
  | 'account';

/** One step of the request path (pipeline.ts lists them in order). */
export interface Stage {
  readonly name: StageName;
  /**
   * What the stage does to a request. Undefined while it has nothing to do (WAF, extensions, until
   * their issues land): the pipeline leaves it out of the list it runs, so it costs nothing per request.
   */
  readonly run: StageRun | undefined;
}
