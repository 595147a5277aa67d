/** The shapes route handlers share: one request being answered, and what they need from the simulator. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MultipartPart } from './multipart';
import type { Responder } from './responder';

/** What a route handler needs to answer one request. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  /** The recorded body. */
  readonly body: unknown;
  /** The body was meant to be JSON or multipart but could not be parsed. */
  readonly invalidBody: boolean;
  /** The parts of a `multipart/form-data` body. */
  readonly parts?: readonly MultipartPart[];
  readonly requestId: string;
  readonly seq: number;
  /** From a fault: close the socket mid-response. */
  readonly dropAfterChunks?: number;
}

/** The simulator's settings and writer, as handlers see them. */
export interface HandlerContext {
  /** Echoed in replies (`[sim:NAME] ...`). */
  readonly name: string;
  /** Content pieces per streamed response. */
  readonly streamChunks: number;
  /** The simulator's base URL, e.g. `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  readonly responder: Responder;
}
