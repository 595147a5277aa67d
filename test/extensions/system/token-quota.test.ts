import { chargedTokens, meteredWindows, tokenQuota } from '../../../src/extensions/system/token-quota';
import type { ParsedTokenQuotaConfig } from '../../../src/extensions/system/token-quota';
import { logContext, MemoryKv, recordingLogger, requestContext } from '../../../src/extensions/testing';
import type { AdminAnswer, AdminContext, JsonObject, JsonValue } from '../../../src/extensions/types';

const parse = (config: JsonObject) => tokenQuota.parseConfig!(config);

/** 2026-12-07 23:00 UTC: an hour before the day ends, 24 days and an hour before the month does. */
const NOW = Date.UTC(2026, 11, 7, 23, 0, 0);

beforeEach(() => jest.useFakeTimers({ now: NOW }));
afterEach(() => jest.useRealTimers());

describe('token-quota config', () => {
  test('defaults: total tokens, no per-consumer limits', async () => {
    expect(parse({ daily: 1000 })).toEqual({ daily: 1000, consumers: {}, tokens: 'total' });
    expect(parse({ consumers: { alice: { monthly: 5 } }, tokens: 'output' })).toEqual({ consumers: { alice: { monthly: 5 } }, tokens: 'output' });
  });

  test.each([
    [{}, "(config): set daily or monthly (or both), or a consumer's in consumers"],
    [{ consumers: { alice: {} } }, "(config): set daily or monthly (or both), or a consumer's in consumers"],
    [{ daily: 0 }, 'daily: must be at least 1 (token), found 0'],
    [{ monthly: 1.5 }, 'monthly: must be a whole number of tokens, found 1.5'],
    [{ daily: 1e13 }, 'daily: must be at most 1000000000000 (tokens), found 10000000000000'],
    [{ daily: '1000' }, 'daily: must be a number of tokens, e.g. 100000, found "1000"'],
    [{ daily: 10, tokens: 'input' }, "tokens: must be 'total' (prompt and answer) or 'output' (the answer's tokens only), found \"input\""],
    [{ daily: 10, consumers: { alice: { weekly: 3 } } }, 'consumers.alice: unknown field "weekly"'],
    [{ daily: 10, countAnonymous: true }, '(config): unknown field "countAnonymous"'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(`token-quota config: ${message}`);
  });
});

describe('windows', () => {
  test("a consumer's windows: UTC day and month, each ending at the next one's start; its own limits replace the defaults window by window", async () => {
    const config = parse({ daily: 100, monthly: 1000, consumers: { bob: { daily: 5 } } });
    expect(meteredWindows(config, 'alice', NOW)).toEqual([
      { kind: 'day', id: '2026-12-07', endsAt: Date.UTC(2026, 11, 8), limit: 100 },
      { kind: 'month', id: '2026-12', endsAt: Date.UTC(2027, 0, 1), limit: 1000 },
    ]);
    expect(meteredWindows(config, 'bob', NOW).map((w) => w.limit)).toEqual([5, 1000]);
  });

  test('the last second of a year belongs to its last day and month; the next one to the new year', async () => {
    const config = parse({ daily: 1, monthly: 1 });
    const last = Date.UTC(2026, 11, 31, 23, 59, 59);
    expect(meteredWindows(config, 'a', last).map((w) => [w.id, new Date(w.endsAt).toISOString()])).toEqual([
      ['2026-12-31', '2027-01-01T00:00:00.000Z'],
      ['2026-12', '2027-01-01T00:00:00.000Z'],
    ]);
    expect(meteredWindows(config, 'a', last + 1000).map((w) => w.id)).toEqual(['2027-01-01', '2027-01']);
  });

  test('a consumer without a limit in any window is not metered', async () => {
    expect(meteredWindows(parse({ consumers: { alice: { daily: 5 } } }), 'bob', NOW)).toEqual([]);
  });
});

describe('chargedTokens', () => {
  test.each([
    ['the usage report, prompt and answer', { inputTokens: 12, outputTokens: 30 }, 'total', 42],
    ["the answer's tokens only with tokens: 'output'", { inputTokens: 12, outputTokens: 30 }, 'output', 30],
    ["the gateway's estimate when the provider reported no usage", { estimatedTokens: 17 }, 'total', 17],
    ["the estimate, prompt included, with 'output' too", { estimatedTokens: 17 }, 'output', 17],
    ['nothing for a request that spent none (refused, failed before the upstream)', { status: 429 }, 'total', 0],
  ] as const)('%s', async (_, record, mode, expected) => {
    expect(chargedTokens(record, mode)).toBe(expected);
  });
});

describe('token-quota', () => {
  const config = parse({ daily: 100, monthly: 1000 });

  /** One request of `consumer`: onRequest, then (when it was let through) onLog with `record`, on one KV. */
  const request = async (kv: MemoryKv, consumer: string | undefined, record: Record<string, unknown> = {}, options: { path?: string; kind?: 'model' | 'mcp' } = {}) => {
    const scratch = {};
    const route = { name: 'chat', kind: options.kind ?? 'model' };
    const ctx = requestContext(config, { extension: 'quota', consumer, kv, scratch, route, path: options.path });
    await tokenQuota.onRequest!(ctx);
    if (!ctx.answer) await tokenQuota.onLog!(logContext(config, { extension: 'quota', consumer, kv, scratch, route }, record));
    return ctx.answer;
  };

  test('requests pass until the day is spent, then get a 429 naming the consumer, window, limit and fix, with retry-after', async () => {
    const kv = new MemoryKv();
    expect(await request(kv, 'alice', { inputTokens: 40, outputTokens: 20 })).toBeUndefined();
    // 60 used, 40 left: admitted, and it overshoots (the check is before the charge).
    expect(await request(kv, 'alice', { inputTokens: 40, outputTokens: 30 })).toBeUndefined();
    const refused = await request(kv, 'alice');
    expect(refused).toEqual({
      status: 429,
      headers: { 'retry-after': '3600', 'x-should-retry': 'false' },
      body: {
        error: {
          message:
            "Consumer 'alice' has used its daily token quota: 130 of 100 tokens on 2026-12-07 (UTC). It renews at 00:00 UTC; an operator can top it up (POST /extensions/quota/consumers/alice/topup on the admin listener).",
          type: 'insufficient_quota',
          param: null,
          code: 'token_quota_exceeded',
        },
      },
    });
    // Other consumers have balances of their own.
    expect(await request(kv, 'bob', { inputTokens: 1, outputTokens: 1 })).toBeUndefined();
  });

  test('a spent month refuses until the month renews; retry-after is the later window when both are spent', async () => {
    const kv = new MemoryKv();
    const monthly = parse({ daily: 100, monthly: 150 });
    const run = async (record: Record<string, unknown>) => {
      const ctx = requestContext(monthly, { consumer: 'alice', kv });
      await tokenQuota.onRequest!(ctx);
      await tokenQuota.onLog!(logContext(monthly, { consumer: 'alice', kv }, record));
      return ctx.answer;
    };
    await run({ inputTokens: 200, outputTokens: 0 });
    const refused = await run({});
    expect(refused?.headers).toEqual({ 'retry-after': String((Date.UTC(2027, 0, 1) - NOW) / 1000), 'x-should-retry': 'false' });
    expect(JSON.stringify(refused?.body)).toContain('its monthly token quota: 200 of 150 tokens in 2026-12 (UTC). It renews on 2027-01-01 at 00:00 UTC');
  });

  test("an Anthropic client gets Anthropic's error shape", async () => {
    const kv = new MemoryKv();
    await request(kv, 'alice', { inputTokens: 100, outputTokens: 0 });
    const refused = await request(kv, 'alice', {}, { path: '/v1/messages' });
    expect(refused?.status).toBe(429);
    expect(refused?.body).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining("Consumer 'alice' has used its daily token quota") } });
  });

  test('requests without a consumer and MCP calls are neither checked nor charged: the KV is not touched', async () => {
    const kv = new MemoryKv();
    expect(await request(kv, undefined, { inputTokens: 500, outputTokens: 500 })).toBeUndefined();
    expect(await request(kv, 'alice', { inputTokens: 500, outputTokens: 500 }, { kind: 'mcp' })).toBeUndefined();
    expect(kv.calls).toEqual({ get: 0, set: 0, delete: 0, incrBy: 0 });
  });

  test('a charge lands in both windows, under keys that name the window and consumer', async () => {
    const kv = new MemoryKv();
    await request(kv, 'alice', { inputTokens: 3, outputTokens: 4 });
    expect(kv.keys().sort()).toEqual(['used:day:2026-12-07:alice', 'used:month:2026-12:alice']);
    expect(await kv.get('used:day:2026-12-07:alice')).toBe('7');
  });

  test('a request admitted before midnight is charged to the day it was admitted in', async () => {
    const kv = new MemoryKv();
    const scratch = {};
    await tokenQuota.onRequest!(requestContext(config, { consumer: 'alice', kv, scratch }));
    jest.setSystemTime(Date.UTC(2026, 11, 8, 0, 0, 5));
    await tokenQuota.onLog!(logContext(config, { consumer: 'alice', kv, scratch }, { inputTokens: 9, outputTokens: 1 }));
    expect(await kv.get('used:day:2026-12-07:alice')).toBe('10');
    expect(await kv.get('used:day:2026-12-08:alice')).toBeUndefined();
  });
});

