import type { Endpoint } from './endpoints';

/** About four characters a token for English text: the pre-charge a token limit holds until usage is known. */
const CHARS_PER_TOKEN = 4;
/** Role and framing tokens each chat message costs. */
const TOKENS_PER_MESSAGE = 4;

/** Nesting of content parts read for text: a tool result's blocks hold blocks; deeper is not a real prompt. */
const MAX_PART_DEPTH = 4;

/**
 * Characters of prompt in a message's content: a string, or parts whose text the model reads (text and
 * thinking, a tool call's input, a tool result's content, a chat tool call's arguments). Images and files count nothing.
 */
function textLength(content: unknown, depth = 0): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content) || depth > MAX_PART_DEPTH) return 0;
  let n = 0;
  for (const part of content) {
    if (!part || typeof part !== 'object') continue;
    const p = part as { text?: unknown; thinking?: unknown; input?: unknown; content?: unknown };
    if (typeof p.text === 'string') n += p.text.length;
    if (typeof p.thinking === 'string') n += p.thinking.length;
    // A tool call's input as the model wrote it (JSON), and a tool result's content (a string or blocks).
    if (p.input !== undefined && p.input !== null && typeof p.input === 'object') n += jsonLength(p.input);
    if (p.content !== undefined) n += textLength(p.content, depth + 1);
  }
  return n;
}

function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

/** An estimate of a request's prompt tokens, from its body, without a tokenizer. */
export function estimatePromptTokens(endpoint: Endpoint, body: Record<string, unknown>): number {
  let chars = 0;
  let extra = 0;
  if ((endpoint === 'chat' || endpoint === 'messages') && Array.isArray(body.messages)) {
    for (const m of body.messages) {
      const message = m as { content?: unknown; tool_calls?: unknown } | null;
      chars += textLength(message?.content);
      // A chat assistant's tool calls: their arguments are prompt on the next turn.
      if (Array.isArray(message?.tool_calls)) chars += jsonLength(message.tool_calls);
      extra += TOKENS_PER_MESSAGE;
    }
    chars += textLength(body.system);
  } else if (endpoint === 'responses') {
    // The Responses API: `instructions`, and `input` as a string or items (messages, tool outputs).
    chars += textLength(body.instructions);
    if (Array.isArray(body.input)) {
      for (const item of body.input) {
        const i = item as { content?: unknown; output?: unknown; arguments?: unknown } | null;
        chars += textLength(i?.content) + textLength(i?.output) + textLength(i?.arguments);
        extra += TOKENS_PER_MESSAGE;
      }
    } else {
      chars += textLength(body.input);
    }
  } else {
    // The field that carries the prompt: `input` for embeddings and speech, `prompt` elsewhere.
    const input = endpoint === 'embeddings' || endpoint === 'audio.speech' ? body.input : body.prompt;
    for (const s of Array.isArray(input) ? input : [input]) if (typeof s === 'string') chars += s.length;
  }
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN) + extra);
}

/** Tokens of generated text, by the same rule as the prompt's: what a stream relayed without a usage report is charged. */
export function estimateTextTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}
