import { createHash } from 'crypto';
import type { JsonValue } from '../types';

/** JSON with every object's keys sorted: the same value always gives the same text (a cache key). */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The value at a dot path (`usage.total_tokens`, `messages.0.role`); undefined when any step is missing. */
export function valueAtPath(value: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let at: JsonValue | undefined = value;
  for (const step of path) {
    if (at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      if (!/^\d+$/.test(step)) return undefined;
      at = at[Number(step)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(at, step)) return undefined;
      at = at[step];
    }
  }
  return at;
}

export function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
