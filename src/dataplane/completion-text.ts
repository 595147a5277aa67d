import { BACKSLASH, COLON, QUOTE } from './json-bytes';

/**
 * How much completion text raw response bytes carry: the lengths of the string values of the
 * members that hold generated text in either wire format (OpenAI `content`, `arguments`,
 * `reasoning_content`, `refusal`, completions' `text`, the Responses API's `delta` (its `.done` events
 * repeat the text: counted again, erring on charging more); Anthropic `text`, `partial_json`, `thinking`),
 * wherever they sit. Used only when the provider reported no usage (a client gone before the
 * usage chunk, an upstream that never sends one), so that what was relayed is still charged.
 *
 * It reads bytes as they pass (no parse, no framing): each `":` found, a look back at the key.
 * A value cut by a chunk boundary counts up to the boundary; an estimate, like the prompt's.
 * Escapes count as they are written (`\n` is two), which errs on charging more, not less.
 */
export function completionTextChars(chunk: Buffer): number {
  // A plain byte loop: an SSE chunk is a few hundred bytes, where native searches cost more in calls than they save.
  let chars = 0;
  const n = chunk.length;
  for (let i = 1; i < n; i++) {
    // `":` not preceded by a backslash: the end of a key.
    if (chunk[i] !== COLON || chunk[i - 1] !== QUOTE || chunk[i - 2] === BACKSLASH) continue;
    const keyEnd = i - 1;
    let keyStart = keyEnd - 1;
    while (keyStart >= 0 && chunk[keyStart] !== QUOTE) keyStart--;
    if (keyStart < 0 || !isTextKey(chunk, keyStart + 1, keyEnd)) continue;
    let v = i + 1;
    if (chunk[v] === SPACE) v++;
    if (chunk[v] !== QUOTE) continue;
    // The value: up to its closing quote (escapes skipped), or the chunk's end.
    let e = v + 1;
    while (e < n && chunk[e] !== QUOTE) e += chunk[e] === BACKSLASH ? 2 : 1;
    chars += Math.min(e, n) - v - 1;
    i = e;
  }
  return chars;
}

const SPACE = 0x20;
// `delta`: the Responses API's text deltas (a string there; an object in chat and Anthropic streams, which is skipped).
const TEXT_KEYS = ['content', 'arguments', 'reasoning_content', 'refusal', 'text', 'partial_json', 'thinking', 'delta'].map((k) => Buffer.from(k));

function isTextKey(chunk: Buffer, start: number, end: number): boolean {
  const length = end - start;
  for (const key of TEXT_KEYS) {
    if (key.length !== length) continue;
    let k = 0;
    while (k < length && chunk[start + k] === key[k]) k++;
    if (k === length) return true;
  }
  return false;
}
