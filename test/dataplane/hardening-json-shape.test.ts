import fc from 'fast-check';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { parseJsonObject } from '../../src/dataplane/body';
import { checkJsonShape } from '../../src/dataplane/json-shape';
import { UpstreamSimulator } from '../../src/testing';

/** Nesting depth of a parsed value, counted as the scanner counts it (each object or array is one level). */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
}

/** Keys whose text JSON.parse decodes to 'model' or not, written with and without escapes. */
const keyText = fc.oneof(
  fc.constantFrom('"model"', '"mod\\u0065l"', '"\\u006dodel"', '"model "', '"Model"', '"mode"', '"models"', '"m\\"odel"', '"model\\\\"'),
  fc.string().map((s) => JSON.stringify(s)),
);
const valueText = fc.json({ maxDepth: 3 });
/** A top-level object written member by member (duplicate keys possible), spacing varied. */
const objectText = fc
  .tuple(fc.array(fc.tuple(keyText, valueText), { maxLength: 6 }), fc.constantFrom('', ' ', '\n\t '))
  .map(([members, ws]) => `{${ws}${members.map(([k, v]) => `${k}${ws}:${ws}${v}`).join(`,${ws}`)}${ws}}`);

describe('checkJsonShape: one pass over the bytes agrees with JSON.parse', () => {
  test('nesting depth: too_deep exactly when the parsed value is deeper than the limit', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (text, limit) => {
        const parsed: unknown = JSON.parse(text);
        const shape = checkJsonShape(Buffer.from(text), limit, 'model');
        // A top-level object with duplicate 'model' keys cannot come out of fc.json (it writes a parsed object).
        expect(shape === 'too_deep').toBe(depthOf(parsed) > limit);
      }),
      { numRuns: 2000 },
    );
  });

  test("duplicate top-level 'model': refused exactly when two top-level keys decode to 'model'", () => {
    fc.assert(
      fc.property(objectText, (text) => {
        const models = topLevelKeys(text).filter((k) => k === 'model').length;
        expect(checkJsonShape(Buffer.from(text), 64, 'model')).toBe(models > 1 ? 'duplicate_key' : 'ok');
      }),
      { numRuns: 2000 },
    );
  });

  test('quotes, backslashes and colons inside strings are not structure', () => {
    const tricky = '{"a":"\\"model\\":1,","b":"\\\\","model":"x","c":["model", {"model": 1}],"d":"{[{[{["}';
    expect(checkJsonShape(Buffer.from(tricky), 3, 'model')).toBe('ok');
    expect(checkJsonShape(Buffer.from('{"model":"a","mod\\u0065l":"b"}'), 3, 'model')).toBe('duplicate_key');
    expect(checkJsonShape(Buffer.from('{"model" : "a" , "x": {"model":"b"}, "model"\n:"c"}'), 3, 'model')).toBe('duplicate_key');
    expect(checkJsonShape(Buffer.from(`${'['.repeat(129)}${']'.repeat(129)}`), 128, 'model')).toBe('too_deep');
    expect(checkJsonShape(Buffer.from(`${'['.repeat(128)}${']'.repeat(128)}`), 128, 'model')).toBe('ok');
  });

  test('the body reader refuses both with a 400 naming the limit or the key', () => {
    const deep = Buffer.from(`{"model":"m","x":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(() => parseJsonObject(deep, 128)).toThrow(expect.objectContaining({ status: 400, code: 'json_too_deep', message: expect.stringContaining('128 levels') }));
    expect(() => parseJsonObject(Buffer.from('{"model":"cheap","model":"dear"}'), 128)).toThrow(
      expect.objectContaining({ status: 400, code: 'duplicate_key', message: expect.stringContaining("'model'") }),
    );
  });
});

/** The top-level keys of an object text, decoded, in order, duplicates kept: parsed member by member. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let i = text.indexOf('{') + 1;
  const skip = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  for (;;) {
    skip();
    if (text[i] === '}') return keys;
    // The key: the shortest prefix that parses as a JSON string.
    let end = i + 1;
    for (; ; end++) {
      if (text[end] === '"' && (() => {
        try {
          JSON.parse(text.slice(i, end + 1));
          return true;
        } catch {
          return false;
        }
      })()) break;
    }
    keys.push(JSON.parse(text.slice(i, end + 1)) as string);
    i = end + 1;
    skip();
    i++; // ':'
    skip();
    // The value: the shortest prefix up to a top-level ',' or '}' that parses.
    let v = i;
    for (; ; v++) {
      if ((text[v] === ',' || text[v] === '}') && parses(text.slice(i, v))) break;
    }
    i = v;
    if (text[i] === ',') i++;
  }
}

function parses(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

describe('through the gateway', () => {
  test("a deeply nested body gets 400 naming the limit, and a duplicate 'model' gets 400 naming the key; nothing reaches the upstream", async () => {
    const sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, maxJsonDepth: 64 } }));
    try {
      const post = (body: string) =>
        fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' }, body });
      const deep = await post(`{"model":"gpt-4o","messages":[{"role":"user","content":${'['.repeat(5000)}${']'.repeat(5000)}}]}`);
      expect(deep.status).toBe(400);
      const deepBody = (await deep.json()) as { error: { code: string; message: string } };
      expect(deepBody.error.code).toBe('json_too_deep');
      expect(deepBody.error.message).toContain('64 levels');
      const twice = await post('{"model":"gpt-4o","messages":[],"model":"gpt-4o-mini"}');
      expect(twice.status).toBe(400);
      expect(((await twice.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: 'duplicate_key', param: 'model' });
      expect(sim.requests).toHaveLength(0);
      const fine = await post(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(60)}${']'.repeat(60)}}`);
      expect(fine.status).toBe(200);
    } finally {
      await gw.close();
      await sim.close();
    }
  });
});
