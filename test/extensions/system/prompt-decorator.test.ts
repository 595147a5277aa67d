import { promptDecorator } from '../../../src/extensions/system/prompt-decorator';
import { requestContext } from '../../../src/extensions/testing';
import type { JsonObject } from '../../../src/extensions/types';

const parse = (config: JsonObject) => promptDecorator.parseConfig!(config);

describe('prompt-decorator config', () => {
  test('defaults: nothing prepended or appended but what is set', async () => {
    expect(parse({ prepend: [{ role: 'system', content: 'Be brief.' }] })).toEqual({ prepend: [{ role: 'system', content: 'Be brief.' }], append: [] });
  });

  test.each([
    [{}, '(config): set prepend or append (or both): with neither, the extension does nothing'],
    [{ prepend: [{ role: 'tool', content: 'x' }] }, "prepend[0].role: must be 'system', 'developer', 'user' or 'assistant', found \"tool\""],
    [{ append: [{ role: 'user', content: '' }] }, 'append[0].content: must not be empty, found ""'],
    [{ append: [{ role: 'user' }] }, 'append[0].content: must be the message text (a string), found nothing'],
    [{ prepend: { role: 'user', content: 'x' } }, 'prepend: Invalid input: expected array, received object'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

describe('prompt-decorator', () => {
  const config = parse({
    prepend: [
      { role: 'system', content: 'You are the ACME assistant.' },
      { role: 'user', content: 'Context: ACME sells anvils.' },
    ],
    append: [{ role: 'system', content: 'Answer in English.' }],
  });

  test('OpenAI chat: messages before and after the client’s', async () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'What do you sell?' }] }] };
    const ctx = requestContext(config, { body });
    await promptDecorator.onRequest!(ctx);
    expect(ctx.request.body!.messages).toEqual([
      { role: 'system', content: 'You are the ACME assistant.' },
      { role: 'user', content: 'Context: ACME sells anvils.' },
      { role: 'user', content: [{ type: 'text', text: 'What do you sell?' }] },
      { role: 'system', content: 'Answer in English.' },
    ]);
  });

  test('Anthropic messages: system text joins `system` (string), turns join `messages`', async () => {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, system: 'Be kind.', messages: [{ role: 'user', content: 'What do you sell?' }] };
    const ctx = requestContext(config, { body, path: '/v1/messages' });
    await promptDecorator.onRequest!(ctx);
    expect(ctx.request.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: 'You are the ACME assistant.\n\nBe kind.\n\nAnswer in English.',
      messages: [
        { role: 'user', content: 'Context: ACME sells anvils.' },
        { role: 'user', content: 'What do you sell?' },
      ],
    });
  });

  test('Anthropic messages: a `system` of blocks stays blocks; no system yet becomes a string', async () => {
    const blocks = { model: 'c', max_tokens: 1, system: [{ type: 'text', text: 'Be kind.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hi' }] };
    const ctx = requestContext(config, { body: blocks, path: '/v1/messages' });
    await promptDecorator.onRequest!(ctx);
    expect(ctx.request.body!.system).toEqual([
      { type: 'text', text: 'You are the ACME assistant.' },
      { type: 'text', text: 'Be kind.', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Answer in English.' },
    ]);
    const none = requestContext(config, { body: { model: 'c', max_tokens: 1, messages: [] }, path: '/team/v1/messages/count_tokens' });
    await promptDecorator.onRequest!(none);
    expect(none.request.body!.system).toBe('You are the ACME assistant.\n\nAnswer in English.');
  });

  test('Responses: a string input becomes a user message between the added ones', async () => {
    const ctx = requestContext(config, { body: { model: 'gpt-4o', input: 'What do you sell?' }, path: '/v1/responses' });
    await promptDecorator.onRequest!(ctx);
    expect(ctx.request.body!.input).toEqual([
      { role: 'system', content: 'You are the ACME assistant.' },
      { role: 'user', content: 'Context: ACME sells anvils.' },
      { role: 'user', content: 'What do you sell?' },
      { role: 'system', content: 'Answer in English.' },
    ]);
  });

  test('embeddings, completions and bodiless requests are left alone', async () => {
    for (const [path, body] of [
      ['/v1/embeddings', { model: 'e', input: 'x' }],
      ['/v1/completions', { model: 'c', prompt: 'x' }],
    ] as const) {
      const ctx = requestContext(config, { body, path });
      await promptDecorator.onRequest!(ctx);
      expect(ctx.request.body).toEqual(body);
    }
    const bodiless = requestContext(config, { path: '/v1/audio/transcriptions' });
    await promptDecorator.onRequest!(bodiless);
    expect(bodiless.request.body).toBeUndefined();
  });
});
