import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Response } from 'openai/resources/responses/responses';
import { translationError } from './frames';
import { playResponses, translateStream } from './responses-frames';
import { RecordedErrors } from '../../../src/dataplane/errors';
import { chatResponseToResponses, ChatChunksToResponsesStream } from '../../../src/dataplane/translate/chat-to-responses';
import { responsesEchoOf } from '../../../src/dataplane/translate/responses-to-chat';

const MODEL = 'gpt-5'; // what the client asked for
const ID = 'chatcmpl-abc123';
const CREATED = 1_760_000_000;
const USAGE = {
  prompt_tokens: 20,
  completion_tokens: 9,
  total_tokens: 29,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 3 },
};
const RESPONSE_USAGE = {
  input_tokens: 20,
  input_tokens_details: { cached_tokens: 4 },
  output_tokens: 9,
  output_tokens_details: { reasoning_tokens: 3 },
  total_tokens: 29,
};

type Message = ChatCompletion.Choice['message'] & { reasoning_content?: string; reasoning?: string };

function completion(message: Partial<Message>, finish: string = 'stop', extra: Record<string, unknown> = {}): ChatCompletion {
  return {
    id: ID,
    object: 'chat.completion',
    created: CREATED,
    model: 'deepseek-chat',
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, ...message } as Message, finish_reason: finish as 'stop', logprobs: null }],
    usage: USAGE,
    ...extra,
  };
}

/** The Response fields every answer here has, for a request that set nothing. */
const DEFAULTS = {
  id: `resp_${ID}`,
  object: 'response',
  created_at: CREATED,
  background: false,
  error: null,
  instructions: null,
  max_output_tokens: null,
  model: MODEL,
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: false,
  temperature: null,
  text: { format: { type: 'text' } },
  tool_choice: 'auto',
  tools: [],
  top_p: null,
  truncation: 'disabled',
  metadata: {},
};

const text = (t: string) => ({ type: 'output_text', text: t, annotations: [], logprobs: [] });

