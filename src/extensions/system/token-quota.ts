import { z } from 'zod';
import type { SystemExtension } from '../catalog-types';
import { defineExtension } from '../index';
import { type AdminAnswer, type AdminContext, type ExtensionKv, type JsonObject, type JsonValue, KV_MAX_TTL_SECONDS } from '../types';
import { configParser, shown } from './config';
import { isAnthropicPath } from './http';

/** The largest quota, and the largest top-up: far above any real budget, well inside Redis's and JavaScript's integers. */
export const MAX_QUOTA_TOKENS = 1e12;

/** A window's keys outlive its end by this much, so that a charge landing just after midnight still finds them. */
const TTL_MARGIN_SECONDS = 3_600;

const tokenCount = z
  .number({ error: 'must be a number of tokens, e.g. 100000' })
  .int('must be a whole number of tokens')
  .min(1, 'must be at least 1 (token)')
  .max(MAX_QUOTA_TOKENS, `must be at most ${MAX_QUOTA_TOKENS} (tokens)`);

const WindowLimits = z.strictObject({
  /** Tokens per UTC day. */
  daily: tokenCount.optional(),
  /** Tokens per UTC calendar month. */
  monthly: tokenCount.optional(),
});

const TokenQuotaSchema = WindowLimits.extend({
  /** Limits of named consumers, in place of `daily` and `monthly` (each window on its own: an unset one keeps the default). */
  consumers: z.record(z.string().min(1, 'a consumer name is not empty').max(253, 'a consumer name has at most 253 characters'), WindowLimits).default({}),
  /** What is charged: every token of a request (`total`), or the answer's only (`output`). */
  tokens: z.enum(['total', 'output'], { error: "must be 'total' (prompt and answer) or 'output' (the answer's tokens only)" }).default('total'),
}).refine(
  (c) => c.daily !== undefined || c.monthly !== undefined || Object.values(c.consumers).some((l) => l.daily !== undefined || l.monthly !== undefined),
  'set daily or monthly (or both), or a consumer\'s in consumers: with none, no consumer has a quota and the extension does nothing',
);

/** The `token-quota` config as a construct declares it. */
export type TokenQuotaConfig = z.input<typeof TokenQuotaSchema>;
export type ParsedTokenQuotaConfig = z.output<typeof TokenQuotaSchema>;

export type WindowKind = 'day' | 'month';

/** One window a consumer is metered in: a UTC day (`2026-12-07`) or month (`2026-12`), and the consumer's limit in it. */
export interface MeteredWindow {
  readonly kind: WindowKind;
  /** `YYYY-MM-DD` or `YYYY-MM`, UTC. */
  readonly id: string;
  /** When it ends (the next one starts), in ms since the epoch. */
  readonly endsAt: number;
  readonly limit: number;
}

/** A consumer's standing in one window. */
export interface Balance {
  readonly window: MeteredWindow;
  readonly used: number;
  readonly toppedUp: number;
  /** limit + toppedUp - used: zero or less refuses the next request (negative after a request overshot it). */
  readonly remaining: number;
}

const WINDOW_WORD: Record<WindowKind, string> = { day: 'daily', month: 'monthly' };

/** The consumer's limits: its own entry's, window by window, else the defaults. */
export function limitsOf(config: ParsedTokenQuotaConfig, consumer: string): { readonly day?: number; readonly month?: number } {
  const own = Object.hasOwn(config.consumers, consumer) ? config.consumers[consumer] : undefined;
  return { day: own?.daily ?? config.daily, month: own?.monthly ?? config.monthly };
}

/** The windows the consumer is metered in at `now` (none when it has no limit). */
export function meteredWindows(config: ParsedTokenQuotaConfig, consumer: string, now: number): MeteredWindow[] {
  const limits = limitsOf(config, consumer);
  const at = new Date(now);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const day = at.getUTCDate();
  const windows: MeteredWindow[] = [];
  const iso = at.toISOString();
  if (limits.day !== undefined) windows.push({ kind: 'day', id: iso.slice(0, 10), endsAt: Date.UTC(year, month, day + 1), limit: limits.day });
  if (limits.month !== undefined) windows.push({ kind: 'month', id: iso.slice(0, 7), endsAt: Date.UTC(year, month + 1, 1), limit: limits.month });
  return windows;
}

