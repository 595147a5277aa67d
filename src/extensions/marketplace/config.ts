import type { z } from 'zod';
import type { JsonObject } from '../types';

/**
 * A manifest's `parseConfig` from its zod schema: the config completed with its defaults, or an Error with one
 * readable line per problem (`entities[1]: Invalid option: expected one of …`), which synth quotes as it is.
 */
export function configParser<S extends z.ZodType<JsonObject>>(schema: S): (config: JsonObject) => z.output<S> {
  return (config) => {
    const result = schema.safeParse(config);
    if (result.success) return result.data;
    throw new Error(
      result.error.issues
        .map((issue) => `${issue.path.reduce<string>((at, part) => (typeof part === 'number' ? `${at}[${part}]` : at ? `${at}.${String(part)}` : String(part)), '') || '(config)'}: ${issue.message}`)
        .join('; '),
    );
  };
}
