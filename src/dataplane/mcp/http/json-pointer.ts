/** RFC 6901 JSON pointers, for a tool's `response.pointer`. Only own members are followed (`/__proto__` finds nothing). */
export type PointerResult = { found: true; value: unknown } | { found: false };

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

export function resolvePointer(document: unknown, pointer: string): PointerResult {
  if (pointer === '') return { found: true, value: document };
  let value = document;
  // The config schema makes a pointer start with "/": every token follows one.
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      if (!ARRAY_INDEX.test(token) || Number(token) >= value.length) return { found: false };
      value = value[Number(token)];
    } else if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else {
      return { found: false };
    }
  }
  return { found: true, value };
}
