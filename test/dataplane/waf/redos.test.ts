import { performance } from 'perf_hooks';
import { builtInRuleGroups, builtInRules, compileWaf } from '../../../src/dataplane/waf/engine';
import { commandForm, compressSpaces, htmlDecode, pathForm, percentDecode, sqlForm } from '../../../src/dataplane/waf/normalize';
import { cmdiRules } from '../../../src/dataplane/waf/rules/cmdi';
import { promptInjectionRules } from '../../../src/dataplane/waf/rules/prompt-injection';
import { protocolRules } from '../../../src/dataplane/waf/rules/protocol';
import { sqliRules } from '../../../src/dataplane/waf/rules/sqli';
import { traversalRules } from '../../../src/dataplane/waf/rules/traversal';
import { xssRules } from '../../../src/dataplane/waf/rules/xss';
import { collectTargets, type TargetOptions } from '../../../src/dataplane/waf/targets';
import { WARM_UP_REQUEST } from '../../../src/dataplane/waf/warm-up';

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
  // The worst cases bench/waf/worst-case.ts found: a brace or image start repeated (each start scanned the next ones),
  // MySQL's executable comment (each searched the rest of the value for its end), and the runs that make a normalization
  // replace every other character.
  '{a,', '![a](http://a?', '/*!', 'j\t', 'a,', '&lt', '&#0', '+', '%c0%', '%u', 'post ', 'leak ',
];
const inputs = FRAGMENTS.map((f) => f.repeat(Math.ceil(SIZE / f.length)).slice(0, SIZE));
// The same runs with an ending most patterns wait for appended, and one they never get.
const endings = ['', 'x', '=', ':', '\n'];

// Each rule's pattern, and the alternations of them the engine tests first (one per kind of value and form).
const rules = [...builtInRules().filter((r) => r.pattern !== undefined), ...builtInRuleGroups().map((g) => ({ id: `any ${g.id}`, pattern: g.pattern }))];

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

  // 2 MB each (built one at a time): a normalization that does more than linear work (a search of the rest of the
  // value per occurrence, as sqlForm once did on `/*!`: 15 s here, where linear ones take about 1 s for all
  // fragments) trips the timeout, where 100 KB would pass.
  const LONG = 2_000_000;
  test.each([
    ['percentDecode', (s: string) => percentDecode(s, true)],
    ['htmlDecode', htmlDecode],
    ['sqlForm', sqlForm],
    ['pathForm', pathForm],
    ['commandForm', commandForm],
    ['compressSpaces', compressSpaces],
  ] as const)('%s finishes on 2 MB of every fragment', (name, normalize) => {
    let slowest = { ms: 0, fragment: '' };
    for (const [i, fragment] of FRAGMENTS.entries()) {
      const input = fragment.repeat(Math.ceil(LONG / fragment.length)).slice(0, LONG);
      const start = performance.now();
      normalize(input);
      const ms = performance.now() - start;
      if (ms > slowest.ms) slowest = { ms, fragment: FRAGMENTS[i] };
    }
    console.log(`${name}: slowest ${slowest.ms.toFixed(2)} ms per 2 MB, on ${JSON.stringify(slowest.fragment)} repeated`);
  }, 10_000);

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

  // What a request costs has a part per value as well as per character: these shapes have many values, not long ones.
  const targetOptions: TargetOptions = {
    inspectMessages: true,
    userMessages: true,
    maxValueChars: 8192,
    maxValues: 1024,
    maxDataChars: 32_768,
    maxMessageChars: 65_536,
  };

  test('65,536 one-character messages are not 65,536 pieces of text to inspect: at most 256 are read', () => {
    const messages = Array.from({ length: 65_536 }, () => ({ role: 'user', content: 'a' }));
    const { targets } = collectTargets({ method: 'POST', rawPath: '/v1/chat/completions', headers: {}, body: { model: 'm', messages }, routeKind: 'model' }, targetOptions);
    expect(targets.filter((t) => t.kind === 'message')).toHaveLength(256);
  });

  test('a body of 100,000 entries is walked only as far as the budget and maxValues more entries, its messages still read', () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v']));
    let entriesRead = 0;
    const counting = new Proxy(wide, {
      get(target, key) {
        entriesRead++;
        return Reflect.get(target, key);
      },
    });
    const { targets, valuesOverLimit } = collectTargets(
      { method: 'POST', rawPath: '/v1/chat/completions', headers: {}, body: { model: 'm', metadata: counting, messages: [{ role: 'user', content: 'last' }] }, routeKind: 'model' },
      targetOptions,
    );
    expect(valuesOverLimit).toBeGreaterThan(0);
    expect(entriesRead).toBeLessThanOrEqual(2 * targetOptions.maxValues);
    expect(targets.some((t) => t.kind === 'message' && t.raw === 'last')).toBe(true);
  });

  test('the request an engine warms up on has a value of every kind a built-in rule reads, user message text included', () => {
    const { targets } = collectTargets(WARM_UP_REQUEST, targetOptions);
    const kinds = new Set(targets.map((t) => t.kind));
    const familyRules = [...sqliRules, ...xssRules, ...traversalRules, ...cmdiRules, ...protocolRules, ...promptInjectionRules];
    const read = new Set(familyRules.flatMap((r) => r.kinds));
    for (const kind of read) expect([kind, kinds.has(kind)]).toEqual([kind, true]);
    expect(targets.some((t) => t.kind === 'message' && t.fromUser)).toBe(true);
  });
});
