import type { Logger } from 'pino';
import { type AccessRecord, writeAccessLine } from './access-log';
import { proxyAgentRequest } from './agent-proxy';
import { authorize, identify } from './auth';
import { applyCors } from './cors';
import { ENDPOINTS, endpointOf } from './endpoints';
import { Errors, GatewayError, sendError } from './errors';
import type { Admission, RateLimiter } from './limits';
import { enforceLimits } from './limits-stage';
import type { GatewayMetrics } from './metrics';
import { forwardModelRequest, type ProxyEvents, readModelRequest, readMultipartModelRequest } from './model-proxy';
import { listModels } from './models-endpoint';
import { elapsedMs, type RequestContext } from './request-context';
import { estimatePromptTokens } from './token-estimate';

export interface PipelineDeps {
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly limiter: RateLimiter;
}


/**
 * The request path, in order. Stages that later issues add (connection cap, WAF, limits,
 * extensions) slot in where they are named.
 */
export async function handleRequest(ctx: RequestContext, deps: PipelineDeps, refusal?: GatewayError): Promise<void> {
  ctx.res.once('close', () => finish(ctx, deps));
  try {
    // 0. the edge: a request line, Host or method the gateway refuses (request-target.ts)
    if (refusal) throw refusal;
    // 1. accept (connection cap: part 2)   2. WAF (later)
    const endpoint = endpointOf(ctx.path);
    // Claude-style clients get errors in Anthropic's shape.
    if (endpoint === 'messages') ctx.errorFormat = 'anthropic';
    // 4. auth: who is calling (each route then checks its grant)
    ctx.caller = identify(ctx.snapshot, ctx.req.headers);
    if (ctx.caller.kind === 'consumer') ctx.record.consumer = ctx.caller.consumer.name;
    // 3. route match: first, so an agent's own …/models is the agent's
    const route = ctx.snapshot.routes.match(ctx.host, ctx.path);
    if (!route) throw Errors.noRoute(ctx.host, ctx.path);
    ctx.record.route = route.name;
    // CORS preflights are answered here, before auth: browsers send them without credentials.
    if (applyCors(ctx, route.config.policies.cors)) return;
    if (route.kind === 'agent') {
      authorize(route, ctx.caller);
      // 5. limits (requests only: agents report no usage)
      await enforceLimits(ctx, deps.limiter, route, 0);
      // 7. backend attempt
      return await proxyAgentRequest(ctx, route, proxyEvents(ctx, deps, undefined));
    }
    if (endpoint === 'models' && ctx.req.method === 'GET') return listModels(ctx);
    if (endpoint === undefined || endpoint === 'models') throw Errors.noEndpoint(ctx.path);
    const request = ENDPOINTS[endpoint].body === 'multipart' ? await readMultipartModelRequest(ctx, route, endpoint) : await readModelRequest(ctx, route, endpoint);
    // 5. limits: request counts, and the prompt's estimated tokens pre-charged until usage settles them
    const promptTokens = estimatePromptTokens(endpoint, request.body);
    const admission = await enforceLimits(ctx, deps.limiter, route, promptTokens);
    // 6. request extensions (later)
    // 7. backend attempt(s)   8. response and stream extensions (later)   9. usage accounting (events.onUsage)
    await forwardModelRequest(ctx, route, request, proxyEvents(ctx, deps, admission, promptTokens));
  } catch (e) {
    const error = e instanceof GatewayError ? e : new GatewayError(500, 'api_error', 'internal_error', 'The gateway failed to handle the request.');
    if (!(e instanceof GatewayError)) deps.logger.error({ err: e, path: ctx.path }, 'unhandled error in the request path');
    ctx.record.error = error.code;
    sendError(ctx.res, error, {}, ctx.errorFormat);
  }
  // 10. metrics and access log: on 'close', once the last byte is out or the client is gone.
}

