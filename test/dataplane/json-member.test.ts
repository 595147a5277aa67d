import fc from 'fast-check';
import { topLevelObjectMember } from '../../src/dataplane/json-member';
import { openAiStreamUsage, usageOfJson } from '../../src/dataplane/usage';

const asObject = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));

describe('topLevelObjectMember', () => {
  test('agrees with JSON.parse on any object, however it is spaced', () => {
    const usage = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue());
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.option(usage, { nil: undefined }), fc.constantFrom(0, 2, '\t'), (rest, u, space) => {
        const doc: Record<string, unknown> = { ...rest };
        if (u !== undefined) doc.usage = u;
        const text = JSON.stringify(doc, null, space);
        // The oracle: what JSON.parse reads from the same text (it also turns -0 into 0).
        const parsed = (JSON.parse(text) as { usage?: unknown }).usage;
        const expected = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
        expect(asObject(topLevelObjectMember(text, 'usage'))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  test('only the top level counts: a nested or quoted "usage" is not it', () => {
    const doc = {
      content: [{ type: 'tool_use', input: { usage: { input_tokens: 999 } } }],
      text: 'say "usage": {"input_tokens": 7} \\"usage\\"',
      usage: { input_tokens: 3, output_tokens: 4 },
    };
    expect(asObject(topLevelObjectMember(JSON.stringify(doc), 'usage'))).toEqual({ input_tokens: 3, output_tokens: 4 });
    expect(topLevelObjectMember(JSON.stringify({ a: { usage: { x: 1 } } }), 'usage')).toBeUndefined();
  });

  test('not an object at the top, truncated, or a non-object value: undefined', () => {
    expect(topLevelObjectMember('[{"usage":{"a":1}}]', 'usage')).toBeUndefined();
    expect(topLevelObjectMember('{"usage":{"a":1', 'usage')).toBeUndefined();
    expect(topLevelObjectMember('{"usage":[1]}', 'usage')).toBeUndefined();
    expect(topLevelObjectMember('{"text":"unterminated', 'usage')).toBeUndefined();
    expect(topLevelObjectMember('', 'usage')).toBeUndefined();
  });
});

describe('usageOfJson', () => {
  test('OpenAI and Anthropic shapes, cache tokens counted as input', () => {
    expect(usageOfJson('{"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}')).toEqual({ inputTokens: 2, outputTokens: 3 });
    expect(usageOfJson('{"content":[],"usage":{"input_tokens":5,"output_tokens":1,"cache_read_input_tokens":10}}')).toEqual({ inputTokens: 15, outputTokens: 1 });
    expect(usageOfJson('{"choices":[]}')).toBeUndefined();
    expect(usageOfJson('not json')).toBeUndefined();
  });
});

describe('openAiStreamUsage', () => {
  test('reads the usage-only chunk in compact JSON and in Python-style spacing', () => {
    for (const data of [
      '{"id":"c","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6}}',
      '{"id": "c", "choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 6}}',
    ]) {
      const reader = openAiStreamUsage();
      const plain = '{"id":"c","choices":[{"delta":{"content":"x"}}],"usage":null}';
      // The raw-bytes pre-check agrees with see(): only the usage chunk may carry usage.
      expect(reader.mayCarryUsage(Buffer.from(`data: ${plain}\n\n`))).toBe(false);
      expect(reader.mayCarryUsage(Buffer.from(`data: ${data}\n\n`))).toBe(true);
      expect(reader.see(plain)).toBe(false);
      expect(reader.see(data)).toBe(true);
      expect(reader.usage()).toEqual({ inputTokens: 4, outputTokens: 6 });
    }
  });
});
