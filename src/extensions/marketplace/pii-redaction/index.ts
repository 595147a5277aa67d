import { z } from 'zod';
import { configParser } from '../config';
import { createRedactor, PII_ENTITIES, type PiiEntity, type Redactor } from './detectors';
import { editAnswerTexts, editRequestTexts, editStreamEvent, type TextEdit } from './texts';
import type { MarketplaceManifest } from '../../catalog-types';
import type { ExtensionDefinition, HookContext, JsonValue } from '../../types';

const ENTITY_PLACEHOLDER = '<entity>';

const PiiRedactionConfig = z.strictObject({
  /** What to mask. @default every entity */
  entities: z
    .array(z.enum(PII_ENTITIES))
    .min(1, 'list at least one entity, or remove the extension')
    .refine((list) => new Set(list).size === list.length, 'lists an entity twice')
    .default([...PII_ENTITIES]),
  /** What replaces each one; `<entity>` in it becomes the entity's name. @default '[REDACTED:<entity>]' */
  mask: z.string().max(100).refine((m) => !/[\d@]/.test(m), 'must not contain a digit or an @ (a later detector would find it again)').default(`[REDACTED:${ENTITY_PLACEHOLDER}]`),
  /** Whether answers are masked too (streamed ones event by event). @default false */
  inspectAnswers: z.boolean().default(false),
});
type PiiRedactionConfig = z.output<typeof PiiRedactionConfig>;

/** One redactor per config (built at the first request after a load, not per request): the config object is its key. */
const redactors = new WeakMap<object, Redactor>();

function redactorOf(config: Readonly<PiiRedactionConfig>): Redactor {
  let redactor = redactors.get(config);
  if (!redactor) {
    redactor = createRedactor(config.entities, (entity: PiiEntity) => config.mask.split(ENTITY_PLACEHOLDER).join(entity));
    redactors.set(config, redactor);
  }
  return redactor;
}

/** A TextEdit that masks with this context's redactor and counts the masks in its scratch (for onLog). */
function masking(ctx: HookContext<PiiRedactionConfig>): TextEdit {
  const redactor = redactorOf(ctx.config);
  return (text) => {
    const { text: masked, count } = redactor.redact(text);
    if (count > 0) ctx.scratch.redactions = ((ctx.scratch.redactions as number | undefined) ?? 0) + count;
    return masked;
  };
}

const definition: ExtensionDefinition<PiiRedactionConfig> = {
  name: 'pii-redaction',
  parseConfig: configParser(PiiRedactionConfig),
  onRequest(ctx) {
    if (ctx.request.body) editRequestTexts(ctx.request.body, masking(ctx));
  },
  onResponse(ctx) {
    if (ctx.config.inspectAnswers && !ctx.response.streamed && ctx.response.status < 300) editAnswerTexts(ctx.response.body, masking(ctx));
  },
  onStreamChunk(ctx) {
    // An entity split across two events is not seen whole, and so not masked: each event is masked on its own.
    if (!ctx.config.inspectAnswers) return;
    let event: JsonValue;
    try {
      event = JSON.parse(ctx.event.data) as JsonValue;
    } catch {
      return; // `[DONE]` and other non-JSON events carry no text.
    }
    if (editStreamEvent(event, masking(ctx))) ctx.event.data = JSON.stringify(event);
  },
  onLog(ctx) {
    if (typeof ctx.scratch.redactions === 'number') ctx.fields.redactions = ctx.scratch.redactions;
  },
};

export const PII_REDACTION_1_0_0: MarketplaceManifest = {
  name: 'pii-redaction',
  version: '1.0.0',
  description:
    'Masks email addresses, phone numbers (E.164 and common national formats), payment card numbers (Luhn-checked) and national ids ' +
    '(US SSN, Chinese resident id with its check character) in the text a request sends the model (OpenAI chat, Anthropic Messages, ' +
    'Responses), before the upstream sees it; with inspectAnswers, in answers too, streamed ones event by event. ' +
    "Config: { entities?: ('email' | 'phone' | 'card' | 'national-id')[], mask?: string (default '[REDACTED:<entity>]'), inspectAnswers?: boolean }.",
  phase: 'authz',
  priority: 100,
  failPolicy: 'closed',
  editions: ['dedicated'],
  definition,
};
