import type { Logger } from 'pino';
import type { AccessRecord } from './access-log';
import { proxyAgentRequest } from './agent-proxy';
import { applyCors } from './cors';
import { identify } from './auth';
import { Errors, GatewayError, sendError } from './errors';
import type { GatewayMetrics } from './metrics';
import { proxyModelRequest, type ProxyEvents } from './model-proxy';
import { listModels } from './models-endpoint';
import type { Endpoint } from './providers';
import { elapsedMs, type RequestContext } from './request-context';

export interface PipelineDeps {
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/** Which OpenAI endpoint a path ends in (any route prefix before it). */
function endpointOf(path: string): Endpoint | 'models' | undefined {
  if (path.endsWith('/chat/completions')) return 'chat';
  if (path.endsWith('/completions')) return 'completions';
  if (path.endsWith('/embeddings')) return 'embeddings';
  if (path.endsWith('/models')) return 'models';
  return undefined;
}

/**
 * The request path, in order. Stages that later issues add (connection cap, WAF, limits,
 * extensions) slot in where they are named.
 */
export async function handleRequest(ctx: RequestContext, deps: PipelineDeps): Promise<void> {
  ctx.res.once('close', () => finish(ctx, deps));
  try {
    // 1. accept (connection cap: part 2)   2. WAF (later)
    const endpoint = endpointOf(ctx.path);
    // 4. auth: who is calling (each route then checks its grant)
    ctx.caller = identify(ctx.snapshot, ctx.req.headers);
    if (ctx.caller.kind === 'consumer') ctx.record.consumer = ctx.caller.consumer.name;
    if (endpoint === 'models' && ctx.req.method === 'GET') return listModels(ctx);
    // 3. route match
    const route = ctx.snapshot.routes.match(ctx.host, ctx.path);
    if (!route) throw Errors.noRoute(ctx.host, ctx.path);
    ctx.record.route = route.name;
    // CORS preflights are answered here, before auth: browsers send them without credentials.
    if (applyCors(ctx, route.config.policies.cors)) return;
    // 5. limits   6. request extensions (later)
    const events = proxyEvents(ctx, deps);
    // 7. backend attempt(s)   8. response and stream extensions (later)   9. usage accounting (events.onUsage)
    if (route.kind === 'agent') return await proxyAgentRequest(ctx, route, events);
    if (endpoint === undefined || endpoint === 'models') throw Errors.noEndpoint(ctx.path);
    await proxyModelRequest(ctx, route, endpoint, events);
  } catch (e) {
    const error = e instanceof GatewayError ? e : new GatewayError(500, 'api_error', 'internal_error', 'The gateway failed to handle the request.');
    if (!(e instanceof GatewayError)) deps.logger.error({ err: e, path: ctx.path }, 'unhandled error in the request path');
    ctx.record.error = error.code;
    sendError(ctx.res, error);
  }
  // 10. metrics and access log: on 'close', once the last byte is out or the client is gone.
}

function proxyEvents(ctx: RequestContext, deps: PipelineDeps): ProxyEvents {
  let dispatchedAt = 0n;
  let upstreamWait = 0n;
  return {
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
      ctx.record.inputTokens = usage.inputTokens;
      ctx.record.outputTokens = usage.outputTokens;
      const labels = { route: ctx.record.route ?? '', consumer: ctx.record.consumer ?? 'anonymous', gen_ai_request_model: ctx.record.requestedModel ?? '' };
      deps.metrics.tokens.inc({ ...labels, gen_ai_token_type: 'input' }, usage.inputTokens);
      deps.metrics.tokens.inc({ ...labels, gen_ai_token_type: 'output' }, usage.outputTokens);
    },
  };
}

function finish(ctx: RequestContext, deps: PipelineDeps): void {
  const r: AccessRecord = ctx.record;
  r.status = ctx.res.statusCode;
  r.durationMs = elapsedMs(ctx.startedAt);
  r.aborted = !ctx.res.writableFinished || undefined;
  if (r.aborted && !ctx.abort.signal.aborted) ctx.abort.abort();
  const route = r.route ?? '';
  const consumer = r.consumer ?? 'anonymous';
  const model = r.requestedModel ?? '';
  deps.metrics.requests.inc({ route, consumer, gen_ai_request_model: model, gen_ai_response_model: r.servedModel ?? '', status: String(r.status) });
  if (r.error || r.status >= 400) deps.metrics.errors.inc({ route, consumer, gen_ai_request_model: model, error_type: r.error ?? String(r.status) });
  if (r.route) {
    const labels = { route, gen_ai_request_model: model, gen_ai_provider_name: r.provider ?? '' };
    deps.metrics.duration.observe(labels, r.durationMs / 1000);
    if (r.stream && r.ttftMs !== undefined) deps.metrics.ttft.observe(labels, r.ttftMs / 1000);
  }
  deps.logger.info(r, 'access');
}

