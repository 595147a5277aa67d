import type { JsonObject, JsonValue } from '../../types';
import { isObject } from '../json';

/**
 * A JSON Schema subset, checked by hand (no schema library in the data plane): `type`, `properties`, `required`,
 * `items`, `enum` and `additionalProperties`, plus the annotations that change nothing. Any other keyword is
 * refused when the config is loaded, so that no one believes a constraint (`minimum`, `pattern`, `$ref`) holds
 * that is never checked.
 */

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const;
type SchemaType = (typeof TYPES)[number];
const KEYWORDS = ['type', 'properties', 'required', 'items', 'enum', 'additionalProperties'];
const ANNOTATIONS = ['$schema', '$id', '$comment', 'title', 'description', 'default', 'examples'];
/** Deeper schemas are refused: checking recurses once per level. */
const MAX_DEPTH = 32;

/** What is wrong with `schema` as a schema this guard enforces whole: [] when nothing. */
export function schemaProblems(schema: JsonValue, at = '$', depth = 0): string[] {
  if (typeof schema === 'boolean') return [];
  if (!isObject(schema)) return [`schema at ${at}: must be an object (or true / false), found ${kindOf(schema)}`];
  if (depth > MAX_DEPTH) return [`schema at ${at}: nests deeper than ${MAX_DEPTH} levels`];
  const out: string[] = [];
  for (const key of Object.keys(schema)) {
    if (!KEYWORDS.includes(key) && !ANNOTATIONS.includes(key)) {
      out.push(`schema at ${at}: '${key}' is not checked by json-schema-guard (it checks ${KEYWORDS.join(', ')}); remove it`);
    }
  }
  const { type, properties, required, items, additionalProperties } = schema;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0 || types.some((t) => !(TYPES as readonly JsonValue[]).includes(t))) {
      out.push(`schema at ${at}: type must be one of ${TYPES.join(', ')} (or a list of them), found ${JSON.stringify(type)}`);
    }
  }
  if (properties !== undefined) {
    if (!isObject(properties)) out.push(`schema at ${at}: properties must be an object of schemas, found ${kindOf(properties)}`);
    else for (const [name, sub] of Object.entries(properties)) out.push(...schemaProblems(sub, member(at, name), depth + 1));
  }
  if (required !== undefined && !(Array.isArray(required) && required.every((r) => typeof r === 'string'))) {
    out.push(`schema at ${at}: required must be a list of property names, found ${JSON.stringify(required)}`);
  }
  if (items !== undefined) out.push(...schemaProblems(items, `${at}[]`, depth + 1));
  if (schema.enum !== undefined && !(Array.isArray(schema.enum) && schema.enum.length > 0)) {
    out.push(`schema at ${at}: enum must be a non-empty list of values, found ${JSON.stringify(schema.enum)}`);
  }
  if (additionalProperties !== undefined && typeof additionalProperties !== 'boolean') out.push(...schemaProblems(additionalProperties, `${at}{}`, depth + 1));
  return out;
}

/**
 * The first place `value` breaks `schema` (a schema `schemaProblems` found nothing wrong with), as
 * `$.items[2].name: expected string, found number`; undefined when it conforms. Values are not quoted: they are
 * the model's answer, which the error must not echo.
 */
export function firstViolation(value: JsonValue, schema: JsonValue, at = '$'): string | undefined {
  if (schema === true) return undefined;
  if (schema === false || !isObject(schema)) return `${at}: no value is allowed here`;
  if (schema.type !== undefined) {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as SchemaType[];
    if (!types.some((t) => hasType(value, t))) return `${at}: expected ${types.join(' or ')}, found ${kindOf(value)}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => deepEqual(allowed, value))) {
    const shown = schema.enum.slice(0, 5).map((v) => JSON.stringify(v)).join(', ');
    return `${at}: is not one of the allowed values (${shown}${schema.enum.length > 5 ? ', …' : ''})`;
  }
  if (isObject(value)) return objectViolation(value, schema, at);
  if (Array.isArray(value) && schema.items !== undefined) {
    for (let i = 0; i < value.length; i++) {
      const found = firstViolation(value[i]!, schema.items, `${at}[${i}]`);
      if (found) return found;
    }
  }
  return undefined;
}

function objectViolation(value: JsonObject, schema: JsonObject, at: string): string | undefined {
  const properties = isObject(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required)) {
    for (const name of schema.required as string[]) if (!Object.prototype.hasOwnProperty.call(value, name)) return `${at}: required property '${name}' is missing`;
  }
  for (const [name, member_] of Object.entries(value)) {
    const declared = Object.prototype.hasOwnProperty.call(properties, name);
    const sub = declared ? properties[name]! : schema.additionalProperties;
    if (sub === undefined) continue;
    if (sub === false && !declared) {
      const known = Object.keys(properties);
      return `${at}: property '${name}' is not allowed (the schema's properties: ${known.length ? known.join(', ') : 'none'})`;
    }
    const found = firstViolation(member_, sub, member(at, name));
    if (found) return found;
  }
  return undefined;
}

function hasType(value: JsonValue, type: SchemaType): boolean {
  if (type === 'integer') return Number.isInteger(value);
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return kindOf(value) === type;
}

function kindOf(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function member(at: string, name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${at}.${name}` : `${at}[${JSON.stringify(name)}]`;
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]!));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k]!, b[k]!));
}
