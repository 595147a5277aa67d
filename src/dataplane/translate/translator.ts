import type { Endpoint } from '../endpoints';
import type { ModelRequest } from '../model/types';
import type { ProviderAdapter } from '../providers';
import type { Usage } from '../usage';

/** Relays one stream's SSE events: each raw event in, the frames to send out. */
export interface StreamRelay {
  push(event: string): string[];
  usage(): Usage | undefined;
  /**
   * For a relay that passes events through: true when whole events in `chunk` need nothing from it
   * (no usage to read or strip), so the bytes may go to the client as they are, undecoded.
   */
  passesUnchanged?(chunk: Buffer): boolean;
}

/** What a translator builds the upstream body from: the request as read. */
export type PayloadSource = Pick<ModelRequest, 'body' | 'raw' | 'stream'>;

/**
 * Serves a client of one protocol from a backend of one protocol, the same one included (an
 * identity translator): every JSON request takes the same path, whichever pair it is.
 */
export interface Translator {
  /** The backend endpoint that answers the client's. */
  readonly upstreamEndpoint: Endpoint;
  /**
   * Client headers the backend must see as they are (an identity translator's protocol headers,
   * e.g. `anthropic-version`); undefined when none pass.
   */
  readonly clientHeaders?: readonly string[];
  /** The upstream request body: the client's bytes as they are when nothing changes, else new JSON. */
  payload(request: PayloadSource, servedModel: string, adapter: ProviderAdapter): string | Buffer;
  /**
   * A non-streamed answer, read whole and mapped for the client. Absent on identity translators:
   * the upstream's bytes are relayed as they arrive (scrubbed, usage read on the way).
   */
  response?(text: string, requestedModel: string): { body: string; usage?: Usage };
  stream(includeUsage: boolean, requestedModel: string): StreamRelay;
  /** The explanation in an upstream error body (in the backend's format); undefined when it gives none. */
  responseError(text: string): string | undefined;
}
