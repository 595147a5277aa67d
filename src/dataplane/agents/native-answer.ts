import { isObject, type JsonObject } from '../../specs';
import type { Usage } from '../usage';
import type { AgentErrorReport } from './wire';

/**
 * What the agent proxy reads of a Dify or Model Studio answer as it relays it: usage (which settles
 * token limits), the agent's own error inside a 200 (recorded as an error), and the text relayed (the
 * estimate charged when no usage came). One reader per request, fed whole SSE events or the whole
 * blocking answer.
 */
export interface NativeAnswerReader {
  /** Events are rewritten (DashScope re-accumulation): the relay sends `event`'s answers, not the agent's bytes. */
  readonly rewrites: boolean;
  readonly usage: Usage | undefined;
  readonly failure: AgentErrorReport | undefined;
  /** Characters of answer text relayed so far. */
  readonly textChars: number;
  /** One whole SSE event, its blank line included; returns what to send in its place when `rewrites`. */
  event(event: string): string;
  /** The whole blocking answer, parsed. */
  document(doc: JsonObject): void;
}

/**
 * Whether an agent's error report (its own `status`, inside a 200 or as the HTTP status of a blocking
 * error) charges its breaker: as for the HTTP statuses an agent answers with, 429, 5xx and the key refused
 * (401, 403) are the agent's failure; another 4xx is the request's fault, from an agent that is alive.
 */
export function chargesAgent(status: number): boolean {
  return status === 429 || status >= 500 || status === 401 || status === 403;
}

/** The parsed JSON object of a text, or undefined: not JSON, or not an object (a `[DONE]`, a bare string). */
export function jsonObjectOf(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The lines of an SSE event, without the blank line that ends it (any of CRLF, CR or LF ends a line: the SSE spec). */
export function eventLines(event: string): string[] {
  const lines = event.split(/\r\n|\r|\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A field of an SSE line (`event:result`, `data: {…}`): its value, one leading space dropped, as the SSE spec reads it. */
export function fieldValue(line: string, field: string): string | undefined {
  if (!line.startsWith(field) || line.charCodeAt(field.length) !== 0x3a /* : */) return undefined;
  const start = field.length + 1;
  return line.slice(line.charCodeAt(start) === 0x20 ? start + 1 : start);
}
