import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import type { JsonObject } from '../types';
import { configParser } from './config';

const MAX_ENTRIES = 256;
/** Fields whose rewriting is another extension's job or would change the answer's framing: refused in `parameters`. */
const PROTECTED_FIELDS = ['model', 'messages', 'input', 'prompt', 'system', 'stream'];

const pattern = z
  .string({ error: 'must be a model name, or a prefix ending in * (e.g. "gpt-4o-*")' })
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((p) => !p.slice(0, -1).includes('*'), 'may hold * only as its last character (a prefix wildcard, e.g. "gpt-4o-*")');

const modelName = z
  .string({ error: 'must be the model name to send (a string)' })
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((m) => !m.includes('*'), 'must be a model name, not a pattern (no *)');

const fieldName = z
  .string()
  .min(1, 'must not be empty')
  .refine((f) => !PROTECTED_FIELDS.includes(f), {
    error: `is not a parameter this extension overrides (${PROTECTED_FIELDS.join(', ')} are refused: map models with mappings, change prompts with prompt-decorator)`,
  });

const override = z.strictObject({
  /** Top-level body fields set (replacing the client's), e.g. `{ temperature: 0.2, max_tokens: 1024 }`. */
  set: z.record(fieldName, z.json()).optional(),
  /** Top-level body fields removed, e.g. `["logit_bias"]`. */
  remove: z.array(fieldName).max(64, 'must have at most 64 fields').optional(),
});

const ModelMapperSchema = z
  .strictObject({
    /** From (a model name, or a prefix ending in `*`) to the model name sent upstream. An exact name wins over prefixes; the longest prefix wins among them. */
    mappings: z
      .record(pattern, modelName)
      .refine((m) => Object.keys(m).length <= MAX_ENTRIES, `must have at most ${MAX_ENTRIES} entries`)
      .default({}),
    /** Parameter overrides by model (after mapping; an exact name or a prefix ending in `*`, as in mappings). */
    parameters: z
      .record(pattern, override)
      .refine((m) => Object.keys(m).length <= MAX_ENTRIES, `must have at most ${MAX_ENTRIES} entries`)
      .optional(),
  })
  .refine((c) => Object.keys(c.mappings).length > 0 || Object.keys(c.parameters ?? {}).length > 0, 'set mappings or parameters: with neither, the extension does nothing');

/** The `model-mapper` config as a construct declares it. */
export type ModelMapperConfig = z.input<typeof ModelMapperSchema>;
export type ParsedModelMapperConfig = z.output<typeof ModelMapperSchema>;

/** A table of exact names and prefixes, looked up by the rule above. */
class ModelTable<T> {
  private readonly exact = new Map<string, T>();
  private readonly prefixes: [string, T][] = [];

  public constructor(entries: Record<string, T>) {
    for (const [key, value] of Object.entries(entries)) {
      if (key.endsWith('*')) this.prefixes.push([key.slice(0, -1), value]);
      else this.exact.set(key, value);
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  public find(model: string): T | undefined {
    return this.exact.get(model) ?? this.prefixes.find(([prefix]) => model.startsWith(prefix))?.[1];
  }
}

/** The tables of a config, built once per config object (the gateway parses a config once per load). */
const tables = new WeakMap<object, { mappings: ModelTable<string>; parameters: ModelTable<z.output<typeof override>> }>();

function tablesOf(config: ParsedModelMapperConfig) {
  let t = tables.get(config);
  if (!t) {
    t = { mappings: new ModelTable(config.mappings), parameters: new ModelTable(config.parameters ?? {}) };
    tables.set(config, t);
  }
  return t;
}

/**
 * `model-mapper`: rewrites the model a client asked for (`body.model`) to another name (`gpt-4` → `gpt-4o`,
 * `claude-3-*` → `claude-sonnet-4-5`), then sets or removes body parameters for the model sent (e.g. a lower
 * `temperature`, no `logit_bias`). It runs early in the default phase so that later extensions see the mapped
 * request.
 *
 * It does not: map models on agent or MCP routes, or requests whose body has no string `model` (multipart uploads);
 * change nested parameters (only top-level fields); or touch the prompt, `model` or `stream` through `parameters`.
 */
export const modelMapper = defineExtension<ParsedModelMapperConfig>({
  name: 'model-mapper',
  parseConfig: configParser('model-mapper', ModelMapperSchema),

  onRequest(ctx) {
    const body = ctx.request.body;
    if (ctx.route.kind !== 'model' || body === undefined || typeof body.model !== 'string') return;
    const t = tablesOf(ctx.config);
    const mapped = t.mappings.find(body.model);
    if (mapped !== undefined && mapped !== body.model) {
      ctx.log.debug('model-mapper: model mapped', { from: body.model, to: mapped });
      body.model = mapped;
    }
    const o = t.parameters.find(body.model);
    if (o) overrideParameters(body, o);
  },
});

function overrideParameters(body: JsonObject, o: z.output<typeof override>): void {
  for (const field of o.remove ?? []) delete body[field];
  for (const [field, value] of Object.entries(o.set ?? {})) body[field] = value;
}

export const MODEL_MAPPER: SystemExtension = {
  definition: modelMapper,
  description: 'Maps requested model names (exact or prefix-*) to others and overrides their parameters.',
  phase: 'default',
  // High: it runs first in the default phase, so that the others (and the cache key) see the mapped request.
  priority: 900,
  failPolicy: 'closed',
};
