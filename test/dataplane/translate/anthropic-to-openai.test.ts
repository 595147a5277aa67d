import type { MessageCreateParams } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { accumulateMessages, anthropicFrames, openAiSse, translationError } from './frames';
import { SseFramer } from '../../../src/dataplane/sse';
import {
  chatErrorToMessages,
  chatResponseToMessages,
  ChatChunksToMessagesStream,
  messagesRequestToChat,
  TranslationError,
} from '../../../src/dataplane/translate';

const SERVED = 'qwen3-32b';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('messagesRequestToChat', () => {
  test('a plain request: served model, system message, max_tokens', () => {
    const body: MessageCreateParams = { model: 'claude-sonnet-4-5', max_tokens: 1024, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }] };
    const out = messagesRequestToChat(body, SERVED);
    expect(out).toEqual({
      model: SERVED,
      max_tokens: 1024,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
    });
    // The output is a valid chat request as the official SDK types it.
    const typed: ChatCompletionCreateParams = out;
    expect(typed.model).toBe(SERVED);
    expect(messagesRequestToChat(body, SERVED, { maxTokensField: 'max_completion_tokens' })).toMatchObject({ max_completion_tokens: 1024 });
    expect(messagesRequestToChat(body, SERVED, { maxTokensField: 'max_completion_tokens' }).max_tokens).toBeUndefined();
  });

  test('a system prompt of text blocks (with cache_control) is one system message', () => {
    const out = messagesRequestToChat(
      {
        model: 'c',
        max_tokens: 10,
        system: [
          { type: 'text', text: 'You are Claude Code.' },
          { type: 'text', text: 'Project rules…', cache_control: { type: 'ephemeral' } },
        ],
        messages: [{ role: 'user', content: 'x' }],
      } satisfies MessageCreateParams,
      SERVED,
    );
    expect(out.messages[0]).toEqual({ role: 'system', content: 'You are Claude Code.\n\nProject rules…' });
  });

  test('a multi-turn conversation with tool use and tool results', () => {
    const body: MessageCreateParams = {
      model: 'claude-sonnet-4-5',
      max_tokens: 2048,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two lookups.', signature: 'sig' },
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C, sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '24C' }, { type: 'text', text: 'clear' }], is_error: false },
            { type: 'text', text: 'Which is warmer?' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_3', name: 'noop', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3' }] },
      ],
      tools: [
        { name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        { name: 'noop', input_schema: { type: 'object' } },
      ],
    };
    const out = messagesRequestToChat(body, SERVED);
    expect(out.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C, sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: '24C\nclear' },
      { role: 'user', content: 'Which is warmer?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_3', type: 'function', function: { name: 'noop', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'toolu_3', content: '' },
    ]);
    expect(out.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      },
      { type: 'function', function: { name: 'noop', parameters: { type: 'object' } } },
    ]);
    const typed: ChatCompletionCreateParams = out;
    expect(typed.messages).toHaveLength(7);
  });

  test('images: base64 becomes a data URL, url stays a URL; PDFs become file parts', () => {
    const out = messagesRequestToChat(
      {
        model: 'c',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'spec.pdf' },
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain notes' } },
              { type: 'text', text: 'Describe them.' },
            ],
          },
        ],
      } satisfies MessageCreateParams,
      SERVED,
    );
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'spec.pdf' } },
          { type: 'text', text: 'plain notes' },
          { type: 'text', text: 'Describe them.' },
        ],
      },
    ]);
  });

  test('images in a tool result follow the tool messages in a user message', () => {
    const out = messagesRequestToChat(
      {
        model: 'c',
        max_tokens: 10,
        messages: [
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'screenshot', input: {} }] },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't1',
                content: [
                  { type: 'text', text: 'Here it is.' },
                  { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
                ],
              },
            ],
          },
        ],
      } satisfies MessageCreateParams,
      SERVED,
    );
    expect(out.messages.slice(1)).toEqual([
      { role: 'tool', tool_call_id: 't1', content: 'Here it is.' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } }] },
    ]);
  });

  test('tool_choice, disable_parallel_tool_use, stop_sequences, sampling, stream and metadata', () => {
    const base: MessageCreateParams = {
      model: 'c',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
    };
    const choice = (tc: MessageCreateParams['tool_choice']) => messagesRequestToChat({ ...base, tool_choice: tc }, SERVED);
    expect(choice({ type: 'auto' }).tool_choice).toBe('auto');
    expect(choice({ type: 'any' }).tool_choice).toBe('required');
    expect(choice({ type: 'none' }).tool_choice).toBe('none');
    expect(choice({ type: 'tool', name: 'f' }).tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(choice({ type: 'auto', disable_parallel_tool_use: true })).toMatchObject({ tool_choice: 'auto', parallel_tool_calls: false });
    expect(choice({ type: 'auto' }).parallel_tool_calls).toBeUndefined();

    const out = messagesRequestToChat(
      { ...base, stop_sequences: ['END', '###'], temperature: 0.3, top_p: 0.8, top_k: 40, stream: true, metadata: { user_id: 'u-1' } },
      SERVED,
    );
    expect(out).toMatchObject({ stop: ['END', '###'], temperature: 0.3, top_p: 0.8, stream: true, stream_options: { include_usage: true }, user: 'u-1' });
    expect(out).not.toHaveProperty('top_k');
    const notStreaming = messagesRequestToChat({ ...base, stream: false }, SERVED);
    expect(notStreaming.stream).toBe(false);
    expect(notStreaming.stream_options).toBeUndefined();
  });

  describe('refuses what it cannot translate, naming the field and the fix', () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['no max_tokens', { model: 'c', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens', /requires it\. Send max_tokens/],
      ['no messages', { model: 'c', max_tokens: 1 }, 'messages', /must be an array/],
      ['an empty conversation', { model: 'c', max_tokens: 1, messages: [] }, 'messages', /no user or assistant message/],
      ['an unknown role', { model: 'c', max_tokens: 1, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role', /Use 'user' or 'assistant'/],
      [
        'a server tool',
        { model: 'c', max_tokens: 1, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] },
        'tools[0].type',
        /server tool.*custom tool/,
      ],
      [
        'a server tool block',
        { model: 'c', max_tokens: 1, messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] }] },
        'messages[0].content[0].type',
        /no equivalent/,
      ],
      [
        'an image by file id',
        { model: 'c', max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] },
        'messages[0].content[0].source.type',
        /base64.*url/,
      ],
      [
        'a tool input that is not an object',
        { model: 'c', max_tokens: 1, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: 'x' }] }] },
        'messages[0].content[0].input',
        /JSON object/,
      ],
      ['an unknown tool_choice', { model: 'c', max_tokens: 1, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'maybe' } }, 'tool_choice.type', /Use 'auto', 'any', 'tool' or 'none'/],
    ];
    test.each(cases)('%s', (_name, body, param, message) => {
      const e = translationError(() => messagesRequestToChat(body, SERVED));
      expect(e).toBeInstanceOf(TranslationError);
      expect(e.source).toBe('request');
      expect(e.param).toBe(param);
      expect(e.message).toMatch(message);
      expect(e.message).toContain(param);
    });
  });
});

