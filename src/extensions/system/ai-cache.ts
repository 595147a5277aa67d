import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import type { HookContext, JsonObject, RequestHookContext, Responded, StreamEvent } from '../types';
import { configParser } from './config';
import { canonicalJson, sha256 } from './json';

const MIB = 1024 * 1024;

const AiCacheSchema = z.strictObject({
  ttlSeconds: z
    .number({ error: 'must be a number of seconds, e.g. 300' })
    .int('must be a whole number of seconds')
    .min(1, 'must be at least 1 (second)')
    .max(86_400, 'must be at most 86400 (a day)')
    .default(300),
  scope: z
    .enum(['consumer', 'shared'], { error: "must be 'consumer' (each consumer its own entries) or 'shared' (one answer for every consumer)" })
    .default('consumer'),
  maxEntryBytes: z
    .number({ error: 'must be a number of bytes, e.g. 1048576' })
    .int('must be a whole number of bytes')
    .min(1024, 'must be at least 1024 (1 KiB)')
    .max(16 * MIB, 'must be at most 16777216 (16 MiB): larger answers are not worth keeping in Redis')
    .default(MIB),
});

/** The `ai-cache` config as a construct declares it (every field optional). */
export type AiCacheConfig = z.input<typeof AiCacheSchema>;
/** The `ai-cache` config once parsed, defaults filled in. */
export type ParsedAiCacheConfig = z.output<typeof AiCacheSchema>;

/** Request fields that do not change the answer's content: left out of the key. */
const UNKEYED_FIELDS = new Set(['stream', 'stream_options', 'user']);

/** Request headers that change the answer (protocol versions and features, a conversation's identity): in the key. */
const KEYED_HEADERS = ['anthropic-version', 'anthropic-beta', 'openai-beta', 'x-aigw-conversation-id'] as const;

/** What one request leaves in its scratch space. */
interface CacheScratch {
  /** The entry's key: set on a miss that may be stored. */
  key?: string;
  hit?: boolean;
  /** A streamed answer's events so far, as SSE text, while they fit in maxEntryBytes. */
  events?: string[];
  bytes?: number;
  /** The streamed answer was a 200 (set by onResponse; onStreamEnd stores only then). */
  storable?: boolean;
}

/** How an entry is stored: a one-letter kind, then the answer (`j` a JSON body, `s` an event stream's text). */
const JSON_ENTRY = 'j';
const STREAM_ENTRY = 's';

/**
 * `ai-cache`: an exact-match cache of model answers in the gateway's KV (its Redis when the config has one, shared
 * by every replica; else this replica's memory). A request whose route, consumer (scope `consumer`), path, query,
 * headers that change the answer (`anthropic-version`, `anthropic-beta`, `openai-beta`, `x-aigw-conversation-id`)
 * and body (without `stream`, `stream_options` and `user`; keys in any order) match an earlier one within `ttlSeconds` is
 * answered from the cache and never reaches the upstream: a JSON answer as JSON, a streamed one replayed as the same
 * events. Answers carry `x-aigw-cache: hit` or `miss`.
 *
 * It does not: match similar prompts (no semantic cache), cache errors or any status but 200, cache a stream that
 * did not end whole or carried an error event, answer a streamed request from a JSON entry or the reverse (each is kept under its own key),
 * or share entries across consumers with scope `consumer` (callers without a consumer, on a route without key
 * auth, share one space). It caches POST requests with a JSON body only. A replayed stream is the one first
 * recorded: a `stream_options.include_usage` that differs from the first request's is not honoured.
 * When the KV fails, a read is a miss and a write is skipped (both logged): the answer goes out from the upstream.
 *
 * It must stay the last of the default phase (priority 1): what it stores is the answer its onResponse sees, and a
 * hit skips every onRequest after it. An extension after it that turned an answer into an error (a schema guard)
 * would be bypassed by the next hit; one that rewrote the request would be left out of the key.
 */
