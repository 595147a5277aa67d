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

/** How long a backend keeps a stored response (OpenAI: 30 days), and so how long the gateway remembers whose it is. */
export const STORED_RESPONSE_DAYS = 30;

/** What a call on a stored response does: `GET {id}`, `DELETE {id}`, `POST {id}/cancel`, `GET {id}/input_items`. */
export type StoredResponseOperation = 'retrieve' | 'delete' | 'cancel' | 'input_items';

/** One call on a response a backend keeps by id (`…/v1/responses/{id}[/cancel|/input_items]`). */
export interface StoredResponseCall {
  readonly id: string;
  readonly operation: StoredResponseOperation;
  /** The method the operation takes. */
  readonly method: 'GET' | 'DELETE' | 'POST';
}

/**
 * A response id as OpenAI issues them (`resp_` and letters, digits, `_`, `-`): nothing else can name a
 * stored response, so nothing else reaches a backend's path (no `/`, `.`, `%`, whatever the encoding).
 */
const RESPONSE_ID = /^[A-Za-z0-9_-]{1,256}$/;

/** Whether a string can be a response id (and so be part of a backend's path). */
export function isResponseId(id: string): boolean {
  return RESPONSE_ID.test(id);
}

/** Paths under `/v1/responses/` that are endpoints of the API, not response ids. */
const RESPONSES_SUBENDPOINTS: ReadonlySet<string> = new Set(['input_tokens', 'compact']);

/** The methods each stored-response path takes (its `Allow` header when another is used). */
const STORED_RESPONSE_METHODS = { '': 'GET, DELETE', 'cancel': 'POST', 'input_items': 'GET' } as const;

/**
 * The call a `stored-response` path makes; `{ allow }` when the path is one but the method is not its
 * own; undefined for a path that names no stored response (an id OpenAI could not have issued, an unknown
 * action, `input_tokens` / `compact`).
 */
export function storedResponseCallOf(path: string, method: string): StoredResponseCall | { readonly allow: string } | undefined {
  const [id, given, ...more] = path.slice(path.lastIndexOf(RESPONSE_BY_ID) + RESPONSE_BY_ID.length).split('/');
  // `{id}` alone is the response; `{id}/` names nothing.
  const action = given ?? '';
  if (given === '' || more.length > 0 || !RESPONSE_ID.test(id) || RESPONSES_SUBENDPOINTS.has(id) || !Object.prototype.hasOwnProperty.call(STORED_RESPONSE_METHODS, action)) return undefined;
  if (action === '' && method === 'GET') return { id, operation: 'retrieve', method };
  if (action === '' && method === 'DELETE') return { id, operation: 'delete', method };
  if (action === 'cancel' && method === 'POST') return { id, operation: 'cancel', method };
  if (action === 'input_items' && method === 'GET') return { id, operation: 'input_items', method };
  return { allow: STORED_RESPONSE_METHODS[action as keyof typeof STORED_RESPONSE_METHODS] };
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
