/** A parsed JSON object (not an array, not null): what a config part, a request body or an OpenAPI node is read as. */
export type JsonObject = { [key: string]: unknown };

export function isObject(x: unknown): x is JsonObject {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
