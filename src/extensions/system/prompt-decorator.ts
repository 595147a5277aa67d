import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import type { JsonObject, JsonValue } from '../types';
import { configParser } from './config';
import { isAnthropicPath, isResponsesPath } from './http';

const MAX_MESSAGES = 32;
const MAX_CONTENT = 65_536;

const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant'], { error: "must be 'system', 'developer', 'user' or 'assistant'" }),
  content: z
    .string({ error: 'must be the message text (a string)' })
    .min(1, 'must not be empty')
    .max(MAX_CONTENT, `must be at most ${MAX_CONTENT} characters`),
});

const messages = z.array(message).max(MAX_MESSAGES, `must have at most ${MAX_MESSAGES} messages`);

const PromptDecoratorSchema = z
  .strictObject({
    /** Messages put before the client's (system ones first of all). */
    prepend: messages.default([]),
    /** Messages put after the client's. */
    append: messages.default([]),
  })
  .refine((c) => c.prepend.length + c.append.length > 0, 'set prepend or append (or both): with neither, the extension does nothing');

/** The `prompt-decorator` config as a construct declares it. */
export type PromptDecoratorConfig = z.input<typeof PromptDecoratorSchema>;
export type ParsedPromptDecoratorConfig = z.output<typeof PromptDecoratorSchema>;
type Message = z.output<typeof message>;

/**
 * `prompt-decorator`: puts fixed messages before and after the client's, on
 * - OpenAI chat completions (and any body with a `messages` array: OpenAI-compatible agent routes): into `messages`;
 * - Anthropic messages (and count_tokens, so that the count matches): `system`/`developer` text into `system` (before
 *   or after the client's own system prompt, string or blocks), `user`/`assistant` ones into `messages`;
 * - OpenAI Responses: into `input` (a string input becomes one user message first).
 *
 * It does not: decorate legacy completions (`prompt`), embeddings or requests without a JSON body; template the
 * text (it is sent as written); or merge consecutive same-role messages (the APIs accept them).
 */
export const promptDecorator = defineExtension<ParsedPromptDecoratorConfig>({
  name: 'prompt-decorator',
  parseConfig: configParser('prompt-decorator', PromptDecoratorSchema),

  onRequest(ctx) {
    const body = ctx.request.body;
    if (body === undefined) return;
    const { prepend, append } = ctx.config;
    if (isAnthropicPath(ctx.request.path)) {decorateAnthropic(body, prepend, append);} else if (Array.isArray(body.messages)) {body.messages = [...prepend.map(chatMessage), ...body.messages, ...append.map(chatMessage)];} else if (isResponsesPath(ctx.request.path) && (typeof body.input === 'string' || Array.isArray(body.input))) {
      const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
      body.input = [...prepend.map(chatMessage), ...input, ...append.map(chatMessage)];
    }
  },
});

function chatMessage(m: Message): JsonObject {
  return { role: m.role, content: m.content };
}

function decorateAnthropic(body: JsonObject, prepend: readonly Message[], append: readonly Message[]): void {
  if (!Array.isArray(body.messages)) return;
  const isSystem = (m: Message) => m.role === 'system' || m.role === 'developer';
  const before = prepend.filter(isSystem).map((m) => m.content);
  const after = append.filter(isSystem).map((m) => m.content);
  if (before.length + after.length > 0) body.system = decoratedSystem(body.system, before, after);
  const turn = (m: Message): JsonObject => ({ role: m.role, content: m.content });
  body.messages = [...prepend.filter((m) => !isSystem(m)).map(turn), ...body.messages, ...append.filter((m) => !isSystem(m)).map(turn)];
}

/** Anthropic's `system`: absent, a string, or text blocks; the added text joins it in the same form. */
function decoratedSystem(system: JsonValue | undefined, before: string[], after: string[]): JsonValue {
  if (Array.isArray(system)) {
    const block = (text: string): JsonObject => ({ type: 'text', text });
    return [...before.map(block), ...system, ...after.map(block)];
  }
  const own = typeof system === 'string' && system !== '' ? [system] : [];
  return [...before, ...own, ...after].join('\n\n');
}

export const PROMPT_DECORATOR: SystemExtension = {
  definition: promptDecorator,
  description: 'Prepends and appends fixed messages to chat, Anthropic messages and Responses prompts.',
  phase: 'default',
  priority: 800,
  failPolicy: 'closed',
};