/** Where a consumer's count of a window lives: used tokens, or tokens an operator granted (top-ups). The consumer last: its name may hold a ':'. */
function usedKey(w: MeteredWindow, consumer: string): string {
  return `used:${w.kind}:${w.id}:${consumer}`;
}

function toppedUpKey(w: MeteredWindow, consumer: string): string {
  return `topup:${w.kind}:${w.id}:${consumer}`;
}

/** A window's keys live until it ends (and a margin), as long as the KV allows. */
function ttlOf(w: MeteredWindow, now: number): number {
  return Math.min(KV_MAX_TTL_SECONDS, Math.max(1, Math.ceil((w.endsAt - now) / 1000) + TTL_MARGIN_SECONDS));
}

function count(value: string | undefined): number {
  const n = value === undefined ? 0 : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** The consumer's balances in these windows: every key read at once (two per window). */
export async function balancesOf(kv: ExtensionKv, consumer: string, windows: readonly MeteredWindow[]): Promise<Balance[]> {
  const values = await Promise.all(windows.flatMap((w) => [kv.get(usedKey(w, consumer)), kv.get(toppedUpKey(w, consumer))]));
  return windows.map((window, i) => {
    const used = count(values[2 * i]);
    const toppedUp = count(values[2 * i + 1]);
    return { window, used, toppedUp, remaining: window.limit + toppedUp - used };
  });
}

/** The tokens a finished request is charged: its usage report's, else the gateway's estimate (prompt included, in either mode). */
export function chargedTokens(record: Readonly<Record<string, unknown>>, mode: ParsedTokenQuotaConfig['tokens']): number {
  const tokens = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0);
  if (record.inputTokens !== undefined || record.outputTokens !== undefined) {
    return mode === 'output' ? tokens(record.outputTokens) : tokens(record.inputTokens) + tokens(record.outputTokens);
  }
  return tokens(record.estimatedTokens);
}

/** What onRequest leaves for onLog: the windows the request was admitted in (a stream that crosses midnight is charged to the day it began). */
interface QuotaScratch {
  windows?: MeteredWindow[];
}

/** MCP calls spend no model tokens: neither checked nor charged. */
function metered(kind: string): boolean {
  return kind !== 'mcp';
}

/** The 429 a spent window answers, in the client's protocol: OpenAI's `insufficient_quota`, Anthropic's `rate_limit_error`. */
function quotaExceededBody(path: string, message: string): JsonObject {
  if (isAnthropicPath(path)) return { type: 'error', error: { type: 'rate_limit_error', message } };
  return { error: { message, type: 'insufficient_quota', param: null, code: 'token_quota_exceeded' } };
}

function renewal(w: MeteredWindow): string {
  return w.kind === 'day' ? 'It renews at 00:00 UTC' : `It renews on ${new Date(w.endsAt).toISOString().slice(0, 10)} at 00:00 UTC`;
}

function exceededMessage(extension: string, consumer: string, b: Balance): string {
  const w = b.window;
  const granted = b.toppedUp > 0 ? `${w.limit + b.toppedUp} tokens (${w.limit} and ${b.toppedUp} topped up)` : `${w.limit} tokens`;
  return (
    `Consumer '${consumer}' has used its ${WINDOW_WORD[w.kind]} token quota: ${b.used} of ${granted} ${w.kind === 'day' ? 'on' : 'in'} ${w.id} (UTC). ` +
    `${renewal(w)}; an operator can top it up (POST /extensions/${encodeURIComponent(extension)}/consumers/${encodeURIComponent(consumer)}/topup on the admin listener).`
  );
}

