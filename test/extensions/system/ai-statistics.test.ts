import { aiStatistics, type ParsedAiStatisticsConfig } from '../../../src/extensions/system/ai-statistics';
import { logContext, requestContext, responseContext, streamChunkContext, type TestRequestOptions } from '../../../src/extensions/testing';
import type { JsonObject, JsonValue, StreamEvent } from '../../../src/extensions/types';

const parse = (config: JsonObject) => aiStatistics.parseConfig!(config);

describe('ai-statistics config', () => {
  test('maxLength defaults to 256', async () => {
    expect(parse({ attributes: [{ key: 'user', from: 'request-body', path: 'user' }] })).toEqual({
      attributes: [{ key: 'user', from: 'request-body', path: 'user', maxLength: 256 }],
    });
  });

  const seventeen = Array.from({ length: 17 }, (_, i) => ({ key: `a${i}`, from: 'request-body', path: 'x' }));
  test.each([
    [{}, 'attributes: must list the fields to log, e.g. [{ key: "end_user", from: "request-body", path: "user" }], found nothing'],
    [{ attributes: [] }, 'attributes: must have at least 1 attribute: with none, the extension adds nothing'],
    [{ attributes: seventeen }, 'attributes: must have at most 16 attributes (each one widens every access line)'],
    [{ attributes: [{ key: 'Bad-Key', from: 'request-body', path: 'x' }] }, 'attributes[0].key: must be lower-case letters, digits and _ (starting with a letter, at most 64), found "Bad-Key"'],
    [{ attributes: [{ key: 'a', from: 'body', path: 'x' }] }, "attributes[0].from: must be 'request-body', 'response-body' or 'request-header', found \"body\""],
    [{ attributes: [{ key: 'a', from: 'request-header', path: 'Authorization' }] }, 'attributes[0].path: is a credential header (authorization, x-api-key, api-key, x-goog-api-key, cookie, proxy-authorization, host): it is never logged; remove it'],
    [{ attributes: [{ key: 'a', from: 'request-header', path: 'x header' }] }, 'attributes[0].path: must be a header name'],
    [{ attributes: [{ key: 'a', from: 'request-body', path: 'x', maxLength: 0 }] }, 'attributes[0].maxLength: must be at least 1, found 0'],
    [
      {
        attributes: [
          { key: 'a', from: 'request-body', path: 'x' },
          { key: 'a', from: 'response-body', path: 'y' },
        ],
      },
      'attributes: must not use the same key twice',
    ],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

describe('ai-statistics', () => {
  const config = parse({
    attributes: [
      { key: 'end_user', from: 'request-body', path: 'user', maxLength: 8 },
      { key: 'first_role', from: 'request-body', path: 'messages.0.role' },
      { key: 'team', from: 'request-header', path: 'X-Team' },
      { key: 'fingerprint', from: 'response-body', path: 'system_fingerprint' },
      { key: 'total_tokens', from: 'response-body', path: 'usage.total_tokens' },
      { key: 'tools', from: 'request-body', path: 'tools', maxLength: 20 },
    ],
  });
  const body = {
    model: 'gpt-4o',
    user: 'customer-12345678',
    messages: [{ role: 'system', content: 'x' }],
    tools: [{ type: 'function', function: { name: 'lookup', parameters: {} } }],
  };

  async function run(c: ParsedAiStatisticsConfig, options: TestRequestOptions, response: { body?: JsonValue; events?: StreamEvent[] }) {
    const scratch: Record<string, unknown> = {};
    await aiStatistics.onRequest!(requestContext(c, { ...options, scratch }));
    await aiStatistics.onResponse!(responseContext(c, { ...options, scratch }, { body: response.body, streamed: response.events !== undefined }));
    for (const event of response.events ?? []) await aiStatistics.onStreamChunk!(streamChunkContext(c, { ...options, scratch }, event));
    const log = logContext(c, { ...options, scratch }, { status: 200 });
    aiStatistics.onLog!(log);
    return log.fields;
  }

  test('fields from the request body, a header and a non-streamed answer; strings cut, objects as JSON', async () => {
    const fields = await run(config, { body, headers: { 'x-team': 'search' } }, { body: { id: 'c1', system_fingerprint: 'fp_abc', usage: { total_tokens: 42 } } });
    expect(fields).toEqual({ end_user: 'customer', first_role: 'system', team: 'search', fingerprint: 'fp_abc', total_tokens: 42, tools: '[{"type":"function",' });
  });

  test('absent values are left out', async () => {
    expect(await run(config, { body: { model: 'm', messages: [] } }, { body: { id: 'x' } })).toEqual({});
  });

  test('a streamed answer: the last event that holds the path', async () => {
    const events: StreamEvent[] = [
      { event: undefined, data: JSON.stringify({ id: 'c', system_fingerprint: 'fp_1', choices: [{ index: 0, delta: { content: 'hi' } }] }) },
      { event: undefined, data: JSON.stringify({ id: 'c', system_fingerprint: 'fp_1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }) },
      { event: undefined, data: '[DONE]' },
    ];
    expect(await run(config, { body: { ...body, stream: true } }, { events })).toMatchObject({ fingerprint: 'fp_1', total_tokens: 4 });
  });

  test('a config that reads nothing from the response parses no stream event', async () => {
    const c = parse({ attributes: [{ key: 'end_user', from: 'request-body', path: 'user' }] });
    const parseJson = jest.spyOn(JSON, 'parse');
    try {
      const events: StreamEvent[] = [{ event: undefined, data: JSON.stringify({ id: 'c', usage: { total_tokens: 4 } }) }];
      expect(await run(c, { body: { ...body, stream: true } }, { events })).toEqual({ end_user: 'customer-12345678' });
      expect(parseJson).not.toHaveBeenCalledWith(events[0].data);
    } finally {
      parseJson.mockRestore();
    }
  });

  test('an Anthropic stream', async () => {
    const c = parse({ attributes: [{ key: 'output_tokens', from: 'response-body', path: 'usage.output_tokens' }] });
    const events: StreamEvent[] = [
      { event: 'message_start', data: JSON.stringify({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 10, output_tokens: 1 } } }) },
      { event: 'message_delta', data: JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } }) },
    ];
    expect(await run(c, { path: '/v1/messages', body: { model: 'c', messages: [] } }, { events })).toEqual({ output_tokens: 15 });
  });
});
