import { aiCache, type ParsedAiCacheConfig } from '../../../src/extensions/system/ai-cache';
import { MemoryKv, parseSse, requestContext, responseContext, streamChunkContext, type TestRequestOptions } from '../../../src/extensions/testing';
import type { JsonObject, JsonValue, StreamEvent } from '../../../src/extensions/types';

const parse = (config: JsonObject) => aiCache.parseConfig!(config);

const chatBody: JsonObject = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hi' },
  ],
  temperature: 0,
};

const chatAnswer: JsonObject = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
};

/**
 * One request through the cache's hooks, as the gateway runs them: onRequest, and unless it answered, the
 * "upstream" (counted), onResponse, and for a stream each event then onStreamEnd.
 */
async function roundTrip(
  config: ParsedAiCacheConfig,
  kv: MemoryKv,
  options: TestRequestOptions,
  upstream: { count: number; status?: number; body?: JsonValue; events?: StreamEvent[] },
) {
  const scratch: Record<string, unknown> = {};
  const req = requestContext(config, { ...options, kv, scratch });
  await aiCache.onRequest!(req);
  if (req.answer) {
    const { status, body, headers } = req.answer;
    const res = responseContext(config, { ...options, kv, scratch }, { status, body, headers });
    await aiCache.onResponse!(res);
    return { answer: req.answer, headers: res.response.headers };
  }
  upstream.count++;
  const streamed = upstream.events !== undefined;
  const res = responseContext(config, { ...options, kv, scratch }, { status: upstream.status ?? 200, body: upstream.body, streamed });
  await aiCache.onResponse!(res);
  for (const event of upstream.events ?? []) await aiCache.onStreamChunk!(streamChunkContext(config, { ...options, kv, scratch }, event));
  if (streamed) await aiCache.onStreamEnd!(responseContext(config, { ...options, kv, scratch }, { status: upstream.status ?? 200, streamed }));
  return { answer: undefined, headers: res.response.headers };
}