function proxyEvents(ctx: RequestContext, deps: PipelineDeps, admission: Admission | undefined, promptTokens = 0): ProxyEvents {
  let dispatchedAt = 0n;
  // Token pre-charges settle to the real usage; a request that fails without any usage is refunded.
  const chargesTokens = admission?.kind === 'allowed' && admission.tokenCharges.length > 0;
  if (chargesTokens) {
    ctx.res.once('close', () => {
      if (ctx.record.inputTokens === undefined && ctx.res.statusCode >= 400) void deps.limiter.settle(admission, 0);
    });
  }
  let upstreamWait = 0n;
  return {
    // Relayed text is counted only where an estimate settles a token charge: other routes scan no byte of it.
    countsCompletionText: chargesTokens,
    onDispatch: () => {
      dispatchedAt = process.hrtime.bigint();
    },
    onFirstByte: () => {
      // The gateway's own time: everything so far except waiting for the upstream's answer.
      const now = process.hrtime.bigint();
      upstreamWait = dispatchedAt > 0n ? now - dispatchedAt : 0n;
      const overhead = Number(now - ctx.startedAt - upstreamWait) / 1e6;
      ctx.record.overheadMs = overhead;
      ctx.res.setHeader('x-aigw-overhead-ms', overhead.toFixed(3));
    },
    onFirstToken: () => {
      if (ctx.record.ttftMs === undefined) ctx.record.ttftMs = elapsedMs(ctx.startedAt);
    },
    onUsage: (usage) => {
      if (ctx.record.inputTokens === undefined && admission) void deps.limiter.settle(admission, usage.inputTokens + usage.outputTokens);
      ctx.record.inputTokens = usage.inputTokens;
      ctx.record.outputTokens = usage.outputTokens;
      const labels = { route: ctx.record.route ?? '', consumer: ctx.record.consumer ?? 'anonymous', gen_ai_request_model: ctx.record.modelEntry ?? UNKNOWN_MODEL };
      deps.metrics.tokens.inc({ ...labels, gen_ai_token_type: 'input' }, usage.inputTokens);
      deps.metrics.tokens.inc({ ...labels, gen_ai_token_type: 'output' }, usage.outputTokens);
    },
    onUnreportedUsage: (outputTokens) => {
      // No usage report (the client left before it, or the upstream sends none): what was relayed is charged.
      if (ctx.record.inputTokens !== undefined || ctx.record.estimatedTokens !== undefined) return;
      ctx.record.estimatedTokens = promptTokens + outputTokens;
      if (admission) void deps.limiter.settle(admission, ctx.record.estimatedTokens);
    },
  };
}

/** The model label of a request whose model is unknown or was never read. */
const UNKNOWN_MODEL = 'unknown';

function finish(ctx: RequestContext, deps: PipelineDeps): void {
  const r: AccessRecord = ctx.record;
  r.status = ctx.res.statusCode;
  r.durationMs = elapsedMs(ctx.startedAt);
  r.aborted = !ctx.res.writableFinished || undefined;
  if (r.aborted) {
    ctx.cancellation.cancel();
    // Gone before any answer (nginx's 499): the client's doing, not a 200 and not an error of ours.
    if (!ctx.res.headersSent) {
      r.status = 499;
      r.error = 'client_aborted';
    }
  }
  // Every label value comes from a set known at config load: never the client's strings.
  const route = r.route ?? '';
  const consumer = r.consumer ?? 'anonymous';
  const model = r.modelEntry ?? UNKNOWN_MODEL;
  deps.metrics.requests.inc({ route, consumer, gen_ai_request_model: model, gen_ai_response_model: r.targetModel ?? '', status: String(r.status) });
  if (r.error || r.status >= 400) deps.metrics.errors.inc({ route, consumer, gen_ai_request_model: model, error_type: r.error ?? String(r.status) });
  if (r.route) {
    const labels = { route, gen_ai_request_model: model, gen_ai_provider_name: r.provider ?? '' };
    deps.metrics.duration.observe(labels, r.durationMs / 1000);
    if (r.stream && r.ttftMs !== undefined) deps.metrics.ttft.observe(labels, r.ttftMs / 1000);
  }
  writeAccessLine(deps.logger, r);
}

