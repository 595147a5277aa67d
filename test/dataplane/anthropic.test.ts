import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from './harness';
import { Backend } from '../../src';
import { UpstreamSimulator } from '../../src/testing';
import type { TestGateway } from '../../src/testing';

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('Anthropic /v1/messages and OpenAI ⇄ Anthropic translation, with the official SDKs', () => {
  let claude: UpstreamSimulator;
  let gpt: UpstreamSimulator;
  let gw: TestGateway;

  beforeAll(async () => {
    claude = await UpstreamSimulator.start({ name: 'claude', streamChunks: 5 });
    gpt = await UpstreamSimulator.start({ name: 'gpt', streamChunks: 5 });
    const gateway = gatewayStack();
    const anthropic = new Backend({ provider: 'anthropic', baseUrl: `${claude.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const openai = new Backend({ provider: 'openai', baseUrl: `${gpt.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const route = gateway.addModelRoute('chat', {
      models: [
        { name: 'claude-sonnet-4', targets: [{ backend: anthropic }] },
        { name: 'gpt-4o', targets: [{ backend: openai }] },
      ],
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    gw = await start(gateway);
  });
  afterAll(async () => {
    await gw.close();
    await claude.close();
    await gpt.close();
  });
  beforeEach(() => {
    claude.reset();
    gpt.reset();
  });

  const anthropicSdk = () => new Anthropic({ baseURL: gw.url, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
  const openaiSdk = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });

  test('native: /v1/messages passes through to an Anthropic backend byte for byte, with its key and version', async () => {
    const res = await anthropicSdk().messages.create({ model: 'claude-sonnet-4', max_tokens: 64, messages: [{ role: 'user', content: 'hello claude' }] });
    expect(res.content[0]).toMatchObject({ type: 'text' });
    expect((res.content[0] as { text: string }).text).toContain('[sim:claude] claude-sonnet-4');
    const [seen] = claude.requests;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(seen.headers['anthropic-version']).toBeDefined();
    expect(JSON.stringify(seen.headers)).not.toContain(CONSUMER_KEYS.alice);
    expect(seen.body).toEqual({ model: 'claude-sonnet-4', max_tokens: 64, messages: [{ role: 'user', content: 'hello claude' }] });
  });

  test('native streaming keeps every Anthropic event, and usage is counted', async () => {
    const stream = anthropicSdk().messages.stream({ model: 'claude-sonnet-4', max_tokens: 64, messages: [{ role: 'user', content: 'stream it' }] });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_delta');
    expect(types.at(-1)).toBe('message_stop');
    expect((final.content[0] as { text: string }).text).toContain('[sim:claude]');
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gen_ai_client_token_usage_total\{[^}]*gen_ai_request_model="claude-sonnet-4"[^}]*gen_ai_token_type="output"[^}]*\} [1-9]/);
  });

  test('OpenAI client → Anthropic backend: the request is translated, tool calls come back as tool_calls', async () => {
    const res = await openaiSdk().chat.completions.create({
      model: 'claude-sonnet-4',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'use get_weather for Paris' },
      ],
      tools: [{ type: 'function', function: { name: weatherTool.name, description: weatherTool.description, parameters: weatherTool.input_schema } }],
    });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    const call = res.choices[0].message.tool_calls![0] as { function: { name: string; arguments: string } };
    expect(call.function.name).toBe('get_weather');
    expect(() => JSON.parse(call.function.arguments)).not.toThrow();
    const seen = claude.requests[0];
    expect(seen.path).toBe('/v1/messages');
    expect(seen.body).toMatchObject({ model: 'claude-sonnet-4', system: 'be brief', tools: [{ name: 'get_weather', input_schema: weatherTool.input_schema }] });
  });

  test('OpenAI client → Anthropic backend, streaming: SSE events mapped to chat.completion.chunk', async () => {
    const stream = await openaiSdk().chat.completions.create({ model: 'claude-sonnet-4', stream: true, messages: [{ role: 'user', content: 'count' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toContain('[sim:claude] claude-sonnet-4');
    expect(finish).toBe('stop');
  });

  test('Claude client → OpenAI-compatible backend: translated both ways, streaming included', async () => {
    const res = await anthropicSdk().messages.create({ model: 'gpt-4o', max_tokens: 64, system: 'terse', messages: [{ role: 'user', content: 'hi gpt' }] });
    expect((res.content[0] as { text: string }).text).toContain('[sim:gpt] gpt-4o');
    expect(res.stop_reason).toBe('end_turn');
    const seen = gpt.requests[0];
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect((seen.body as { messages: unknown[] }).messages[0]).toEqual({ role: 'system', content: 'terse' });

    const stream = anthropicSdk().messages.stream({ model: 'gpt-4o', max_tokens: 64, messages: [{ role: 'user', content: 'stream gpt' }] });
    const final = await stream.finalMessage();
    expect((final.content[0] as { text: string }).text).toContain('[sim:gpt] gpt-4o');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  test('errors on /v1/messages are in Anthropic\'s shape', async () => {
    await expect(anthropicSdk().messages.create({ model: 'no-such-model', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error' } },
    });
  });
});