function completion(partial: Partial<ChatCompletion['choices'][number]['message']>, finish: ChatCompletion['choices'][number]['finish_reason'], usage?: ChatCompletion['usage']): ChatCompletion {
  return {
    id: 'chatcmpl-123',
    object: 'chat.completion',
    created: 1700000000,
    model: SERVED,
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, ...partial }, finish_reason: finish, logprobs: null }],
    usage: usage ?? { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
  };
}

describe('chatResponseToMessages', () => {
  test('content and tool calls become blocks; ids prefixed msg_; usage split into cache reads', () => {
    const resp = completion(
      {
        content: 'Checking.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      'tool_calls',
      { prompt_tokens: 150, completion_tokens: 12, total_tokens: 162, prompt_tokens_details: { cached_tokens: 100 } },
    );
    expect(chatResponseToMessages(resp, 'claude-sonnet-4-5')).toEqual({
      id: 'msg_chatcmpl-123',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 50, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 },
    });
  });

  test.each([
    ['stop', false, 'end_turn'],
    ['length', false, 'max_tokens'],
    ['tool_calls', true, 'tool_use'],
    ['content_filter', false, 'refusal'],
    ['function_call', false, 'tool_use'],
    // Some backends say 'stop' after a tool call; Claude clients loop on 'tool_use'.
    ['stop', true, 'tool_use'],
  ] as const)('finish_reason %s (tool calls: %s) → stop_reason %s', (finish, withTool, stop) => {
    const tools = withTool ? { tool_calls: [{ id: 'c', type: 'function' as const, function: { name: 'f', arguments: '{}' } }] } : {};
    expect(chatResponseToMessages(completion({ content: 'x', ...tools }, finish), 'c').stop_reason).toBe(stop);
  });

  test('empty content, a refusal, and an id already prefixed', () => {
    expect(chatResponseToMessages({ ...completion({ content: '' }, 'stop'), id: 'msg_abc' }, 'c')).toMatchObject({ id: 'msg_abc', content: [] });
    expect(chatResponseToMessages(completion({ refusal: 'I cannot help with that.' }, 'content_filter'), 'c')).toMatchObject({
      content: [{ type: 'text', text: 'I cannot help with that.' }],
      stop_reason: 'refusal',
    });
  });

  test('tool call arguments that are not JSON are a response-side TranslationError', () => {
    const resp = completion({ tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }, 'tool_calls');
    const e = translationError(() => chatResponseToMessages(resp, 'c'));
    expect(e.source).toBe('response');
    expect(e.param).toBe('choices[0].message.tool_calls[0].function.arguments');
    expect(e.message).toMatch(/upstream's choices\[0\]\.message\.tool_calls\[0\]\.function\.arguments is not valid JSON/);
    expect(translationError(() => chatResponseToMessages({ ...resp, choices: [] }, 'c')).message).toMatch(/choices is empty/);
  });

  test('chatErrorToMessages', () => {
    expect(chatErrorToMessages({ error: { message: 'Too many', type: 'rate_limit_error', code: 'rate_limit_exceeded' } })).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Too many' },
    });
    expect(chatErrorToMessages({ error: { message: 'boom', type: 'server_error' } }).error.type).toBe('api_error');
    expect(chatErrorToMessages({ error: 'plain string' }).error.message).toBe('plain string');
  });
});

