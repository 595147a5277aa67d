import type { CompiledModel, CompiledModelRoute } from '../compile/snapshot';
import { Errors, GatewayError } from '../errors';
import type { RequestContext } from '../request-context';
import { backoffDelayMs, sleep } from '../resilience';
import type { Upstream } from '../upstream';
import { sendAttempt } from './send';
import type { Attempt, ModelRequest, ProxyEvents } from './types';
import { RetryableFailure } from './upstream-errors';

/**
 * The attempt policy, one loop for every request: the model, then its fallbacks; within each,
 * weighted targets whose circuit is not open; each target retried with backoff and jitter, its
 * breaker told of every outcome. Credentials, translation and the body are redone per attempt.
 * An upload streams through once and cannot be sent a second time: it gets exactly one attempt
 * (the first target picked, no retry, no fallback).
 */
export async function forwardModelRequest(ctx: RequestContext, route: CompiledModelRoute, request: ModelRequest, events: ProxyEvents): Promise<void> {
  const { requested, model } = request;
  const once = request.multipart !== undefined;
  let last: GatewayError | undefined;
  for (const candidate of once ? [model] : [model, ...model.fallbacks]) {
    const tried = new Set<Upstream>();
    for (let attempt = pick(candidate, requested, tried); attempt; attempt = once ? undefined : pick(candidate, requested, tried)) {
      tried.add(attempt.upstream);
      const { breaker, config } = attempt.upstream;
      const retries = once ? 0 : config.retries.attempts;
      for (let retry = 0; breaker.allow(); retry++) {
        try {
          await sendAttempt(ctx, route, attempt, request, events);
          breaker.success();
          return;
        } catch (e) {
          // Only the backend's own failures count against it: a client fault (a bad request, a truncated,
          // oversized or stalled upload) is not a RetryableFailure, and the breaker never hears of it.
          if (!(e instanceof RetryableFailure)) {
            // The upstream answered (e.g. 400): it is alive, whatever it thought of the request.
            if (e instanceof GatewayError && e.code === 'upstream_rejected') breaker.success();
            else breaker.abandon();
            throw e;
          }
          // A client that went away says nothing about the backend: its circuit is not charged.
          if (ctx.cancellation.cancelled) {
            breaker.abandon();
            throw e.error;
          }
          breaker.failure();
          last = e.error;
          if (retry >= retries || !e.retriesSameBackend(config.retries.onStatus)) break;
          ctx.record.retries = (ctx.record.retries ?? 0) + 1;
          await sleep(backoffDelayMs(retry, config.retries.backoffBaseMs), ctx.cancellation.signal);
        }
      }
    }
  }
  throw last ?? Errors.circuitOpen(requested);
}

/**
 * A weighted random target among those not yet tried whose circuit is not open; `*` in the
 * target's model means "the name the client asked for".
 */
function pick(model: CompiledModel, requested: string, tried: ReadonlySet<Upstream>): Attempt | undefined {
  const open = model.targets.filter((t) => !tried.has(t.upstream) && t.upstream.breaker.state !== 'open');
  if (open.length === 0) return undefined;
  let r = Math.random() * open.reduce((n, t) => n + t.weight, 0);
  let target = open[0];
  for (const t of open) {
    r -= t.weight;
    if (r < 0) {
      target = t;
      break;
    }
  }
  if (!target.model.includes('*')) return { model, upstream: target.upstream, servedModel: target.model, targetModel: target.model };
  return { model, upstream: target.upstream, servedModel: requested, targetModel: model.entry.name };
}
