import OpenAI from 'openai';
import type { ResponseFunctionToolCall, ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { UpstreamSimulator } from '../../../src/simulator';
import type { TestGateway } from '../../../src/testing';
import { CONSUMER_KEYS, client, gatewayStack, modelsOnEveryApi, start } from '../harness';

/**
 * The Responses API through the gateway, called with the official `openai` SDK as its users call it:
 * native on an OpenAI backend (the simulator's own `/v1/responses`), translated onto a chat-completions
 * backend (DeepSeek) and onto Anthropic. The same calls, the same answers' shapes, on all three.
 */
let sim: UpstreamSimulator;
let gw: TestGateway;
let sdk: OpenAI;

/** model name → the upstream path the simulator must see for it. */
const BACKENDS = [
  { model: 'gpt-4o', path: '/v1/responses', kind: 'native' },
  { model: 'deepseek-chat', path: '/v1/chat/completions', kind: 'chat' },
  { model: 'claude-sonnet-4', path: '/v1/messages', kind: 'anthropic' },
] as const;

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ streamChunks: 4, name: 'responses' });
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
  sdk = client(gw, CONSUMER_KEYS.alice);
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});
beforeEach(() => sim.reset());

describe.each(BACKENDS)('responses.create on $model ($kind)', ({ model, path }) => {
  test('a plain answer: text, usage, the requested model, and the upstream endpoint the backend serves', async () => {
    const response = await sdk.responses.create({ model, input: 'Say hello from the Responses API' });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.model).toBe(model);
    expect(response.output_text).toContain('Say hello from the Responses API');
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(sim.requests.map((r) => r.path)).toEqual([path]);
  });

  test('streamed: typed events in order, the deltas adding up to the final text', async () => {
    const stream = await sdk.responses.create({ model, input: 'Stream a hello', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toBe('response.completed');
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(deltas.length).toBeGreaterThan(0);
    expect(completed.response.output_text ?? textOf(completed.response.output)).toBe(deltas);
    expect(completed.response.usage?.output_tokens).toBeGreaterThan(0);
    const sequence = events.map((e) => e.sequence_number);
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
  });

  test('the usage the client sees is the usage counted (what settles token limits and metrics), streamed and not', async () => {
    const whole = await sdk.responses.create({ model, input: 'count my tokens' });
    await waitForLog();
    expect(lastLog()).toMatchObject({ path: '/v1/responses', inputTokens: whole.usage!.input_tokens, outputTokens: whole.usage!.output_tokens });
    const stream = await sdk.responses.create({ model, input: 'count my streamed tokens', stream: true });
    let usage: { input_tokens: number; output_tokens: number } | undefined;
    for await (const event of stream) if (event.type === 'response.completed') usage = event.response.usage!;
    await waitForLog();
    expect(usage!.output_tokens).toBeGreaterThan(0);
    expect(lastLog()).toMatchObject({ path: '/v1/responses', inputTokens: usage!.input_tokens, outputTokens: usage!.output_tokens });
  });

  test('a function tool round trip: a function_call item, then text after its output', async () => {
    const first = await sdk.responses.create({ model, input: 'What is the weather in Paris?', tools: [WEATHER_TOOL] });
    const call = first.output.find((item): item is ResponseFunctionToolCall => item.type === 'function_call');
    expect(call).toBeDefined();
    expect(call!.name).toBe('get_weather');
    expect(typeof (JSON.parse(call!.arguments) as { city: unknown }).city).toBe('string');
    const input: ResponseInputItem[] = [
      { role: 'user', content: 'What is the weather in Paris?' },
      { type: 'function_call', call_id: call!.call_id, name: call!.name, arguments: call!.arguments },
      { type: 'function_call_output', call_id: call!.call_id, output: 'sunny, 21 degrees' },
    ];
    const second = await sdk.responses.create({ model, input, tools: [WEATHER_TOOL], store: false });
    expect(second.output.some((item) => item.type === 'function_call')).toBe(false);
    expect(second.output_text.length).toBeGreaterThan(0);
  });

  test('a streamed function call: argument deltas, then the finished item', async () => {
    const stream = await sdk.responses.create({ model, input: 'Weather in Rome?', tools: [WEATHER_TOOL], stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltas = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    const done = events.find((e): e is Extract<ResponseStreamEvent, { type: 'response.output_item.done' }> => e.type === 'response.output_item.done' && e.item.type === 'function_call');
    expect(done).toBeDefined();
    expect((done!.item as ResponseFunctionToolCall).arguments).toBe(deltas);
    expect(typeof (JSON.parse(deltas) as { city: unknown }).city).toBe('string');
  });

  test('a json_schema text format: the text parses and satisfies the schema (refused on Anthropic, which cannot be held to it)', async () => {
    const ask = () =>
      sdk.responses.create({
        model,
        input: 'Answer in JSON',
        text: { format: { type: 'json_schema', name: 'answer', strict: true, schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false } } },
      });
    if (path === '/v1/messages') {
      // Named as the Responses client wrote it, not as the chat request it became.
      await expect(ask()).rejects.toMatchObject({ status: 400, param: 'text.format.type', message: expect.stringContaining('text.format.type') });
      return;
    }
    const response = await ask();
    expect(typeof (JSON.parse(response.output_text) as { answer: unknown }).answer).toBe('string');
  });
});

describe('what a translated backend cannot do is refused, naming the field and the fix', () => {
  test.each(['deepseek-chat', 'claude-sonnet-4'])('store: true and previous_response_id on %s', async (model) => {
    await expect(sdk.responses.create({ model, input: 'hi', store: true })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/store/) });
    await expect(sdk.responses.create({ model, input: 'hi', previous_response_id: 'resp_123' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/previous_response_id/) });
    expect(sim.requests).toHaveLength(0);
  });

  test('a built-in tool on a chat backend: 400 naming tools[0].type', async () => {
    await expect(sdk.responses.create({ model: 'deepseek-chat', input: 'search', tools: [{ type: 'web_search_preview' }] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('web_search_preview'),
    });
  });

  test('a tool schema Anthropic cannot take is named as the Responses client wrote it', async () => {
    await expect(
      sdk.responses.create({ model: 'claude-sonnet-4', input: 'x', tools: [{ type: 'function', name: 'f', parameters: { type: 'string' }, strict: false }] }),
    ).rejects.toMatchObject({ status: 400, param: 'tools[0].parameters.type' });
  });

  test('on the native backend the same request goes through as sent', async () => {
    const response = await sdk.responses.create({ model: 'gpt-4o', input: 'hi', store: true });
    expect(response.status).toBe('completed');
    expect(sim.requests[0].body).toMatchObject({ model: 'gpt-4o', input: 'hi', store: true });
  });
});

/** The access log line of the last request (written when its response closes). */
function lastLog(): Record<string, unknown> {
  return gw.logs.filter((l) => l.path !== undefined).at(-1)!;
}

async function waitForLog(): Promise<void> {
  const before = gw.logs.length;
  for (let i = 0; i < 50 && gw.logs.length === before; i++) await new Promise((r) => setTimeout(r, 10));
}

function textOf(output: readonly { type: string; content?: readonly { type: string; text?: string }[] }[]): string {
  return output.flatMap((item) => (item.type === 'message' ? (item.content ?? []).flatMap((c) => (c.type === 'output_text' ? [c.text ?? ''] : [])) : [])).join('');
}
