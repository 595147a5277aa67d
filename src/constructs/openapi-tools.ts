import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { McpToolConfig } from '../specs/config';
import { isObject, type JsonObject as ParsedObject } from '../specs/json';

/**
 * OpenAPI 3.x → the tools of an `http-to-mcp` MCP server: one tool per operation, its arguments
 * being the operation's path, query and header parameters plus the JSON request body, and its
 * `outputSchema` the 2xx JSON response's object schema. `notes` name what the document declares
 * that no tool can send (cookie parameters): the `openapi-files` rule warns about each.
 */
export type OpenApiToolsResult = { ok: true; tools: McpToolConfig[]; notes: string[] } | { ok: false; reason: string };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Obj = ParsedObject;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head']);
// Where a tool's request template can put an argument: the path, `query` and `headers` (the body is `bodyArg`).
const PARAMETER_LOCATIONS = new Set(['path', 'query', 'header']);
// OpenAPI says header parameters with these names are ignored: the HTTP layer owns them.
const RESERVED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
const SUCCESS_RESPONSES = ['200', '201', '2XX', 'default'];
// The response whose schema is the tool's outputSchema: 200, 201, any other 2xx in order, then 2XX.
const OUTPUT_RESPONSE = /^2(\d\d|XX)$/i;
// Cycles through `$ref` are cut by name; this only stops a cyclic in-memory object.
const MAX_SCHEMA_DEPTH = 64;

/** A problem with the document; its message is the `reason`. */
class OpenApiError extends Error {}

/** Read a file (JSON, or YAML when it ends in .yaml/.yml) and convert it. Never throws. */
export function openApiFileToTools(filePath: string): OpenApiToolsResult {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (e) {
    return { ok: false, reason: `cannot read OpenAPI file "${filePath}": ${messageOf(e)}` };
  }
  const yaml = /\.ya?ml$/i.test(filePath);
  let doc: unknown;
  try {
    doc = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `OpenAPI file "${filePath}" is not valid ${yaml ? 'YAML' : 'JSON'}: ${messageOf(e)}` };
  }
  const result = openApiDocumentToTools(doc);
  return result.ok ? result : { ok: false, reason: `OpenAPI file "${filePath}": ${result.reason}` };
}

/** Convert an already-parsed document. Never throws. */
export function openApiDocumentToTools(doc: unknown): OpenApiToolsResult {
  try {
    const notes: string[] = [];
    return { ok: true, tools: convert(doc, notes), notes };
  } catch (e) {
    return { ok: false, reason: e instanceof OpenApiError ? e.message : `unexpected error converting the OpenAPI document: ${messageOf(e)}` };
  }
}

function convert(doc: unknown, notes: string[]): McpToolConfig[] {
  if (!isObject(doc)) throw new OpenApiError(`the OpenAPI document must be an object, got ${describe(doc)}`);
  if (doc.swagger !== undefined) {
    throw new OpenApiError(`the document is Swagger ${String(doc.swagger)}; convert it to OpenAPI 3 (e.g. with https://converter.swagger.io)`);
  }
  if (typeof doc.openapi !== 'string') throw new OpenApiError('the document has no "openapi" version string; an OpenAPI 3 document starts with "openapi": "3.0.3" (or 3.1.x)');
  if (!doc.openapi.startsWith('3.')) throw new OpenApiError(`the document is OpenAPI ${doc.openapi}; only OpenAPI 3.x is supported`);
  if (!isObject(doc.paths)) throw new OpenApiError('the document has no "paths" object; declare the API\'s operations under "paths"');

  const refs = new RefResolver(doc);
  const tools: McpToolConfig[] = [];
  const owners = new Map<string, string>();
  for (const [path, rawItem] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) throw new OpenApiError(`path "${path}" must start with "/"`);
    const item = refs.deref(rawItem, `paths["${path}"]`);
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const label = `${method.toUpperCase()} ${path}`;
      let tool: McpToolConfig;
      const unsent: string[] = [];
      try {
        tool = toTool(refs, path, method, item, refs.deref(operation, 'the operation'), unsent);
      } catch (e) {
        throw e instanceof OpenApiError ? new OpenApiError(`${label}: ${e.message}`) : e;
      }
      const owner = owners.get(tool.name);
      if (owner) throw new OpenApiError(`${owner} and ${label} both map to tool name "${tool.name}"; give them distinct operationIds`);
      owners.set(tool.name, label);
      tools.push(tool);
      notes.push(...unsent.map((note) => `${label} (tool "${tool.name}"): ${note}`));
    }
  }
  if (tools.length === 0) throw new OpenApiError('the document defines no operations (no get/put/post/delete/patch/head under "paths"); add at least one');
  return tools;
}