/**
 * `token-quota`: a budget of tokens per consumer and UTC day and/or month (`daily`, `monthly`, per consumer in
 * `consumers`), kept in the gateway's KV (its Redis when the config has one, shared by every replica; else this
 * replica's memory). Unlike a rate limit it is a balance: once a window's is spent, the consumer's requests are
 * refused (429 `insufficient_quota`, code `token_quota_exceeded`, `retry-after` the seconds to the window's end,
 * `x-should-retry: false` so that the SDKs do not retry at once)
 * until the window renews or an operator tops it up through the admin API (`/extensions/<name>/…` on the admin
 * listener, behind the gateway's `adminToken`):
 *
 * - `GET /consumers/<consumer>`: the consumer's day and month (`window`, `limit`, `used`, `toppedUp`, `remaining`; null for a window without a limit).
 * - `POST /consumers/<consumer>/topup` with `{"tokens": N, "window": "day" | "month"}`: grants N more tokens in the current window.
 *
 * Each request is charged once it ends, from its usage report (`inputTokens + outputTokens`, or `outputTokens`
 * with `tokens: 'output'`), else from the gateway's estimate, prompt included: streamed answers too. The balance is
 * checked before a request and charged after it, as Higress's ai-quota does: a request admitted with one token
 * left may spend many, and concurrent requests may all pass the check, so a window can overshoot its limit by what
 * the requests in flight spend (`remaining` then goes negative, and a top-up first pays that back).
 *
 * It does not: meter requests without a consumer (routes without key auth) or MCP calls (no model tokens);
 * carry a balance over from one window to the next (a top-up is for the current day or month only); or reserve
 * tokens before a request (see above). Without Redis, each replica keeps its own balances.
 */
export const tokenQuota = defineExtension<ParsedTokenQuotaConfig>({
  name: 'token-quota',
  parseConfig: configParser('token-quota', TokenQuotaSchema),

  async onRequest(ctx) {
    const consumer = ctx.consumer;
    if (consumer === undefined || !metered(ctx.route.kind)) return;
    const now = Date.now();
    const windows = meteredWindows(ctx.config, consumer, now);
    if (windows.length === 0) return;
    (ctx.scratch as QuotaScratch).windows = windows;
    const spent = (await balancesOf(ctx.kv, consumer, windows)).filter((b) => b.remaining <= 0);
    if (spent.length === 0) return;
    // The window that renews last is the one the consumer waits for.
    const longest = spent.reduce((a, b) => (b.window.endsAt > a.window.endsAt ? b : a));
    ctx.log.info('token-quota: consumer refused, its quota is spent', { consumer, window: longest.window.kind });
    const retryAfter = String(Math.max(1, Math.ceil((longest.window.endsAt - now) / 1000)));
    // x-should-retry: the OpenAI and Anthropic SDKs retry a 429 at once otherwise; a spent quota does not come back in seconds.
    const headers = { 'retry-after': retryAfter, 'x-should-retry': 'false' };
    return ctx.respond(429, quotaExceededBody(ctx.request.path, exceededMessage(ctx.extension, consumer, longest)), headers);
  },

  onLog(ctx) {
    const consumer = ctx.consumer;
    if (consumer === undefined || !metered(ctx.route.kind)) return;
    const tokens = chargedTokens(ctx.record, ctx.config.tokens);
    if (tokens === 0) return;
    const now = Date.now();
    const windows = (ctx.scratch as QuotaScratch).windows ?? meteredWindows(ctx.config, consumer, now);
    if (windows.length === 0) return;
    // onLog is synchronous: the charges run on, and the gateway reports a rejection (a Redis failure) in its log and metrics.
    return Promise.all(windows.map((w) => ctx.kv.incrBy(usedKey(w, consumer), tokens, ttlOf(w, now)))).then(() => undefined);
  },

  onAdmin(ctx) {
    return answerAdmin(ctx);
  },
});

const ADMIN_PATHS = 'GET /consumers/<consumer> (the balance), POST /consumers/<consumer>/topup with {"tokens": N, "window": "day" | "month"}';

function adminError(status: number, message: string): AdminAnswer {
  return { status, body: { error: { message } } };
}

function balanceJson(b: Balance | undefined): JsonValue {
  if (!b) return null;
  const w = b.window;
  return { window: w.id, limit: w.limit, used: b.used, toppedUp: b.toppedUp, remaining: b.remaining, renewsAt: new Date(w.endsAt).toISOString() };
}

