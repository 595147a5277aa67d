import type { Logger } from 'pino';
import type { Cancellation } from '../cancellation';
import { Errors } from '../errors';
import type { GatewayMetrics } from '../metrics';
import type { CompiledExtension, HookName } from './compile';

/** What running a hook needs of the request: the replica's metrics and logger, and the client's cancellation. */
export interface HookEnv {
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly cancellation: Cancellation;
}

/** A hook failed (threw, rejected, overran its async budget) and its policy is open, or its failure cannot change the answer: it is skipped. */
export const SKIPPED: unique symbol = Symbol('skipped');

/** How a failure is handled: by the extension's failPolicy, or only reported (onStreamEnd, onLog: the answer is gone). */
export type FailureMode = 'policy' | 'report';

/** Longest error text a failed hook's log line carries: an exception's message may quote anything. */
const MAX_ERROR_CHARS = 300;

/**
 * One call of a hook: its AbortSignal, made on first use (most hooks never read it), aborted when the budget
 * is spent or the client leaves.
 */
export class HookCall {
  /** The call returned, failed, or was abandoned over its budget: what it does now changes nothing. */
  public ended = false;
  private controller: AbortController | undefined;
  private stopListening: (() => void) | undefined;

  public constructor(private readonly cancellation: Cancellation) {}

  public get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      if (this.cancellation.cancelled) controller.abort(new Error('the client left'));
      else this.stopListening = this.cancellation.onCancel(() => controller.abort(new Error('the client left')));
    }
    return this.controller.signal;
  }

  public abort(reason: Error): void {
    this.controller?.abort(reason);
  }

  public done(): void {
    this.ended = true;
    this.stopListening?.();
  }
}

/**
 * Runs one hook of one extension: timed (`aigw_extension_duration_seconds`), a throw or rejection logged (its
 * message, bounded: never the request) and counted (`aigw_extension_errors_total`). An async hook gets its
 * extension's async budget, after which it is abandoned (its signal aborted) and counted as an overrun; a
 * synchronous one cannot be preempted, so an overrun is measured, logged and counted only.
 *
 * A failure then: `closed` throws the catalog's error (500 extension_failed, 504 extension_timeout), which the
 * pipeline answers in the client's format; `open` (and `report` mode) returns SKIPPED. A hook that returns at
 * once costs no promise.
 */
export function runHook(env: HookEnv, ext: CompiledExtension, hook: HookName, invoke: (call: HookCall) => unknown, mode: FailureMode = 'policy'): unknown {
  const call = new HookCall(env.cancellation);
  const started = process.hrtime.bigint();
  let result: unknown;
  try {
    result = invoke(call);
  } catch (e) {
    call.done();
    observe(env, ext, hook, started);
    return failed(env, ext, hook, mode, e, undefined);
  }
  if (!(result instanceof Promise)) {
    call.done();
    const seconds = observe(env, ext, hook, started);
    if (seconds * 1000 > ext.syncBudgetMs) {
      env.metrics.extensionBudgetOverruns.inc({ extension: ext.name, hook });
      env.logger.warn({ extension: ext.name, hook, durationMs: Number((seconds * 1000).toFixed(3)), budgetMs: ext.syncBudgetMs }, 'extension hook overran its synchronous time budget');
    }
    return result;
  }
  return withinBudget(result, ext.asyncBudgetMs).then(
    (outcome) => {
      call.done();
      if (outcome === OVERRUN) {
        const error = new Error(`did not finish within its ${ext.asyncBudgetMs} ms budget`);
        call.abort(error);
        env.metrics.extensionDuration.observe({ extension: ext.name, hook }, ext.asyncBudgetMs / 1000);
        env.metrics.extensionBudgetOverruns.inc({ extension: ext.name, hook });
        return failed(env, ext, hook, mode, error, ext.asyncBudgetMs);
      }
      observe(env, ext, hook, started);
      return outcome.value;
    },
    (e: unknown) => {
      call.done();
      observe(env, ext, hook, started);
      return failed(env, ext, hook, mode, e, undefined);
    },
  );
}

const OVERRUN: unique symbol = Symbol('overrun');

/** The hook's value, or OVERRUN when the budget ran out first (a late rejection is then ignored, never unhandled). */
function withinBudget(promise: Promise<unknown>, budgetMs: number): Promise<{ value: unknown } | typeof OVERRUN> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(OVERRUN), budgetMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ value });
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function observe(env: HookEnv, ext: CompiledExtension, hook: HookName, started: bigint): number {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  env.metrics.extensionDuration.observe({ extension: ext.name, hook }, seconds);
  return seconds;
}

function failed(env: HookEnv, ext: CompiledExtension, hook: HookName, mode: FailureMode, e: unknown, overrunMs: number | undefined): typeof SKIPPED {
  env.metrics.extensionErrors.inc({ extension: ext.name, hook });
  const message = String((e as Error | undefined)?.message ?? e).slice(0, MAX_ERROR_CHARS);
  const policy = mode === 'report' ? 'reported' : ext.failPolicy;
  env.logger.error({ extension: ext.name, hook, error: message, failPolicy: policy }, overrunMs === undefined ? 'extension hook failed' : 'extension hook abandoned: over its time budget');
  if (mode === 'report' || ext.failPolicy === 'open') return SKIPPED;
  throw overrunMs === undefined ? Errors.extensionFailed(ext.name, hook) : Errors.extensionTimeout(ext.name, hook, overrunMs);
}
