import type { AccessRecord } from '../access-log';
import type { RequestContext } from '../request-context';
import { estimatePromptTokens } from '../token-estimate';
import { RequestExtensions } from './contexts';
import { runHook, SKIPPED } from './runner';
import type { PipelineDeps } from '../stages/stage';

/** Bounds of what one extension adds to an access line: fields, name length, string length. */
export const LOG_FIELDS_MAX = 16;
export const LOG_FIELD_NAME_MAX = 64;
export const LOG_STRING_MAX = 256;

/** The access record with what extensions added: `ext: { <extension>: { field: value } }`. */
export type ExtendedAccessRecord = AccessRecord & { ext?: Record<string, Record<string, string | number | boolean>> };

/**
 * The onLog hooks, once the request ended, before its access line: each adds fields under its own name, bounded
 * (LOG_FIELDS_MAX fields, names and strings cut, other types left out). A failure is logged and counted and
 * changes nothing: the answer is gone. Returns whether any field was added.
 */
export function runLogHooks(ctx: RequestContext, deps: PipelineDeps): boolean {
  const compiled = ctx.snapshot.extensions;
  const state = ctx.extensions ?? (ctx.extensions = new RequestExtensions(ctx, deps, compiled));
  const record = ctx.record as ExtendedAccessRecord;
  const seen = unreported(record) ? { ...record, estimatedTokens: promptEstimate(ctx) } : { ...record };
  const view: Readonly<Record<string, unknown>> = Object.freeze(seen);
  let added = false;
  for (const ext of compiled.onLog) {
    const onLog = ext.definition.onLog!;
    const fields: Record<string, string | number | boolean> = {};
    const result = runHook(state, ext, 'onLog', (call) => onLog.call(ext.definition, state.context(ext, call, { record: view, fields })), 'report');
    // onLog is synchronous: a promise it returns is not waited for (its rejection is reported by the runner).
    if (result === SKIPPED || result instanceof Promise) continue;
    const bounded = boundedFields(fields);
    if (bounded) {
      (record.ext ??= {})[ext.name] = bounded;
      added = true;
    }
  }
  return added;
}

/**
 * A request sent to a backend that ended with no usage and no estimate yet: the client left mid-stream (the relay
 * settles after this), or the answer reported none. Not one refused before it left the gateway.
 */
function unreported(record: ExtendedAccessRecord): boolean {
  if (record.backend === undefined || (record.status >= 400 && record.aborted !== true)) return false;
  return record.inputTokens === undefined && record.outputTokens === undefined && record.estimatedTokens === undefined;
}

/**
 * What hooks see as `estimatedTokens` of such a request: its prompt's estimate (the text relayed before the client left
 * is not counted yet), so that a quota charges an aborted stream its prompt at least. 0 for what has no prompt.
 */
function promptEstimate(ctx: RequestContext): number {
  if (ctx.promptTokens > 0) return ctx.promptTokens;
  const request = ctx.request;
  if (request && !request.multipart) return estimatePromptTokens(request.endpoint, request.body as Record<string, unknown>);
  return ctx.agentRequest?.promptTokens ?? 0;
}

function boundedFields(fields: Record<string, unknown>): Record<string, string | number | boolean> | undefined {
  let out: Record<string, string | number | boolean> | undefined;
  let count = 0;
  for (const name of Object.keys(fields)) {
    if (count >= LOG_FIELDS_MAX) break;
    const value = fields[name];
    let kept: string | number | boolean;
    if (typeof value === 'string') kept = value.length > LOG_STRING_MAX ? value.slice(0, LOG_STRING_MAX) : value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') kept = value;
    else continue;
    (out ??= {})[name.slice(0, LOG_FIELD_NAME_MAX)] = kept;
    count++;
  }
  return out;
}