/** One operation's tool; what it cannot send is added to `unsent`. */
function toTool(refs: RefResolver, path: string, method: string, item: Obj, operation: Obj, unsent: string[]): McpToolConfig {
  const properties: JsonObject = {};
  const required: string[] = [];
  const origins = new Map<string, string>();
  const addArg = (name: string, schema: Json, isRequired: boolean, origin: string): void => {
    const other = origins.get(name);
    if (other) throw new OpenApiError(`${other} and ${origin} would both be tool argument "${name}"; rename one`);
    origins.set(name, origin);
    properties[name] = schema;
    if (isRequired) required.push(name);
  };

  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  const { sent, skipped } = parameters(refs, item, operation);
  unsent.push(...skipped.map(unsentParameter));
  for (const param of sent) {
    const name = param.name as string;
    const origin = `${param.in} parameter "${name}"`;
    const schema = withDescription(parameterSchema(refs, param, origin), param.description);
    addArg(name, schema, param.in === 'path' || param.required === true, origin);
    if (param.in === 'query') query[name] = placeholder(name);
    if (param.in === 'header') headers[name] = placeholder(name);
  }
  // A template variable without a declared parameter would never be filled; accept it as a string.
  for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
    if (!origins.has(name)) addArg(name, { type: 'string' }, true, `path variable "${name}"`);
  }

  let bodyArg: string | undefined;
  if (operation.requestBody !== undefined) {
    const body = refs.deref(operation.requestBody, 'requestBody');
    const media = pickMediaType(body.content);
    if (media) {
      bodyArg = origins.has('body') ? 'requestBody' : 'body';
      const schema = media.schema === undefined ? {} : refs.inline(media.schema, 'requestBody schema');
      addArg(bodyArg, withDescription(schema, body.description), body.required === true, 'the request body');
    }
  }

  const inputSchema: JsonObject = { type: 'object', properties };
  if (required.length > 0) inputSchema.required = required;
  const format = responseFormat(refs, operation.responses);
  // Structured results need a JSON body: a text tool has none to give.
  const output = format === 'json' ? outputSchema(refs, operation.responses) : undefined;
  return {
    name: toolName(operation.operationId, method, path),
    description: describeOperation(operation, method, path),
    inputSchema,
    ...(output && { outputSchema: output }),
    request: {
      method: method.toUpperCase() as McpToolConfig['request']['method'],
      path: path.replace(/\{([^}]+)\}/g, (_, name: string) => placeholder(name)),
      query,
      headers,
      ...(bodyArg ? { bodyArg } : {}),
    },
    response: { format },
  };
}

/** Why a parameter outside the path, query and headers is not an argument, and what to do. */
function unsentParameter(param: Obj): string {
  const name = JSON.stringify(param.name);
  const required = param.required === true ? ' It is required, so the API will likely refuse every call of this tool.' : '';
  if (param.in === 'cookie') {
    return `cookie parameter ${name} is not sent: a tool sends path, query, header and body arguments only, and the gateway never sends cookies upstream.${required} Declare it as a header parameter if the API accepts one, or serve the API through a service that sets the cookie.`;
  }
  return `parameter ${name} has "in": ${JSON.stringify(param.in)}, which OpenAPI 3 does not define (path, query, header, cookie), so it is not sent.${required} Fix its "in".`;
}

