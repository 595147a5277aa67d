import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import type { JsonValue } from '../types';
import { configParser } from './config';
import { CREDENTIAL_HEADERS, HEADER_NAME } from './http';
import { valueAtPath } from './json';

const MAX_ATTRIBUTES = 16;
const DEFAULT_MAX_LENGTH = 256;
const MAX_LENGTH = 4096;

const attribute = z
  .strictObject({
    /** The field's name on the access line (under `ext.<extension>`). */
    key: z.string({ error: 'must be a field name (a string)' }).regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower-case letters, digits and _ (starting with a letter, at most 64)'),
    from: z.enum(['request-body', 'response-body', 'request-header'], { error: "must be 'request-body', 'response-body' or 'request-header'" }),
    /** A dot path in the body (`usage.total_tokens`, `messages.0.role`), or a header name. */
    path: z.string({ error: 'must be a dot path (e.g. "usage.total_tokens") or a header name' }).min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    /** Longer values are cut to this many characters. */
    maxLength: z.number({ error: 'must be a number of characters' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_LENGTH, `must be at most ${MAX_LENGTH}`).default(DEFAULT_MAX_LENGTH),
  })
  .superRefine((a, issue) => {
    if (a.from !== 'request-header') return;
    if (!HEADER_NAME.test(a.path)) issue.addIssue({ code: 'custom', path: ['path'], message: 'must be a header name (letters, digits and !#$%&\'*+-.^_`|~ only)' });
    else if (CREDENTIAL_HEADERS.includes(a.path.toLowerCase())) issue.addIssue({ code: 'custom', path: ['path'], message: `is a credential header (${CREDENTIAL_HEADERS.join(', ')}): it is never logged; remove it` });
  });

const AiStatisticsSchema = z.strictObject({
  attributes: z
    .array(attribute, { error: 'must list the fields to log, e.g. [{ key: "end_user", from: "request-body", path: "user" }]' })
    .min(1, 'must have at least 1 attribute: with none, the extension adds nothing')
    .max(MAX_ATTRIBUTES, `must have at most ${MAX_ATTRIBUTES} attributes (each one widens every access line)`)
    .refine((list) => new Set(list.map((a) => a.key)).size === list.length, 'must not use the same key twice'),
});

/** The `ai-statistics` config as a construct declares it. */
export type AiStatisticsConfig = z.input<typeof AiStatisticsSchema>;
export type ParsedAiStatisticsConfig = z.output<typeof AiStatisticsSchema>;
type Attribute = z.output<typeof attribute>;

/** The values found so far, by key: bounded when found, so that scratch never holds a large value. */
interface StatsScratch {
  values?: Record<string, string | number | boolean>;
}

function bounded(value: JsonValue | string | undefined, maxLength: number): string | number | boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

function record(scratch: StatsScratch, a: Attribute, value: JsonValue | string | undefined): void {
  const v = bounded(value, a.maxLength);
  if (v !== undefined) (scratch.values ??= {})[a.key] = v;
}

/** What a config reads, split once per config object: each attribute's path, and those read from the response body. */
interface Plan {
  readonly paths: readonly string[][];
  readonly fromResponse: readonly { readonly field: Attribute; readonly path: string[] }[];
}

const plans = new WeakMap<object, Plan>();

function planOf(config: ParsedAiStatisticsConfig): Plan {
  let plan = plans.get(config);
  if (!plan) {
    const paths = config.attributes.map((a) => (a.from === 'request-header' ? [a.path.toLowerCase()] : a.path.split('.')));
    const fromResponse = config.attributes.flatMap((field, i) => (field.from === 'response-body' ? [{ field, path: paths[i] }] : []));
    plan = { paths, fromResponse };
    plans.set(config, plan);
  }
  return plan;
}

/**
 * `ai-statistics`: adds fields from the request body, the response body or a request header to the access line
 * (under `ext.<extension>`), e.g. the `user` a client sent or the answer's `system_fingerprint`; strings are cut
 * to `maxLength`, objects written as JSON (cut the same way). A streamed answer's `response-body` value is read
 * from its events: the last event whose JSON holds the path (e.g. `usage.total_tokens` from the final chunk).
 *
 * It does not: add metric labels (values are unbounded sets: labels would explode `/metrics`), log credential
 * headers (refused at config load), or log an attribute the request did not have (absent fields are left out).
 * The request body is read as it arrives at the stats phase: before default-phase rewrites (model-mapper).
 */
export const aiStatistics = defineExtension<ParsedAiStatisticsConfig>({
  name: 'ai-statistics',
  parseConfig: configParser('ai-statistics', AiStatisticsSchema),

  onRequest(ctx) {
    const p = planOf(ctx.config).paths;
    const scratch = ctx.scratch as StatsScratch;
    ctx.config.attributes.forEach((a, i) => {
      if (a.from === 'request-header') record(scratch, a, ctx.request.headers[p[i][0]]);
      else if (a.from === 'request-body') record(scratch, a, valueAtPath(ctx.request.body, p[i]));
    });
  },

  onResponse(ctx) {
    if (ctx.response.streamed || ctx.response.body === undefined) return;
    const scratch = ctx.scratch as StatsScratch;
    for (const { field, path } of planOf(ctx.config).fromResponse) record(scratch, field, valueAtPath(ctx.response.body, path));
  },

  // The definition is shared by every config (the catalog holds one), so this hook exists even for a config that
  // reads nothing from the response: it then returns at once, parsing nothing.
  onStreamChunk(ctx) {
    const fromResponse = planOf(ctx.config).fromResponse;
    const data = ctx.event.data;
    if (fromResponse.length === 0 || data[0] !== '{') return;
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(data) as JsonValue;
    } catch {
      return;
    }
    for (const { field, path } of fromResponse) record(ctx.scratch as StatsScratch, field, valueAtPath(parsed, path));
  },

  onLog(ctx) {
    const values = (ctx.scratch as StatsScratch).values;
    if (values) Object.assign(ctx.fields, values);
  },
});

export const AI_STATISTICS: SystemExtension = {
  definition: aiStatistics,
  description: 'Adds bounded fields from request and response bodies or request headers to the access log.',
  phase: 'stats',
  priority: 100,
  // It only observes: a bug or a strange body must not fail the request.
  failPolicy: 'open',
};
