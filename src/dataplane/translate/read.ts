import { badRequest, badResponse, TranslationError } from './errors';
import { isObject, type JsonObject } from '../../specs';

/** A parsed JSON object. */
export type Json = JsonObject;

/** Whose body is being read: a client's request (400 on error) or an upstream's response (502). */
export type Side = 'request' | 'response';

export { isObject };

export function fail(side: Side, param: string, problem: string, fix: string): TranslationError {
  return side === 'request' ? badRequest(param, problem, fix) : badResponse(param, problem);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return `a ${typeof x}`;
}

export function asObject(x: unknown, param: string, side: Side, fix = 'Send a JSON object.'): Json {
  if (!isObject(x)) throw fail(side, param, `must be a JSON object, not ${describe(x)}`, fix);
  return x;
}

export function asArray(x: unknown, param: string, side: Side, fix = 'Send an array.'): unknown[] {
  if (!Array.isArray(x)) throw fail(side, param, `must be an array, not ${describe(x)}`, fix);
  return x;
}

export function asString(x: unknown, param: string, side: Side, fix = 'Send a string.'): string {
  if (typeof x !== 'string') throw fail(side, param, `must be a string, not ${describe(x)}`, fix);
  return x;
}

/** A string, or undefined when absent or null. */
export function optString(x: unknown, param: string, side: Side): string | undefined {
  return x === undefined || x === null ? undefined : asString(x, param, side);
}

/** A finite number, or undefined when absent or null. */
export function optNumber(x: unknown, param: string, side: Side): number | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw fail(side, param, `must be a number, not ${describe(x)}`, 'Send a number.');
  return x;
}

/** A boolean, or undefined when absent or null. */
export function optBoolean(x: unknown, param: string, side: Side): boolean | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'boolean') throw fail(side, param, `must be true or false, not ${describe(x)}`, 'Send a boolean.');
  return x;
}

/** A positive integer, or undefined when absent or null. */
export function optPositiveInt(x: unknown, param: string, side: Side): number | undefined {
  const n = optNumber(x, param, side);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw fail(side, param, `must be a positive integer, not ${n}`, 'Send a whole number of tokens, 1 or more.');
  return n;
}

/** A non-negative token count from a usage object; absent, null or malformed counts are 0. */
export function count(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0;
}

/** `data:<media type>[;params];base64,<data>` split up, or undefined when `url` is not a base64 data URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),/i.exec(url);
  if (!m) return undefined;
  const params = m[2].toLowerCase().split(';');
  if (!params.includes('base64')) return undefined;
  return { mediaType: m[1].trim().toLowerCase(), data: url.slice(m[0].length) };
}

/** `JSON.parse`, or the parser's complaint. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A field of a raw SSE event (`data` lines joined by `\n`), or undefined. */
export function sseField(event: string, field: 'event' | 'data'): string | undefined {
  let value: string | undefined;
  for (const line of event.split(/\r?\n/)) {
    if (!line.startsWith(`${field}:`)) continue;
    const v = line.slice(line.charCodeAt(field.length + 1) === 32 ? field.length + 2 : field.length + 1);
    value = value === undefined || field === 'event' ? v : `${value}\n${v}`;
  }
  return value;
}
