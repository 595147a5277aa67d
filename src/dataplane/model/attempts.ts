import { chargesAgent } from '../agents/native-answer';
import { transportError } from '../bounded-call';
import type { CompiledModel, CompiledModelRoute } from '../compile/snapshot';
import { Errors, GatewayError } from '../errors';
import type { RequestContext } from '../request-context';
import { backoffDelayMs, sleep } from '../resilience';
import type { Upstream } from '../upstream';
import { type AgentAttemptEvents, StreamFailedBeforeHead } from './relay-events';
import { sendAttempt } from './send';
import { continuedBackend, keepsResponses, storingEvents } from './stored-responses';
import type { Attempt, ModelRequest, ProxyEvents } from './types';
import { RetryableFailure } from './upstream-errors';
import type { PipelineDeps } from '../stages/stage';

/**
 * The attempt policy, one loop for every request: the model, then its fallbacks; within each,
 * weighted targets whose circuit is not open; each target retried with backoff and jitter, its
 * breaker told of every outcome. Credentials, translation and the body are redone per attempt.
 * An upload streams through once and cannot be sent a second time: it gets exactly one attempt
 * (the first target picked, no retry, no fallback).
 */
export async function forwardModelRequest(
  ctx: RequestContext,
  route: CompiledModelRoute,
  request: ModelRequest,
  accounting: ProxyEvents,
  deps: PipelineDeps,
): Promise<void> {
  const { requested, model } = request;
  const once = request.multipart !== undefined;
  let events = accounting;
  /** The backend a continued response (`previous_response_id`) is kept by: the only one that can continue it. */
  let held: string | undefined;
  if (request.endpoint === 'responses' && keepsResponses(model)) {
    held = await continuedBackend(ctx, route, request, deps);
    events = storingEvents(ctx, route, request, accounting, deps);
  }
  let last: GatewayError | undefined;
  for (const candidate of once ? [model] : [model, ...model.fallbacks]) {
    const tried = new Set<Upstream>();
    for (let attempt = pick(candidate, requested, tried, held); attempt; attempt = once ? undefined : pick(candidate, requested, tried, held)) {
      tried.add(attempt.upstream);
      const { breaker, config } = attempt.upstream;
      const retries = once ? 0 : config.retries.attempts;
      for (let retry = 0; breaker.allow(); retry++) {
        // An agent's stream may end in its own error after the head went out: its status decides what the breaker hears.
        let agentFailure: number | undefined;
        const heard: ProxyEvents = candidate.owner === undefined ? events : agentEvents(events, (status) => (agentFailure = status));
        try {
          await sendAttempt(ctx, route, attempt, request, heard);
          if (agentFailure !== undefined && chargesAgent(agentFailure)) breaker.failure();
          else breaker.success();
          return;
        } catch (caught) {
          if (caught instanceof StreamFailedBeforeHead) {
            // The upstream's answer had begun (its head, part of a finished generation the provider bills) when it broke:
            // charged, answered 502/504, never sent again, as a proxy does not retry once an upstream's headers arrived.
            const failed = brokenStream(ctx, route, attempt, caught);
            if (ctx.cancellation.cancelled) breaker.abandon();
            else breaker.failure();
            throw failed.error;
          }
          const e = caught;
          // Only the backend's own failures count against it: a client fault (a bad request, a truncated,
          // oversized or stalled upload) is not a RetryableFailure, and the breaker never hears of it.
          if (!(e instanceof RetryableFailure)) {
            // The upstream answered (e.g. 400): it is alive, whatever it thought of the request.
            // An agent's own error report (Dify's `error` event, a failed workflow, DashScope's error): its 5xx is
            // the agent failing (agentFailed answers it 502), its 4xx a request it refused while alive.
            if (e instanceof GatewayError && e.code === 'upstream_rejected') breaker.success();
            else if (e instanceof GatewayError && e.code === 'agent_error' && chargesAgent(e.status)) breaker.failure();
            else if (e instanceof GatewayError && e.code === 'agent_error') breaker.success();
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

/** The request's events, and the status of an agent's error reported mid-stream (model/relay-events.ts). */
function agentEvents(events: ProxyEvents, onAgentFailure: (status: number) => void): AgentAttemptEvents {
  return { ...events, onAgentFailure };
}

/**
 * An agent's stream that broke or timed out before its deferred head went out: the upstream's failure
 * (502, 504) like a call that never answered, worth the same as one to the breaker; the client's leaving, never.
 */
function brokenStream(ctx: RequestContext, route: CompiledModelRoute, attempt: Attempt, failed: StreamFailedBeforeHead): RetryableFailure {
  if (ctx.cancellation.cancelled) return new RetryableFailure(Errors.clientGone());
  const { upstream } = attempt;
  const firstByteMs = route.timeouts?.firstByteMs ?? upstream.config.timeouts.firstByteMs;
  const totalMs = route.timeouts?.totalMs ?? upstream.config.timeouts.totalMs;
  return new RetryableFailure(transportError(upstream, failed.cause, firstByteMs, totalMs, false));
}

/**
 * A weighted random target among those not yet tried whose circuit is not open (and on the `held` backend
 * only, when one is); `*` in the target's model means "the name the client asked for".
 */
function pick(model: CompiledModel, requested: string, tried: ReadonlySet<Upstream>, held: string | undefined): Attempt | undefined {
  const open = model.targets.filter((t) => !tried.has(t.upstream) && t.upstream.breaker.state !== 'open' && (held === undefined || t.upstream.config.name === held));
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