describe('ai-cache config', () => {
  test('defaults: 300 s, per consumer, 1 MiB entries', async () => {
    expect(parse({})).toEqual({ ttlSeconds: 300, scope: 'consumer', maxEntryBytes: 1024 * 1024 });
    expect(parse({ ttlSeconds: 60, scope: 'shared' })).toEqual({ ttlSeconds: 60, scope: 'shared', maxEntryBytes: 1024 * 1024 });
  });

  test.each([
    [{ ttlSeconds: 0 }, 'ai-cache config: ttlSeconds: must be at least 1 (second), found 0'],
    [{ ttlSeconds: 100000 }, 'ttlSeconds: must be at most 86400 (a day), found 100000'],
    [{ ttlSeconds: 1.5 }, 'ttlSeconds: must be a whole number of seconds, found 1.5'],
    [{ ttlSeconds: '60' }, 'ttlSeconds: must be a number of seconds, e.g. 300, found "60"'],
    [{ scope: 'global' }, "scope: must be 'consumer' (each consumer its own entries) or 'shared' (one answer for every consumer), found \"global\""],
    [{ maxEntryBytes: 10 }, 'maxEntryBytes: must be at least 1024 (1 KiB), found 10'],
    [{ ttl: 60 }, '(config): unknown field "ttl" (remove it, or check the spelling)'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

describe('ai-cache', () => {
  const config = parse({ ttlSeconds: 60 });

  test('two identical non-streamed chat requests reach the upstream once; the second is a hit with the same answer', async () => {
    const kv = new MemoryKv();
    const upstream = { count: 0, body: chatAnswer };
    const first = await roundTrip(config, kv, { body: chatBody, consumer: 'alice' }, upstream);
    expect(first.headers['x-aigw-cache']).toBe('miss');
    const second = await roundTrip(config, kv, { body: chatBody, consumer: 'alice' }, upstream);
    expect(upstream.count).toBe(1);
    expect(second.answer).toEqual({ status: 200, body: chatAnswer, headers: { 'x-aigw-cache': 'hit' } });
    expect(second.headers['x-aigw-cache']).toBe('hit');
  });

  test('the key ignores key order, stream_options and user, but not the prompt, model, path or route', async () => {
    const kv = new MemoryKv();
    const upstream = { count: 0, body: chatAnswer };
    await roundTrip(config, kv, { body: chatBody }, upstream);
    const reordered: JsonObject = { temperature: 0, user: 'u-42', messages: chatBody.messages, model: 'gpt-4o-mini' };
    await roundTrip(config, kv, { body: reordered }, upstream);
    expect(upstream.count).toBe(1);
    await roundTrip(config, kv, { body: { ...chatBody, temperature: 1 } }, upstream);
    await roundTrip(config, kv, { body: { ...chatBody, model: 'gpt-4o' } }, upstream);
    await roundTrip(config, kv, { body: chatBody, path: '/team/v1/chat/completions' }, upstream);
    await roundTrip(config, kv, { body: chatBody, route: { name: 'other', kind: 'model' } }, upstream);
    expect(upstream.count).toBe(5);
  });

  test('scope consumer keeps consumers apart; scope shared does not', async () => {
    const kv = new MemoryKv();
    const upstream = { count: 0, body: chatAnswer };
    await roundTrip(config, kv, { body: chatBody, consumer: 'alice' }, upstream);
    await roundTrip(config, kv, { body: chatBody, consumer: 'bob' }, upstream);
    expect(upstream.count).toBe(2);

    const shared = parse({ scope: 'shared' });
    const sharedKv = new MemoryKv();
    const sharedUpstream = { count: 0, body: chatAnswer };
    await roundTrip(shared, sharedKv, { body: chatBody, consumer: 'alice' }, sharedUpstream);
    const hit = await roundTrip(shared, sharedKv, { body: chatBody, consumer: 'bob' }, sharedUpstream);
    expect(sharedUpstream.count).toBe(1);
    expect(hit.answer?.body).toEqual(chatAnswer);
  });

  test('errors are never cached', async () => {
    const kv = new MemoryKv();
    const upstream = { count: 0, status: 429, body: { error: { message: 'slow down', type: 'rate_limit_error' } } as JsonValue };
    await roundTrip(config, kv, { body: chatBody }, upstream);
    await roundTrip(config, kv, { body: chatBody }, upstream);
    expect(upstream.count).toBe(2);
    expect(kv.keys()).toEqual([]);
  });

  test('an answer over maxEntryBytes is not stored', async () => {
    const small = parse({ maxEntryBytes: 1024 });
    const kv = new MemoryKv();
    const big = { ...chatAnswer, choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(2000) }, finish_reason: 'stop' }] };
    await roundTrip(small, kv, { body: chatBody }, { count: 0, body: big });
    expect(kv.keys()).toEqual([]);
  });

  test('an entry expires after ttlSeconds', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    try {
      const kv = new MemoryKv();
      const upstream = { count: 0, body: chatAnswer };
      await roundTrip(config, kv, { body: chatBody }, upstream);
      jest.setSystemTime(Date.parse('2026-01-01T00:00:59Z'));
      await roundTrip(config, kv, { body: chatBody }, upstream);
      expect(upstream.count).toBe(1);
      jest.setSystemTime(Date.parse('2026-01-01T00:01:01Z'));
      await roundTrip(config, kv, { body: chatBody }, upstream);
      expect(upstream.count).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  test('requests without a JSON body, or not POST, are left alone', async () => {
    const kv = new MemoryKv();
    const upstream = { count: 0, body: chatAnswer };
    const res = await roundTrip(config, kv, { body: undefined, path: '/v1/audio/transcriptions' }, upstream);
    await roundTrip(config, kv, { method: 'GET', path: '/v1/models' }, upstream);
    expect(res.headers['x-aigw-cache']).toBeUndefined();
    expect(kv.calls.get).toBe(0);
  });

  const chunk = (delta: JsonObject, finish: string | null = null) =>
    JSON.stringify({ id: 'chatcmpl-2', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] });
  const openAiEvents: StreamEvent[] = [
    { event: undefined, data: chunk({ role: 'assistant', content: '' }) },
    { event: undefined, data: chunk({ content: 'Hi' }) },
    { event: undefined, data: chunk({ content: ' there.' }) },
    { event: undefined, data: chunk({}, 'stop') },
    { event: undefined, data: '[DONE]' },
  ];

  test('a streamed answer is kept and replayed as the same events to a streamed request; never to a non-streamed one', async () => {
    const kv = new MemoryKv();
    const streamedBody = { ...chatBody, stream: true, stream_options: { include_usage: true } };
    const upstream = { count: 0, events: openAiEvents };
    const first = await roundTrip(config, kv, { body: streamedBody }, upstream);
    expect(first.headers['x-aigw-cache']).toBe('miss');
    const second = await roundTrip(config, kv, { body: { ...chatBody, stream: true } }, upstream);
    expect(upstream.count).toBe(1);
    expect(second.answer?.status).toBe(200);
    expect(second.answer?.headers).toMatchObject({ 'content-type': 'text/event-stream', 'x-aigw-cache': 'hit' });
    expect(parseSse(second.answer!.text!)).toEqual(openAiEvents);

    const plain = await roundTrip(config, kv, { body: chatBody }, { count: 0, body: chatAnswer });
    expect(plain.answer).toBeUndefined();
  });

  test('Anthropic streams keep their event names; a multi-line data field survives the replay', async () => {
    const kv = new MemoryKv();
    const events: StreamEvent[] = [
      { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_1', role: 'assistant', content: [] } }) },
      { event: 'content_block_delta', data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }) },
      { event: 'ping', data: '{"type":\n"ping"}' },
      { event: 'message_stop', data: JSON.stringify({ type: 'message_stop' }) },
    ];
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hello' }] };
    const upstream = { count: 0, events };
    await roundTrip(config, kv, { body, path: '/v1/messages' }, upstream);
    const hit = await roundTrip(config, kv, { body, path: '/v1/messages' }, upstream);
    expect(upstream.count).toBe(1);
    expect(parseSse(hit.answer!.text!)).toEqual(events);
  });

  test('a stream that did not end whole (no onStreamEnd), or grew past maxEntryBytes, is not kept', async () => {
    const kv = new MemoryKv();
    const body = { ...chatBody, stream: true };
    const scratch: Record<string, unknown> = {};
    await aiCache.onRequest!(requestContext(config, { body, kv, scratch }));
    await aiCache.onResponse!(responseContext(config, { body, kv, scratch }, { streamed: true }));
    await aiCache.onStreamChunk!(streamChunkContext(config, { body, kv, scratch }, openAiEvents[1]));
    expect(kv.keys()).toEqual([]);

    const small = parse({ maxEntryBytes: 1024 });
    const long = Array.from({ length: 40 }, () => ({ event: undefined, data: chunk({ content: 'a fairly long piece of text' }) }));
    await roundTrip(small, kv, { body }, { count: 0, events: long });
    expect(kv.keys()).toEqual([]);
  });

  test('a stream that carries an error event is not kept', async () => {
    const kv = new MemoryKv();
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hello' }] };
    const events: StreamEvent[] = [
      { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_1', role: 'assistant', content: [] } }) },
      { event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) },
    ];
    await roundTrip(config, kv, { body, path: '/v1/messages' }, { count: 0, events });
    await roundTrip(config, kv, { body: { ...chatBody, stream: true } }, { count: 0, events: [{ event: undefined, data: '{"error":{"message":"boom"}}' }] });
    expect(kv.keys()).toEqual([]);
  });

  test('a KV that fails to store is logged and the answer still goes out', async () => {
    const kv = new MemoryKv();
    kv.set = async () => {
      throw new Error('redis: connection refused');
    };
    const scratch: Record<string, unknown> = {};
    await aiCache.onRequest!(requestContext(config, { body: chatBody, kv, scratch }));
    const res = responseContext(config, { body: chatBody, kv, scratch }, { body: chatAnswer });
    await expect(aiCache.onResponse!(res)).resolves.toBeUndefined();
    expect(res.response.body).toEqual(chatAnswer);
    expect(res.log.lines).toEqual([{ level: 'warn', message: 'ai-cache: the answer could not be stored', fields: { error: 'redis: connection refused' } }]);
  });

  test('a KV that fails to read is a miss (logged): the request goes to the upstream, and its answer is stored', async () => {
    const kv = new MemoryKv();
    const get = kv.get.bind(kv);
    kv.get = async () => {
      throw new Error('redis: timeout');
    };
    const scratch: Record<string, unknown> = {};
    const req = requestContext(config, { body: chatBody, kv, scratch });
    await expect(Promise.resolve(aiCache.onRequest!(req))).resolves.toBeUndefined();
    expect(req.answer).toBeUndefined();
    expect(req.log.lines).toEqual([{ level: 'warn', message: 'ai-cache: the KV could not be read, answering from the upstream', fields: { error: 'redis: timeout' } }]);
    const res = responseContext(config, { body: chatBody, kv, scratch }, { body: chatAnswer });
    await aiCache.onResponse!(res);
    expect(res.response.headers['x-aigw-cache']).toBe('miss');
    kv.get = get;
    expect((await roundTrip(config, kv, { body: chatBody }, { count: 0, body: chatAnswer })).answer?.body).toEqual(chatAnswer);
  });

  test('the key holds the query and the headers that change an answer; other headers do not split it', async () => {
    const kv = new MemoryKv();
    const upstream = { count: 0, body: chatAnswer };
    await roundTrip(config, kv, { body: chatBody, headers: { 'x-request-id': 'a' } }, upstream);
    await roundTrip(config, kv, { body: chatBody, headers: { 'x-request-id': 'b', 'user-agent': 'sdk' } }, upstream);
    expect(upstream.count).toBe(1);
    await roundTrip(config, kv, { body: chatBody, query: '?api-version=2024-10-21' }, upstream);
    for (const name of ['anthropic-version', 'anthropic-beta', 'openai-beta', 'x-aigw-conversation-id']) {
      await roundTrip(config, kv, { body: chatBody, headers: { [name]: 'v1' } }, upstream);
      await roundTrip(config, kv, { body: chatBody, headers: { [name]: 'v2' } }, upstream);
      await roundTrip(config, kv, { body: chatBody, headers: { [name]: 'v2' } }, upstream);
    }
    expect(upstream.count).toBe(1 + 1 + 4 * 2);
  });
});
