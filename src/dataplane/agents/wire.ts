import { isObject, type JsonObject } from '../../specs';
import type { Usage } from '../usage';

/**
 * What the gateway reads of the agents' answers, one place for both the native routes and the OpenAI
 * mapping: usage from the terminal events, the conversation, and errors the agent reports inside a 200.
 * Each reader takes one parsed JSON document (a blocking answer, or one SSE event's `data`).
 */

/** An error the agent reported in its own answer: its HTTP status (when it gave one), code and message. */
export interface AgentErrorReport {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

/**
 * Dify: a chat or completion answer's `metadata.usage` (blocking, or the `message_end` event), or a
 * workflow's `total_tokens` (blocking `data.total_tokens`, or the `workflow_finished` event), which Dify
 * does not split: all of it is counted as output.
 */
export function difyUsage(doc: JsonObject): Usage | undefined {
  const usage = isObject(doc.metadata) && isObject(doc.metadata.usage) ? doc.metadata.usage : undefined;
  if (usage) return { inputTokens: num(usage.prompt_tokens), outputTokens: num(usage.completion_tokens) };
  const data = isObject(doc.data) ? doc.data : undefined;
  const isWorkflowEnd = doc.event === 'workflow_finished' || (doc.event === undefined && data !== undefined && 'workflow_id' in data);
  if (isWorkflowEnd && data && typeof data.total_tokens === 'number') return { inputTokens: 0, outputTokens: num(data.total_tokens) };
  return undefined;
}

/** Dify: the conversation an answer belongs to (every chat event and blocking answer carries it). */
export function difyConversationId(doc: JsonObject): string | undefined {
  return str(doc.conversation_id);
}

/**
 * Dify: an error inside a 200 answer: the `error` event (`status`, `code`, `message`), or a workflow
 * that finished `failed` / `stopped` (its `data.error`).
 */
export function difyError(doc: JsonObject): AgentErrorReport | undefined {
  if (doc.event === 'error') return { status: num(doc.status) || 500, code: str(doc.code) ?? 'error', message: str(doc.message) ?? 'the agent reported an error' };
  const data = isObject(doc.data) ? doc.data : undefined;
  const finished = doc.event === 'workflow_finished' || (doc.event === undefined && data !== undefined && 'workflow_id' in data);
  if (finished && data && (data.status === 'failed' || data.status === 'stopped')) {
    return { status: 500, code: `workflow_${String(data.status)}`, message: str(data.error) ?? `the workflow ${String(data.status)}` };
  }
  return undefined;
}

/**
 * DashScope applications: `usage.models[]` summed (an agent app may call several models), or flat
 * `usage.input_tokens` / `output_tokens` where an app reports them so.
 */
export function dashScopeUsage(doc: JsonObject): Usage | undefined {
  const usage = isObject(doc.usage) ? doc.usage : undefined;
  if (!usage) return undefined;
  if (Array.isArray(usage.models)) {
    let inputTokens = 0;
    let outputTokens = 0;
    for (const m of usage.models) {
      if (!isObject(m)) continue;
      inputTokens += num(m.input_tokens);
      outputTokens += num(m.output_tokens);
    }
    return { inputTokens, outputTokens };
  }
  if ('input_tokens' in usage || 'output_tokens' in usage) return { inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens) };
  return undefined;
}

/** DashScope applications: the session an answer belongs to (`output.session_id`). */
export function dashScopeSessionId(doc: JsonObject): string | undefined {
  return isObject(doc.output) ? str(doc.output.session_id) : undefined;
}

/** DashScope: an error document (`code` and `message`, no `output`), as its error events and error bodies carry. */
export function dashScopeError(doc: JsonObject, status: number): AgentErrorReport | undefined {
  if (doc.output !== undefined || typeof doc.code !== 'string' || doc.code === '') return undefined;
  return { status, code: doc.code, message: str(doc.message) ?? 'the application reported an error' };
}
