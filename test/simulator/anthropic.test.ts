import Anthropic, { BadRequestError, InternalServerError, OverloadedError, RateLimitError } from '@anthropic-ai/sdk';
import { parseSse, readAll, startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';

function client(sim: UpstreamSimulator, prefix = ''): Anthropic {
  return new Anthropic({ baseURL: sim.url + prefix, apiKey: 'sk-ant-test', maxRetries: 0 });
}

const MODEL = 'claude-sonnet-4-5';
const messages: Anthropic.MessageParam[] = [
  { role: 'user', content: 'Hi.' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: [{ type: 'text', text: 'Tell me   about\nthe simulator' }] },
];

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a place.',
  input_schema: {
    type: 'object',
    properties: { unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, location: { type: 'string' }, days: { type: 'integer' } },
    required: ['unit', 'location'],
  },
};

function post(sim: UpstreamSimulator, body: unknown, headers: Record<string, string> = { 'anthropic-version': '2023-06-01' }): Promise<Response> {
  return fetch(`${sim.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('Anthropic Messages: non-streaming', () => {
  test('a deterministic message echoing the simulator name, the model and the last user turn; headers are recorded', async () => {
    const sim = await startSimulator({ name: 'claude' });
    const message = await client(sim).messages.create({ model: MODEL, max_tokens: 256, system: 'Be brief.', messages });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: `[sim:claude] ${MODEL}: Tell me about the simulator` }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: Math.ceil(('Be brief.'.length + 'Hi.'.length + 'Hello!'.length + 'Tell me   about\nthe simulator'.length) / 4),
        output_tokens: 7,
      },
    });
    expect(message.id).toMatch(/^msg_sim/);
    const [recorded] = sim.requests;
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/messages', body: { model: MODEL, max_tokens: 256, messages } });
    // Not enforced, only recorded: this SDK version sends the key as a bearer token, others as x-api-key.
    expect(recorded.headers['x-api-key'] ?? recorded.headers.authorization).toContain('sk-ant-test');
    expect(recorded.headers['anthropic-version']).toEqual(expect.any(String));
  });

  test('any path prefix works, the request id is in request-id, and count_tokens answers input_tokens', async () => {
    const sim = await startSimulator();
    const { data, response } = await client(sim, '/anthropic').messages.create({ model: MODEL, max_tokens: 16, system: 'Be brief.', messages }).withResponse();
    expect(sim.requests[0].path).toBe('/anthropic/v1/messages');
    expect(response.headers.get('request-id')).toMatch(/^req_sim_/);
    const counted = await client(sim).messages.countTokens({ model: MODEL, system: 'Be brief.', messages });
    expect(counted).toEqual({ input_tokens: data.usage.input_tokens });
  });

  test('offered tools are called with input satisfying the schema; a tool_result turn gets text', async () => {
    const sim = await startSimulator();
    const anthropic = client(sim);
    const ask: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }];
    const message = await anthropic.messages.create({ model: MODEL, max_tokens: 256, tools: [weatherTool], messages: ask });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_sim/), name: 'get_weather', input: { unit: 'celsius', location: 'example' } }]);

    const toolUse = message.content[0] as Anthropic.ToolUseBlock;
    const followUp = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [...ask, { role: 'assistant', content: message.content }, {
        role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '18 degrees and sunny' }],
      }],
    });
    expect(followUp.stop_reason).toBe('end_turn');
    expect(followUp.content).toEqual([{ type: 'text', text: `[sim:sim] ${MODEL}: 18 degrees and sunny` }]);

    const hello: Anthropic.MessageParam[] = [{ role: 'user', content: 'Hello' }];
    const timeTool: Anthropic.Tool = { name: 'get_time', input_schema: { type: 'object', properties: { zone: { type: 'string', format: 'date-time' }, utc: { type: 'boolean' } } } };
    const webSearch = { type: 'web_search_20250305', name: 'web_search' } as unknown as Anthropic.Tool;
    // Whatever the prompt says: the first client tool offered (server tools are never called), or the one tool_choice names; none: text.
    const first = await anthropic.messages.create({ model: MODEL, max_tokens: 256, tools: [webSearch, timeTool, weatherTool], messages: hello });
    expect(first.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_sim/), name: 'get_time', input: { zone: '2024-01-01T00:00:00Z', utc: true } }]);
    const named = await anthropic.messages.create({
      model: MODEL, max_tokens: 256, tools: [timeTool, weatherTool], tool_choice: { type: 'tool', name: 'get_weather' }, messages: hello,
    });
    expect(named.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    const none = await anthropic.messages.create({ model: MODEL, max_tokens: 256, tools: [weatherTool], tool_choice: { type: 'none' }, messages: hello });
    expect(none).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: `[sim:sim] ${MODEL}: Hello` }] });
    const serverOnly = await anthropic.messages.create({ model: MODEL, max_tokens: 256, tools: [webSearch], messages: hello });
    expect(serverOnly.content[0].type).toBe('text');
  });

  test('structured outputs: output_config.format json_schema gives JSON satisfying the schema, carrying the reply', async () => {
    const sim = await startSimulator();
    const schema = { type: 'object', properties: { mood: { type: 'string', enum: ['calm', 'busy'] }, reply: { type: 'string' } }, required: ['mood', 'reply'], additionalProperties: false };
    const message = await client(sim).messages.create({
      model: MODEL, max_tokens: 256, output_config: { format: { type: 'json_schema', schema } }, messages: [{ role: 'user', content: 'How are you?' }],
    });
    expect(message.stop_reason).toBe('end_turn');
    expect(JSON.parse((message.content[0] as Anthropic.TextBlock).text)).toEqual({ mood: 'calm', reply: `[sim:sim] ${MODEL}: How are you?` });
  });

  test('text over max_tokens words is cut there with stop_reason max_tokens, streamed too', async () => {
    const sim = await startSimulator();
    const anthropic = client(sim);
    const message = await anthropic.messages.create({ model: MODEL, max_tokens: 3, messages: [{ role: 'user', content: 'one two three' }] });
    expect(message).toMatchObject({ stop_reason: 'max_tokens', content: [{ type: 'text', text: `[sim:sim] ${MODEL}: one` }], usage: { output_tokens: 3 } });
    const streamed = await anthropic.messages.stream({ model: MODEL, max_tokens: 3, messages: [{ role: 'user', content: 'one two three' }] }).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'max_tokens', content: message.content });
  });

  test('with thinking enabled, a signed thinking block comes first', async () => {
    const sim = await startSimulator();
    const message = await client(sim).messages.create({
      model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Why?' }],
    });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: `[sim:sim] ${MODEL} thinking: Why?`, signature: expect.stringMatching(/^sim_/) },
      { type: 'text', text: `[sim:sim] ${MODEL}: Why?` },
    ]);
  });

  test('validation: anthropic-version is required, and model, max_tokens and messages are checked, with Anthropic error bodies', async () => {
    const sim = await startSimulator();
    const noVersion = await post(sim, { model: MODEL, max_tokens: 10, messages }, {});
    expect(noVersion.status).toBe(400);
    expect(noVersion.headers.get('request-id')).toMatch(/^req_sim_/);
    expect(await noVersion.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
      request_id: expect.stringMatching(/^req_sim_/),
    });

    for (const [body, message] of [
      [{ max_tokens: 10, messages }, 'model: Field required'],
      [{ model: MODEL, messages }, 'max_tokens: Field required'],
      [{ model: MODEL, max_tokens: 0, messages }, 'max_tokens: Input should be a positive integer'],
      [{ model: MODEL, max_tokens: 10 }, 'messages: Field required'],
      [{ model: MODEL, max_tokens: 10, messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role: Input should be \'user\' or \'assistant\''],
    ] as const) {
      const response = await post(sim, body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message } });
    }

    const error = await client(sim).messages.create({ model: MODEL, messages } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });

    const badJson = await fetch(`${sim.url}/v1/messages`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('Anthropic Messages: streaming', () => {
  test('client.messages.stream(): the events follow the documented order and the final message equals the non-streamed one', async () => {
    const sim = await startSimulator({ streamChunks: 4 });
    const anthropic = client(sim);
    const whole = await anthropic.messages.create({ model: MODEL, max_tokens: 256, messages });
    const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 256, messages });
    const types: string[] = [];
    const deltas: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') deltas.push(event.delta.text);
    }
    expect(types).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(deltas.join('')).toBe((whole.content[0] as Anthropic.TextBlock).text);
    const final = await stream.finalMessage();
    const { id: _id, ...rest } = whole;
    expect(final).toMatchObject(rest);
    expect(final.id).toMatch(/^msg_sim/);
    expect(sim.requests[1].body).toMatchObject({ stream: true });
  });

  test('streamed tool_use arrives as input_json_delta pieces; streamed thinking as thinking_delta and signature_delta', async () => {
    const sim = await startSimulator({ streamChunks: 5 });
    const anthropic = client(sim);
    const ask: Anthropic.MessageParam[] = [{ role: 'user', content: 'Please call get_weather.' }];
    const toolStream = anthropic.messages.stream({ model: MODEL, max_tokens: 256, tools: [weatherTool], messages: ask });
    const partials: string[] = [];
    toolStream.on('inputJson', (partial) => partials.push(partial));
    const toolMessage = await toolStream.finalMessage();
    expect(partials).toHaveLength(5);
    expect(toolMessage.stop_reason).toBe('tool_use');
    expect(toolMessage.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_sim/), name: 'get_weather', input: { unit: 'celsius', location: 'example' } }]);

    const toolUse = toolMessage.content[0] as Anthropic.ToolUseBlock;
    const answered = await anthropic.messages.stream({
      model: MODEL,
      max_tokens: 256,
      tools: [weatherTool],
      messages: [...ask, { role: 'assistant', content: toolMessage.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'Sunny' }] }],
    }).finalMessage();
    expect(answered).toMatchObject({ stop_reason: 'end_turn', content: [{ type: 'text', text: `[sim:sim] ${MODEL}: Sunny` }] });

    const thinkingStream = anthropic.messages.stream({ model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: ask });
    const deltaTypes = new Set<string>();
    for await (const event of thinkingStream) if (event.type === 'content_block_delta') deltaTypes.add(event.delta.type);
    expect([...deltaTypes]).toEqual(['thinking_delta', 'signature_delta', 'text_delta']);
    const thinking = await thinkingStream.finalMessage();
    expect(thinking.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect((thinking.content[0] as Anthropic.ThinkingBlock).signature).toMatch(/^sim_/);
  });

  test('raw framing: event: and data: lines per frame, each its own write, type matching the event name, ping after the first block start', async () => {
    const sim = await startSimulator({ streamChunks: 3, chunkDelayMs: 10 });
    const response = await post(sim, { model: MODEL, max_tokens: 64, stream: true, messages });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('request-id')).toMatch(/^req_sim_/);
    const { bytes, reads } = await readAll(response);
    const frames = parseSse(bytes.toString('utf8'));
    expect(reads).toBeGreaterThan(1);
    expect(bytes.toString('utf8').split('\n\n').slice(0, -1).every((f) => /^event: [a-z_]+\ndata: \{.*\}$/.test(f))).toBe(true);
    expect(frames.map((f) => f.event)).toEqual([
      'message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta',
      'content_block_stop', 'message_delta', 'message_stop',
    ]);
    const data = frames.map((f) => JSON.parse(f.data));
    expect(data.every((d, i) => d.type === frames[i].event)).toBe(true);
    expect(data[0].message).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, usage: { output_tokens: 1 } });
    expect(data[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(data[3]).toMatchObject({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta' } });
    expect(data[7]).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } });
  });
});

describe('Anthropic faults', () => {
  test('429, 529 and 500 carry Anthropic error bodies and surface as the SDK error classes', async () => {
    const sim = await startSimulator();
    const anthropic = client(sim);
    const create = () => anthropic.messages.create({ model: MODEL, max_tokens: 16, messages }).catch((e: unknown) => e);

    sim.failNext({ status: 429 });
    const rateLimited = await create();
    expect(rateLimited).toBeInstanceOf(RateLimitError);
    expect(rateLimited).toMatchObject({ status: 429, type: 'rate_limit_error' });
    expect((rateLimited as RateLimitError).headers.get('retry-after')).toBe('1');

    sim.failNext({ status: 529 });
    expect(await create()).toBeInstanceOf(OverloadedError);

    sim.failNext({ status: 500, message: 'boom' });
    const internal = await create();
    expect(internal).toBeInstanceOf(InternalServerError);
    expect(internal).toMatchObject({ status: 500, type: 'api_error', error: { type: 'error', error: { type: 'api_error', message: 'boom' } } });

    sim.failNext({ status: 529 });
    const raw = await post(sim, { model: MODEL, max_tokens: 16, messages });
    expect(await raw.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: expect.any(String) });
    await expect(anthropic.messages.create({ model: MODEL, max_tokens: 16, messages })).resolves.toBeDefined();
    expect(sim.requests).toHaveLength(5);
  });

  test('dropAfterChunks counts data frames and breaks the stream; a client abort is counted as a cancelled stream', async () => {
    const sim = await startSimulator();
    sim.failNext({ dropAfterChunks: 3 });
    const received: string[] = [];
    const stream = client(sim).messages.stream({ model: MODEL, max_tokens: 16, messages });
    await expect((async () => {
      for await (const event of stream) received.push(event.type);
    })()).rejects.toThrow();
    // message_start, content_block_start, ping (the SDK does not surface pings).
    expect(received).toEqual(['message_start', 'content_block_start']);

    const slow = await startSimulator({ chunkDelayMs: 50 });
    const aborted = client(slow).messages.stream({ model: MODEL, max_tokens: 16, messages });
    for await (const event of aborted) {
      if (event.type === 'content_block_start') break;
    }
    for (let i = 0; i < 50 && slow.clientCancelledStreams === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(slow.clientCancelledStreams).toBe(1);
  });
});
