import OpenAI, { BadRequestError } from 'openai';
import { z } from 'zod';
import { startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';

function client(sim: UpstreamSimulator, prefix = '/v1'): OpenAI {
  return new OpenAI({ baseURL: sim.url + prefix, apiKey: 'x', maxRetries: 0 });
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

const weatherArgs = z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']), days: z.number().int().min(1).max(7) });
const tools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a city.', parameters: z.toJSONSchema(weatherArgs) as Record<string, unknown> } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
];
const ask: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

describe('chat completions: tool calls', () => {
  test('offered tools: a call of the first with schema-valid arguments; the tool result then gets text echoing it', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const called = await openai.chat.completions.create({ model: 'gpt-4o', messages: ask, tools });
    expect(called.choices).toEqual([{
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [{ id: expect.stringMatching(/^call_sim/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"example","unit":"celsius","days":1}' } }],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    }]);
    const call = called.choices[0].message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(weatherArgs.parse(JSON.parse(call.function.arguments))).toEqual({ city: 'example', unit: 'celsius', days: 1 });

    const answered = await openai.chat.completions.create({
      model: 'gpt-4o',
      tools,
      messages: [...ask, called.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18 degrees and sunny' }],
    });
    expect(answered.choices[0]).toMatchObject({ message: { role: 'assistant', content: '[sim:sim] gpt-4o: 18 degrees and sunny' }, finish_reason: 'stop' });
    expect(answered.choices[0].message.tool_calls).toBeUndefined();
  });

  test('tool_choice names the tool, or none turns tools off', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const named = await openai.chat.completions.create({ model: 'm', messages: ask, tools, tool_choice: { type: 'function', function: { name: 'get_time' } } });
    expect(named.choices[0].message.tool_calls).toEqual([{ id: expect.any(String), type: 'function', function: { name: 'get_time', arguments: '{"zone":"example"}' } }]);
    const required = await openai.chat.completions.create({ model: 'm', messages: ask, tools, tool_choice: 'required' });
    expect(required.choices[0].finish_reason).toBe('tool_calls');
    const none = await openai.chat.completions.create({ model: 'm', messages: ask, tools, tool_choice: 'none' });
    expect(none.choices[0]).toMatchObject({ message: { content: '[sim:sim] m: What is the weather in Paris?' }, finish_reason: 'stop' });
  });

  test('streamed as OpenAI does: id, name and empty arguments first, then argument pieces; the SDK assembles the call', async () => {
    const sim = await startSimulator({ streamChunks: 4 });
    const openai = client(sim);
    const chunks = await collect(await openai.chat.completions.create({ model: 'gpt-4o', messages: ask, tools, stream: true }));
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: null, refusal: null, tool_calls: [{ index: 0, id: expect.stringMatching(/^call_sim/), type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      ...[0, 1, 2, 3].map(() => ({ tool_calls: [{ index: 0, function: { arguments: expect.any(String) } }] })),
      {},
    ]);
    expect(chunks.slice(1, 5).map((c) => c.choices[0].delta.tool_calls![0].function!.arguments).join('')).toBe('{"city":"example","unit":"celsius","days":1}');
    expect(chunks[5].choices[0].finish_reason).toBe('tool_calls');

    const final = await openai.chat.completions.stream({ model: 'gpt-4o', messages: ask, tools }).finalChatCompletion();
    expect(final.choices[0].message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_sim/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"example","unit":"celsius","days":1}' } },
    ]);
  });
});

describe('chat completions: n, logprobs and JSON mode', () => {
  test('n choices, each a deterministic variation; streamed with per-choice index, reassembling to the same texts', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const openai = client(sim);
    const whole = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], n: 3 });
    expect(whole.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, '[sim:sim] m: Hi', 'stop'],
      [1, '[sim:sim] m: Hi (choice 2)', 'stop'],
      [2, '[sim:sim] m: Hi (choice 3)', 'stop'],
    ]);
    expect(whole.usage).toMatchObject({ completion_tokens: 3 + 5 + 5 });

    const chunks = await collect(await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], n: 3, stream: true }));
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    const texts = ['', '', ''];
    for (const c of chunks) texts[c.choices[0].index] += c.choices[0].delta.content ?? '';
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
    expect(chunks.filter((c) => c.choices[0].finish_reason === 'stop').map((c) => c.choices[0].index)).toEqual([0, 1, 2]);

    const error = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], n: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'n' });
  });

  test('logprobs: one entry per token with its bytes and top_logprobs; streamed chunks carry whole tokens and their logprobs', async () => {
    const sim = await startSimulator({ streamChunks: 2 });
    const openai = client(sim);
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'Héllo there' }], logprobs: true, top_logprobs: 2 };
    const whole = await openai.chat.completions.create(request);
    const content = whole.choices[0].logprobs!.content!;
    expect(content.map((t) => t.token)).toEqual(['[sim:sim]', ' m:', ' Héllo', ' there']);
    expect(content.map((t) => t.token).join('')).toBe(whole.choices[0].message.content);
    for (const t of content) {
      expect(Buffer.from(t.bytes!).toString('utf8')).toBe(t.token);
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toEqual([{ token: t.token, logprob: t.logprob, bytes: t.bytes }, { token: `${t.token}~1`, logprob: expect.any(Number), bytes: expect.any(Array) }]);
      expect(t.top_logprobs[1].logprob).toBeLessThan(t.logprob);
    }
    const again = await openai.chat.completions.create(request);
    expect(again.choices[0].logprobs).toEqual(whole.choices[0].logprobs);

    const chunks = await collect(await openai.chat.completions.create({ ...request, stream: true }));
    const pieces = chunks.filter((c) => c.choices[0]?.logprobs);
    expect(pieces).toHaveLength(2);
    for (const c of pieces) expect(c.choices[0].logprobs!.content!.map((t) => t.token).join('')).toBe(c.choices[0].delta.content);
    expect(pieces.flatMap((c) => c.choices[0].logprobs!.content!)).toEqual(content);
  });

  test('response_format: json_object answers {"answer": reply}; json_schema answers JSON satisfying the schema with the reply in its first string', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const object = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], response_format: { type: 'json_object' } });
    expect(JSON.parse(object.choices[0].message.content!)).toEqual({ answer: '[sim:sim] m: Hi' });

    const person = z.object({ age: z.number().int().min(18), name: z.string(), tags: z.array(z.string()) });
    const structured = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      n: 2,
      response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: z.toJSONSchema(person) as Record<string, unknown> } },
    });
    expect(structured.choices.map((c) => person.parse(JSON.parse(c.message.content!)))).toEqual([
      { age: 18, name: '[sim:sim] m: Hi', tags: ['example'] },
      { age: 18, name: '[sim:sim] m: Hi (choice 2)', tags: ['example'] },
    ]);
  });

  test('a reply over max_completion_tokens (or max_tokens) words is cut there with finish_reason length, streamed too', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const openai = client(sim);
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'one two three four' }] };
    const cut = await openai.chat.completions.create({ ...request, max_completion_tokens: 4 });
    expect(cut.choices[0]).toMatchObject({ message: { content: '[sim:sim] m: one two' }, finish_reason: 'length' });
    expect(cut.usage?.completion_tokens).toBe(4);
    expect((await openai.chat.completions.create({ ...request, max_tokens: 5 })).choices[0].message.content).toBe('[sim:sim] m: one two three');
    expect((await openai.chat.completions.create({ ...request, max_tokens: 6 })).choices[0].finish_reason).toBe('stop');
    const chunks = await collect(await openai.chat.completions.create({ ...request, max_completion_tokens: 4, stream: true }));
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('[sim:sim] m: one two');
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('length');
  });
});
