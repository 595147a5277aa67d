import type { WireProtocol } from '../specs';

/** The client-facing endpoints of the model proxy, and what each one carries. */
export type Endpoint =
  | 'chat'
  | 'completions'
  | 'embeddings'
  | 'images.generations'
  | 'images.edits'
  | 'audio.transcriptions'
  | 'audio.translations'
  | 'audio.speech'
  | 'responses'
  | 'messages'
  | 'messages.count_tokens';

export interface EndpointSpec {
  /** The path's ending, after any route prefix (`/v1/chat/completions`, `/team/v1/messages`). */
  readonly suffix: string;
  /** The API family a client of this endpoint speaks. */
  readonly protocol: WireProtocol;
  /** How the request body arrives. */
  readonly body: 'json' | 'multipart';
  /** Whether `stream: true` asks for SSE. */
  readonly streams: boolean;
  /** A binary answer (audio) is streamed through unread. */
  readonly binaryResponse?: boolean;
  /** The endpoint generates nothing (it counts tokens): its token pre-charge is settled to none. @default false */
  readonly countsOnly?: boolean;
}

export const ENDPOINTS: { readonly [E in Endpoint]: EndpointSpec } = {
  'chat': { suffix: '/chat/completions', protocol: 'openai', body: 'json', streams: true },
  'completions': { suffix: '/completions', protocol: 'openai', body: 'json', streams: true },
  'embeddings': { suffix: '/embeddings', protocol: 'openai', body: 'json', streams: false },
  'images.generations': { suffix: '/images/generations', protocol: 'openai', body: 'json', streams: false },
  'images.edits': { suffix: '/images/edits', protocol: 'openai', body: 'multipart', streams: false },
  'audio.transcriptions': { suffix: '/audio/transcriptions', protocol: 'openai', body: 'multipart', streams: false },
  'audio.translations': { suffix: '/audio/translations', protocol: 'openai', body: 'multipart', streams: false },
  'audio.speech': { suffix: '/audio/speech', protocol: 'openai', body: 'json', streams: false, binaryResponse: true },
  // OpenAI's Responses API: native on OpenAI and Azure OpenAI backends, translated onto chat completions elsewhere.
  'responses': { suffix: '/responses', protocol: 'openai', body: 'json', streams: true },
  'messages': { suffix: '/messages', protocol: 'anthropic', body: 'json', streams: true },
  // Anthropic's token counting: passed to Anthropic backends, estimated by the gateway for others.
  'messages.count_tokens': { suffix: '/messages/count_tokens', protocol: 'anthropic', body: 'json', streams: false, countsOnly: true },
};

/** Whether a route target is an endpoint that carries a model request (not a listing or a stored response). */
export function isEndpoint(target: ModelRouteTarget | undefined): target is Endpoint {
  return target !== undefined && Object.prototype.hasOwnProperty.call(ENDPOINTS, target);
}

/** Longest suffix first: `/chat/completions` before `/completions`. Computed once. */
const BY_SUFFIX = (Object.keys(ENDPOINTS) as Endpoint[]).sort((a, b) => ENDPOINTS[b].suffix.length - ENDPOINTS[a].suffix.length);

/**
 * What a path asks of a model route: an endpoint, `models` (the model list, `…/v1/models`), `model` (one of it,
 * `…/v1/models/{id}`) or `stored-response` (a Responses API call on a response kept by id: `…/v1/responses/{id}`,
 * `…/cancel`, `…/input_items`).
 */
export type ModelRouteTarget = Endpoint | 'models' | 'model' | 'stored-response';

const MODEL_BY_ID = '/v1/models/';
const RESPONSE_BY_ID = '/v1/responses/';

/** Which endpoint a path ends in, `models` / `model` for the gateway's model list and one model of it (on model routes only), or undefined. */
export function endpointOf(path: string): ModelRouteTarget | undefined {
  for (const e of BY_SUFFIX) if (path.endsWith(ENDPOINTS[e].suffix)) return e;
  if (path.endsWith('/v1/models')) return 'models';
  const at = path.lastIndexOf(MODEL_BY_ID);
  if (at >= 0 && at + MODEL_BY_ID.length < path.length) return 'model';
  const response = path.lastIndexOf(RESPONSE_BY_ID);
  return response >= 0 && response + RESPONSE_BY_ID.length < path.length ? 'stored-response' : undefined;
}

/** The model id of a `…/v1/models/{id}` path, decoded (`a%2Fb` is `a/b`); undefined when it does not decode. */
export function modelIdOf(path: string): string | undefined {
  const raw = path.slice(path.lastIndexOf(MODEL_BY_ID) + MODEL_BY_ID.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
