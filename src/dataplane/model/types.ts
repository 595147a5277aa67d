import type { ClientBody } from '../client-body';
import type { CompiledModel } from '../compile/snapshot';
import type { Endpoint } from '../endpoints';
import type { PreparedMultipart } from '../multipart';
import type { AgentCall } from '../translate/translator';
import type { Upstream } from '../upstream';
import type { Usage } from '../usage';

/** Hooks the pipeline gives the proxy: when headers go out (overhead), the first token, usage. */
export interface ProxyEvents {
  /**
   * Whether the completion text relayed must be counted (for onUnreportedUsage): only when the request
   * was pre-charged tokens that usage settles. Decided once per request: elsewhere no byte is scanned.
   */
  readonly countsCompletionText: boolean;
  /**
   * The backend keeps the answer by this id (a native Responses API answer, `store` not false): the relay
   * reports it, and waits for the record before the client learns the id, so that the calls by id that follow
   * reach that backend, for this consumer only (stored-responses.ts). `undefined`: the answer named no id.
   * Never rejects. Undefined on requests whose answers are not kept.
   */
  readonly onStoredResponse?: (id: string | undefined, attempt: Attempt) => Promise<void>;
  /** The upstream request is about to be sent: what came before is the gateway's own time. */
  onDispatch(): void;
  onFirstByte(): void;
  onFirstToken(): void;
  onUsage(usage: Usage): void;
  /**
   * The answer ended (or the client left) without a usage report: the completion tokens estimated
   * from the text relayed, so that what was sent is still charged.
   */
  onUnreportedUsage(outputTokens: number): void;
}

/** A model request, read and checked: what the limits stage and the backend attempts work from. */
export interface ModelRequest {
  readonly endpoint: Endpoint;
  /** The JSON body; for a multipart upload, its form fields. */
  readonly body: Record<string, unknown>;
  /** A multipart upload, read up to its `model` field, the rest still streaming in. */
  readonly multipart?: PreparedMultipart;
  /** The upload's body as it arrives from the client: whether a deadline passed while waiting on it. */
  readonly clientBody?: ClientBody;
  /** The client's bytes, for a same-protocol pass-through that changes nothing. */
  readonly raw?: Buffer;
  readonly requested: string;
  readonly model: CompiledModel;
  readonly stream: boolean;
  readonly clientWantsUsage: boolean;
  /** An agent exposed as a model (`asModel`): who calls it, for its translator. */
  readonly agentCall?: AgentCall;
}

/** One backend chosen for the request: where it goes and which model name it is sent. */
export interface Attempt {
  readonly model: CompiledModel;
  readonly upstream: Upstream;
  readonly servedModel: string;
  /** The configured target model (the entry's name for a `*` target): a metric label from a set known at config load. */
  readonly targetModel: string;
}