/**
 * Path-level parameters, overridden by operation-level ones with the same name and location: those a
 * tool sends, and those it cannot (cookies, unknown locations). Reserved headers are neither:
 * OpenAPI says they are ignored, the HTTP layer owning them.
 */
function parameters(refs: RefResolver, item: Obj, operation: Obj): { sent: Obj[]; skipped: Obj[] } {
  const byKey = new Map<string, Obj>();
  for (const [where, list] of [['path item', item.parameters], ['operation', operation.parameters]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new OpenApiError(`the ${where}'s "parameters" must be an array`);
    for (const raw of list) {
      const param = refs.deref(raw, `a ${where} parameter`);
      if (typeof param.name !== 'string' || param.name === '' || typeof param.in !== 'string') {
        throw new OpenApiError(`a ${where} parameter lacks a "name" or "in"`);
      }
      byKey.set(`${param.in}:${param.name}`, param);
    }
  }
  const all = [...byKey.values()].filter((p) => !(p.in === 'header' && RESERVED_HEADERS.has((p.name as string).toLowerCase())));
  return { sent: all.filter((p) => PARAMETER_LOCATIONS.has(p.in as string)), skipped: all.filter((p) => !PARAMETER_LOCATIONS.has(p.in as string)) };
}

function parameterSchema(refs: RefResolver, param: Obj, origin: string): Json {
  if (param.schema !== undefined) return refs.inline(param.schema, `${origin} schema`);
  // The other way to type a parameter: `content` with exactly one media type.
  const media = pickMediaType(param.content);
  if (media?.schema !== undefined) return refs.inline(media.schema, `${origin} schema`);
  return { type: 'string' };
}

/** `application/json`, else a `+json` type, else the first declared one. */
function pickMediaType(content: unknown): Obj | undefined {
  if (!isObject(content)) return undefined;
  const types = Object.keys(content);
  const chosen = types.find((t) => mediaType(t) === 'application/json') ?? types.find((t) => mediaType(t).endsWith('+json')) ?? types[0];
  if (chosen === undefined) return undefined;
  const media = content[chosen];
  return isObject(media) ? media : {};
}

function responseFormat(refs: RefResolver, responses: unknown): 'json' | 'text' {
  if (!isObject(responses)) return 'json';
  const key = SUCCESS_RESPONSES.find((k) => k in responses);
  if (key === undefined) return 'json';
  const content = refs.deref(responses[key], `response ${key}`).content;
  const types = isObject(content) ? Object.keys(content).map(mediaType) : [];
  if (types.length === 0 || types.some((t) => t === 'application/json' || t.endsWith('+json'))) return 'json';
  // Anything else (text/*, XML, binary) is not JSON, so it is passed through as is.
  return 'text';
}

/**
 * The 2xx JSON response's schema, refs inlined as the input schema's are, when it is an object
 * schema (MCP's outputSchema must be one; a result's structuredContent then follows it).
 */
function outputSchema(refs: RefResolver, responses: unknown): JsonObject | undefined {
  if (!isObject(responses)) return undefined;
  const key = Object.keys(responses)
    .filter((k) => OUTPUT_RESPONSE.test(k))
    .sort((a, b) => rank(a) - rank(b))[0];
  if (key === undefined) return undefined;
  const content = refs.deref(responses[key], `response ${key}`).content;
  if (!isObject(content)) return undefined;
  const json = Object.keys(content).find((t) => mediaType(t) === 'application/json') ?? Object.keys(content).find((t) => mediaType(t).endsWith('+json'));
  const media = json === undefined ? undefined : content[json];
  if (!isObject(media) || media.schema === undefined) return undefined;
  const schema = refs.inline(media.schema, `response ${key} schema`);
  return isJsonObject(schema) && schema.type === 'object' ? schema : undefined;
}

/** 200 and 201 first (as responseFormat picks them), then the other 2xx codes in order, then 2XX. */
function rank(code: string): number {
  if (code === '200') return 0;
  if (code === '201') return 1;
  return code.toUpperCase() === '2XX' ? 1000 : Number(code);
}

function toolName(operationId: unknown, method: string, path: string): string {
  if (typeof operationId === 'string' && operationId !== '') return sanitize(operationId);
  // `get /pets/{petId}` → `get_pets_petId`: squeeze the separators the path characters leave.
  return sanitize(`${method}_${path}`.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/_+/g, '_').replace(/_$/, ''));
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128);
}

