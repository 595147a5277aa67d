import { Errors, GatewayError, sendError } from './errors';
import type { RequestContext } from './request-context';
import { accept } from './stages/accept';
import { account } from './stages/account';
import { attempts } from './stages/attempts';
import { authorize } from './stages/authorize';
import { capture } from './stages/capture';
import { cors } from './stages/cors';
import { endpoint } from './stages/endpoint';
import { identify } from './stages/identify';
import { inspect } from './stages/inspect';
import { limits } from './stages/limits';
import { read } from './stages/read';
import { requestExtensions } from './stages/request-extensions';
import { responseExtensions } from './stages/response-extensions';
import { route } from './stages/route';
import { ANSWERED, type PipelineDeps, type Stage, type StageRun } from './stages/stage';

/**
 * The request path, in order: one file per stage in ./stages, all with one signature. A new stage is a
 * file there and a line here. `inspect` (the WAF) comes first after the route, whose settings it applies; the
 * body it inspects when `read` has parsed it. `cors` and `endpoint` sit before `authorize` because preflights and
 * wrong endpoints are answered without credentials; `read` after it, so that no body is read for a
 * caller who may not send one.
 */
export const STAGES: readonly Stage[] = [
  accept,
  identify,
  route,
  inspect, // the WAF: after the route (its settings), before anything trusts the request
  cors,
  endpoint,
  authorize,
  read,
  capture, // a route's payload log (logPayloads): the prompt as sent, and a tap on what the client gets
  requestExtensions, // after auth and the body, before limits and the backend: a hook may change both, or answer
  limits,
  attempts,
];

/**
 * The answer's stages: its extensions run inside the attempts' relay (extensions/response.ts, stream.ts); the
 * account runs on the response's 'close', subscribed before the first stage so that every outcome is counted.
 */
export const ANSWER_STAGES: readonly Stage[] = [responseExtensions, account];

/** What handleRequest runs in turn: the stages that have something to do, computed once. */
const RUN: readonly StageRun[] = STAGES.flatMap((s) => (s.run ? [s.run] : []));

/** One request through the stages; a stage's GatewayError is answered in the client's error format, anything else is a 500 and logged. */
export async function handleRequest(ctx: RequestContext, deps: PipelineDeps): Promise<void> {
  ctx.res.once('close', () => account.run(ctx, deps));
  try {
    for (let i = 0; i < RUN.length; i++) {
      const outcome = RUN[i]!(ctx, deps);
      // A synchronous stage is not awaited: no microtask for it.
      if ((outcome instanceof Promise ? await outcome : outcome) === ANSWERED) return;
    }
  } catch (e) {
    const error = e instanceof GatewayError ? e : Errors.internal();
    if (!(e instanceof GatewayError)) deps.logger.error({ err: e, path: ctx.path }, 'unhandled error in the request path');
    ctx.record.error = error.code;
    sendError(ctx.res, error, {}, ctx.errorFormat);
  }
}
