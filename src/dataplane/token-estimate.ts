import type { Endpoint } from './endpoints';

/** About four characters a token for English text: the pre-charge a token limit holds until usage is known. */
const CHARS_PER_TOKEN = 4;
/** Role and framing tokens each chat message costs. */
const TOKENS_PER_MESSAGE = 4;

function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (Array.isArray(content)) {
    return content.reduce<number>((n, part) => n + (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text.length : 0), 0);
  }
  return 0;
}

/** An estimate of a request's prompt tokens, from its body, without a tokenizer. */
export function estimatePromptTokens(endpoint: Endpoint, body: Record<string, unknown>): number {
  let chars = 0;
  let extra = 0;
  if ((endpoint === 'chat' || endpoint === 'messages') && Array.isArray(body.messages)) {
    for (const m of body.messages) {
      chars += textLength((m as { content?: unknown })?.content);
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
