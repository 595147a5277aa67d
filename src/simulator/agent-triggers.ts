/**
 * What the agent simulators (Dify, DashScope applications) share: the words a test puts in a query to
 * steer the answer, the echo of what the agent received, and a bounded in-memory store for their
 * conversations. Triggers live in the request text because the gateway under test forwards that text,
 * so a test can steer the upstream through the gateway without any side channel.
 */
import { MAX_ECHO_CHARS } from './responses';

/** The longest pause `[[slow:N]]` may ask for, so a typo cannot hang a test run. */
export const MAX_SLOW_MS = 60_000;

/** Conversations (or sessions) kept per simulator; the oldest go first, so a long benchmark stays bounded. */
export const MAX_CONVERSATIONS = 10_000;

export interface AgentTriggers {
  /** `[[error]]`: a few answer pieces, then the protocol's error event (blocking: an error response). */
  readonly error: boolean;
  /** `[[error-first]]`: the error event before any answer piece. */
  readonly errorFirst: boolean;
  /** `[[workflow-fail]]`: a Dify workflow that finishes `failed`. */
  readonly workflowFail: boolean;
  /** `[[thought]]`: an `agent_thought` event (Dify) before the answer. */
  readonly thought: boolean;
  /** `[[slow:N]]`: N ms before a blocking answer, and between the events of a stream. */
  readonly slowMs: number;
}

/** The triggers found anywhere in `texts`. */
export function triggersIn(texts: readonly string[]): AgentTriggers {
  const all = texts.join('\n');
  const slow = /\[\[slow:(\d{1,6})\]\]/.exec(all);
  return {
    error: all.includes('[[error]]'),
    errorFirst: all.includes('[[error-first]]'),
    workflowFail: all.includes('[[workflow-fail]]'),
    thought: all.includes('[[thought]]'),
    slowMs: slow ? Math.min(MAX_SLOW_MS, Number(slow[1])) : 0,
  };
}

/** Text whitespace-collapsed and truncated like the model replies' echo. */
export function echoOf(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > MAX_ECHO_CHARS ? `${collapsed.slice(0, MAX_ECHO_CHARS)}...` : collapsed;
}

/** Every string value of an object (nested ones as JSON), for trigger scanning and token counts. */
export function stringValues(record: Record<string, unknown>): string[] {
  return Object.values(record).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? ''));
}

/** A map that forgets its oldest entries beyond `MAX_CONVERSATIONS`. */
export class BoundedStore<V> {
  private readonly entries = new Map<string, V>();

  public constructor(private readonly limit = MAX_CONVERSATIONS) {}

  public get(id: string): V | undefined {
    return this.entries.get(id);
  }

  public set(id: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  public delete(id: string): void {
    this.entries.delete(id);
  }

  public values(): IterableIterator<V> {
    return this.entries.values();
  }
}
