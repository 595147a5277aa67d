import type { Dispatcher } from 'undici';
import type { CompiledAgentRoute } from '../compile/snapshot';
import type { RequestContext } from '../request-context';
import { readDashScopeRequest } from './native-dashscope';
import { readDifyRequest } from './native-dify';
import { agentProtocol, type AgentProtocol } from './protocol';

/**
 * A request on a Dify or Model Studio route, read and checked by the read stage: what the attempts
 * send to the agent, and what the limits stage pre-charges. A custom agent has none: its bytes pass through.
 */
export interface NativeAgentRequest {
  readonly protocol: AgentProtocol;
  readonly method: Dispatcher.HttpMethod;
  /** Beneath the upstream's base path, with the query as it goes upstream (Dify: its `user` the gateway's). */
  readonly target: string;
  /** The JSON body as it goes upstream (Dify: its `user` the gateway's); undefined: none, or a streamed upload. */
  readonly body: Buffer | undefined;
  /** Dify `files/upload`: the client's multipart body streams through, its `user` field replaced by this function's answer. */
  readonly upload: ((clientUser: string | undefined) => string) | undefined;
  /** The endpoint starts a run of the agent, whose answer reports usage (the others read or change state only). */
  readonly runs: boolean;
  /** The client asked for an SSE stream (Dify `response_mode: streaming`, DashScope `X-DashScope-SSE: enable`). */
  readonly stream: boolean;
  /** DashScope: the stream is incremental upstream, but the client asked for whole text so far in every event. */
  readonly reaccumulate: boolean;
  /** The prompt's estimated tokens, which the limits stage pre-charges until usage settles it (0 for an endpoint that runs nothing). */
  readonly promptTokens: number;
}

/**
 * Reads a Dify or Model Studio request into `ctx.agentRequest`; a custom agent's request is left to
 * stream through. Synchronous (no promise) when there is no body to read.
 */
export function readNativeAgentRequest(ctx: RequestContext, route: CompiledAgentRoute): void | Promise<void> {
  const protocol = agentProtocol(route.config);
  if (protocol === undefined) return undefined;
  const read = protocol === 'dify' ? readDifyRequest(ctx, route) : readDashScopeRequest(ctx, route);
  if (!(read instanceof Promise)) {
    ctx.agentRequest = read;
    ctx.record.stream = read.stream;
    return undefined;
  }
  return read.then((request) => {
    ctx.agentRequest = request;
    ctx.record.stream = request.stream;
  });
}
