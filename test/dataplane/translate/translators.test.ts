import { PROVIDER_ADAPTERS, type ProviderAdapter } from '../../../src/dataplane/providers';
import { translatorFor } from '../../../src/dataplane/translators';
import type { ProviderType } from '../../../src/specs';

const openai = PROVIDER_ADAPTERS.openai!;
const anthropic = PROVIDER_ADAPTERS.anthropic!;
/** OpenAI-compatible backends without the Responses API. */
const deepseek = PROVIDER_ADAPTERS.deepseek!;
const dashscope = PROVIDER_ADAPTERS.dashscope!;

describe('the translator table', () => {
  test('every endpoint has its identity translator, answering on the same endpoint and relaying the answer as it is', () => {
    const openAiEndpoints = ['chat', 'completions', 'embeddings', 'images.generations', 'images.edits', 'audio.transcriptions', 'audio.translations', 'audio.speech'] as const;
    for (const backend of [openai, deepseek]) {
      for (const endpoint of openAiEndpoints) {
        const t = translatorFor('openai', backend, endpoint);
        expect(t?.upstreamEndpoint).toBe(endpoint);
        expect(t?.response).toBeUndefined();
      }
    }
    const messages = translatorFor('anthropic', anthropic, 'messages');
    expect(messages?.upstreamEndpoint).toBe('messages');
    expect(messages?.response).toBeUndefined();
    // Anthropic's version and beta flags decide what the body means: they reach the backend as sent.
    expect(messages?.clientHeaders).toEqual(['anthropic-version', 'anthropic-beta']);
    expect(translatorFor('openai', openai, 'chat')?.clientHeaders).toBeUndefined();
  });

  test('the cross pairs answer on the other protocol\'s endpoint, and map answers', () => {
    expect(translatorFor('openai', anthropic, 'chat')).toMatchObject({ upstreamEndpoint: 'messages', response: expect.any(Function) });
    expect(translatorFor('anthropic', openai, 'messages')).toMatchObject({ upstreamEndpoint: 'chat', response: expect.any(Function) });
    expect(translatorFor('anthropic', deepseek, 'messages')).toMatchObject({ upstreamEndpoint: 'chat', response: expect.any(Function) });
    // No translator: the pair cannot serve the endpoint.
    expect(translatorFor('openai', anthropic, 'embeddings')).toBeUndefined();
    expect(translatorFor('openai', anthropic, 'audio.transcriptions')).toBeUndefined();
    expect(translatorFor('openai', openai, 'messages')).toBeUndefined();
  });
});

describe('the Responses API', () => {
  const body = { model: 'm', input: 'Hi', max_output_tokens: 50 };

  test('OpenAI serves it natively: the answer is relayed as it is, the body goes as sent unless the output limit lowers it', () => {
    const t = translatorFor('openai', openai, 'responses')!;
    expect(t.upstreamEndpoint).toBe('responses');
    expect(t.response).toBeUndefined();
    const raw = Buffer.from(JSON.stringify(body));
    expect(t.payload({ body, raw, stream: false }, 'm', openai, { provider: 'openai' })).toBe(raw);
    expect(JSON.parse(t.payload({ body, raw, stream: false }, 'm', openai, { provider: 'openai', maxOutputTokens: 20 }) as string)).toEqual({ ...body, max_output_tokens: 20 });
  });

  test.each([
    ['deepseek', deepseek],
    ['dashscope', dashscope],
  ] as const)('on %s (no Responses API) it is translated onto chat, and the answer mapped back', (provider, adapter) => {
    const t = translatorFor('openai', adapter, 'responses')!;
    expect(t).toMatchObject({ upstreamEndpoint: 'chat', response: expect.any(Function) });
    expect(JSON.parse(t.payload({ body, stream: false }, 'served', adapter, { provider, maxOutputTokens: 20 }) as string)).toEqual({
      model: 'served', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20,
    });
  });

  test('on Anthropic it is translated onto messages', () => {
    const t = translatorFor('openai', anthropic, 'responses')!;
    expect(t).toMatchObject({ upstreamEndpoint: 'messages', response: expect.any(Function) });
    expect(JSON.parse(t.payload({ body, stream: false }, 'claude', anthropic, { provider: 'anthropic', maxOutputTokens: 20 }) as string)).toEqual({
      model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: 'Hi' }],
    });
  });
});

