import { type AccessRecord, selectAccessFields, writeAccessLine } from '../access-log';
import { RecordedErrors } from '../errors';
import { runLogHooks } from '../extensions/log';
import type { ProxyEvents } from '../model-proxy';
import { elapsedMs, type RequestContext } from '../request-context';
import type { PipelineDeps, Stage } from './stage';
import { REQUEST_LABEL_ABSENT } from '../../specs';

/** The model label of a request whose model is unknown or was never read. */
const UNKNOWN_MODEL = 'unknown';

/** The request labels' values (`observability.requestLabels`); undefined, and nothing spent, when the process has none. */
function requestLabelValues(ctx: RequestContext, deps: PipelineDeps): Record<string, string> | undefined {
  const names = deps.metrics.requestLabelNames;
  if (names.length === 0) return undefined;
  return ctx.snapshot.requestLabels?.valuesOf(ctx, names) ?? Object.fromEntries(names.map((n) => [n, REQUEST_LABEL_ABSENT]));
}

/**
 * Metrics and the access line, once per request: on the response's 'close' (the last byte out, or the
 * client gone), whichever stage ended it. The pipeline subscribes it before the first stage runs.
 */
export const account = {
  name: 'account',
  run: (ctx: RequestContext, deps: PipelineDeps): void => {
    const r: AccessRecord = ctx.record;
    r.status = ctx.res.statusCode;
    r.durationMs = elapsedMs(ctx.startedAt);
    r.aborted = !ctx.res.writableFinished || undefined;
    if (r.aborted) {
      ctx.cancellation.cancel();
      // Gone before any answer (nginx's 499): the client's doing, not a 200 and not an error of ours.
      if (!ctx.res.headersSent) {
        r.status = 499;
        r.error = RecordedErrors.clientAborted;
      }
    }
    // Every label value comes from a set known at config load: never the client's strings.
    const route = r.route ?? '';
    const consumer = r.consumer ?? 'anonymous';
    const model = r.modelEntry ?? UNKNOWN_MODEL;
    const extra = requestLabelValues(ctx, deps);
    deps.metrics.requests.inc({ route, consumer, gen_ai_request_model: model, gen_ai_response_model: r.targetModel ?? '', status: String(r.status), ...extra });
    // error_type: always a catalog code (errors.ts), an agent's relayed error status included.
    if (r.error || r.status >= 400) {
      deps.metrics.errors.inc({ route, consumer, gen_ai_request_model: model, error_type: r.error ?? RecordedErrors.upstreamErrorStatus, ...extra });
    }
    if (r.route) {
      const labels = { route, gen_ai_request_model: model, gen_ai_provider_name: r.provider ?? '' };
      deps.metrics.duration.observe(labels, r.durationMs / 1000);
      if (r.stream && r.ttftMs !== undefined) deps.metrics.ttft.observe(labels, r.ttftMs / 1000);
    }
    // Extensions' fields (`ext`) go through pino's own serializer; every other line takes the fast writer.
    const extended = ctx.snapshot.extensions.onLog.length > 0 && runLogHooks(ctx, deps);
    ctx.payloads?.write(deps.logger, r);
    const fields = ctx.snapshot.config.observability.accessLog?.fields;
    if (fields) deps.logger.info(selectAccessFields(r, fields), 'access');
    else if (extended) deps.logger.info(r, 'access');
    else writeAccessLine(deps.logger, r);
  },
} satisfies Stage;

/**
 * The attempts' hooks into accounting: the gateway's own latency, time to first token, and usage,
 * which settles the limits stage's token pre-charge. One object per request.
 */
export function accountingEvents(ctx: RequestContext, deps: PipelineDeps): ProxyEvents {
  const admission = ctx.admission;
  const promptTokens = ctx.promptTokens;
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
      const labels = { route: ctx.record.route ?? '', consumer: ctx.record.consumer ?? 'anonymous', gen_ai_request_model: ctx.record.modelEntry ?? UNKNOWN_MODEL, ...requestLabelValues(ctx, deps) };
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
