import type { ProviderType } from '../../specs';
import type { Endpoint } from '../endpoints';
import type { ModelRequest } from '../model/types';
import type { ProviderAdapter } from '../providers';
import type { Usage } from '../usage';

/** Relays one stream's SSE events: each raw event in, the frames to send out. */
export interface StreamRelay {
  /**
   * The response head waits for the first frame this relay returns, and carries `headers()` then (an
   * agent's conversation id arrives in its first event). Until then a GatewayError thrown by `push`
   * (the agent's own `error` event) is answered as an error, with its status.
   */
  readonly deferHead?: boolean;
  /**
   * A translating relay whose upstream names its text as completionTextChars reads it (chat's `content`, Anthropic's
   * `text`): the upstream's bytes are counted, once, rather than the frames out, which may repeat the text (the
   * Responses API's `.done` events and final Response do).
   */
  readonly countsUpstreamText?: boolean;
  /** A relay that counts the text it relayed itself (once, however often its frames repeat it); read when no usage came. */
  relayedTextChars?(): number;
  push(event: string): string[];
  usage(): Usage | undefined;
  /**
   * A promise the frames just returned by `push` wait for before they go out (the record of a stored response,
   * written before the client learns its id), once; undefined when nothing is pending.
   */
  hold?(): Promise<void> | undefined;
  /**
   * For a relay that passes events through: true when whole events in `chunk` need nothing from it
   * (no usage to read or strip), so the bytes may go to the client as they are, undecoded.
   */
  passesUnchanged?(chunk: Buffer): boolean;
  /** Headers for the deferred head, read when it goes out. */
  headers?(): Readonly<Record<string, string>>;
  /** A RecordedErrors code when the stream ended in the upstream's own error (sent to the client as a last frame). */
  failure?(): string | undefined;
}

/** Who calls an agent, for a translator to one: the consumer (Dify's `user`) and the conversation to continue. */
export interface AgentCall {
  /** The calling consumer's name; undefined on a route without key auth. */
  readonly consumer: string | undefined;
  /** The `x-aigw-conversation-id` request header, when sent (`metadata.conversation_id` is in the body). */
  readonly conversationId: string | undefined;
}

/**
 * Where the body goes, beyond the adapter: the backend's provider and the model entry's declared
 * output limit (`ModelProps.maxOutputTokens`), which no request may exceed.
 */
export interface PayloadTarget {
  readonly provider: ProviderType;
  /** The most output tokens the served model may be asked for; undefined when the entry declares none. */
  readonly maxOutputTokens?: number;
}

/** A non-streamed answer, mapped for the client: its body, usage, and headers for the client (an agent's conversation id). */
export interface TranslatedAnswer {
  readonly body: string;
  readonly usage?: Usage;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a translator builds the upstream body from: the request as read (`agentCall` on agent models only). */
export type PayloadSource = Pick<ModelRequest, 'body' | 'raw' | 'stream' | 'agentCall'>;

/**
 * Serves a client of one protocol from a backend of one protocol, the same one included (an
 * identity translator): every JSON request takes the same path, whichever pair it is.
 */
export interface Translator {
  /** The backend endpoint that answers the client's. */
  readonly upstreamEndpoint: Endpoint;
  /**
   * The backend keeps its answers by id (OpenAI's Responses API): the relay reads each answer's id (the
   * head of a JSON answer, the stream's `responseId()`) for the calls by id that follow. @default false
   */
  readonly storesResponses?: boolean;
  /**
   * Client headers the backend must see as they are (an identity translator's protocol headers,
   * e.g. `anthropic-version`); undefined when none pass.
   */
  readonly clientHeaders?: readonly string[];
  /**
   * The upstream answers a streamed request as any other: with one JSON document, not SSE (a custom agent's
   * mapping: a template knows no stream format). It is asked for JSON, and `stream`'s relay is handed that
   * whole document in one `push`, which returns the client's whole stream.
   */
  readonly answersWhole?: boolean;
  /**
   * The gateway answers itself, and no upstream request is sent (Anthropic's token counting on a backend that
   * cannot count: an estimate, said so in a header). The other members are then never called.
   */
  readonly local?: (request: PayloadSource) => { readonly body: string; readonly headers: Readonly<Record<string, string>> };
  /** The upstream request body: the client's bytes as they are when nothing changes, else new JSON. */
  payload(request: PayloadSource, servedModel: string, adapter: ProviderAdapter, target: PayloadTarget): string | Buffer;
  /**
   * A non-streamed answer, read whole and mapped for the client. Absent on identity translators:
   * the upstream's bytes are relayed as they arrive (scrubbed, usage read on the way).
   */
  response?(text: string, requestedModel: string, request: PayloadSource): TranslatedAnswer;
  /** Headers the upstream request needs for this request besides the adapter's (DashScope's `X-DashScope-SSE`). */
  upstreamHeaders?(request: PayloadSource): Readonly<Record<string, string>> | undefined;
  /**
   * The relay of one streamed answer; `request` is the client's (what a Responses answer echoes). `keep`, on a
   * translator that `storesResponses` when the answer is kept: records the response's id as soon as the stream's first event names it (undefined: it names none).
   */
  stream(includeUsage: boolean, requestedModel: string, request: PayloadSource, keep?: (id: string | undefined) => Promise<void>): StreamRelay;
  /** The explanation in an upstream error body (in the backend's format); undefined when it gives none. */
  responseError(text: string): string | undefined;
}
