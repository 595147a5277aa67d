import type { z } from 'zod';
import type { JsonObject } from '../types';

/**
 * A `parseConfig` from a zod schema: the parsed config, or one Error that names every bad field, the value found
 * and what to write instead (the schema's messages say the limit and the fix), e.g.
 * `ai-cache config: ttlSeconds: must be at most 86400 (a day), found 100000`.
 */
export function configParser<S extends z.ZodType>(extension: string, schema: S): (config: JsonObject) => z.output<S> {
  return (config) => {
    const result = schema.safeParse(config ?? {});
    if (result.success) return result.data;
    const lines = result.error.issues.map((issue) => describeIssue(issue, config));
    throw new Error(`${extension} config: ${lines.join('; ')}`);
  };
}

function describeIssue(issue: z.core.$ZodIssue, config: unknown): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (remove ${issue.keys.length > 1 ? 'them' : 'it'}, or check the spelling)`;
  }
  if (issue.code === 'invalid_key') {
    // A record's key (a header name, a model pattern): the path ends with it, its own issues say why it is refused.
    return `${path}: ${issue.issues.map((i) => i.message).join(', and ')}`;
  }
  return `${path}: ${issue.message}, found ${shown(valueAt(config, issue.path))}`;
}

/** A value as a message shows it: JSON, cut short so that one huge value cannot swamp the message. */
export function shown(value: unknown): string {
  const json = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '') || '(config)';
}
