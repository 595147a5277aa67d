import { PROVIDER_ADAPTERS, type ProviderAdapter } from '../../../src/dataplane/providers';
import { translatorFor } from '../../../src/dataplane/translators';

const openai = PROVIDER_ADAPTERS.openai!;
const anthropic = PROVIDER_ADAPTERS.anthropic!;

describe('the translator table', () => {
  test('every endpoint has its identity translator, answering on the same endpoint and relaying the answer as it is', () => {
    const openAiEndpoints = ['chat', 'completions', 'embeddings', 'images.generations', 'images.edits', 'audio.transcriptions', 'audio.translations', 'audio.speech'] as const;
    for (const endpoint of openAiEndpoints) {
      const t = translatorFor('openai', 'openai', endpoint);
      expect(t?.upstreamEndpoint).toBe(endpoint);
      expect(t?.response).toBeUndefined();
    }
    const messages = translatorFor('anthropic', 'anthropic', 'messages');
    expect(messages?.upstreamEndpoint).toBe('messages');
    expect(messages?.response).toBeUndefined();
    // Anthropic's version and beta flags decide what the body means: they reach the backend as sent.
    expect(messages?.clientHeaders).toEqual(['anthropic-version', 'anthropic-beta']);
    expect(translatorFor('openai', 'openai', 'chat')?.clientHeaders).toBeUndefined();
  });

  test('the cross pairs answer on the other protocol\'s endpoint, and map answers', () => {
    expect(translatorFor('openai', 'anthropic', 'chat')).toMatchObject({ upstreamEndpoint: 'messages', response: expect.any(Function) });
    expect(translatorFor('anthropic', 'openai', 'messages')).toMatchObject({ upstreamEndpoint: 'chat', response: expect.any(Function) });
    // No translator: the pair cannot serve the endpoint.
    expect(translatorFor('openai', 'anthropic', 'embeddings')).toBeUndefined();
    expect(translatorFor('openai', 'anthropic', 'audio.transcriptions')).toBeUndefined();
    expect(translatorFor('openai', 'openai', 'messages')).toBeUndefined();
  });
});

describe('identity payloads', () => {
  const chat = translatorFor('openai', 'openai', 'chat')!;
  const raw = Buffer.from('{"model":"gpt-4o","messages":[],"stream_options":{"include_usage":false,"x":1}}');
  const body = JSON.parse(raw.toString()) as Record<string, unknown>;

  test('the client\'s bytes, untouched, when nothing changes', () => {
    expect(chat.payload({ body, raw, stream: false }, 'gpt-4o', openai)).toBe(raw);
    expect(translatorFor('anthropic', 'anthropic', 'messages')!.payload({ body, raw, stream: true }, 'gpt-4o', anthropic)).toBe(raw);
  });

  test('another served model, extra body fields, or a stream that must report usage: new JSON', () => {
    expect(JSON.parse(chat.payload({ body, raw, stream: false }, 'gpt-4o-2024', openai) as string)).toEqual({ ...body, model: 'gpt-4o-2024' });
    const withExtra: ProviderAdapter = { ...openai, extraBody: { model: 'not this', enable_thinking: false } };
    expect(JSON.parse(chat.payload({ body, raw, stream: false }, 'gpt-4o', withExtra) as string)).toEqual({ ...body, enable_thinking: false });
    // Usage is always asked for on a stream; the client's other stream options are kept.
    expect(JSON.parse(chat.payload({ body, raw, stream: true }, 'gpt-4o', openai) as string).stream_options).toEqual({ include_usage: true, x: 1 });
  });
});

describe('identity streams', () => {
  const usageChunk = 'data: {"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}\n\n';
  const textChunk = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n';

  test('events pass as they are; the usage-only chunk is read, and dropped unless the client asked for it', () => {
    const relay = translatorFor('openai', 'openai', 'chat')!.stream(false, 'gpt-4o');
    expect(relay.passesUnchanged?.(Buffer.from(textChunk))).toBe(true);
    expect(relay.passesUnchanged?.(Buffer.from(usageChunk))).toBe(false);
    expect(relay.push(textChunk)).toEqual([textChunk]);
    expect(relay.push(usageChunk)).toEqual([]);
    expect(relay.usage()).toEqual({ inputTokens: 3, outputTokens: 5 });
    expect(translatorFor('openai', 'openai', 'chat')!.stream(true, 'gpt-4o').push(usageChunk)).toEqual([usageChunk]);
  });
});

describe('upstream error bodies are read by the translator', () => {
  test.each([
    ['openai', 'openai', 'chat', '{"error":{"message":"bad model","type":"invalid_request_error"}}', 'bad model'],
    ['openai', 'anthropic', 'chat', '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}', 'max_tokens: too large'],
    ['anthropic', 'anthropic', 'messages', '{"type":"error","error":{"type":"not_found_error","message":"no such model"}}', 'no such model'],
    ['anthropic', 'openai', 'messages', '{"error":"model not loaded"}', 'model not loaded'],
    ['openai', 'openai', 'chat', '{"message":"bare"}', 'bare'],
    ['openai', 'openai', 'chat', '<html>nope</html>', undefined],
    ['openai', 'openai', 'chat', '{"error":{"code":400}}', undefined],
  ] as const)('%s>%s %s: %s', (client, backend, endpoint, text, message) => {
    expect(translatorFor(client, backend, endpoint)!.responseError(text)).toBe(message);
  });
});
