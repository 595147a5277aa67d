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
  | 'messages';

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
  'messages': { suffix: '/messages', protocol: 'anthropic', body: 'json', streams: true },
};

/** Longest suffix first: `/chat/completions` before `/completions`. Computed once. */
const BY_SUFFIX = (Object.keys(ENDPOINTS) as Endpoint[]).sort((a, b) => ENDPOINTS[b].suffix.length - ENDPOINTS[a].suffix.length);

/** Which endpoint a path ends in, `models` for the gateway's model list (`…/v1/models`, on model routes only), or undefined. */
export function endpointOf(path: string): Endpoint | 'models' | undefined {
  for (const e of BY_SUFFIX) if (path.endsWith(ENDPOINTS[e].suffix)) return e;
  return path.endsWith('/v1/models') ? 'models' : undefined;
}
