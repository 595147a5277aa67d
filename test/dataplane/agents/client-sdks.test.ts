import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText } from 'ai';
import { UpstreamSimulator } from '../../../src/simulator';
import { startTestGateway, type TestGateway } from '../../../src/testing';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend } from '../harness';

/**
 * An agent exposed as a model, called the way users of the Vercel AI SDK and LangChain call a model:
 * through their OpenAI providers, pointed at the gateway, with nothing agent-specific but the model name
 * and (to continue a conversation) one header.
 */
let sim: UpstreamSimulator;
let gw: TestGateway;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ streamChunks: 3, name: 'client-sdks' });
  const gateway = gatewayStack();
  const support = gateway.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: `${sim.url}/v1`, apiKey: { secretName: 'agent-keys', key: 'dify' }, asModel: 'support-bot' });
  // A model route on the gateway root: the agent is one of its models too (alice is granted the agent only).
  gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [support] } });
  gw = await startTestGateway(gateway, {
    secrets: { 'consumer-keys/alice': CONSUMER_KEYS.alice, 'agent-keys/dify': 'app-dify-key-0123456789', 'llm-keys/openai': 'sk-upstream-0123456789' },
  });
});
afterAll(async () => {
  await gw.close();
  await sim.close();
});

describe('the Vercel AI SDK (ai 5, @ai-sdk/openai)', () => {
  // Under the agent's own prefix: its OpenAI base is `<gateway>/agents/support/v1`.
  const provider = () => createOpenAI({ baseURL: `${gw.url}/agents/support/v1`, apiKey: CONSUMER_KEYS.alice });

  test('generateText, then a second turn continued with the conversation header', async () => {
    const first = await generateText({ model: provider().chat('support-bot'), prompt: 'hello from the AI SDK', maxRetries: 0 });
    expect(first.text).toBe('Dify heard "hello from the AI SDK" (turn 1 of conversation, user aigw:consumer:alice)');
    expect(first.usage.outputTokens).toBeGreaterThan(0);
    const conversation = first.response.headers?.['x-aigw-conversation-id'];
    expect(conversation).toMatch(/^[0-9a-f-]{36}$/);
    const second = await generateText({
      model: provider().chat('support-bot'),
      messages: [
        { role: 'user', content: 'hello from the AI SDK' },
        { role: 'assistant', content: first.text },
        { role: 'user', content: 'and again' },
      ],
      headers: { 'x-aigw-conversation-id': conversation! },
      maxRetries: 0,
    });
    expect(second.text).toBe('Dify heard "and again" (turn 2 of conversation, user aigw:consumer:alice)');
  });

  test('streamText', async () => {
    const result = streamText({ model: provider().chat('support-bot'), prompt: 'stream it', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Dify heard "stream it" (turn 1 of conversation, user aigw:consumer:alice)');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });
});

describe('LangChain (@langchain/openai ChatOpenAI)', () => {
  const chat = (streaming = false) =>
    new ChatOpenAI({ model: 'support-bot', apiKey: CONSUMER_KEYS.alice, configuration: { baseURL: `${gw.url}/v1` }, maxRetries: 0, streaming });

  test('invoke and stream on the gateway root, as any model', async () => {
    const answer = await chat().invoke('hello from LangChain');
    expect(answer.content).toBe('Dify heard "hello from LangChain" (turn 1 of conversation, user aigw:consumer:alice)');
    expect(answer.usage_metadata?.output_tokens).toBeGreaterThan(0);
    let text = '';
    for await (const chunk of await chat(true).stream('stream from LangChain')) text += typeof chunk.content === 'string' ? chunk.content : '';
    expect(text).toBe('Dify heard "stream from LangChain" (turn 1 of conversation, user aigw:consumer:alice)');
  });
});
