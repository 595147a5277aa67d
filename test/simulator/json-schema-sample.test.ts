import { z } from 'zod';
import { sampleObject, sampleOf, structuredText } from '../../src/simulator/json-schema-sample';

describe('JSON Schema samples', () => {
  test('a sample of a schema written with zod parses with that zod schema: required only, constraints met, first branch of a union', () => {
    const schema = z.object({
      title: z.string().min(10).max(12),
      count: z.number().int().min(3),
      ratio: z.number().gt(2).multipleOf(0.5),
      tags: z.array(z.object({ on: z.boolean(), kind: z.enum(['a', 'b']) })).min(2),
      when: z.iso.datetime(),
      email: z.email(),
      maybe: z.string().nullable(),
      either: z.union([z.literal(5), z.string()]),
      skipped: z.string().optional(),
    });
    const sample = sampleOf(z.toJSONSchema(schema));
    expect(schema.parse(sample)).toEqual({
      title: 'examplexxx',
      count: 3,
      ratio: 3,
      tags: [{ on: true, kind: 'a' }, { on: true, kind: 'a' }],
      when: '2024-01-01T00:00:00Z',
      email: 'user@example.com',
      maybe: 'example',
      either: 5,
    });
  });

  test('no required list: every property; const, nested objects, tuples and a missing schema', () => {
    expect(sampleOf({
      type: 'object',
      properties: { a: { const: 'fixed' }, b: { type: 'object', properties: { c: { type: 'integer', maximum: -2 } } }, d: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'null' }] } },
    })).toEqual({ a: 'fixed', b: { c: -2 }, d: ['example', null] });
    expect(sampleObject(undefined)).toEqual({});
    expect(sampleObject({ type: 'string' })).toEqual({});
  });

  test('a recursive schema stops at a bounded depth instead of looping', () => {
    const node: Record<string, unknown> = { type: 'object', properties: {}, required: ['child'] };
    (node.properties as Record<string, unknown>).child = node;
    let depth = 0;
    for (let value = sampleOf(node) as Record<string, unknown>; value.child !== undefined; value = value.child as Record<string, unknown>) depth++;
    expect(depth).toBe(12);
  });

  test('structured text: json_object wraps the reply, json_schema carries it in the first free-text string, text passes through', () => {
    expect(JSON.parse(structuredText('hi there', 'json_object', undefined))).toEqual({ answer: 'hi there' });
    const schema = z.object({ id: z.uuid(), level: z.enum(['low', 'high']), summary: z.string(), note: z.string() });
    const parsed = schema.parse(JSON.parse(structuredText('hi there', 'json_schema', z.toJSONSchema(schema))));
    expect(parsed).toEqual({ id: '00000000-0000-4000-8000-000000000000', level: 'low', summary: 'hi there', note: 'example' });
    expect(structuredText('hi there', 'text', undefined)).toBe('hi there');
  });
});

test("a client's schema cannot make a sample huge: item and length bounds are capped", () => {
  const sampled = sampleOf({ type: 'object', properties: { a: { type: 'array', minItems: 1e9, items: { type: 'string', minLength: 1e9 } } }, required: ['a'] }) as { a: string[] };
  expect(sampled.a).toHaveLength(100);
  expect(sampled.a[0]).toHaveLength(4096);
});

test('nesting cannot multiply the caps: one budget bounds the whole sample', () => {
  const nested = { type: 'array', minItems: 100, items: { type: 'array', minItems: 100, items: { type: 'array', minItems: 100, items: { type: 'string', minLength: 4096 } } } };
  const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, nested])) };
  for (const schema of [nested, wide]) expect(JSON.stringify(sampleOf(schema)).length).toBeLessThan(1_000_000);
});
