import { isObject } from '../../../specs/json';
import type { McpToolResult } from '../tool-backend';
import { ToolErrors } from './tool-results';

/**
 * A tool's arguments checked against its input schema before anything is sent upstream, so a model's
 * malformed call costs no upstream request and gets an error it can act on.
 *
 * The subset of JSON Schema checked (what tool schemas, and schemas the OpenAPI import produces, use
 * to say what an argument is): `type` (string, number, integer, boolean, array, object, null, or a
 * list of them; OpenAPI 3.0's `nullable: true` adds null), `enum`, and for objects `properties`,
 * `required` and `additionalProperties: false`, for arrays `items` (one schema), nested as deep as
 * the schema goes (up to MAX_SCHEMA_DEPTH). Other keywords (formats, patterns, bounds, combinators)
 * are not checked here: the upstream API that declared them still enforces them, and its 4xx comes
 * back to the caller as a tool error.
 *
 * No JSON Schema library: `ajv` is in node_modules only as a dependency of dev tools (eslint, the MCP
 * SDK), and this subset is small enough to own. Compiled once per tool when the config is loaded.
 */

/** Undefined when the arguments pass; else the tool error to answer with. */
export type ArgsCheck = (args: Record<string, unknown>) => McpToolResult | undefined;

/** A schema nested deeper than this is not checked below it (config schemas never come close). */
const MAX_SCHEMA_DEPTH = 32;
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);

/** A compiled node: undefined when `value` fits, else the failure (reported by the caller with the tool's name). */
type Check = (value: unknown, at: string) => Failure | undefined;
type Failure =
  | { kind: 'missing'; at: string; expected: string }
  | { kind: 'invalid'; at: string; value: unknown; expected: string }
  | { kind: 'undeclared'; at: string; allowed: readonly string[] };

export function compileArgsCheck(tool: string, inputSchema: Record<string, unknown>): ArgsCheck {
  // The arguments are always an object (MCP says so, and the front passes one): check the root as one.
  const check = compileNode({ ...inputSchema, type: 'object' }, 0);
  return (args) => {
    const failure = check?.(args, '');
    if (!failure) return undefined;
    if (failure.kind === 'missing') return ToolErrors.argumentMissing(tool, failure.at, failure.expected);
    if (failure.kind === 'undeclared') return ToolErrors.argumentNotDeclared(tool, failure.at, failure.allowed);
    return ToolErrors.argumentInvalid(tool, failure.at === '' ? '(the arguments)' : failure.at, failure.value, failure.expected);
  };
}

/** Undefined when the node constrains nothing this subset checks. */
function compileNode(schema: unknown, depth: number): Check | undefined {
  if (!isObject(schema) || depth > MAX_SCHEMA_DEPTH) return undefined;
  const expected = describe(schema);
  const checks: Check[] = [];

  const types = typesOf(schema);
  if (types) checks.push((value, at) => (types.some((t) => hasType(value, t)) ? undefined : { kind: 'invalid', at, value, expected }));

  if (Array.isArray(schema.enum)) {
    const allowed = new Set(schema.enum.map((v) => JSON.stringify(v)));
    checks.push((value, at) => (allowed.has(JSON.stringify(value)) ? undefined : { kind: 'invalid', at, value, expected }));
  }

  const objectCheck = compileObject(schema, depth);
  if (objectCheck) checks.push(objectCheck);

  const items = compileNode(schema.items, depth + 1);
  if (items) {
    checks.push((value, at) => {
      if (!Array.isArray(value)) return undefined;
      for (let i = 0; i < value.length; i++) {
        const failure = items(value[i], `${at}[${i}]`);
        if (failure) return failure;
      }
      return undefined;
    });
  }

  if (checks.length === 0) return undefined;
  // In order, first failure wins: a value of the wrong type is not also searched for missing members.
  return (value, at) => {
    for (const check of checks) {
      const failure = check(value, at);
      if (failure) return failure;
    }
    return undefined;
  };
}

function compileObject(schema: Record<string, unknown>, depth: number): Check | undefined {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const members = Object.entries(properties).flatMap(([name, sub]) => {
    const check = compileNode(sub, depth + 1);
    return check ? [{ name, check }] : [];
  });
  const expectedOf = new Map(Object.entries(properties).map(([name, sub]) => [name, describe(sub)]));
  const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
  const closed = schema.additionalProperties === false;
  const declared = Object.keys(properties);
  if (members.length === 0 && required.length === 0 && !closed) return undefined;

  return (value, at) => {
    if (!isObject(value)) return undefined;
    const prefix = at === '' ? '' : `${at}.`;
    for (const name of required) {
      if (!Object.prototype.hasOwnProperty.call(value, name) || value[name] === undefined) {
        return { kind: 'missing', at: prefix + name, expected: expectedOf.get(name) ?? 'a value' };
      }
    }
    for (const member of members) {
      if (!Object.prototype.hasOwnProperty.call(value, member.name) || value[member.name] === undefined) continue;
      const failure = member.check(value[member.name], prefix + member.name);
      if (failure) return failure;
    }
    if (closed) {
      for (const name of Object.keys(value)) {
        if (!Object.prototype.hasOwnProperty.call(properties, name)) return { kind: 'undeclared', at: prefix + name, allowed: declared };
      }
    }
    return undefined;
  };
}

function typesOf(schema: Record<string, unknown>): string[] | undefined {
  const raw = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : undefined;
  if (!raw) return undefined;
  const types = raw.filter((t): t is string => typeof t === 'string' && TYPES.has(t));
  // An unknown type name is the schema's problem, not the caller's: it constrains nothing here.
  if (types.length === 0) return undefined;
  return schema.nullable === true && !types.includes('null') ? [...types, 'null'] : types;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return isObject(value);
    default: return value === null;
  }
}

/** What a schema node expects, in words: `a string`, `one of "c", "f"`, `an integer or null`. */
function describe(schema: unknown): string {
  if (!isObject(schema)) return 'a value';
  if (Array.isArray(schema.enum)) {
    const listed = schema.enum.slice(0, 10).map((v) => JSON.stringify(v));
    return `one of ${listed.join(', ')}${schema.enum.length > 10 ? ', …' : ''}`;
  }
  const types = typesOf(schema);
  if (!types) return 'a value';
  return types.map((t) => (t === 'null' ? 'null' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`)).join(' or ');
}
