import type { WafRequest } from './targets';

/**
 * The first requests an engine inspects would pay for what V8 does once: compiling each rule's regular expression
 * (first interpreted, then compiled to machine code on its next run) and the normalizations' functions. That is
 * 20-35 ms, over the 10 ms a request may cost (issue #16), so an engine inspects this request a few times when it is
 * compiled, at load: about 50 ms for the first engine of a process, little for the next (the rules are shared).
 * The request holds a little of every kind of value and of what each normalization rewrites, so every rule of the
 * engine's families and every branch of the normalizations runs; what it finds is thrown away.
 */
const PIECE = "Hello /*c*/ a\tb, c\n&lt;&#60;&#x3c \\x41\\u0041 %41%2e%c0%ae+x ../a/./b\\c 'q' \"r\" ^s $ifs $(t) `u` {v,w} <p> ";
// Long enough for V8 to optimize the normalizations' loops while they run (a short value leaves them to the first long one).
const TEXT = PIECE.repeat(30);
export const WARM_UP_REQUEST: WafRequest = {
  method: 'POST',
  rawPath: `/v1/chat/completions/${encodeURIComponent(TEXT)}?q=${encodeURIComponent(TEXT)}&${encodeURIComponent(TEXT)}=1`,
  headers: { 'user-agent': TEXT, 'referer': TEXT, 'x-forwarded-for': '10.0.0.1, 10.0.0.2', 'cookie': `a=${encodeURIComponent(TEXT)}` },
  body: {
    model: 'gpt-4o',
    user: TEXT,
    metadata: { [TEXT]: TEXT },
    messages: [
      { role: 'system', content: TEXT },
      { role: 'user', content: [{ type: 'text', text: TEXT }] },
    ],
  },
  routeKind: 'model',
};

/** Runs enough for each regular expression to reach machine code (V8 compiles it on its second run). */
const RUNS = 3;

export function warmUp(inspect: (request: WafRequest) => unknown): void {
  for (let i = 0; i < RUNS; i++) inspect(WARM_UP_REQUEST);
}