type Chunk = ChatCompletionChunk;
const base = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1700000000, model: SERVED } as const;
const chunk = (delta: Chunk['choices'][number]['delta'], finish: Chunk['choices'][number]['finish_reason'] = null): Chunk => ({
  ...base,
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});

/** A stream as OpenAI sends it: text, two tool calls with arguments split mid-token, the usage chunk. */
const CHUNKS: Array<Chunk | '[DONE]'> = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '"CET"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...base, choices: [], usage: { prompt_tokens: 80, completion_tokens: 30, total_tokens: 110, prompt_tokens_details: { cached_tokens: 64 } } },
  '[DONE]',
];

function translateChunks(chunks: typeof CHUNKS): { frames: string[]; t: ChatChunksToMessagesStream } {
  const t = new ChatChunksToMessagesStream('claude-sonnet-4-5');
  const frames = chunks.flatMap((c) => t.push(c === '[DONE]' ? c : JSON.stringify(c)));
  return { frames, t };
}

describe('ChatChunksToMessagesStream', () => {
  test('text and tool calls stream as content blocks; the split arguments concatenate to valid JSON', () => {
    const { frames, t } = translateChunks(CHUNKS);
    const events = anthropicFrames(frames);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0]).toEqual({
      type: 'message_start',
      message: {
        id: 'msg_chatcmpl-9',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
    expect(events[5]).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} } });
    expect(events[6]).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } });
    expect(events[14]).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 30, input_tokens: 16, cache_read_input_tokens: 64 },
    });

    const message = accumulateMessages(events);
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_b', name: 'get_time', input: { tz: 'CET' } },
    ]);
    expect(message.stopReason).toBe('tool_use');
    expect(t.usage()).toEqual({ inputTokens: 80, outputTokens: 30 });
    expect(t.push('[DONE]')).toEqual([]);
  });

  test('without a usage chunk, message_delta carries output_tokens 0 and usage() stays undefined', () => {
    const { frames, t } = translateChunks(CHUNKS.filter((c) => c === '[DONE]' || c.choices.length > 0));
    const events = anthropicFrames(frames);
    expect(events[events.length - 2]).toEqual({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 0 } });
    expect(t.usage()).toBeUndefined();
  });

  test('usage on the finish chunk (some backends) counts too', () => {
    const t = new ChatChunksToMessagesStream('c');
    t.push(JSON.stringify(chunk({ content: 'Hi' })));
    t.push(JSON.stringify({ ...chunk({}, 'length'), usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
    const events = anthropicFrames(t.push('[DONE]'));
    expect(events).toEqual([
      { type: 'message_delta', delta: { stop_reason: 'max_tokens', stop_sequence: null }, usage: { output_tokens: 2, input_tokens: 5, cache_read_input_tokens: 0 } },
      { type: 'message_stop' },
    ]);
  });

  test('a tool call sent whole in one delta (Ollama, vLLM) and text after a tool call', () => {
    const t = new ChatChunksToMessagesStream('c');
    const frames = [
      JSON.stringify(chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] })),
      JSON.stringify(chunk({ content: 'done' }, 'stop')),
      '[DONE]',
    ].flatMap((d) => t.push(d));
    const message = accumulateMessages(anthropicFrames(frames));
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'c1', name: 'f', input: { x: 1 } },
      { type: 'text', text: 'done' },
    ]);
    expect(message.stopReason).toBe('tool_use');
  });

  test('a streamed refusal is text, and content_filter a refusal stop', () => {
    const t = new ChatChunksToMessagesStream('c');
    const frames = [JSON.stringify(chunk({ refusal: 'I cannot help with that.' })), JSON.stringify(chunk({}, 'content_filter')), '[DONE]'].flatMap((d) => t.push(d));
    expect(accumulateMessages(anthropicFrames(frames))).toMatchObject({ content: [{ type: 'text', text: 'I cannot help with that.' }], stopReason: 'refusal' });
  });

  test('a tool call without an id gets one', () => {
    const t = new ChatChunksToMessagesStream('c');
    const frames = [JSON.stringify(chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] })), '[DONE]'].flatMap((d) => t.push(d));
    const message = accumulateMessages(anthropicFrames(frames));
    expect(message.content[0]).toMatchObject({ type: 'tool_use', id: expect.stringMatching(/^toolu_[0-9a-f]{32}$/), name: 'f' });
  });

  test('an error payload becomes an Anthropic error event and ends the stream', () => {
    const t = new ChatChunksToMessagesStream('c');
    t.push(JSON.stringify(chunk({ content: 'Hi' })));
    const frames = t.push(JSON.stringify({ error: { message: 'Internal error', type: 'server_error', code: null } }));
    expect(frames).toEqual(['event: error\ndata: {"type":"error","error":{"type":"api_error","message":"Internal error"}}\n\n']);
    expect(t.push('[DONE]')).toEqual([]);
  });

  test('raw SSE bytes split anywhere, through SseFramer and pushEvent, give the same frames', () => {
    const wire = Buffer.from(openAiSse(CHUNKS as Array<Record<string, unknown> | '[DONE]'>), 'utf8');
    const framer = new SseFramer();
    const t = new ChatChunksToMessagesStream('claude-sonnet-4-5');
    const frames: string[] = [];
    for (let i = 0; i < wire.length; i += 5) for (const e of framer.push(wire.subarray(i, i + 5))) frames.push(...t.pushEvent(e));
    expect(frames).toEqual(translateChunks(CHUNKS).frames);
  });

  test('end() closes a stream that stopped without [DONE]; an empty stream is still a well-formed message', () => {
    const t = new ChatChunksToMessagesStream('c');
    const frames = [...t.push(JSON.stringify(chunk({ content: 'partial' }))), ...t.end()];
    expect(accumulateMessages(anthropicFrames(frames))).toMatchObject({ content: [{ type: 'text', text: 'partial' }], stopReason: 'end_turn' });
    const empty = new ChatChunksToMessagesStream('c');
    expect(accumulateMessages(anthropicFrames(empty.push('[DONE]')))).toMatchObject({ content: [], stopReason: 'end_turn' });
  });

  test('a payload that is not JSON is a response-side TranslationError', () => {
    const e = translationError(() => new ChatChunksToMessagesStream('c').push('{oops'));
    expect(e.source).toBe('response');
  });
});