function describeOperation(operation: Obj, method: string, path: string): string {
  const parts = [operation.summary, operation.description].filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
  if (parts.length === 0) return `${method.toUpperCase()} ${path}`;
  return parts.length === 2 ? `${parts[0].replace(/\.$/, '')}. ${parts[1]}` : parts[0];
}

function withDescription(schema: Json, description: unknown): Json {
  if (typeof description !== 'string' || description === '' || !isJsonObject(schema)) return schema;
  return { ...schema, description };
}

function placeholder(name: string): string {
  return `{{args.${name}}}`;
}

function mediaType(type: string): string {
  return type.split(';')[0].trim().toLowerCase();
}

/** Local `$ref`s, resolved against the document: JSON pointers only, no remote files. */
class RefResolver {
  constructor(private readonly doc: Obj) {}

  /** The object a (possibly `$ref`) node stands for. */
  deref(node: unknown, what: string): Obj {
    const seen = new Set<string>();
    while (isObject(node) && typeof node.$ref === 'string') {
      if (seen.has(node.$ref)) throw new OpenApiError(`$ref "${node.$ref}" refers to itself in a cycle`);
      seen.add(node.$ref);
      node = this.lookup(node.$ref);
    }
    if (!isObject(node)) throw new OpenApiError(`${what} must be an object, got ${describe(node)}`);
    return node;
  }

  /** A schema with every `$ref` inlined; a ref already being expanded becomes a stub. */
  inline(node: unknown, what: string, expanding: readonly string[] = [], depth = 0): Json {
    if (depth > MAX_SCHEMA_DEPTH) throw new OpenApiError(`${what} nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return node;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw new OpenApiError(`${what} contains the non-JSON number ${node}`);
      return node;
    }
    if (Array.isArray(node)) return node.map((v) => this.inline(v, what, expanding, depth + 1));
    if (!isObject(node)) throw new OpenApiError(`${what} contains a non-JSON value (${describe(node)})`);
    const { $ref, ...rest } = node;
    const siblings: JsonObject = {};
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) siblings[k] = this.inline(v, what, expanding, depth + 1);
    if (typeof $ref !== 'string') return $ref === undefined ? siblings : { ...siblings, $ref: this.inline($ref, what, expanding, depth + 1) };
    if (expanding.includes($ref)) {
      return { type: 'object', description: `Recursive reference to ${$ref}; the cycle is not expanded further.` };
    }
    const target = this.inline(this.lookup($ref), what, [...expanding, $ref], depth + 1);
    // OpenAPI 3.1 lets keywords sit beside `$ref`; they refine the target, so they win.
    return isJsonObject(target) ? { ...target, ...siblings } : target;
  }

  private lookup(ref: string): unknown {
    if (!ref.startsWith('#')) {
      throw new OpenApiError(`$ref "${ref}" points outside this document; only local refs ("#/components/...") are supported, so bundle the spec into one file first (e.g. "npx @redocly/cli bundle")`);
    }
    if (ref !== '#' && !ref.startsWith('#/')) throw new OpenApiError(`$ref "${ref}" is not a JSON pointer ("#/..."); anchors are not supported`);
    let node: unknown = this.doc;
    for (const token of ref.split('/').slice(1)) {
      const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
      if (!(isObject(node) || Array.isArray(node)) || !Object.hasOwn(node, key)) throw new OpenApiError(`$ref "${ref}" does not resolve: no "${key}" in the document`);
      node = (node as Obj)[key];
    }
    return node;
  }
}

function isJsonObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