describe('token counting', () => {
  test('on an OpenAI-compatible backend the gateway answers itself, with an estimate said to be one', () => {
    const t = translatorFor('anthropic', deepseek, 'messages.count_tokens')!;
    expect(t.local).toEqual(expect.any(Function));
    const body = { model: 'm', system: 'abcd', messages: [{ role: 'user', content: 'abcdefghijkl' }], tools: [{ name: 'f', input_schema: { type: 'object' } }] };
    // 16 characters of text (4 tokens) + 4 for the one message, + the tool's 47 characters of JSON (12 tokens).
    expect(t.local!({ body, stream: false })).toEqual({ body: JSON.stringify({ input_tokens: 20 }), headers: { 'x-aigw-token-count': 'estimated' } });
    expect(t.local!({ body: { ...body, tools: undefined }, stream: false }).body).toBe('{"input_tokens":8}');
    expect(() => t.payload({ body, stream: false }, 'm', deepseek, { provider: 'deepseek' })).toThrow(/answered by the gateway/);
  });

  test('on Anthropic it is the identity translator: the backend counts', () => {
    const t = translatorFor('anthropic', anthropic, 'messages.count_tokens')!;
    expect(t.upstreamEndpoint).toBe('messages.count_tokens');
    expect(t.local).toBeUndefined();
    expect(t.response).toBeUndefined();
    const raw = Buffer.from('{"model":"claude","messages":[{"role":"user","content":"Hi"}]}');
    expect(t.payload({ body: JSON.parse(raw.toString()) as Record<string, unknown>, raw, stream: false }, 'claude', anthropic, { provider: 'anthropic' })).toBe(raw);
  });
});

describe('identity payloads', () => {
  const chat = translatorFor('openai', openai, 'chat')!;
  const raw = Buffer.from('{"model":"gpt-4o","messages":[],"stream_options":{"include_usage":false,"x":1}}');
  const body = JSON.parse(raw.toString()) as Record<string, unknown>;
  const target = { provider: 'openai' } as const;

  test('the client\'s bytes, untouched, when nothing changes', () => {
    expect(chat.payload({ body, raw, stream: false }, 'gpt-4o', openai, target)).toBe(raw);
    expect(translatorFor('anthropic', anthropic, 'messages')!.payload({ body, raw, stream: true }, 'gpt-4o', anthropic, { provider: 'anthropic' })).toBe(raw);
  });

  test('another served model, extra body fields, or a stream that must report usage: new JSON', () => {
    expect(JSON.parse(chat.payload({ body, raw, stream: false }, 'gpt-4o-2024', openai, target) as string)).toEqual({ ...body, model: 'gpt-4o-2024' });
    const withExtra: ProviderAdapter = { ...openai, extraBody: { model: 'not this', enable_thinking: false } };
    expect(JSON.parse(chat.payload({ body, raw, stream: false }, 'gpt-4o', withExtra, target) as string)).toEqual({ ...body, enable_thinking: false });
    // Usage is always asked for on a stream; the client's other stream options are kept.
    expect(JSON.parse(chat.payload({ body, raw, stream: true }, 'gpt-4o', openai, target) as string).stream_options).toEqual({ include_usage: true, x: 1 });
  });
});

describe('identity streams', () => {
  const usageChunk = 'data: {"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}\n\n';
  const textChunk = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n';
  const request = { body: { model: 'gpt-4o', messages: [], stream: true }, stream: true };

  test('events pass as they are; the usage-only chunk is read, and dropped unless the client asked for it', () => {
    const relay = translatorFor('openai', openai, 'chat')!.stream(false, 'gpt-4o', request);
    expect(relay.passesUnchanged?.(Buffer.from(textChunk))).toBe(true);
    expect(relay.passesUnchanged?.(Buffer.from(usageChunk))).toBe(false);
    expect(relay.push(textChunk)).toEqual([textChunk]);
    expect(relay.push(usageChunk)).toEqual([]);
    expect(relay.usage()).toEqual({ inputTokens: 3, outputTokens: 5 });
    expect(translatorFor('openai', openai, 'chat')!.stream(true, 'gpt-4o', request).push(usageChunk)).toEqual([usageChunk]);
  });
});

describe('upstream error bodies are read by the translator', () => {
  test.each([
    ['openai', 'openai', 'chat', '{"error":{"message":"bad model","type":"invalid_request_error"}}', 'bad model'],
    ['openai', 'anthropic', 'chat', '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}', 'max_tokens: too large'],
    ['anthropic', 'anthropic', 'messages', '{"type":"error","error":{"type":"not_found_error","message":"no such model"}}', 'no such model'],
    ['anthropic', 'openai', 'messages', '{"error":"model not loaded"}', 'model not loaded'],
    ['openai', 'deepseek', 'responses', '{"error":{"message":"no such model","type":"invalid_request_error"}}', 'no such model'],
    ['openai', 'openai', 'chat', '{"message":"bare"}', 'bare'],
    ['openai', 'openai', 'chat', '<html>nope</html>', undefined],
    ['openai', 'openai', 'chat', '{"error":{"code":400}}', undefined],
  ] as const)('%s>%s %s: %s', (client, backend: ProviderType, endpoint, text, message) => {
    expect(translatorFor(client, PROVIDER_ADAPTERS[backend]!, endpoint)!.responseError(text)).toBe(message);
  });
});
