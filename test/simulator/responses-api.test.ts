import OpenAI, { AzureOpenAI, BadRequestError, NotFoundError, RateLimitError } from 'openai';
import { z } from 'zod';
import { parseSse, startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';

function client(sim: UpstreamSimulator, prefix = '/v1'): OpenAI {
  return new OpenAI({ baseURL: sim.url + prefix, apiKey: 'x', maxRetries: 0 });
}

/** The events as they arrived: the SDK's stream helper later mutates the objects it yielded while it assembles the final response. */
async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(structuredClone(item));
  return items;
}

const weatherArgs = z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) });
const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'get_weather', description: 'Weather for a city.', strict: true, parameters: z.toJSONSchema(weatherArgs) as Record<string, unknown>,
};

describe('Responses API: create', () => {
  test('non-streaming: a Response with every field the SDK type requires, echoing the input like chat does', async () => {
    const sim = await startSimulator({ name: 'resp' });
    const response = await client(sim).responses.create({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Hello   there,\nsimulator', metadata: { k: 'v' } });
    const text = '[sim:resp] gpt-4o: Hello there, simulator';
    expect(response).toEqual({
      id: expect.stringMatching(/^resp_sim/),
      object: 'response',
      created_at: expect.any(Number),
      status: 'completed',
      background: false,
      completed_at: response.created_at,
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      max_output_tokens: null,
      max_tool_calls: null,
      model: 'gpt-4o',
      output: [{
        id: expect.stringMatching(/^msg_sim/),
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
      }],
      output_text: text,
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      service_tier: 'default',
      store: true,
      temperature: 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: 'auto',
      tools: [],
      top_logprobs: 0,
      top_p: 1,
      truncation: 'disabled',
      usage: {
        input_tokens: Math.ceil(('Be brief.'.length + 'Hello   there,\nsimulator'.length) / 4),
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: Math.ceil(34 / 4) + 5,
      },
      user: null,
      metadata: { k: 'v' },
    });
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/v1/responses' });
  });

  test('input items: the last user message is echoed, assistant output_text and developer turns count as input tokens', async () => {
    const sim = await startSimulator();
    const response = await client(sim).responses.create({
      model: 'm',
      input: [
        { role: 'developer', content: 'Rules.' },
        { role: 'user', content: 'First.' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Answer.', annotations: [] }] } as unknown as OpenAI.Responses.ResponseInputItem,
        { role: 'user', content: [{ type: 'input_text', text: 'Second  question' }] },
      ],
    });
    expect(response.output_text).toBe('[sim:sim] m: Second question');
    expect(response.usage?.input_tokens).toBe(Math.ceil(('Rules.'.length + 'First.'.length + 'Answer.'.length + 'Second  question'.length) / 4));
  });

  test('streaming: the documented typed events with increasing sequence numbers; finalResponse() equals the non-streamed response', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const openai = client(sim);
    const whole = await openai.responses.create({ model: 'gpt-4o', input: 'Hi there' });
    const stream = openai.responses.stream({ model: 'gpt-4o', input: 'Hi there' });
    const events = await collect(stream);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const created = events[0] as OpenAI.Responses.ResponseCreatedEvent;
    expect(created.response).toMatchObject({ status: 'in_progress', output: [], usage: null, completed_at: null });
    const deltas = events.filter((e): e is OpenAI.Responses.ResponseTextDeltaEvent => e.type === 'response.output_text.delta');
    expect(deltas.map((d) => d.delta).join('')).toBe(whole.output_text);
    const completed = (events[events.length - 1] as OpenAI.Responses.ResponseCompletedEvent).response;
    const strip = (r: OpenAI.Responses.Response) => JSON.parse(JSON.stringify(r, (k, v) => (['id', 'created_at', 'completed_at'].includes(k) ? undefined : v)));
    expect(strip(completed)).toEqual(strip(whole));
    expect(completed.output[0].id).toBe(deltas[0].item_id);
    const final = await stream.finalResponse();
    expect(final).toMatchObject({ id: completed.id, status: 'completed', output_text: whole.output_text, usage: whole.usage });
  });

  test('raw framing: event: and data: per frame, data.type equal to the event name, no [DONE]', async () => {
    const sim = await startSimulator({ streamChunks: 2 });
    const response = await fetch(`${sim.url}/compatible-mode/v1/responses`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'qwen-plus', input: 'Hi', stream: true }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const frames = parseSse(await response.text());
    expect(frames.every((f) => f.event !== undefined && JSON.parse(f.data).type === f.event)).toBe(true);
    expect(frames.map((f) => f.event)).toContain('response.output_text.delta');
    expect(frames[frames.length - 1].event).toBe('response.completed');
    expect(JSON.parse(frames[4].data)).toEqual({
      type: 'response.output_text.delta', sequence_number: 4, item_id: expect.stringMatching(/^msg_sim/), output_index: 0, content_index: 0, delta: '[sim:sim] q', logprobs: [],
    });
  });

  test('max_output_tokens: a longer reply is cut there and the response is incomplete (streamed: response.incomplete); below 16 is rejected', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const input = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen';
    const cut = await openai.responses.create({ model: 'm', input, max_output_tokens: 16 });
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, completed_at: null, max_output_tokens: 16, usage: { output_tokens: 16 } });
    expect(cut.output_text).toBe('[sim:sim] m: one two three four five six seven eight nine ten eleven twelve thirteen fourteen');
    expect(cut.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
    const events = await collect(await openai.responses.create({ model: 'm', input, max_output_tokens: 16, stream: true }));
    expect(events[events.length - 1]).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete' } });
    const fits = await openai.responses.create({ model: 'm', input: 'short', max_output_tokens: 16 });
    expect(fits).toMatchObject({ status: 'completed', incomplete_details: null });

    const error = await openai.responses.create({ model: 'm', input, max_output_tokens: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ param: 'max_output_tokens', code: 'integer_below_min_value' });
    const noModel = await openai.responses.create({ input: 'x' } as never).catch((e: unknown) => e);
    expect(noModel).toMatchObject({ status: 400, param: 'model', code: 'missing_required_parameter' });
  });

  test('text.format json_schema gives JSON satisfying the schema with the reply in its first string; json_object wraps it', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const answer = z.object({ score: z.number().min(0).max(1), summary: z.string(), labels: z.array(z.enum(['x', 'y'])).min(1) });
    const response = await openai.responses.create({
      model: 'm', input: 'Rate this', text: { format: { type: 'json_schema', name: 'rating', strict: true, schema: z.toJSONSchema(answer) as Record<string, unknown> } },
    });
    expect(answer.parse(JSON.parse(response.output_text))).toEqual({ score: 0, summary: '[sim:sim] m: Rate this', labels: ['x'] });
    expect(response.text?.format).toMatchObject({ type: 'json_schema', name: 'rating' });
    const object = await openai.responses.create({ model: 'm', input: 'Rate this', text: { format: { type: 'json_object' } } });
    expect(JSON.parse(object.output_text)).toEqual({ answer: '[sim:sim] m: Rate this' });
  });

  test('any prefix: DashScope compatible-mode, Azure /openai/responses?api-version and /openai/v1/responses, the model being the deployment in the body', async () => {
    const sim = await startSimulator();
    const azure = new AzureOpenAI({ endpoint: sim.url, apiKey: 'x', apiVersion: '2025-04-01-preview', maxRetries: 0 });
    expect((await azure.responses.create({ model: 'my-deployment', input: 'Hi' })).output_text).toBe('[sim:sim] my-deployment: Hi');
    expect((await client(sim, '/openai/v1').responses.create({ model: 'dep2', input: 'Hi' })).model).toBe('dep2');
    expect((await client(sim, '/compatible-mode/v1').responses.create({ model: 'qwen-plus', input: 'Hi' })).model).toBe('qwen-plus');
    expect(sim.requests.map((r) => [r.path, r.query])).toEqual([
      ['/openai/responses', { 'api-version': '2025-04-01-preview' }],
      ['/openai/v1/responses', {}],
      ['/compatible-mode/v1/responses', {}],
    ]);
  });
});

