/**
 * Reading the answers of the three wire formats the Responses bench meets: OpenAI chat completions
 * (`chat`), OpenAI's Responses API (`responses`) and Anthropic Messages (`messages`), whole and streamed.
 * The load loop only runs the cheap checks (no JSON parsing of streams); the verification reassembles.
 */
export type Wire = 'chat' | 'responses' | 'messages';

type Json = Record<string, unknown>;

/** The data of each SSE frame, parsed; frames without data and `[DONE]` are skipped. */
export function sseData(text: string): Json[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data:') && l.slice(5).trim() !== '[DONE]')
    .map((l) => JSON.parse(l.slice(5).trim()) as Json);
}

const list = (x: unknown): Json[] => (Array.isArray(x) ? (x as Json[]) : []);
const record = (x: unknown): Json => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Json) : {});
const str = (x: unknown): string => (typeof x === 'string' ? x : '');

/** The answer's text, reassembled from a whole answer or from every delta of a stream. */
export function answerText(wire: Wire, stream: boolean, text: string): string {
  if (!stream) {
    const body = JSON.parse(text) as Json;
    if (wire === 'chat') return str(record(record(list(body.choices)[0]).message).content);
    if (wire === 'responses') {
      return list(body.output)
        .filter((item) => item.type === 'message')
        .flatMap((item) => list(item.content).filter((part) => part.type === 'output_text').map((part) => str(part.text)))
        .join('');
    }
    return list(body.content)
      .filter((block) => block.type === 'text')
      .map((block) => str(block.text))
      .join('');
  }
  const frames = sseData(text);
  if (wire === 'chat') return frames.map((f) => str(record(record(list(f.choices)[0]).delta).content)).join('');
  if (wire === 'responses') return frames.filter((f) => f.type === 'response.output_text.delta').map((f) => str(f.delta)).join('');
  return frames
    .filter((f) => f.type === 'content_block_delta' && record(f.delta).type === 'text_delta')
    .map((f) => str(record(f.delta).text))
    .join('');
}

/** How each wire's stream says it ended well: the last frame a complete stream sends. */
const STREAM_END: Record<Wire, { readonly test: (text: string) => boolean; readonly what: string }> = {
  chat: { test: (t) => t.trimEnd().endsWith('data: [DONE]'), what: 'data: [DONE]' },
  responses: { test: (t) => t.includes('"type":"response.completed"'), what: 'a response.completed event' },
  messages: { test: (t) => t.includes('"type":"message_stop"'), what: 'a message_stop event' },
};

/** The stream's end marker, as the report names it. */
export const streamEndOf = (wire: Wire): string => STREAM_END[wire].what;

/**
 * The check of one answer in the load loop: HTTP 200, and the expected text (whole answers; `expectedInJson`
 * is the text as it appears inside a JSON string) or the stream's end marker. Undefined when it passes.
 */
export function checkAnswer(wire: Wire, stream: boolean, status: number, text: string, expectedInJson: string): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 150)}`;
  if (!stream) return text.includes(expectedInJson) ? undefined : `not the expected answer: ${text.slice(0, 150)}`;
  return STREAM_END[wire].test(text) ? undefined : `stream without ${STREAM_END[wire].what}: …${text.slice(-150)}`;
}

/**
 * The first content byte of a stream: the first non-empty text delta (chat: `delta.content`; Responses:
 * a `response.output_text.delta` event's `delta`; Messages: a `text_delta`'s `text`), which is when a user sees something.
 */
export const FIRST_CONTENT: Record<Wire, RegExp> = {
  chat: /"content":\s*"[^"]/,
  responses: /"delta":\s*"[^"]/,
  messages: /"text":\s*"[^"]/,
};
