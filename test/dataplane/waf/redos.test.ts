import { performance } from 'perf_hooks';
import { builtInRules, compileWaf } from '../../../src/dataplane/waf/engine';
import { commandForm, htmlDecode, pathForm, percentDecode, sqlForm } from '../../../src/dataplane/waf/normalize';

/**
 * Every built-in pattern and every normalization run on 100 KB inputs built from the fragments that make a
 * backtracking engine slow on a careless pattern (long runs of what a quantifier accepts, with the ending it waits
 * for missing). A pattern that backtracks badly takes minutes on these and trips the per-test timeout. Times are
 * printed for the bench to report, never asserted.
 */

const SIZE = 100_000;
const FRAGMENTS = [
  'a', ' ', '<', '>', "'", '"', '`', '%', '%2', '%25', '%c0', '&#', '&#x', '\\', '\\x', '/', '../', '..', '.', '-', '--', '/*', '*/', '#',
  ';', '|', '&', '$(', '${', '(', ')', '[', ']', '{', '!', '+', '=', '0', '1', '0x2e', "' or ", ' or 1', 'union ', 'select ', 'on', ' on',
  '<a ', '<a', 'java', 'j ', 'script', 'data:', 'nc -a ', 'cat ', ';cat', '/bin/', '/???', '?', 'etc/', 'ignore ', 'ignore the ',
  'reveal the ', 'send ', '![', 'you are ', '忽略', '\r\n', '\0', 'é',
];
const inputs = FRAGMENTS.map((f) => f.repeat(Math.ceil(SIZE / f.length)).slice(0, SIZE));
// The same runs with an ending most patterns wait for appended, and one they never get.
const endings = ['', 'x', '=', ':', '\n'];

const rules = builtInRules().filter((r) => r.pattern !== undefined);

describe('built-in patterns on adversarial inputs', () => {
  test.each(rules.map((r) => [r.id, r.pattern!] as const))(
    '%s finishes on 100 KB of every fragment',
    (id, pattern) => {
      let slowest = { ms: 0, fragment: '' };
      for (const [i, input] of inputs.entries()) {
        for (const ending of endings) {
          const start = performance.now();
          pattern.test(input + ending);
          const ms = performance.now() - start;
          if (ms > slowest.ms) slowest = { ms, fragment: FRAGMENTS[i] + ending };
        }
      }
      console.log(`${id}: slowest ${slowest.ms.toFixed(2)} ms per 100 KB, on ${JSON.stringify(slowest.fragment)} repeated`);
      expect(pattern.global || pattern.sticky).toBe(false); // test() on a shared global RegExp would carry lastIndex between requests
    },
    20_000,
  );

  test.each([
    ['percentDecode', (s: string) => percentDecode(s, true)],
    ['htmlDecode', htmlDecode],
    ['sqlForm', sqlForm],
    ['pathForm', pathForm],
    ['commandForm', commandForm],
  ] as const)('%s finishes on 100 KB of every fragment', (name, normalize) => {
    let slowest = 0;
    for (const input of inputs) {
      const start = performance.now();
      normalize(input);
      slowest = Math.max(slowest, performance.now() - start);
    }
    console.log(`${name}: slowest ${slowest.toFixed(2)} ms per 100 KB`);
  }, 20_000);

  test('a whole request of adversarial values finishes, each value cut to the per-value and per-request limits', () => {
    const engine = compileWaf({ families: { 'prompt-injection': true }, inspectMessages: true });
    // One request first, so the printed times are of compiled code, not of the first run's compilation.
    engine.inspect({ method: 'GET', rawPath: '/v1/models?q=%27', headers: { 'user-agent': 'x' }, body: { user: 'u' }, routeKind: 'model' });
    let slowest = { ms: 0, fragment: '' };
    for (const [i, input] of inputs.entries()) {
      // The request line and headers as large as Node lets them be (16 KiB in all by default), the body values 100 KB.
      const short = input.slice(0, 2048);
      const start = performance.now();
      const result = engine.inspect({
        method: 'POST',
        rawPath: `/v1/chat/completions/${encodeURIComponent(short)}?q=${encodeURIComponent(short)}`,
        headers: { 'user-agent': short, 'referer': short, 'cookie': `a=${encodeURIComponent(short)}` },
        body: { model: 'gpt-4o', user: input, metadata: { note: input }, messages: [{ role: 'user', content: input }] },
        routeKind: 'model',
      });
      const ms = performance.now() - start;
      if (ms > slowest.ms) slowest = { ms, fragment: FRAGMENTS[i] };
      expect(result.anomalyScore).toBeGreaterThanOrEqual(0);
    }
    console.log(`whole request: slowest ${slowest.ms.toFixed(2)} ms, on ${JSON.stringify(slowest.fragment)} repeated in every value`);
  }, 60_000);
});