describe('Responses API: function tools', () => {
  test('round trip: a function_call item with schema-valid arguments; sending its output back (with the earlier input) gets text', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const called = await openai.responses.create({ model: 'gpt-4o', input, tools: [weatherTool], store: false });
    expect(called.output).toEqual([{
      id: expect.stringMatching(/^fc_sim/), type: 'function_call', status: 'completed', arguments: '{"city":"example","unit":"celsius"}', call_id: expect.stringMatching(/^call_sim/), name: 'get_weather',
    }]);
    expect(called.output_text).toBe('');
    const call = called.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(weatherArgs.parse(JSON.parse(call.arguments))).toEqual({ city: 'example', unit: 'celsius' });

    const answered = await openai.responses.create({
      model: 'gpt-4o', tools: [weatherTool], store: false, input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: '18 degrees and sunny' }],
    });
    expect(answered.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ text: '[sim:sim] gpt-4o: 18 degrees and sunny' })] })]);

    const orphan = await openai.responses.create({
      model: 'gpt-4o', tools: [weatherTool], input: [...input, { type: 'function_call_output', call_id: 'call_nope', output: 'x' }],
    }).catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(BadRequestError);
    expect((orphan as BadRequestError).message).toContain('No tool call found for function call output with call_id call_nope.');

    const none = await openai.responses.create({ model: 'gpt-4o', input, tools: [weatherTool], tool_choice: 'none' });
    expect(none.output_text).toBe('[sim:sim] gpt-4o: Weather in Paris?');
    const named = await openai.responses.create({
      model: 'gpt-4o', input, tools: [{ type: 'web_search' }, { ...weatherTool, name: 'other' }, weatherTool], tool_choice: { type: 'function', name: 'get_weather' },
    });
    expect(named.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather' });
  });

  test('streamed function call: output_item.added with empty arguments, argument deltas, arguments.done, output_item.done', async () => {
    const sim = await startSimulator({ streamChunks: 2 });
    const stream = client(sim).responses.stream({ model: 'gpt-4o', input: 'Weather?', tools: [weatherTool] });
    const events = await collect(stream);
    expect(events.map((e) => e.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added',
      'response.function_call_arguments.delta', 'response.function_call_arguments.delta', 'response.function_call_arguments.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(events[2]).toMatchObject({ output_index: 0, item: { type: 'function_call', status: 'in_progress', arguments: '', name: 'get_weather' } });
    const done = events[5] as OpenAI.Responses.ResponseFunctionCallArgumentsDoneEvent;
    expect(done).toMatchObject({ name: 'get_weather', arguments: '{"city":"example","unit":"celsius"}', item_id: expect.stringMatching(/^fc_sim/) });
    const deltas = events.filter((e): e is OpenAI.Responses.ResponseFunctionCallArgumentsDeltaEvent => e.type === 'response.function_call_arguments.delta');
    expect(deltas.map((d) => d.delta).join('')).toBe(done.arguments);
    const final = await stream.finalResponse();
    expect(final.output[0]).toMatchObject({ type: 'function_call', status: 'completed', arguments: done.arguments });
  });
});

