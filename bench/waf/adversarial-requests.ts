import { builtInRules } from '../../src/dataplane/waf/engine';
import type { WafRequest } from '../../src/dataplane/waf/targets';

/**
 * Requests built to make the WAF as slow as it can be (issue #16: no input may cost more than 10 ms of inspection).
 * Each is a fragment repeated to fill one slot of a request to the engine's limits (WafEngineOptions): the path and
 * the inspected headers at 8 KiB a value, 100 headers, a query of 1,024 parameters, body strings filling the 32 KiB
 * of non-message data, 64 KiB of message text, deep JSON, and many tiny values (whose cost is per value, not per
 * character). The fragments are runs a pattern's quantifiers and alternations could backtrack on, and the literal
 * words of every built-in pattern (a rule's own prefixes, repeated without the ending it waits for).
 */

export interface AdversarialRequest {
  /** What it is: `<slot> × <fragment>`. */
  readonly name: string;
  readonly request: WafRequest;
}

/** Runs that make a careless pattern or normalization backtrack or re-scan: the encodings, comment and markup starts. */
const HANDPICKED = [
  'a', ' ', '<', '>', "'", '"', '`', '%', '%2', '%25', '%252', '%c0', '%c0%', '%u', '%u00', '&#', '&#x', '&#0', '&#x0', '&l', '&lt', '\\', '\\x', '\\u', '\\u{',
  '/', '//', '../', '..', '.', './', '..;/', '-', '--', '/*', '*/', '/*!', '#', ';', '|', '&', '$(', '${', '(', ')', '[', ']', '{', '{a,', '!', '+', '+ad',
  '=', '0', '1', '0x2e', '0x', "' or ", "'or", ' or 1', ' or a ', 'union ', 'select ', 'select a ', 'case when ', 'on', ' on', 'onload', '<a ', '<a', '<!',
  '"><', 'java', 'j ', 'j\t', 'script', 'data:', 'nc -a ', 'cat ', ';cat', '; ', '/bin/', '/???', '/?', '?', 'etc/', '/etc/', 'home/a', '\r\n', '\n',
  '\0', '\u0001', 'é', '．', '＜', '忽略', '你现在是', '输出', 'ignore ', 'ignore the ', 'reveal ', 'reveal the ', 'reveal a ', 'show your ', 'send ',
  'send a ', '![', '![a](http://a?', 'you are ', 'do a ', 'from now on ', '### ', '<|', '[inst', 'a=', 'a,', 'a;', ' ,',
];

/** The literal words of every built-in pattern (`union`, `etc/passwd`, `ignore`, …), each the start of a partial match. */
function patternWords(): string[] {
  const words = new Set<string>();
  for (const rule of builtInRules()) {
    if (!rule.pattern) continue;
    // Escaped punctuation as itself, then runs of word characters and the punctuation rules spell out literally.
    const source = rule.pattern.source.replace(/\\([^a-zA-Z0-9])/g, '$1').replace(/\\[a-zA-Z]/g, ' ');
    for (const word of source.match(/[a-z0-9_\u4e00-\u9fff][a-z0-9_.:/@\u4e00-\u9fff-]{1,}/g) ?? []) words.add(word);
  }
  return [...words];
}

/** Pattern words alone and followed by a space (a phrase rule's next word), not already handpicked. */
function wordFragments(): string[] {
  const words = patternWords();
  return [...new Set([...words, ...words.map((w) => `${w} `)])].filter((w) => !HANDPICKED.includes(w));
}

/** `fragment` repeated to exactly `chars` characters. */
export function fill(fragment: string, chars: number): string {
  return fragment.repeat(Math.ceil(chars / fragment.length)).slice(0, chars);
}

const KIB = 1024;
/** Everything but the fragment kept small and valid, so the slot under test is what costs. */
const BASE = { method: 'POST', rawPath: '/v1/chat/completions', headers: { 'content-type': 'application/json', 'user-agent': 'OpenAI/JS 4.77.0' }, routeKind: 'model' as const };
const BASE_BODY = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] };
const INSPECTED_HEADERS = ['user-agent', 'referer', 'x-forwarded-for', 'x-real-ip', 'forwarded', 'origin', 'x-original-url', 'x-rewrite-url', 'x-forwarded-host'];

