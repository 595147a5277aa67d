import type { Endpoint } from './endpoints';
import type { Usage } from './usage';

/** Relays one stream's SSE events: each raw event in, the frames to send out. */
export interface StreamRelay {
  push(event: string): string[];
  usage(): Usage | undefined;
}

/** Serves a client of one protocol from a backend of another. */
export interface Translator {
  /** The backend endpoint that answers the client's. */
  readonly upstreamEndpoint: Endpoint;
  request(body: Record<string, unknown>, servedModel: string): Record<string, unknown>;
  response(text: string, requestedModel: string): { body: string; usage?: Usage };
  stream(includeUsage: boolean, requestedModel: string): StreamRelay;
}

/** The translator for a (client protocol, backend protocol) pair on an endpoint, if there is one. */
export function translatorFor(_client: 'openai' | 'anthropic', _upstream: 'openai' | 'anthropic', _endpoint: Endpoint): Translator | undefined {
  return undefined;
}