export const aiCache = defineExtension<ParsedAiCacheConfig>({
  name: 'ai-cache',
  parseConfig: configParser('ai-cache', AiCacheSchema),

  async onRequest(ctx) {
    const body = ctx.request.body;
    if (ctx.request.method !== 'POST' || body === undefined) return;
    const streamed = body.stream === true;
    const keyed: JsonObject = {};
    for (const [k, v] of Object.entries(body)) if (!UNKEYED_FIELDS.has(k)) keyed[k] = v;
    const consumer = ctx.config.scope === 'consumer' ? (ctx.consumer ?? '') : null;
    const headers = KEYED_HEADERS.map((name) => ctx.request.headers[name] ?? null);
    const kind = streamed ? STREAM_ENTRY : JSON_ENTRY;
    const key = sha256(canonicalJson([ctx.route.name, consumer, ctx.request.path, ctx.request.query, headers, kind, keyed]));
    const scratch = ctx.scratch as CacheScratch;
    const entry = await read(ctx, key);
    if (entry !== undefined) {
      const answered = answerFrom(entry, streamed, ctx);
      if (answered) {
        scratch.hit = true;
        return answered;
      }
      ctx.log.warn('ai-cache: an entry could not be read, answering from the upstream', { key });
    }
    scratch.key = key;
    if (streamed) {
      scratch.events = [];
      scratch.bytes = 0;
    }
    return;
  },

  async onResponse(ctx) {
    const scratch = ctx.scratch as CacheScratch;
    if (scratch.hit) {
      ctx.response.headers['x-aigw-cache'] = 'hit';
      return;
    }
    if (scratch.key === undefined) return;
    ctx.response.headers['x-aigw-cache'] = 'miss';
    if (ctx.response.status !== 200) return;
    if (ctx.response.streamed) {
      scratch.storable = true;
      return;
    }
    if (ctx.response.body === undefined) return;
    const text = JSON.stringify(ctx.response.body);
    if (Buffer.byteLength(text) > ctx.config.maxEntryBytes) return;
    await store(ctx, scratch.key, JSON_ENTRY + text);
  },

  onStreamChunk(ctx) {
    const scratch = ctx.scratch as CacheScratch;
    if (scratch.events === undefined) return;
    if (isErrorEvent(ctx.event)) {
      // An upstream failure inside a 200 stream (Anthropic's `overloaded_error`, a failed response): never kept.
      scratch.events = undefined;
      return;
    }
    const text = sseText(ctx.event);
    scratch.bytes = (scratch.bytes ?? 0) + Buffer.byteLength(text);
    // Over the limit: stop gathering (and free what was gathered) rather than keep a copy of a huge stream.
    if (scratch.bytes > ctx.config.maxEntryBytes) scratch.events = undefined;
    else scratch.events.push(text);
  },

  async onStreamEnd(ctx) {
    const scratch = ctx.scratch as CacheScratch;
    if (!scratch.storable || scratch.key === undefined || scratch.events === undefined || scratch.events.length === 0) return;
    await store(ctx, scratch.key, STREAM_ENTRY + scratch.events.join(''));
  },
});

/** Answers from an entry of the kind the request asks for; undefined when the entry is not usable. */
function answerFrom(entry: string, streamed: boolean, ctx: RequestHookContext<ParsedAiCacheConfig>): Responded | undefined {
  const kind = entry.charAt(0);
  if (streamed && kind === STREAM_ENTRY) {
    return ctx.respondText(200, entry.slice(1), { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-aigw-cache': 'hit' });
  }
  if (!streamed && kind === JSON_ENTRY) {
    try {
      return ctx.respond(200, JSON.parse(entry.slice(1)), { 'x-aigw-cache': 'hit' });
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The entry under `key`; undefined when there is none or the KV failed (a cache that cannot answer must not fail the request). */
async function read(ctx: HookContext<ParsedAiCacheConfig>, key: string): Promise<string | undefined> {
  try {
    return await ctx.kv.get(key);
  } catch (e) {
    ctx.log.warn('ai-cache: the KV could not be read, answering from the upstream', { error: (e as Error).message });
    return undefined;
  }
}

async function store(ctx: HookContext<ParsedAiCacheConfig>, key: string, value: string): Promise<void> {
  try {
    await ctx.kv.set(key, value, ctx.config.ttlSeconds);
  } catch (e) {
    // The answer is good: a cache that cannot keep it must not fail it.
    ctx.log.warn('ai-cache: the answer could not be stored', { error: (e as Error).message });
  }
}

function isErrorEvent(event: StreamEvent): boolean {
  return event.event === 'error' || event.event === 'response.failed' || /^\{\s*"error"\s*:/.test(event.data);
}

/** One event as SSE text, as the upstream framed it: `event:` when it has one, a `data:` line per line of data. */
function sseText(event: StreamEvent): string {
  const data = event.data
    .split('\n')
    .map((line) => `data: ${line}\n`)
    .join('');
  return `${event.event !== undefined ? `event: ${event.event}\n` : ''}${data}\n`;
}

export const AI_CACHE: SystemExtension = {
  definition: aiCache,
  description: 'Exact-match cache of model answers (streamed ones replayed as streams) in the gateway Redis, per consumer or shared.',
  phase: 'default',
  // The last of the default phase: its key is the request as the upstream gets it, and it stores the answer as the
  // client gets it (after every other onResponse). Keep it last.
  priority: 1,
  // It only saves work: a Redis blip must not fail traffic.
  failPolicy: 'open',
};