describe('Responses API: stored responses', () => {
  test('retrieve, input_items (with ids, desc by default), delete; then 404 in OpenAI\'s shape', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const created = await openai.responses.create({ model: 'm', input: [{ role: 'user', content: 'One' }, { role: 'user', content: [{ type: 'input_text', text: 'Two' }] }] });
    expect(await openai.responses.retrieve(created.id)).toEqual(created);

    const items = await openai.responses.inputItems.list(created.id, { order: 'asc' });
    expect(items.data).toEqual([
      { id: expect.stringMatching(/^msg_sim/), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'One' }] },
      { id: expect.stringMatching(/^msg_sim/), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'Two' }] },
    ]);
    const raw = await (await fetch(`${sim.url}/v1/responses/${created.id}/input_items?limit=1`)).json();
    expect(raw).toEqual({ object: 'list', data: [items.data[1]], first_id: items.data[1].id, last_id: items.data[1].id, has_more: true });

    const cancel = await openai.responses.cancel(created.id).catch((e: unknown) => e);
    expect(cancel).toBeInstanceOf(BadRequestError);
    expect((cancel as BadRequestError).message).toContain('Cannot cancel a synchronous response.');

    const deleted = await fetch(`${sim.url}/v1/responses/${created.id}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ id: created.id, object: 'response', deleted: true });
    const gone = await fetch(`${sim.url}/v1/responses/${created.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: { message: `Response with id '${created.id}' not found.`, type: 'invalid_request_error', param: null, code: null } });
    await expect(openai.responses.delete(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openai.responses.inputItems.list(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('store: false is not kept; previous_response_id continues a stored conversation, an unknown one is refused', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const unstored = await openai.responses.create({ model: 'm', input: 'Hi', store: false });
    expect(unstored).toMatchObject({ store: false });
    await expect(openai.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(NotFoundError);

    const first = await openai.responses.create({ model: 'm', input: 'My name is Ada.' });
    const second = await openai.responses.create({ model: 'm', input: 'What is my name?', previous_response_id: first.id });
    expect(second).toMatchObject({ previous_response_id: first.id, output_text: '[sim:sim] m: What is my name?' });
    // The history (the first input and its answer) counts as input, as OpenAI bills it.
    expect(second.usage!.input_tokens).toBe(Math.ceil(('My name is Ada.'.length + first.output_text.length + 'What is my name?'.length) / 4));
    expect((await openai.responses.inputItems.list(second.id)).data.map((item) => (item as { content: unknown }).content)).toEqual([[{ type: 'input_text', text: 'What is my name?' }]]);

    const missing = await openai.responses.create({ model: 'm', input: 'x', previous_response_id: unstored.id }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadRequestError);
    expect(missing).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
    expect((missing as BadRequestError).message).toContain(`Previous response with id '${unstored.id}' not found.`);
  });

  test('a tool round trip through previous_response_id: only the function_call_output is sent', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const called = await openai.responses.create({ model: 'm', input: 'Weather?', tools: [weatherTool] });
    const call = called.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const answered = await openai.responses.create({
      model: 'm', tools: [weatherTool], previous_response_id: called.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'Rainy' }],
    });
    expect(answered.output_text).toBe('[sim:sim] m: Rainy');
  });
});

describe('Responses API: faults', () => {
  test('an injected status answers in OpenAI\'s error shape; dropAfterChunks cuts the event stream', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    sim.failNext({ status: 429 });
    const limited = await openai.responses.create({ model: 'm', input: 'Hi' }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });

    sim.failNext({ dropAfterChunks: 3 });
    const received: string[] = [];
    await expect((async () => {
      for await (const event of await openai.responses.create({ model: 'm', input: 'Hi', stream: true })) received.push(event.type);
    })()).rejects.toThrow();
    expect(received).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
    await expect(openai.responses.retrieve('resp_unknown')).rejects.toBeInstanceOf(NotFoundError);
  });
});