/** A fragment as it can stand in a request target: kept raw where it can, percent-encoded where it would end the slot. */
function inTarget(s: string, alsoEncode: RegExp): string {
  return s.replace(alsoEncode, (c) => encodeURIComponent(c)).replace(/[\s\0-\u001f\u007f#?]/g, (c) => encodeURIComponent(c));
}

/**
 * The slots of a request, each filled to its limit with one fragment. Those marked `long` hold long text, where a
 * pattern's scan is what costs: they get every fragment; the others (many short values, where the cost is per value)
 * get the handpicked ones.
 */
const SLOTS: ReadonlyArray<readonly [string, (f: string) => WafRequest, 'long'?]> = [
  ['path 8 KiB', (f) => ({ ...BASE, body: BASE_BODY, rawPath: `/v1/${inTarget(fill(f, 8 * KIB), /[]/g)}`.slice(0, 8 * KIB) }), 'long'],
  ['path 8 KiB, encoded', (f) => ({ ...BASE, body: BASE_BODY, rawPath: `/v1/${encodeURIComponent(fill(f, 8 * KIB))}`.slice(0, 8 * KIB) })],
  [
    'query 4 × 8 KiB',
    (f) => {
      const value = inTarget(fill(f, 8 * KIB), /[&=+%]/g).slice(0, 8 * KIB);
      return { ...BASE, body: BASE_BODY, rawPath: `/v1/chat/completions?a=${value}&b=${value}&c=${value}&d=${value}` };
    },
    'long',
  ],
  [
    'query 4 × 8 KiB, raw %',
    (f) => {
      const value = inTarget(fill(f, 8 * KIB), /[&=+]/g).slice(0, 8 * KIB);
      return { ...BASE, body: BASE_BODY, rawPath: `/v1/chat/completions?a=${value}&b=${value}&c=${value}&d=${value}` };
    },
  ],
  [
    'query 1,024 params',
    (f) => {
      const value = inTarget(fill(f, 24), /[&=+%]/g);
      return { ...BASE, body: BASE_BODY, rawPath: `/v1/chat/completions?${Array.from({ length: 1024 }, (_, i) => `${value}${i}=${value}`).join('&')}` };
    },
  ],
  [
    'headers 100 × 8 KiB',
    (f) => {
      const value = fill(f.replace(/[\r\n]/g, ' '), 8 * KIB);
      const headers: Record<string, string> = { ...BASE.headers };
      for (const name of INSPECTED_HEADERS) headers[name] = value;
      for (let i = Object.keys(headers).length; i < 99; i++) headers[`x-pad-${i}`] = value;
      headers.cookie = fill(`a=${f.replace(/[;\r\n]/g, ' ')};`, 8 * KIB);
      return { ...BASE, body: BASE_BODY, headers };
    },
  ],
  ['cookie 8 KiB of crumbs', (f) => ({ ...BASE, body: BASE_BODY, headers: { ...BASE.headers, cookie: fill(`a=${fill(f.replace(/[;\r\n]/g, ' '), 6)};`, 8 * KIB) } })],
  ['body 32 KiB string', (f) => ({ ...BASE, body: { ...BASE_BODY, user: fill(f, 32 * KIB) } }), 'long'],
  ['body 4 × 8 KiB strings', (f) => ({ ...BASE, body: { ...BASE_BODY, user: fill(f, 8 * KIB), metadata: { a: fill(f, 8 * KIB), b: fill(f, 8 * KIB), c: fill(f, 8 * KIB) } } })],
  ['body 1,024 short values', (f) => ({ ...BASE, body: { ...BASE_BODY, metadata: Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`${fill(f, 12)}${i}`, fill(f, 16)])) } })],
  ['body 100,000 entries', (f) => ({ ...BASE, body: { ...BASE_BODY, metadata: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`${fill(f, 4)}${i}`, fill(f, 4)])) } })],
  [
    'body nested 64 deep',
    (f) => {
      let body: unknown = fill(f, 256);
      for (let i = 0; i < 100; i++) body = { [fill(f, 256)]: body, v: fill(f, 256) };
      return { ...BASE, body: { ...BASE_BODY, metadata: body } };
    },
  ],
  ['message 64 KiB', (f) => ({ ...BASE, body: { model: 'gpt-4o', messages: [{ role: 'user', content: fill(f, 64 * KIB) }] } }), 'long'],
  ['messages 65,536 × 1 char', (f) => ({ ...BASE, body: { model: 'gpt-4o', messages: Array.from({ length: 65_536 }, (_, i) => ({ role: 'user', content: f[i % f.length] })) } })],
  [
    'messages 1,024 × 64 chars',
    (f) => ({ ...BASE, body: { model: 'gpt-4o', messages: Array.from({ length: 1024 }, () => ({ role: 'user', content: [{ type: 'text', text: fill(f, 64) }] })) } }),
  ],
  [
    'everything at its limit',
    (f) => {
      const headers: Record<string, string> = { ...BASE.headers };
      for (const name of INSPECTED_HEADERS) headers[name] = fill(f.replace(/[\r\n]/g, ' '), 8 * KIB);
      return {
        ...BASE,
        rawPath: `/v1/${inTarget(fill(f, 8 * KIB), /[]/g)}`.slice(0, 8 * KIB),
        headers,
        body: { model: 'gpt-4o', user: fill(f, 32 * KIB), messages: [{ role: 'system', content: fill(f, 32 * KIB) }, { role: 'user', content: fill(f, 32 * KIB) }] },
      };
    },
    'long',
  ],
];

export interface AdversarialCase {
  readonly slot: string;
  readonly fragment: string;
}

/** Every slot and fragment to try: long slots with every fragment, the others with the handpicked ones. */
export function adversarialCases(): AdversarialCase[] {
  const words = wordFragments();
  return SLOTS.flatMap(([slot, , long]) => [...HANDPICKED, ...(long ? words : [])].map((fragment) => ({ slot, fragment })));
}

export const SLOT_NAMES = SLOTS.map(([name]) => name);

/** The request of one slot and fragment, built when asked (some are megabytes). */
export function adversarialRequest({ slot, fragment }: AdversarialCase): AdversarialRequest {
  const build = SLOTS.find(([name]) => name === slot)?.[1];
  if (!build) throw new Error(`no slot ${JSON.stringify(slot)}: the slots are ${SLOT_NAMES.join(', ')}`);
  return { name: `${slot} × ${JSON.stringify(fragment)}`, request: build(fragment) };
}
