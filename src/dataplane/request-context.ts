import type { IncomingMessage, ServerResponse } from 'http';
import type { AccessRecord } from './access-log';
import type { NativeAgentRequest } from './agents/native-request';
import type { Caller } from './auth';
import type { Cancellation } from './cancellation';
import type { CompiledRoute, Snapshot } from './compile/snapshot';
import type { ModelRouteTarget, StoredResponseCall } from './endpoints';
import type { ErrorFormat, GatewayError } from './errors';
import type { RequestExtensions } from './extensions/contexts';
import type { Admission } from './limits';
import type { ModelRequest } from './model-proxy';
import type { PayloadCapture } from './payload-log';
import type { WafProgress } from './waf/inspection';

/**
 * What one request carries through the stages (stages/): its snapshot (kept to the end), timing, the
 * access record, and what each stage found for the ones after it. Every field is set when the context
 * is created (undefined until its stage runs), so that all contexts share one shape.
 */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The config the request started with; a reload never changes it mid-request. */
  readonly snapshot: Snapshot;
  /** process.hrtime.bigint() at arrival. */
  readonly startedAt: bigint;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  /** The edge's refusal of the request line, Host or method (request-target.ts), answered by the accept stage. */
  readonly refusal: GatewayError | undefined;
  /** Cancelled when the client goes away: ends the upstream request and any backoff wait. */
  readonly cancellation: Cancellation;
  readonly record: AccessRecord;
  /** The identify stage: who is calling. */
  caller: Caller;
  /** The wire format of error bodies: OpenAI's, Anthropic's for `/v1/messages`, a native agent route's own. */
  errorFormat: ErrorFormat;
  /** The route stage: the endpoint the path ends in (`models`: the model list), and the matched route. */
  endpoint: ModelRouteTarget | undefined;
  route: CompiledRoute | undefined;
  /** The endpoint stage: a call on a response a backend keeps (`…/v1/responses/{id}`…). */
  storedResponse: StoredResponseCall | undefined;
  /** The read stage (model routes): the request, read and checked. */
  request: ModelRequest | undefined;
  /**
   * The read stage (Dify and Model Studio agent routes): the request, read and checked, with the `user` the gateway sets. Custom agents: none.
   */
  agentRequest: NativeAgentRequest | undefined;
  /** The limits stage (model routes, Dify and Model Studio routes): the admission that usage settles, and the prompt tokens it pre-charged. */
  admission: Admission | undefined;
  promptTokens: number;
  /** The request-extensions stage (a config with extensions): what the hooks of this request share. Undefined without extensions. */
  extensions: RequestExtensions | undefined;
  /** The inspect stage, on a route with a WAF whose rules read bodies: the inspection the body's read continues (waf/inspection.ts). */
  waf: WafProgress | undefined;
  /** The read stage, on a custom agent route whose WAF read the body: the body as read, sent from memory instead of streamed. */
  inspectedBody: Buffer | undefined;
  /** The route logs payloads (`logPayloads`): this request's prompt and completion, kept up to its bound. */
  payloads: PayloadCapture | undefined;
}

export function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}