describe('chatResponseToResponses', () => {
  test('a text answer: the whole Response, every field the SDK type requires', () => {
    const out = chatResponseToResponses(completion({ content: 'Hello!' }), MODEL, {});
    expect(out).toEqual({
      ...DEFAULTS,
      status: 'completed',
      completed_at: expect.any(Number),
      incomplete_details: null,
      output: [{ type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [text('Hello!')] }],
      usage: RESPONSE_USAGE,
    });
    expect(out.completed_at).toBeGreaterThanOrEqual(CREATED);
    // The official type, output_text aside (the SDK computes it; OpenAI does not send it) and the
    // fields that echo the client's own values as it sent them.
    const typed: Omit<Response, 'output_text' | 'text' | 'tools' | 'tool_choice'> = out;
    expect(typed.object).toBe('response');
  });

  test('the request settings are echoed', () => {
    const echo = responsesEchoOf({
      model: MODEL,
      input: 'x',
      instructions: 'Be brief.',
      max_output_tokens: 64,
      temperature: 0.3,
      top_p: 0.8,
      parallel_tool_calls: false,
      tools: [{ type: 'function', name: 'f', parameters: null, strict: true }],
      tool_choice: 'required',
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'low' },
      metadata: { trace: 't1' },
      user: 'u1',
    });
    expect(chatResponseToResponses(completion({ content: '{}' }), MODEL, echo)).toMatchObject({
      instructions: 'Be brief.',
      max_output_tokens: 64,
      temperature: 0.3,
      top_p: 0.8,
      parallel_tool_calls: false,
      tools: [{ type: 'function', name: 'f', parameters: null, strict: true }],
      tool_choice: 'required',
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'low', summary: null },
      metadata: { trace: 't1' },
      user: 'u1',
      truncation: 'disabled',
      store: false,
    });
  });

  test('reasoning, text and tool calls: one item each, in that order, ids from the completion id', () => {
    const out = chatResponseToResponses(
      completion(
        {
          reasoning_content: 'Two cities.',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_r', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
      ),
      MODEL,
      {},
    );
    expect(out.status).toBe('completed');
    expect(out.output).toEqual([
      { type: 'reasoning', id: `rs_${ID}`, summary: [], content: [{ type: 'reasoning_text', text: 'Two cities.' }] },
      { type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [text('Checking.')] },
      { type: 'function_call', id: `fc_${ID}_0`, call_id: 'call_p', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'function_call', id: `fc_${ID}_1`, call_id: 'call_r', name: 'get_weather', arguments: '{"city":"Rome"}', status: 'completed' },
    ]);
  });

  test("vLLM's and OpenRouter's `reasoning` field; tool calls alone give no message", () => {
    const out = chatResponseToResponses(completion({ reasoning: 'Hmm.', tool_calls: [{ id: '', type: 'function', function: { name: 'f', arguments: '' } }] }, 'tool_calls'), MODEL, {});
    expect(out.output).toEqual([
      { type: 'reasoning', id: `rs_${ID}`, summary: [], content: [{ type: 'reasoning_text', text: 'Hmm.' }] },
      // No call id from the backend: one made from the completion's.
      { type: 'function_call', id: `fc_${ID}_0`, call_id: `call_${ID}_0`, name: 'f', arguments: '', status: 'completed' },
    ]);
  });

  test('length and content_filter make the Response incomplete', () => {
    const cut = chatResponseToResponses(completion({ content: 'Once upon a' }, 'length'), MODEL, {});
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(cut.completed_at).toBeUndefined();
    expect(chatResponseToResponses(completion({ content: '' }, 'content_filter'), MODEL, {})).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      output: [{ type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [text('')] }],
    });
  });

  test('a refusal is a refusal part; text parts are joined; no usage, no usage field', () => {
    const refused = chatResponseToResponses(completion({ refusal: 'I cannot help with that.' }), MODEL, {});
    expect(refused.output).toEqual([{ type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] }]);
    const parts = chatResponseToResponses({ ...completion({}), choices: [{ index: 0, message: { role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, finish_reason: 'stop' }], usage: undefined }, MODEL, {});
    expect(parts.output).toEqual([{ type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [text('ab')] }]);
    expect(parts).not.toHaveProperty('usage');
  });

  test('usage: cached and reasoning tokens, total computed when missing', () => {
    const out = chatResponseToResponses(completion({ content: 'x' }, 'stop', { usage: { prompt_tokens: 7, completion_tokens: 2 } }), MODEL, {});
    expect(out.usage).toEqual({
      input_tokens: 7,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 9,
    });
  });

  test('ids: what an id should not hold is left out', () => {
    const out = chatResponseToResponses(completion({ content: 'x' }, 'stop', { id: 'gen 1/2:3' }), MODEL, {});
    expect(out.id).toBe('resp_gen123');
    expect(out.output[0].id).toBe('msg_gen123');
  });

  test('a malformed completion is a response-side error naming the field', () => {
    const e = translationError(() => chatResponseToResponses({ id: ID, choices: [] }, MODEL, {}));
    expect(e).toMatchObject({ param: 'choices', source: 'response', message: "The upstream's choices is empty, so it cannot be translated for this client." });
    expect(translationError(() => chatResponseToResponses({ choices: [{ message: 'x' }] }, MODEL, {})).param).toBe('choices[0].message');
    const noName = translationError(() => chatResponseToResponses(completion({ tool_calls: [{ id: 'c', type: 'function', function: { arguments: '{}' } } as never] }), MODEL, {}));
    expect(noName).toMatchObject({ param: 'choices[0].message.tool_calls[0].function.name', source: 'response' });
    expect(translationError(() => chatResponseToResponses('nope', MODEL, {})).param).toBe('body');
  });
});

// ---------------------------------------------------------------------------------------------
// Stream
// ---------------------------------------------------------------------------------------------

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
  return { id: ID, object: 'chat.completion.chunk', created: CREATED, model: 'deepseek-chat', choices: [{ index: 0, delta, finish_reason: finish as null, logprobs: null }] };
}

const usageChunk: ChatCompletionChunk = { id: ID, object: 'chat.completion.chunk', created: CREATED, model: 'deepseek-chat', choices: [], usage: USAGE };

const IN_PROGRESS = { ...DEFAULTS, status: 'in_progress', incomplete_details: null, output: [] };
const item = { item_id: `msg_${ID}`, output_index: 0 };

