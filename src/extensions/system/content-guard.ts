import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import type { HookContext, JsonValue } from '../types';
import { configParser } from './config';
import { compileDenyPattern, eachRe2Match, hasAssertion } from './deny-pattern';
import { errorBody, errorEvent } from './http';
import { type DenyRule, firstMatch, matchedSpans, maskSpans, regExpRule, SCAN_OVERLAP } from './text-match';
import { completionSlots, eventSlots, promptSlots, type TextSlot } from './text-slots';

const MAX_RULES = 256;
const MAX_PATTERN_LENGTH = 512;
const MASK = '***';
const DEFAULT_MAX_INSPECT = 262_144;
const MAX_INSPECT = 8 * 1024 * 1024;

const denyPattern = z
  .string({ error: 'must be a regular expression (a string, RE2 syntax, without slashes or flags)' })
  .min(1, 'must not be empty')
  .max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`)
  .superRefine((source, issue) => {
    const compiled = compileDenyPattern(source);
    if (compiled instanceof Error) issue.addIssue({ code: 'custom', message: compiled.message });
  });

const denyWord = z
  .string({ error: 'must be a word or phrase (a string)' })
  .min(1, 'must not be empty')
  .max(MAX_PATTERN_LENGTH, `must be at most ${MAX_PATTERN_LENGTH} characters`)
  .refine((w) => w.trim() === w && w !== '', 'must not start or end with spaces');

const ContentGuardSchema = z
  .strictObject({
    /**
     * Regular expressions in RE2 syntax (case-sensitive unless they start with `(?i)`), e.g. `"sk-[A-Za-z0-9]{20,}"`:
     * matched in linear time, so no back-references or lookaround.
     */
    denyPatterns: z.array(denyPattern).max(MAX_RULES, `must have at most ${MAX_RULES} patterns`).default([]),
    /** Words or phrases, matched case-insensitively as whole words (a word of letters is not found inside a longer word). */
    denyWords: z.array(denyWord).max(MAX_RULES, `must have at most ${MAX_RULES} words`).default([]),
    action: z.enum(['block', 'mask'], { error: "must be 'block' (refuse the request or answer) or 'mask' (replace each match with ***)" }).default('block'),
    /**
     * The most characters of text one request or answer may hold: more is refused (400 `content_too_long`), never
     * passed unread. It bounds the time a scan takes: linear in the text, milliseconds per 256 KiB per pattern, up
     * to about a second per MiB when nearly every character is a match to mask.
     */
    maxInspectChars: z
      .number({ error: 'must be a number of characters' })
      .int('must be a whole number')
      .min(1024, 'must be at least 1024')
      .max(MAX_INSPECT, `must be at most ${MAX_INSPECT} (8 Mi characters)`)
      .default(DEFAULT_MAX_INSPECT),
    inspect: z
      .strictObject({
        prompts: z.boolean({ error: 'must be true or false' }).default(true),
        completions: z.boolean({ error: 'must be true or false' }).default(true),
      })
      .default({ prompts: true, completions: true }),
  })
  .refine((c) => c.denyPatterns.length + c.denyWords.length > 0, 'set denyPatterns or denyWords: with neither, the extension checks nothing')
  .refine((c) => c.inspect.prompts || c.inspect.completions, 'inspect.prompts and inspect.completions are both false: set one to true');

/** The `content-guard` config as a construct declares it. */
export type ContentGuardConfig = z.input<typeof ContentGuardSchema>;
export type ParsedContentGuardConfig = z.output<typeof ContentGuardSchema>;

/** The rules of a config, compiled once per config object: at load, by parseConfig (the gateway parses a config once per load). */
const compiled = new WeakMap<object, DenyRule[]>();

function rulesOf(config: ParsedContentGuardConfig): DenyRule[] {
  let rules = compiled.get(config);
  if (!rules) {
    rules = [
      ...config.denyPatterns.map((source, i) => patternRule(`denyPatterns[${i}]`, source)),
      // A word is an escaped literal between fixed-width lookarounds: JavaScript's RegExp cannot backtrack on it.
      ...config.denyWords.map((word, i) => regExpRule(`denyWords[${i}]`, wordRegex(word), hasWordEdge(word[0]) || hasWordEdge(word[word.length - 1]))),
    ];
    compiled.set(config, rules);
  }
  return rules;
}

function patternRule(name: string, source: string): DenyRule {
  const pattern = compileDenyPattern(source);
  // parseConfig refused it already: a config that reaches a hook holds only patterns RE2 compiles.
  if (pattern instanceof Error) throw new Error(`content-guard config: ${name}: ${pattern.message}`);
  return { name, edgeSensitive: hasAssertion(source), eachMatch: (text, from, found) => eachRe2Match(pattern, text, from, found) };
}

const parseContentGuardConfig = configParser('content-guard', ContentGuardSchema);

/**
 * A word, case-insensitive; where it starts or ends with a letter or digit of a script written with spaces, not
 * inside a longer word (`ass` is not found in `class`). Chinese, Japanese or Thai words have no such edges: found anywhere.
 */
function wordRegex(word: string): RegExp {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = hasWordEdge(word[0]) ? '(?<![\\p{L}\\p{N}_])' : '';
  const after = hasWordEdge(word[word.length - 1]) ? '(?![\\p{L}\\p{N}_])' : '';
  return new RegExp(`${before}${escaped}${after}`, 'giu');
}

function hasWordEdge(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c) && !/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u.test(c);
}

/** What one request's stream leaves in scratch: the last characters of each piece of text, to find matches split across events. */
interface GuardScratch {
  tails?: Record<string, string>;
}

/**
 * `content-guard`: deny lists of regular expressions and words, checked on prompts (before anything reaches the
 * upstream) and on completions (non-streamed answers, and each event of a streamed one). `block` answers a prompt
 * with a 400 `content_blocked` error naming the rule (`denyPatterns[1]`), never the matched text; a completion so
 * caught becomes that error too, and a stream gets the protocol's error event and ends there. `mask` replaces
 * each match with `***` and lets the rest through.
 *
 * Patterns run in RE2 (see `deny-pattern.ts`): linear time whatever the pattern, so an admin's pattern cannot let
 * one request block the replica; text over `maxInspectChars` is refused (400 `content_too_long`) rather than passed
 * unread: together they bound the time one request can cost. RE2 syntax differs from JavaScript's in a few places:
 * no back-references or lookaround (refused at load), `\x{e9}` for `\u00e9`, and `\s` is ASCII whitespace only.
 *
 * Which text it reads: see `promptSlots`, `completionSlots` and `eventSlots` (message text of chat, Anthropic,
 * Responses, completions and embeddings; not tool arguments, tool definitions or images). Texts are scanned in
 * windows of 8 KiB overlapping by 256 characters (RE2 runs fastest on such pieces), so a match longer than 256
 * characters across a window's edge can be missed; `^`, `$` and `\b` see the text's ends, not a window's. In a
 * stream the last 256 characters of each choice or block are kept, so a match split across events is found:
 * `block` ends the stream there, but with `mask` only the part in the current event can be masked (the start of
 * it has already gone to the client); there `$` matches at the end of each event's text.
 */
export const contentGuard = defineExtension<ParsedContentGuardConfig>({
  name: 'content-guard',
  parseConfig(config) {
    const parsed = parseContentGuardConfig(config);
    rulesOf(parsed);
    return parsed;
  },

  onRequest(ctx) {
    const body = ctx.request.body;
    if (!ctx.config.inspect.prompts || body === undefined) return;
    const rules = rulesOf(ctx.config);
    const slots = promptSlots(body, ctx.request.path);
    if (tooLong(slots, ctx.config)) return ctx.respond(400, tooLongError(ctx, ctx.request.path, 'The prompt'));
    if (ctx.config.action === 'mask') {
      const masked = maskSlots(slots, rules);
      if (masked > 0) ctx.log.info('content-guard: prompt text masked', { matches: masked });
      return;
    }
    for (const s of slots) {
      const match = firstMatch(s.text, rules);
      if (match) {
        ctx.log.info('content-guard: prompt blocked', { rule: match.rule.name });
        return ctx.respond(400, blocked(ctx, ctx.request.path, match.rule.name, 'the prompt'));
      }
    }
    return;
  },

  onResponse(ctx) {
    if (!ctx.config.inspect.completions || ctx.response.streamed || ctx.response.status !== 200) return;
    const rules = rulesOf(ctx.config);
    const slots = completionSlots(ctx.response.body);
    if (tooLong(slots, ctx.config)) {
      ctx.response.status = 400;
      ctx.response.body = tooLongError(ctx, ctx.request.path, "The model's answer");
      return;
    }
    if (ctx.config.action === 'mask') {
      maskSlots(slots, rules);
      return;
    }
    for (const s of slots) {
      const match = firstMatch(s.text, rules);
      if (match) {
        ctx.log.info('content-guard: answer blocked', { rule: match.rule.name });
        ctx.response.status = 400;
        ctx.response.body = blocked(ctx, ctx.request.path, match.rule.name, "the model's answer");
        return;
      }
    }
  },

  onStreamChunk(ctx) {
    if (!ctx.config.inspect.completions) return;
    const data = parseData(ctx.event.data);
    if (data === undefined) return;
    const slots = eventSlots(data);
    if (slots.length === 0) return;
    const rules = rulesOf(ctx.config);
    const scratch = ctx.scratch as GuardScratch;
    const tails = (scratch.tails ??= {});
    let changed = false;
    for (const s of slots) {
      const tail = s.stream !== undefined ? (tails[s.stream] ?? '') : '';
      const combined = tail + s.text;
      if (s.stream !== undefined) tails[s.stream] = combined.slice(-SCAN_OVERLAP);
      // Only matches that reach into this event's text: one wholly in the tail was handled with its own event.
      const spans = matchedSpans(combined, rules).filter(([, end]) => end > tail.length);
      if (spans.length === 0) continue;
      if (ctx.config.action === 'block') {
        const rule = firstMatch(combined, rules)?.rule.name ?? 'a rule';
        ctx.log.info('content-guard: streamed answer blocked', { rule });
        const error = errorEvent(ctx.request.path, 'invalid_request_error', 'content_blocked', blockedMessage(ctx, rule, "the model's answer"));
        ctx.event.event = error.event;
        ctx.event.data = error.data;
        ctx.end();
        return;
      }
      s.set(maskSpans(s.text, spans.map(([start, end]) => [Math.max(0, start - tail.length), end - tail.length]), MASK));
      changed = true;
    }
    if (changed) ctx.event.data = JSON.stringify(data);
  },
});

function tooLong(slots: readonly TextSlot[], config: ParsedContentGuardConfig): boolean {
  let total = 0;
  for (const s of slots) total += s.text.length;
  return total > config.maxInspectChars;
}

function tooLongError(ctx: HookContext<ParsedContentGuardConfig>, path: string, what: string): JsonValue {
  const message = `${what} has more text than ${ctx.extension} inspects (maxInspectChars ${ctx.config.maxInspectChars}). Send less text, or raise maxInspectChars.`;
  return errorBody(path, 'invalid_request_error', 'content_too_long', message);
}

function maskSlots(slots: readonly TextSlot[], rules: readonly DenyRule[]): number {
  let count = 0;
  for (const s of slots) {
    const spans = matchedSpans(s.text, rules);
    if (spans.length === 0) continue;
    s.set(maskSpans(s.text, spans, MASK));
    count += spans.length;
  }
  return count;
}

function blockedMessage(ctx: HookContext, rule: string, what: string): string {
  return `${what[0].toUpperCase()}${what.slice(1)} was blocked by ${ctx.extension} (rule ${rule}). Change the text, or ask the gateway's operator about the rule.`;
}

function blocked(ctx: HookContext, path: string, rule: string, what: string): JsonValue {
  return errorBody(path, 'invalid_request_error', 'content_blocked', blockedMessage(ctx, rule, what));
}

function parseData(data: string): JsonValue | undefined {
  if (data === '' || data === '[DONE]' || (data[0] !== '{' && data[0] !== '[')) return undefined;
  try {
    return JSON.parse(data) as JsonValue;
  } catch {
    return undefined;
  }
}

export const CONTENT_GUARD: SystemExtension = {
  definition: contentGuard,
  description: 'Blocks or masks prompts and completions (streamed included) that match regex or keyword deny lists.',
  phase: 'authz',
  priority: 500,
  failPolicy: 'closed',
};
