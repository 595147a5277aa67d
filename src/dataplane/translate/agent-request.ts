/**
 * An OpenAI chat completions request read for an agent (Dify, a DashScope application): text turns,
 * the query (the last user message), the conversation to continue. What an agent cannot be given
 * (tools, images, several choices) is a 400 naming the field; what it has no use for (sampling
 * parameters, token limits, stop sequences…) is ignored.
 */
import { badRequest } from './errors';
import { asArray, asObject, isObject } from './read';
import type { PayloadSource } from './translator';
import { CONVERSATION_HEADER, isConversationId, MAX_CONVERSATION_ID_CHARS } from '../agents/protocol';

const R = 'request' as const;

/** One message of the chat, as text: `developer` messages count as `system`. */
export interface AgentTurn {
  readonly role: 'system' | 'user' | 'assistant';
  readonly text: string;
  /** Its index in the request's `messages`, to name it in an error. */
  readonly index: number;
}

export interface AgentChatRequest {
  /** Every message, the last one (the query) included. */
  readonly turns: readonly AgentTurn[];
  /** The last user message's text. */
  readonly query: string;
  /** The conversation to continue: the `x-aigw-conversation-id` header, else `metadata.conversation_id`. */
  readonly conversationId: string | undefined;
  /** Which of the two carried it, to name it in an error. */
  readonly conversationParam: string;
}


/**
 * Reads the chat request for the agent of `route`.
 *
 * @throws TranslationError (source `request`) naming the field that cannot go to an agent.
 */
export function readAgentChat(route: string, request: PayloadSource): AgentChatRequest {
  const body = request.body;
  refuseTools(route, body);
  if (typeof body.n === 'number' && body.n > 1) {
    throw badRequest('n', `is ${body.n}, but agent route '${route}' gives one answer`, 'Send n: 1, or leave it out.');
  }
  const messages = asArray(body.messages, 'messages', R, 'Send messages as an array of {role, content} objects.');
  if (messages.length === 0) throw badRequest('messages', 'is empty', 'Send at least one user message.');
  const turns = messages.map((raw, i) => turnOf(route, raw, i));
  const last = turns[turns.length - 1];
  if (last.role !== 'user') {
    const role = JSON.stringify((messages[last.index] as Record<string, unknown>).role);
    throw badRequest(`messages[${last.index}].role`, `is ${role}, but the last message to agent route '${route}' must be the user's`, 'End messages with the new user message.');
  }
  const fromHeader = request.agentCall?.conversationId;
  return {
    turns,
    query: last.text,
    conversationId: fromHeader !== undefined && fromHeader !== '' ? fromHeader : metadataConversation(body.metadata),
    conversationParam: fromHeader !== undefined && fromHeader !== '' ? CONVERSATION_HEADER : 'metadata.conversation_id',
  };
}

/** Function calling has no agent equivalent: the agent runs its own tools. */
function refuseTools(route: string, body: Record<string, unknown>): void {
  for (const field of ['tools', 'functions'] as const) {
    const v = body[field];
    if (Array.isArray(v) && v.length > 0) {
      throw badRequest(field, `has ${v.length} entr${v.length === 1 ? 'y' : 'ies'}, but agent route '${route}' runs its own tools`, `Leave ${field} out: configure tools in the agent itself.`);
    }
  }
}

function turnOf(route: string, raw: unknown, i: number): AgentTurn {
  const p = `messages[${i}]`;
  const m = asObject(raw, p, R, 'Send each message as a {role, content} object.');
  let role: AgentTurn['role'];
  switch (m.role) {
    case 'user':
    case 'assistant':
    case 'system':
      role = m.role;
      break;
    case 'developer':
      role = 'system';
      break;
    default:
      throw badRequest(`${p}.role`, `is ${JSON.stringify(m.role)}, which agent route '${route}' cannot take`, "Send 'system', 'user' or 'assistant' messages: the agent runs its own tools.");
  }
  for (const field of ['tool_calls', 'function_call'] as const) {
    const v = m[field];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
      throw badRequest(`${p}.${field}`, `is set, but agent route '${route}' runs its own tools`, `Leave ${field} out of the messages.`);
    }
  }
  return { role, text: contentText(route, m.content, `${p}.content`), index: i };
}

/** A string, or text parts joined by `\n`; an assistant's null content is empty. */
function contentText(route: string, content: unknown, param: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  const parts = asArray(content, param, R, 'Send a string or an array of text parts.');
  return parts
    .map((raw, j) => {
      const part = asObject(raw, `${param}[${j}]`, R, "Send {type: 'text', text} parts.");
      if (part.type !== 'text') {
        throw badRequest(`${param}[${j}].type`, `is ${JSON.stringify(part.type)}, but agent route '${route}' takes text only`, "Send {type: 'text', text} parts.");
      }
      if (typeof part.text !== 'string') throw badRequest(`${param}[${j}].text`, 'must be a string', "Send {type: 'text', text} parts.");
      return part.text;
    })
    .join('\n');
}

function metadataConversation(metadata: unknown): string | undefined {
  if (!isObject(metadata)) return undefined;
  const id = metadata.conversation_id;
  if (id === undefined || id === null || id === '') return undefined;
  if (typeof id !== 'string') {
    throw badRequest('metadata.conversation_id', `must be a string, not ${typeof id}`, `Send the ${CONVERSATION_HEADER} value of the previous answer.`);
  }
  if (!isConversationId(id)) {
    throw badRequest(
      'metadata.conversation_id',
      `must be printable ASCII without spaces, at most ${MAX_CONVERSATION_ID_CHARS} characters; found ${id.length} characters`,
      `Send the ${CONVERSATION_HEADER} value of the previous answer.`,
    );
  }
  return id;
}

/** The earlier turns: every message but the query. */
export function earlierTurns(chat: AgentChatRequest): readonly AgentTurn[] {
  return chat.turns.slice(0, -1);
}
