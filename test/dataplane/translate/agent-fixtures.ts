import { GatewayError } from '../../../src/dataplane/errors';
import { PROVIDER_ADAPTERS, type ProviderAdapter } from '../../../src/dataplane/providers';
import type { PayloadSource } from '../../../src/dataplane/translate/translator';
import type { AgentRouteConfig } from '../../../src/specs';

/** An agent route as the config loader produces it, with `overrides` on top. */
export function agentRoute(overrides: Partial<AgentRouteConfig> & Pick<AgentRouteConfig, 'kind'>): AgentRouteConfig {
  return {
    name: 'support',
    match: { host: '*', pathPrefix: '/agents/support' },
    upstream: { baseUrl: overrides.kind === 'dify' ? 'https://api.dify.ai/v1' : 'https://dashscope.aliyuncs.com/api/v1' },
    timeouts: { connectMs: 1000, firstByteMs: 1000, totalMs: 1000 },
    policies: { keyAuth: { enabled: true }, rateLimits: [], onRedisUnavailable: 'failOpen' },
    ...(overrides.kind === 'model-studio' && { appId: 'app-1' }),
    ...overrides,
  };
}

/** A chat request as the pipeline reads it, called by consumer `acme` (null: a route without key auth). */
export function chatSource(body: Record<string, unknown>, conversationId?: string, consumer: string | null = 'acme'): PayloadSource {
  return { body, stream: body.stream === true, agentCall: { consumer: consumer ?? undefined, conversationId } };
}

/** Any adapter: agent translators do not use it. */
export const ADAPTER: ProviderAdapter = PROVIDER_ADAPTERS['openai-compatible']!;

/** The GatewayError `fn` throws. */
export function gatewayError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

/** Dify SSE as it comes off the wire: `data: <json>` events, and `event: ping` keep-alives. */
export function difySse(events: Array<Record<string, unknown> | 'ping'>): string {
  return events.map((e) => (e === 'ping' ? 'event: ping\n\n' : `data: ${JSON.stringify(e)}\n\n`)).join('');
}

/** DashScope application SSE as it comes off the wire (`X-DashScope-SSE`). */
export function dashScopeSse(events: Array<{ payload: Record<string, unknown>; status?: number; event?: string }>): string {
  return events.map((e, i) => `id:${i + 1}\nevent:${e.event ?? 'result'}\n:HTTP_STATUS/${e.status ?? 200}\ndata:${JSON.stringify(e.payload)}\n\n`).join('');
}

/** Raw SSE text as whole events, the way the SseFramer hands them to a relay. */
export function rawEvents(sse: string): string[] {
  return sse.split(/(?<=\n\n)/).filter((e) => e !== '');
}