async function balanceAnswer(ctx: AdminContext<ParsedTokenQuotaConfig>, consumer: string, now: number): Promise<AdminAnswer> {
  const balances = await balancesOf(ctx.kv, consumer, meteredWindows(ctx.config, consumer, now));
  const of = (kind: WindowKind) => balanceJson(balances.find((b) => b.window.kind === kind));
  return { status: 200, body: { consumer, day: of('day'), month: of('month') } };
}

/** The admin API: a consumer's balance, and top-ups. */
async function answerAdmin(ctx: AdminContext<ParsedTokenQuotaConfig>): Promise<AdminAnswer> {
  const { method, path, segments, body } = ctx.request;
  // Segments, each decoded on its own: a consumer named `team/bob` is `/consumers/team%2Fbob`.
  const matches = segments[0] === 'consumers' && (segments.length === 2 || (segments.length === 3 && segments[2] === 'topup'));
  if (!matches) return adminError(404, `${ctx.extension}: no such path '${path}'. Its paths: ${ADMIN_PATHS}.`);
  const consumer = segments[1]!;
  const topup = segments.length === 3;
  if (!ctx.consumers.includes(consumer)) {
    const some = ctx.consumers.slice(0, 20).map((c) => `'${c}'`).join(', ') || 'none';
    return adminError(404, `${ctx.extension}: the gateway has no consumer '${consumer}' (its consumers: ${some}${ctx.consumers.length > 20 ? ', …' : ''}).`);
  }
  const wanted = topup ? 'POST' : 'GET';
  if (method !== wanted) return adminError(405, `${ctx.extension}: ${path} answers ${wanted} only, found ${method}. Its paths: ${ADMIN_PATHS}.`);
  const now = Date.now();
  if (!topup) return balanceAnswer(ctx, consumer, now);

  const problem = topUpProblem(body);
  if (problem) return adminError(400, `${ctx.extension}: the top-up of '${consumer}' is refused: ${problem}. Send e.g. {"tokens": 10000, "window": "day"}.`);
  const { tokens, window: kind } = body as { tokens: number; window: WindowKind };
  const w = meteredWindows(ctx.config, consumer, now).find((m) => m.kind === kind);
  if (!w) {
    return adminError(400, `${ctx.extension}: consumer '${consumer}' has no ${WINDOW_WORD[kind]} quota, so there is nothing to top up. Top up a window it has, or give it a ${WINDOW_WORD[kind]} limit in the config.`);
  }
  await ctx.kv.incrBy(toppedUpKey(w, consumer), tokens, ttlOf(w, now));
  ctx.log.info('token-quota: topped up', { consumer, window: kind, tokens });
  return balanceAnswer(ctx, consumer, now);
}

function topUpProblem(body: JsonValue | undefined): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `the body must be a JSON object, found ${shown(body)}`;
  const extra = Object.keys(body).filter((k) => k !== 'tokens' && k !== 'window');
  if (extra.length > 0) return `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} (its fields are tokens and window)`;
  const { tokens, window } = body;
  if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 1 || tokens > MAX_QUOTA_TOKENS) {
    return `tokens must be a whole number from 1 to ${MAX_QUOTA_TOKENS}, found ${shown(tokens)}`;
  }
  if (window !== 'day' && window !== 'month') return `window must be "day" or "month", found ${shown(window)}`;
  return undefined;
}

export const TOKEN_QUOTA: SystemExtension = {
  definition: tokenQuota,
  description: 'Per-consumer token budgets by UTC day and month, with an admin API to read and top them up.',
  phase: 'authz',
  // After content-guard's refusals (which cost nothing), before the stats and the default phase's rewrites.
  priority: 400,
  // A budget that cannot be read is not a budget: a Redis failure refuses rather than serving unmetered.
  failPolicy: 'closed',
  // Two to four Redis reads per request: a slow Redis must not turn every metered request into a 504.
  asyncBudgetMs: 500,
};
