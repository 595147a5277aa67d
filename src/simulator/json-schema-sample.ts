/**
 * A small deterministic JSON Schema sample generator: the simulator's tool-call arguments and structured
 * outputs (`json_schema` response formats) must satisfy the schema the client sent, or a client that
 * validates them (an agent framework, a strict SDK parser) would reject the simulated answer.
 * Covers what tool and response schemas use in practice: objects, arrays, scalars, enum/const,
 * anyOf/oneOf/allOf (first branch), nullable type lists. `$ref` is not resolved (an empty object stands in).
 */
import { isRecord } from './responses';

/** How deep nested objects and arrays are filled before giving up with an empty value (a recursive schema cannot loop). */
const MAX_DEPTH = 12;

/** The placeholder string, padded to `minLength` and cut to `maxLength`. */
const PLACEHOLDER = 'example';

/**
 * A value satisfying `schema`. With `text`, the first free-text string (no enum, const, format or pattern)
 * in property order gets `text` instead of the placeholder, so a structured answer can still carry the
 * simulated reply. A missing or non-object schema gives `{}` (what a parameterless tool takes).
 */
export function sampleOf(schema: unknown, text?: string): unknown {
  const slot = { text, used: false, budget: SAMPLE_BUDGET };
  return isRecord(schema) ? sample(schema, slot, 0) : {};
}

/** A sample that is an object: tool arguments are always one. */
export function sampleObject(schema: unknown): Record<string, unknown> {
  const value = sampleOf(schema);
  return isRecord(value) ? value : {};
}

interface TextSlot {
  readonly text: string | undefined;
  used: boolean;
  /** Items and padding characters the sample may still add: nesting multiplies bounds, the budget does not. */
  budget: number;
}

/** The most array items and padding characters one sample adds in all, however the schema nests them. */
const SAMPLE_BUDGET = 65_536;

function sample(schema: Record<string, unknown>, slot: TextSlot, depth: number): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const branch = firstBranch(schema);
  if (branch !== undefined) return sample({ ...withoutBranches(schema), ...branch }, slot, depth);
  switch (typeOf(schema)) {
    case 'object': return depth >= MAX_DEPTH ? {} : objectSample(schema, slot, depth);
    case 'array': return depth >= MAX_DEPTH ? [] : arraySample(schema, slot, depth);
    case 'string': return stringSample(schema, slot);
    case 'integer': return numberSample(schema, true);
    case 'number': return numberSample(schema, false);
    case 'boolean': return true;
    case 'null': return null;
    default: return {};
  }
}

/** The schema's type: the first non-null entry of a type list, else guessed from `properties` / `items`. */
function typeOf(schema: Record<string, unknown>): string | undefined {
  const { type } = schema;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? type[0];
  if (isRecord(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function firstBranch(schema: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const list = schema[key];
    if (Array.isArray(list)) {
      // A nullable union (`anyOf: [{type:'null'}, X]`): prefer the non-null branch, which carries more.
      const branch = list.find((b) => isRecord(b) && b.type !== 'null') ?? list[0];
      if (isRecord(branch)) return key === 'allOf' ? Object.assign({}, ...list.filter(isRecord)) as Record<string, unknown> : branch;
    }
  }
  return undefined;
}

function withoutBranches(schema: Record<string, unknown>): Record<string, unknown> {
  const { anyOf: _anyOf, oneOf: _oneOf, allOf: _allOf, ...rest } = schema;
  return rest;
}

/** Required properties, or every property when none is required (a sample that shows the whole shape). */
function objectSample(schema: Record<string, unknown>, slot: TextSlot, depth: number): Record<string, unknown> {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  // In property order (so the reply lands in the first string a schema lists), then required names with no property schema.
  const keys = required.length > 0
    ? Object.keys(properties).filter((k) => required.includes(k)).concat(required.filter((k) => !(k in properties)))
    : Object.keys(properties);
  const value: Record<string, unknown> = {};
  for (const key of keys) {
    const property = properties[key];
    value[key] = isRecord(property) ? sample(property, slot, depth + 1) : PLACEHOLDER;
  }
  return value;
}

function arraySample(schema: Record<string, unknown>, slot: TextSlot, depth: number): unknown[] {
  // The schema is a client's: its bounds are capped, so that `minItems: 1e9` cannot exhaust the simulator.
  const minItems = typeof schema.minItems === 'number' ? Math.min(MAX_SAMPLE_ITEMS, Math.max(1, Math.floor(schema.minItems))) : 1;
  const bounded = typeof schema.maxItems === 'number' ? Math.min(minItems, Math.max(0, Math.floor(schema.maxItems))) : minItems;
  const count = Math.max(0, Math.min(bounded, slot.budget));
  slot.budget -= count;
  if (Array.isArray(schema.prefixItems)) {
    return schema.prefixItems.map((item) => (isRecord(item) ? sample(item, slot, depth + 1) : PLACEHOLDER));
  }
  const items = isRecord(schema.items) ? schema.items : {};
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(isRecord(schema.items) ? sample(items, slot, depth + 1) : PLACEHOLDER);
  return out;
}

/** The most items and characters a sample holds, whatever the schema asks. */
const MAX_SAMPLE_ITEMS = 100;
const MAX_SAMPLE_CHARS = 4096;

const FORMATS: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z',
  'date': '2024-01-01',
  'time': '00:00:00Z',
  'email': 'user@example.com',
  'uri': 'https://example.com/',
  'url': 'https://example.com/',
  'uuid': '00000000-0000-4000-8000-000000000000',
  'hostname': 'example.com',
  'ipv4': '192.0.2.1',
  'ipv6': '2001:db8::1',
  'duration': 'PT1S',
};

function stringSample(schema: Record<string, unknown>, slot: TextSlot): string {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format !== undefined) return format;
  let value = PLACEHOLDER;
  if (slot.text !== undefined && !slot.used && schema.pattern === undefined && schema.format === undefined) {
    slot.used = true;
    value = slot.text;
  }
  const minLength = typeof schema.minLength === 'number' ? Math.min(MAX_SAMPLE_CHARS, schema.minLength) : 0;
  const padding = Math.max(0, Math.min(minLength - value.length, slot.budget));
  if (padding > 0) {
    value += 'x'.repeat(padding);
    slot.budget -= padding;
  }
  if (typeof schema.maxLength === 'number') value = value.slice(0, Math.max(minLength, schema.maxLength));
  return value;
}

function numberSample(schema: Record<string, unknown>, integer: boolean): number {
  const { minimum, exclusiveMinimum, maximum, exclusiveMaximum } = schema;
  let value = 1;
  if (typeof minimum === 'number') value = minimum;
  else if (typeof exclusiveMinimum === 'number') value = exclusiveMinimum + 1;
  else if (typeof maximum === 'number' && maximum < 1) value = maximum;
  else if (typeof exclusiveMaximum === 'number' && exclusiveMaximum <= 1) value = exclusiveMaximum - 1;
  if (integer) value = Math.ceil(value);
  const multiple = schema.multipleOf;
  if (typeof multiple === 'number' && multiple > 0) value = Math.ceil(value / multiple) * multiple;
  return value;
}

/**
 * The reply as a structured output: `json_object` wraps it as `{"answer": text}`; `json_schema` gives a
 * sample of the schema carrying the reply in its first free-text string; anything else leaves it as is.
 */
export function structuredText(text: string, format: unknown, schema: unknown): string {
  if (format === 'json_object') return JSON.stringify({ answer: text });
  if (format === 'json_schema') return JSON.stringify(sampleOf(schema, text));
  return text;
}
