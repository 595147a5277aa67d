import { ENDPOINTS, type Endpoint } from '../endpoints';
import type { ProviderAdapter } from '../providers';
import { eventData } from '../sse';
import { anthropicStreamUsage, openAiStreamUsage } from '../usage';
import { upstreamErrorMessage } from './error-message';
import { limitedOutputFields } from './output-tokens';
import { isObject } from './read';
import type { PayloadSource, PayloadTarget, StreamRelay, Translator } from './translator';
import type { WireProtocol } from '../../specs';

/**
 * Client headers a same-protocol backend must see: Anthropic's API version and beta flags decide
 * what the body means (prompt caching, thinking), so they go through as the client sent them.
 */
const CLIENT_HEADERS: { readonly [P in WireProtocol]?: readonly string[] } = {
  anthropic: ['anthropic-version', 'anthropic-beta'],
};

/**
 * The body for a backend of the client's own protocol. The fast path: the client's bytes untouched
 * when the served model is the one asked for, nothing is added and no output limit is exceeded
 * (Anthropic prompt caching and thinking signatures survive, and nothing is parsed again or serialized).
 * An ask over the model's `maxOutputTokens` is lowered to it; the field the client chose stays (a chat
 * client sending `max_tokens` to OpenAI made that choice, and its model may take it).
 */
function samePayload(request: PayloadSource, servedModel: string, adapter: ProviderAdapter, target: PayloadTarget): string | Buffer {
  const { body, raw, stream } = request;
  // Token counts are always wanted (metrics, limits): ask for the usage chunk, strip it if the client did not.
  const asksUsage = stream && adapter.streamUsage;
  const limited = limitedOutputFields(body, target.maxOutputTokens);
  if (raw && body.model === servedModel && !adapter.extraBody && !asksUsage && !limited) return raw;
  const upstreamBody: Record<string, unknown> = { ...body, ...limited, ...adapter.extraBody, model: servedModel };
  if (asksUsage) upstreamBody.stream_options = { ...(isObject(body.stream_options) ? body.stream_options : {}), include_usage: true };
  return JSON.stringify(upstreamBody);
}

/**
 * Same-protocol SSE: events go through as they are; usage is read on the way (OpenAI's usage-only
 * chunk dropped unless asked for).
 */
function passThroughStream(protocol: WireProtocol, clientWantsUsage: boolean): StreamRelay {
  const reader = protocol === 'anthropic' ? anthropicStreamUsage() : openAiStreamUsage();
  return {
    push: (event) => {
      const data = eventData(event);
      if (data !== undefined && reader.see(data) && !clientWantsUsage) return [];
      return [event];
    },
    usage: () => reader.usage(),
    // Events the usage reader would ignore pass as they are.
    passesUnchanged: (chunk) => !reader.mayCarryUsage(chunk),
  };
}

/** The identity translator of one endpoint: `openai>openai` or `anthropic>anthropic`. */
function identityTranslator(protocol: WireProtocol, endpoint: Endpoint): Translator {
  return {
    upstreamEndpoint: endpoint,
    clientHeaders: CLIENT_HEADERS[protocol],
    payload: samePayload,
    // No `response`: a non-streamed answer is relayed as it arrives.
    stream: (includeUsage) => passThroughStream(protocol, includeUsage),
    responseError: upstreamErrorMessage,
  };
}

/** The identity translators of every endpoint a protocol's clients call, built once at load. */
export function identityTranslators(protocol: WireProtocol): { readonly [E in Endpoint]?: Translator } {
  const out: { [E in Endpoint]?: Translator } = {};
  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    if (ENDPOINTS[endpoint].protocol === protocol) out[endpoint] = identityTranslator(protocol, endpoint);
  }
  return out;
}