describe('ChatChunksToResponsesStream', () => {
  test('a text stream: the exact events, in order', () => {
    const { events, stream } = translateStream(
      [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), usageChunk, '[DONE]'],
      MODEL,
      {},
    );
    const message = { type: 'message', id: `msg_${ID}`, role: 'assistant' };
    expect(events).toEqual([
      { type: 'response.created', sequence_number: 0, response: IN_PROGRESS },
      { type: 'response.in_progress', sequence_number: 1, response: IN_PROGRESS },
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { ...message, status: 'in_progress', content: [] } },
      { type: 'response.content_part.added', sequence_number: 3, ...item, content_index: 0, part: text('') },
      { type: 'response.output_text.delta', sequence_number: 4, ...item, content_index: 0, delta: 'Hel', logprobs: [] },
      { type: 'response.output_text.delta', sequence_number: 5, ...item, content_index: 0, delta: 'lo', logprobs: [] },
      { type: 'response.output_text.done', sequence_number: 6, ...item, content_index: 0, text: 'Hello', logprobs: [] },
      { type: 'response.content_part.done', sequence_number: 7, ...item, content_index: 0, part: text('Hello') },
      { type: 'response.output_item.done', sequence_number: 8, output_index: 0, item: { ...message, status: 'completed', content: [text('Hello')] } },
      {
        type: 'response.completed',
        sequence_number: 9,
        response: { ...DEFAULTS, status: 'completed', completed_at: expect.any(Number), incomplete_details: null, output: [{ ...message, status: 'completed', content: [text('Hello')] }], usage: RESPONSE_USAGE },
      },
    ]);
    expect(stream.usage()).toEqual({ inputTokens: 20, outputTokens: 9 });
    expect(stream.failure()).toBeUndefined();
    // Nothing after the end.
    expect(stream.push('[DONE]')).toEqual([]);
    expect(stream.push(JSON.stringify(chunk({ content: 'late' })))).toEqual([]);
  });

  test('the final Response equals the non-streamed translation of the same answer', () => {
    const echo = responsesEchoOf({ model: MODEL, input: 'x', instructions: 'Be brief.', tools: [{ type: 'function', name: 'get_weather' }], reasoning: { effort: 'high' } });
    const { events } = translateStream(
      [
        chunk({ role: 'assistant', reasoning_content: '' }),
        chunk({ reasoning_content: 'Two ' }),
        chunk({ reasoning_content: 'cities.' }),
        chunk({ content: 'Checking.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_r', type: 'function', function: { name: 'get_weather', arguments: '{"city"' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: ':"Rome"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk,
        '[DONE]',
      ],
      MODEL,
      echo,
    );
    const whole = chatResponseToResponses(
      completion(
        {
          reasoning_content: 'Two cities.',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_r', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
      ),
      MODEL,
      echo,
    );
    const { output, final, terminal } = playResponses(events);
    expect(terminal).toBe('response.completed');
    expect({ ...final, completed_at: 0 }).toEqual({ ...whole, completed_at: 0 });
    // What the events built is what the final Response says.
    expect(output).toEqual(final.output);
    expect(final.reasoning).toEqual({ effort: 'high', summary: null });
  });

  test('two tool calls streamed in pieces: each item opened, its arguments, closed before the next', () => {
    const { events, stream } = translateStream(
      [
        chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'search', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'fetch', arguments: '{}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk,
      ],
      MODEL,
      {},
    );
    const fc = (n: number) => ({ item_id: `fc_${ID}_${n}`, output_index: n });
    const call = (n: number, callId: string, name: string, args: string, status: string) => ({ type: 'function_call', id: `fc_${ID}_${n}`, call_id: callId, name, arguments: args, status });
    expect(events.slice(2)).toEqual([
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: call(0, 'call_a', 'search', '', 'in_progress') },
      { type: 'response.function_call_arguments.delta', sequence_number: 3, ...fc(0), delta: '{"q":' },
      { type: 'response.function_call_arguments.delta', sequence_number: 4, ...fc(0), delta: '"x"}' },
      { type: 'response.function_call_arguments.done', sequence_number: 5, ...fc(0), name: 'search', arguments: '{"q":"x"}' },
      { type: 'response.output_item.done', sequence_number: 6, output_index: 0, item: call(0, 'call_a', 'search', '{"q":"x"}', 'completed') },
      { type: 'response.output_item.added', sequence_number: 7, output_index: 1, item: call(1, 'call_b', 'fetch', '', 'in_progress') },
      { type: 'response.function_call_arguments.delta', sequence_number: 8, ...fc(1), delta: '{}' },
      { type: 'response.function_call_arguments.done', sequence_number: 9, ...fc(1), name: 'fetch', arguments: '{}' },
      { type: 'response.output_item.done', sequence_number: 10, output_index: 1, item: call(1, 'call_b', 'fetch', '{}', 'completed') },
      // The usage chunk after the finish reason ends the Response, without waiting for [DONE].
      expect.objectContaining({ type: 'response.completed', sequence_number: 11 }),
    ]);
    const { final } = playResponses(events);
    expect(final.output).toEqual([call(0, 'call_a', 'search', '{"q":"x"}', 'completed'), call(1, 'call_b', 'fetch', '{}', 'completed')]);
    expect(final.usage).toEqual(RESPONSE_USAGE);
    // [DONE] after that adds nothing.
    expect(stream.push('[DONE]')).toEqual([]);
  });

  test('arguments for a call already done (a backend interleaving calls) still reach its item and the final Response', () => {
    const { events } = translateStream(
      [
        chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '{"x"' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{}' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
        chunk({}, 'tool_calls'),
        '[DONE]',
      ],
      MODEL,
      {},
    );
    expect(events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => [e.output_index, e.delta])).toEqual([[0, '{"x"'], [1, '{}'], [0, ':1}']]);
    const final = events[events.length - 1];
    expect(final.type === 'response.completed' && final.response.output.map((i) => i.type === 'function_call' && i.arguments)).toEqual(['{"x":1}', '{}']);
  });

  test('a reasoning_content stream: a reasoning item with its reasoning_text part, then the message', () => {
    const { events } = translateStream(
      [chunk({ role: 'assistant', reasoning_content: 'Think' }), chunk({ reasoning_content: 'ing.' }), chunk({ content: 'Done.' }), chunk({}, 'stop'), '[DONE]'],
      MODEL,
      {},
    );
    const rs = { item_id: `rs_${ID}`, output_index: 0, content_index: 0 };
    expect(events.slice(2, 10)).toEqual([
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { type: 'reasoning', id: `rs_${ID}`, summary: [], content: [] } },
      { type: 'response.content_part.added', sequence_number: 3, ...rs, part: { type: 'reasoning_text', text: '' } },
      { type: 'response.reasoning_text.delta', sequence_number: 4, ...rs, delta: 'Think' },
      { type: 'response.reasoning_text.delta', sequence_number: 5, ...rs, delta: 'ing.' },
      { type: 'response.reasoning_text.done', sequence_number: 6, ...rs, text: 'Thinking.' },
      { type: 'response.content_part.done', sequence_number: 7, ...rs, part: { type: 'reasoning_text', text: 'Thinking.' } },
      {
        type: 'response.output_item.done',
        sequence_number: 8,
        output_index: 0,
        item: { type: 'reasoning', id: `rs_${ID}`, summary: [], content: [{ type: 'reasoning_text', text: 'Thinking.' }] },
      },
      { type: 'response.output_item.added', sequence_number: 9, output_index: 1, item: { type: 'message', id: `msg_${ID}`, status: 'in_progress', role: 'assistant', content: [] } },
    ]);
    const { final } = playResponses(events);
    expect(final.output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    // No usage chunk came: the Response says nothing of usage.
    expect(final).not.toHaveProperty('usage');
  });

  test("vLLM's `reasoning` delta field, a refusal, and length: response.incomplete", () => {
    const { events } = translateStream(
      [chunk({ role: 'assistant', reasoning: 'Hm.' }), chunk({ content: 'No' }), chunk({ refusal: "I can't." }), chunk({}, 'length'), '[DONE]'],
      MODEL,
      {},
    );
    const { final, terminal, output } = playResponses(events);
    expect(terminal).toBe('response.incomplete');
    expect(final).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(final).not.toHaveProperty('completed_at');
    expect(output).toEqual(final.output);
    expect(final.output).toEqual([
      { type: 'reasoning', id: `rs_${ID}`, summary: [], content: [{ type: 'reasoning_text', text: 'Hm.' }] },
      { type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [text('No'), { type: 'refusal', refusal: "I can't." }] },
    ]);
    expect(events.map((e) => e.type)).toContain('response.refusal.delta');
  });

  test('an error chunk: response.failed with the output so far; failure() reports it', () => {
    const { events, stream } = translateStream(
      [chunk({ role: 'assistant', content: 'Partial' }), { error: { message: 'Model overloaded', type: 'server_error', code: null, param: null } }, chunk({ content: 'ignored' }), '[DONE]'],
      MODEL,
      {},
    );
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.failed',
    ]);
    expect(events[5]).toEqual({
      type: 'response.failed',
      sequence_number: 5,
      response: {
        ...DEFAULTS,
        status: 'failed',
        error: { code: 'server_error', message: 'Model overloaded' },
        incomplete_details: null,
        output: [{ type: 'message', id: `msg_${ID}`, status: 'incomplete', role: 'assistant', content: [text('Partial')] }],
      },
    });
    expect(stream.failure()).toBe(RecordedErrors.upstreamStreamFailed);
    expect(stream.failure()).toBe('upstream_stream_failed');
  });

  test('an error as the first chunk still opens the Response first (clients need response.created)', () => {
    const { events, stream } = translateStream([{ error: 'rate limited' }], MODEL, {});
    expect(events.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events[2]).toMatchObject({ response: { status: 'failed', error: { code: 'server_error', message: 'rate limited' }, output: [] } });
    expect(stream.failure()).toBe('upstream_stream_failed');
  });

  test('sequence numbers count up from 0 on every stream', () => {
    const { frames } = translateStream(
      [
        chunk({ role: 'assistant', reasoning_content: 'a' }),
        chunk({ content: 'b' }),
        chunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
        chunk({ content: 'd' }),
        chunk({}, 'stop'),
        usageChunk,
      ],
      MODEL,
      {},
    );
    const numbers = frames.map((f) => (JSON.parse(f.slice(f.indexOf('\ndata: ') + 7)) as { sequence_number: number }).sequence_number);
    expect(numbers).toEqual(numbers.map((_, i) => i));
    expect(numbers.length).toBeGreaterThan(15);
  });

  test('an empty answer ([DONE] alone) still has a message, as the non-streamed one', () => {
    const { events } = translateStream([chunk({ role: 'assistant' }, 'stop'), '[DONE]'], MODEL, {});
    const { final } = playResponses(events);
    expect(final.output).toEqual([{ type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [text('')] }]);
    expect({ ...final, completed_at: 0 }).toEqual({ ...chatResponseToResponses(completion({ content: '' }, 'stop', { usage: undefined }), MODEL, {}), completed_at: 0 });
  });

  test('the usage chunk waits for [DONE] when it came with the finish reason; a cut stream gets nothing more', () => {
    const s = new ChatChunksToResponsesStream(MODEL, {});
    s.push(JSON.stringify(chunk({ role: 'assistant', content: 'x' })));
    const finish = s.push(JSON.stringify({ ...chunk({}, 'stop'), usage: USAGE }));
    expect(finish.map((f) => f.slice(0, f.indexOf('\n')))).toEqual([
      'event: response.output_text.done',
      'event: response.content_part.done',
      'event: response.output_item.done',
    ]);
    expect(s.usage()).toEqual({ inputTokens: 20, outputTokens: 9 });
    const done = s.push('[DONE]');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatch(/^event: response\.completed\ndata: \{"type":"response\.completed","sequence_number":8,/);
    expect((JSON.parse(done[0].slice(done[0].indexOf('data: ') + 6)) as { response: { usage: unknown } }).response.usage).toEqual(RESPONSE_USAGE);
    // A cut stream: the relay stops feeding it; nothing was invented.
    const cut = new ChatChunksToResponsesStream(MODEL, {});
    expect(cut.pushEvent(`data: ${JSON.stringify(chunk({ role: 'assistant', content: 'x' }))}`)).toHaveLength(5);
    expect(cut.failure()).toBeUndefined();
    expect(cut.pushEvent(': keep-alive\n\n')).toEqual([]);
  });

  test('a chunk that is not JSON is a response-side error', () => {
    const s = new ChatChunksToResponsesStream(MODEL, {});
    const e = translationError(() => s.pushEvent('data: {not json\n\n'));
    expect(e).toMatchObject({ source: 'response', message: "The upstream's stream chunk is not a JSON object ({not json), so it cannot be translated for this client." });
  });
});