describe('token-quota admin API', () => {
  const config = parse({ daily: 100, monthly: 1000, consumers: { carol: { monthly: 50 } } });

  const admin = async (kv: MemoryKv, method: string, path: string, body?: JsonValue): Promise<AdminAnswer> => {
    const ctx: AdminContext<ParsedTokenQuotaConfig> = {
      extension: 'quota',
      config,
      log: recordingLogger(),
      kv,
      request: { method, path, segments: path.split('/').filter((s) => s !== '').map(decodeURIComponent), query: {}, body },
      consumers: ['alice', 'bob', 'carol', 'team/bob'],
      signal: new AbortController().signal,
    };
    return tokenQuota.onAdmin!(ctx);
  };

  const spend = async (kv: MemoryKv, consumer: string, tokens: number) => {
    await tokenQuota.onLog!(logContext(config, { consumer, kv }, { inputTokens: tokens, outputTokens: 0 }));
  };

  test('a consumer whose name holds a / is addressed with it percent-encoded, and the 429 prints its path so', async () => {
    const kv = new MemoryKv();
    await spend(kv, 'team/bob', 100);
    expect(await admin(kv, 'GET', '/consumers/team%2Fbob')).toMatchObject({ status: 200, body: { consumer: 'team/bob', day: { used: 100, remaining: 0 } } });
    expect(await admin(kv, 'POST', '/consumers/team%2Fbob/topup', { tokens: 10, window: 'day' })).toMatchObject({ status: 200, body: { day: { remaining: 10 } } });
    expect(await admin(kv, 'GET', '/consumers/team/bob')).toMatchObject({ status: 404 });
    await spend(kv, 'team/bob', 10);
    const ctx = requestContext(config, { consumer: 'team/bob', kv });
    await tokenQuota.onRequest!(ctx);
    expect(JSON.stringify(ctx.answer?.body)).toContain('POST /extensions/test/consumers/team%2Fbob/topup');
  });

  test("GET /consumers/<name>: the consumer's day and month; null for a window it has no limit in", async () => {
    const kv = new MemoryKv();
    await spend(kv, 'alice', 30);
    expect(await admin(kv, 'GET', '/consumers/alice')).toEqual({
      status: 200,
      body: {
        consumer: 'alice',
        day: { window: '2026-12-07', limit: 100, used: 30, toppedUp: 0, remaining: 70, renewsAt: '2026-12-08T00:00:00.000Z' },
        month: { window: '2026-12', limit: 1000, used: 30, toppedUp: 0, remaining: 970, renewsAt: '2027-01-01T00:00:00.000Z' },
      },
    });
    expect(await admin(kv, 'GET', '/consumers/carol')).toMatchObject({ status: 200, body: { day: { limit: 100 }, month: { limit: 50 } } });
    const unlimited = parse({ consumers: { alice: { daily: 5 } } });
    const ctx = { extension: 'q', config: unlimited, log: recordingLogger(), kv, request: { method: 'GET', path: '/consumers/bob', segments: ['consumers', 'bob'], query: {}, body: undefined }, consumers: ['bob'], signal: new AbortController().signal };
    expect(await tokenQuota.onAdmin!(ctx)).toEqual({ status: 200, body: { consumer: 'bob', day: null, month: null } });
  });

  test('POST /consumers/<name>/topup adds to the window and answers the new balance; a refused consumer passes again', async () => {
    const kv = new MemoryKv();
    await spend(kv, 'alice', 120);
    const before = requestContext(config, { consumer: 'alice', kv });
    await tokenQuota.onRequest!(before);
    expect(before.answer?.status).toBe(429);

    const answer = await admin(kv, 'POST', '/consumers/alice/topup', { tokens: 50, window: 'day' });
    expect(answer).toMatchObject({ status: 200, body: { consumer: 'alice', day: { used: 120, toppedUp: 50, remaining: 30 } } });
    const after = requestContext(config, { consumer: 'alice', kv });
    await tokenQuota.onRequest!(after);
    expect(after.answer).toBeUndefined();
  });

  test.each([
    ['an unknown path', 'GET', '/balances', undefined, 404, "quota: no such path '/balances'. Its paths: GET /consumers/<consumer>"],
    ['a consumer the gateway lacks', 'GET', '/consumers/mallory', undefined, 404, "quota: the gateway has no consumer 'mallory' (its consumers: 'alice', 'bob', 'carol', 'team/bob')."],
    ['a POST to the balance', 'POST', '/consumers/alice', undefined, 405, 'quota: /consumers/alice answers GET only, found POST.'],
    ['a GET of the top-up', 'GET', '/consumers/alice/topup', undefined, 405, 'quota: /consumers/alice/topup answers POST only, found GET.'],
    ['no body', 'POST', '/consumers/alice/topup', undefined, 400, "the top-up of 'alice' is refused: the body must be a JSON object, found nothing."],
    ['tokens 0', 'POST', '/consumers/alice/topup', { tokens: 0, window: 'day' }, 400, 'tokens must be a whole number from 1 to 1000000000000, found 0.'],
    ['tokens as text', 'POST', '/consumers/alice/topup', { tokens: '10', window: 'day' }, 400, 'tokens must be a whole number from 1 to 1000000000000, found "10"'],
    ['a window that is none', 'POST', '/consumers/alice/topup', { tokens: 10, window: 'week' }, 400, 'window must be "day" or "month", found "week"'],
    ['an unknown field', 'POST', '/consumers/alice/topup', { tokens: 10, window: 'day', note: 'x' }, 400, 'unknown field "note" (its fields are tokens and window)'],
  ] as const)('%s is answered with its status and a message naming the fix', async (_, method, path, body, status, message) => {
    const kv = new MemoryKv();
    const answer = await admin(kv, method, path, body as JsonValue | undefined);
    expect(answer.status).toBe(status);
    expect((answer.body as { error: { message: string } }).error.message).toContain(message);
    expect(kv.calls.incrBy).toBe(0);
  });

  test('a top-up of a window the consumer has no limit in is refused, naming the fix', async () => {
    const only = parse({ monthly: 1000 });
    const kv = new MemoryKv();
    const ctx = { extension: 'q', config: only, log: recordingLogger(), kv, request: { method: 'POST', path: '/consumers/bob/topup', segments: ['consumers', 'bob', 'topup'], query: {}, body: { tokens: 5, window: 'day' } }, consumers: ['bob'], signal: new AbortController().signal };
    expect(await tokenQuota.onAdmin!(ctx)).toEqual({
      status: 400,
      body: { error: { message: "q: consumer 'bob' has no daily quota, so there is nothing to top up. Top up a window it has, or give it a daily limit in the config." } },
    });
  });
});
