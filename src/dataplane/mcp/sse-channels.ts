import { createHash } from 'crypto';
import type { McpBus } from './bus';
import type { PipelineDeps } from '../stages/stage';

/**
 * The names and messages by which the replica holding an HTTP+SSE upstream's stream (sse-upstream.ts)
 * and the replicas serving that session's client requests (sse-client.ts) reach each other on the
 * McpBus. Everything one session uses is named from a hash of its server and its holder id: 128 random
 * bits the holder draws when it opens the upstream stream, sealed into the session token beside the
 * upstream's message endpoint (sessionRef). Not the endpoint alone: an upstream may name the same
 * endpoint for every session (`/messages`), and two consumers' sessions must never share a channel. Any
 * replica given a request of the session derives the same names, and no name reveals the endpoint.
 */

/** The gateway's bus (`deps.mcpBus`): Redis when the gateway has it (every replica sees the channels), else this process's own. */
export function busOf(deps: PipelineDeps): McpBus {
  return deps.mcpBus;
}

export interface SseChannels {
  /** Client streams to the holder: hello, bye, bounce, close. */
  readonly toHolder: string;
  /** The holder to every client stream of the session: the upstream's answers, and the stream's end. */
  readonly answers: string;
  /** The key the holder keeps alive while it holds the upstream stream. */
  readonly live: string;
  /** One client stream's own channel: the server requests and notifications the holder gives it. */
  stream(id: string): string;
}

export function sseChannels(server: string, holderId: string): SseChannels {
  const base = `mcp:sse:${createHash('sha256').update(`${server}\n${holderId}`).digest('base64url')}`;
  return { toHolder: `${base}:in`, answers: `${base}:out`, live: `${base}:live`, stream: (id) => `${base}:s:${id}` };
}

/** What the session token's `upstream` field holds: the holder id, a space, the endpoint (visible ASCII, no space: checked at open). */
export function sessionRef(holderId: string, endpoint: string): string {
  return `${holderId} ${endpoint}`;
}

/** A token's `upstream` field read back; undefined when it is not one sessionRef made (a token of another transport, or of an older gateway). */
export function openSessionRef(ref: string): { holderId: string; endpoint: string } | undefined {
  const space = ref.indexOf(' ');
  if (space <= 0 || ref[space + 1] !== '/') return undefined;
  return { holderId: ref.slice(0, space), endpoint: ref.slice(space + 1) };
}

export type JsonObject = Record<string, unknown>;

/** What goes on the channels, as JSON. */
export type Envelope =
  /** A message of the upstream's. */
  | { readonly t: 'm'; readonly m: JsonObject }
  /** The upstream stream is over: whoever waits on it stops. */
  | { readonly t: 'end'; readonly why: string }
  /** A client stream opened: a POST's (with the progress tokens of its requests) or a GET's. */
  | { readonly t: 'hello'; readonly id: string; readonly kind: 'post' | 'get'; readonly tokens: readonly (string | number)[] }
  | { readonly t: 'bye'; readonly id: string }
  /** A message given to a stream that had just ended: the holder gives it to another. */
  | { readonly t: 'bounce'; readonly id: string; readonly m: JsonObject }
  /** The client ended the session (DELETE): the holder closes the upstream stream. */
  | { readonly t: 'close' }
  /** The client sent the session a message that opened no stream (a notification, a response): it is still in use. */
  | { readonly t: 'touch' };

export function envelope(e: Envelope): string {
  return JSON.stringify(e);
}

/** An envelope, or undefined for anything else (the bus is the gateway's own, but a bad message must not throw in a subscriber). */
export function openEnvelope(data: string): Envelope | undefined {
  try {
    const e = JSON.parse(data) as { t?: unknown };
    return e !== null && typeof e === 'object' && typeof e.t === 'string' ? (e as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

/** A response: an id and a result or an error, no method. */
export function isResponse(m: JsonObject): boolean {
  return !('method' in m) && 'id' in m && ('result' in m || 'error' in m);
}
