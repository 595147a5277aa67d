import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { UpstreamSimulator } from '../../../src/simulator';
import type { TestGateway } from '../../../src/testing';
import { CONSUMER_KEYS, gatewayStack, modelsOnEveryApi, start } from '../harness';

/**
 * The clients that call the Responses API by default, pointed at the gateway with nothing but a base URL
 * and a key: the Vercel AI SDK's `openai(model)` (and its `.chat()`), LangChain's `ChatOpenAI` with
 * `useResponsesApi`. On a native OpenAI backend and on translated ones.
 */
let sim: UpstreamSimulator;
let gw: TestGateway;

const MODELS = ['gpt-4o', 'deepseek-chat', 'claude-sonnet-4'] as const;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ streamChunks: 3, name: 'responses-clients' });
  const gateway = gatewayStack();
  const models = modelsOnEveryApi(sim);
  const route = gateway.addModelRoute('chat', {
    models: [
      models.gpt4o,
      models.deepseek,
      models.claude,
    ],
  });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  gw = await start(gateway);
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

describe.each(MODELS)('the Vercel AI SDK on %s', (model) => {
  const openai = () => createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice });

  test('generateText with the default provider (the Responses API)', async () => {
    sim.reset();
    const result = await generateText({ model: openai()(model), prompt: 'hello from the AI SDK', maxRetries: 0 });
    expect(result.text).toContain('hello from the AI SDK');
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(sim.requests.length).toBe(1);
  });

  test('streamText with the default provider', async () => {
    const result = streamText({ model: openai()(model), prompt: 'stream from the AI SDK', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toContain('stream from the AI SDK');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  test('a tool loop: the call executed, its result sent back, then text (store: false, as a translated backend needs)', async () => {
    let called: unknown;
    const result = await generateText({
      model: openai()(model),
      prompt: 'What is the weather in Paris?',
      tools: {
        get_weather: tool({
          description: 'The weather in a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
          execute: async (input) => {
            called = input;
            return 'sunny';
          },
        }),
      },
      stopWhen: stepCountIs(3),
      providerOptions: { openai: { store: false } },
      maxRetries: 0,
    });
    expect(called).toMatchObject({ city: expect.any(String) });
    expect(result.steps.length).toBe(2);
    expect(result.text.length).toBeGreaterThan(0);
  });

  test('.chat(): chat completions', async () => {
    const result = await generateText({ model: openai().chat(model), prompt: 'hello over chat', maxRetries: 0 });
    expect(result.text).toContain('hello over chat');
  });
});

describe.each(MODELS)('LangChain ChatOpenAI with useResponsesApi on %s', (model) => {
  const chat = (streaming = false) =>
    new ChatOpenAI({ model, apiKey: CONSUMER_KEYS.alice, configuration: { baseURL: `${gw.url}/v1` }, useResponsesApi: true, maxRetries: 0, streaming });

  test('invoke and stream', async () => {
    const answer = await chat().invoke('hello from LangChain');
    expect(answer.text).toContain('hello from LangChain');
    expect(answer.usage_metadata?.output_tokens).toBeGreaterThan(0);
    let text = '';
    for await (const chunk of await chat(true).stream('stream from LangChain')) text += chunk.text;
    expect(text).toContain('stream from LangChain');
  });
});
