import { z } from 'zod';
import { firstViolation, schemaProblems } from './schema';
import type { MarketplaceManifest } from '../../catalog-types';
import type { ExtensionDefinition, JsonObject, JsonValue } from '../../types';
import { errorBody } from '../answers';
import { configParser } from '../config';
import { isObject } from '../json';

const JsonSchemaGuardConfig = z.strictObject({
  /** The JSON Schema (subset: see schema.ts) every answer's text must meet, parsed as JSON. */
  schema: z.custom<JsonObject>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be a JSON Schema object').superRefine((schema, ctx) => {
    for (const problem of schemaProblems(schema)) ctx.addIssue({ code: 'custom', message: problem });
  }),
});
type JsonSchemaGuardConfig = z.output<typeof JsonSchemaGuardConfig>;

/** One text of an answer that must be JSON, and where it is in the answer (for the error). */
interface AnswerText {
  readonly where: string;
  readonly text: string;
}

/**
 * The texts of a non-streamed answer: each OpenAI chat choice's `message.content`, an Anthropic answer's text
 * blocks joined, a Responses answer's `output_text` parts joined. An answer with no text (a tool call) has none.
 */
function answerTexts(body: JsonObject): AnswerText[] {
  if (Array.isArray(body.choices)) {
    return body.choices.flatMap((choice, i) =>
      isObject(choice) && isObject(choice.message) && typeof choice.message.content === 'string' ? [{ where: `choices[${i}].message.content`, text: choice.message.content }] : [],
    );
  }
  const output = Array.isArray(body.output) ? body.output : [];
  const outputParts = output.flatMap((item) => (isObject(item) && Array.isArray(item.content) ? item.content : []));
  const parts = Array.isArray(body.content) ? body.content : outputParts;
  const texts = parts.flatMap((part) => (isObject(part) && (part.type === 'text' || part.type === 'output_text') && typeof part.text === 'string' ? [part.text] : []));
  return texts.length ? [{ where: Array.isArray(body.content) ? 'content' : 'output_text', text: texts.join('') }] : [];
}

/** Where the text breaks the schema, or undefined. A fenced block (```json … ```), as models often write, is read inside its fence. */
function violationOf(text: string, schema: JsonObject): string | undefined {
  const fenced = /^\s*```[\w-]*\s*\n([\s\S]*?)\n?\s*```\s*$/.exec(text);
  let value: JsonValue;
  try {
    value = JSON.parse(fenced ? fenced[1]! : text) as JsonValue;
  } catch {
    return '$: the answer is not JSON';
  }
  return firstViolation(value, schema);
}

const definition: ExtensionDefinition<JsonSchemaGuardConfig> = {
  name: 'json-schema-guard',
  parseConfig: configParser(JsonSchemaGuardConfig),
  onResponse(ctx) {
    const { response } = ctx;
    // A streamed answer has left before it is whole: it is not checked. Errors are the upstream's to report.
    if (response.streamed || response.status < 200 || response.status >= 300 || !isObject(response.body)) return;
    for (const { where, text } of answerTexts(response.body)) {
      const violation = violationOf(text, ctx.config.schema);
      if (violation === undefined) continue;
      ctx.log.warn('model answer does not match the output schema', { where, violation });
      ctx.scratch.violation = `${where} ${violation}`;
      response.status = 502;
      response.body = errorBody(
        ctx.request,
        'api_error',
        'output_schema_violation',
        `The model's answer does not match the output schema of extension '${ctx.extension}': ${where} ${violation}. ` +
          'The gateway does not retry: retry the request, or change the prompt or the schema.',
      );
      return;
    }
  },
  onLog(ctx) {
    if (typeof ctx.scratch.violation === 'string') ctx.fields.violation = ctx.scratch.violation;
  },
};

export const JSON_SCHEMA_GUARD_1_0_0: MarketplaceManifest = {
  name: 'json-schema-guard',
  version: '1.0.0',
  description:
    "Checks each non-streamed model answer's text (OpenAI chat, Anthropic Messages, Responses) as JSON against a JSON Schema subset " +
    '(type, properties, required, items, enum, additionalProperties) and answers 502 output_schema_violation naming the first violation. ' +
    'No retry; streamed answers and answers with no text (tool calls) pass unchecked. Config: { schema: <JSON Schema> }.',
  phase: 'default',
  priority: 100,
  failPolicy: 'closed',
  editions: ['dedicated'],
  definition,
};
