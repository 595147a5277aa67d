import { modelMapper } from '../../../src/extensions/system/model-mapper';
import { requestContext } from '../../../src/extensions/testing';
import type { JsonObject } from '../../../src/extensions/types';

const parse = (config: JsonObject) => modelMapper.parseConfig!(config);

describe('model-mapper config', () => {
  test('good configs', async () => {
    expect(parse({ mappings: { 'gpt-4': 'gpt-4o' } })).toEqual({ mappings: { 'gpt-4': 'gpt-4o' } });
    expect(parse({ parameters: { 'gpt-4o*': { set: { temperature: 0.2 }, remove: ['logit_bias'] } } })).toEqual({
      mappings: {},
      parameters: { 'gpt-4o*': { set: { temperature: 0.2 }, remove: ['logit_bias'] } },
    });
  });

  test.each([
    [{}, '(config): set mappings or parameters: with neither, the extension does nothing'],
    [{ mappings: { 'gpt-*-mini': 'x' } }, 'mappings.gpt-*-mini: may hold * only as its last character (a prefix wildcard, e.g. "gpt-4o-*")'],
    [{ mappings: { 'gpt-4': 'gpt-4o-*' } }, 'mappings.gpt-4: must be a model name, not a pattern (no *), found "gpt-4o-*"'],
    [{ mappings: { 'gpt-4': '' } }, 'mappings.gpt-4: must not be empty, found ""'],
    [{ mappings: { 'gpt-4': 4 } }, 'mappings.gpt-4: must be the model name to send (a string), found 4'],
    [{ parameters: { 'gpt-4o': { set: { model: 'x' } } } }, 'parameters.gpt-4o.set.model: is not a parameter this extension overrides'],
    [{ parameters: { 'gpt-4o': { remove: ['stream'] } } }, 'parameters.gpt-4o.remove[0]: is not a parameter this extension overrides'],
    [{ parameters: { 'gpt-4o': { unset: ['x'] } } }, 'parameters.gpt-4o: unknown field "unset"'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

describe('model-mapper', () => {
  const config = parse({
    mappings: { 'gpt-4': 'gpt-4o', 'gpt-4*': 'gpt-4o-mini', 'claude-3-*': 'claude-sonnet-4-5', '*': 'fallback-model' },
    parameters: { 'gpt-4o': { set: { temperature: 0.2, max_tokens: 512 }, remove: ['logit_bias'] }, 'claude-*': { set: { top_k: 5 } } },
  });

  const chat = (model: string, extra: JsonObject = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

  test.each([
    ['gpt-4', 'gpt-4o'],
    ['gpt-4-turbo', 'gpt-4o-mini'],
    ['claude-3-5-haiku', 'claude-sonnet-4-5'],
    ['mistral-large', 'fallback-model'],
  ])('%s is sent as %s (exact first, then the longest prefix)', async (from, to) => {
    const ctx = requestContext(config, { body: chat(from) });
    await modelMapper.onRequest!(ctx);
    expect(ctx.request.body!.model).toBe(to);
  });

  test('parameters of the mapped model are set and removed; others are kept', async () => {
    const ctx = requestContext(config, { body: chat('gpt-4', { temperature: 1, logit_bias: { 50256: -100 }, n: 2 }) });
    await modelMapper.onRequest!(ctx);
    expect(ctx.request.body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, max_tokens: 512, n: 2 });
  });

  test('an Anthropic messages request', async () => {
    const body = { model: 'claude-3-opus', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
    const ctx = requestContext(config, { body, path: '/v1/messages' });
    await modelMapper.onRequest!(ctx);
    expect(ctx.request.body).toEqual({ ...body, model: 'claude-sonnet-4-5', top_k: 5 });
  });

  test('agent routes and bodies without a model are left alone', async () => {
    const agent = requestContext(config, { body: chat('gpt-4'), route: { name: 'bot', kind: 'agent' } });
    await modelMapper.onRequest!(agent);
    expect(agent.request.body!.model).toBe('gpt-4');
    const none = requestContext(config, { body: { input: 'x' } });
    await modelMapper.onRequest!(none);
    expect(none.request.body).toEqual({ input: 'x' });
  });
});
