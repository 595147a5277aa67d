import type { Message, MessageCreateParams } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletion, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { accumulateChat, anthropicSse, chunksOf, openAiFrames, translationError } from './frames';
import { SseFramer } from '../../../src/dataplane/sse';
import {
  anthropicErrorToChat,
  chatRequestToMessages,
  DEFAULT_MAX_TOKENS,
  messagesResponseToChat,
  MessagesStreamToChatChunks,
  TranslationError,
  wantsStreamUsage,
} from '../../../src/dataplane/translate';

const SERVED = 'claude-sonnet-4-5';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
} as const;

describe('chatRequestToMessages', () => {
  test('a plain request: served model, default max_tokens, user text as a string', () => {
    const body: ChatCompletionCreateParams = { model: 'smart', messages: [{ role: 'user', content: 'Hello' }] };
    const out = chatRequestToMessages(body, SERVED);
    expect(out).toEqual({ model: SERVED, max_tokens: DEFAULT_MAX_TOKENS, messages: [{ role: 'user', content: 'Hello' }] });
    expect(DEFAULT_MAX_TOKENS).toBe(4096);
    // The output is a valid Messages request as the official SDK types it.
    const typed: MessageCreateParams = out;
    expect(typed.model).toBe(SERVED);
  });

  test('max_tokens: max_completion_tokens first, then max_tokens, then the default (configurable)', () => {
    const messages: ChatCompletionCreateParams['messages'] = [{ role: 'user', content: 'x' }];
    expect(chatRequestToMessages({ model: 'm', messages, max_completion_tokens: 100, max_tokens: 50 }, SERVED).max_tokens).toBe(100);
    expect(chatRequestToMessages({ model: 'm', messages, max_tokens: 50 }, SERVED).max_tokens).toBe(50);
    expect(chatRequestToMessages({ model: 'm', messages, max_tokens: null }, SERVED, { defaultMaxTokens: 1024 }).max_tokens).toBe(1024);
    const e = translationError(() => chatRequestToMessages({ model: 'm', messages, max_tokens: 0 }, SERVED));
    expect(e.param).toBe('max_tokens');
    expect(e.message).toMatch(/max_tokens must be a positive integer/);
  });

  test('system and developer messages, wherever they are, become the system prompt', () => {
    const one = chatRequestToMessages({ model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }, SERVED);
    expect(one.system).toBe('Be brief.');
    const many = chatRequestToMessages(
      {
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hi' },
          { role: 'system', content: 'Never use emoji.' },
        ],
      },
      SERVED,
    );
    expect(many.system).toEqual([
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Answer in French.' },
      { type: 'text', text: 'Never use emoji.' },
    ]);
    expect(many.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  test('a multi-turn conversation with tool calls and tool results', () => {
    const body: ChatCompletionCreateParams = {
      model: 'smart',
      messages: [
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C, sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24C' }, { type: 'text', text: 'clear' }] },
        { role: 'user', content: 'Which is warmer?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'noop', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'call_3', content: '' },
      ],
      tools: [WEATHER_TOOL, { type: 'function', function: { name: 'noop' } }],
    };
    const out = chatRequestToMessages(body, SERVED);
    expect(out.system).toBe('You are a weather bot.');
    expect(out.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        // Both tool results and the next user message are one user turn, tool results first.
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C, sunny' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '24C' }, { type: 'text', text: 'clear' }] },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
      // Empty arguments are an empty input.
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_3', name: 'noop', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_3' }] },
    ]);
    expect(out.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Current weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'noop', input_schema: { type: 'object', properties: {} } },
    ]);
    const typed: MessageCreateParams = out;
    expect(typed.messages).toHaveLength(5);
  });

  test('consecutive turns of one role are merged, so user and assistant alternate', () => {
    const out = chatRequestToMessages(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'one' },
          { role: 'user', content: [{ type: 'text', text: 'two' }] },
          { role: 'assistant', content: 'a' },
          { role: 'assistant', content: [{ type: 'text', text: 'b' }, { type: 'refusal', refusal: 'no' }] },
          { role: 'user', content: '' },
          { role: 'user', content: 'three' },
        ],
      },
      SERVED,
    );
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }, { type: 'text', text: 'no' }] },
      { role: 'user', content: 'three' },
    ]);
  });

  test('images: data URLs become base64 sources, https URLs url sources; files become PDF documents', () => {
    const out = chatRequestToMessages(
      {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these.' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'spec.pdf' } },
            ],
          },
        ],
      },
      SERVED,
    );
    expect(out.messages[0].content).toEqual([
      { type: 'text', text: 'Compare these.' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'spec.pdf' },
    ]);
    const typed: MessageCreateParams = out;
    expect(typed.messages).toHaveLength(1);
  });

  test('images the Messages API cannot take are refused with the part named', () => {
    const withImage = (url: string): ChatCompletionCreateParams => ({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url } }] }],
    });
    const tiff = translationError(() => chatRequestToMessages(withImage('data:image/tiff;base64,AAAA'), SERVED));
    expect(tiff.param).toBe('messages[0].content[1].image_url.url');
    expect(tiff.message).toMatch(/image\/tiff.*image\/jpeg, image\/png, image\/gif, image\/webp/);
    expect(translationError(() => chatRequestToMessages(withImage('data:image/png,rawbytes'), SERVED)).message).toMatch(/not base64/);
    expect(translationError(() => chatRequestToMessages(withImage('ftp://example.com/x.png'), SERVED)).message).toMatch(/neither an http\(s\) URL nor a data URL/);
  });

  test('tool_choice and parallel_tool_calls', () => {
    const base: ChatCompletionCreateParams = { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER_TOOL] };
    const choice = (extra: Partial<ChatCompletionCreateParams>) =>
      chatRequestToMessages({ ...base, ...extra } as ChatCompletionCreateParams, SERVED).tool_choice;
    expect(choice({})).toBeUndefined();
    expect(choice({ tool_choice: 'auto' })).toEqual({ type: 'auto' });
    expect(choice({ tool_choice: 'required' })).toEqual({ type: 'any' });
    expect(choice({ tool_choice: 'none' })).toEqual({ type: 'none' });
    expect(choice({ tool_choice: { type: 'function', function: { name: 'get_weather' } } })).toEqual({ type: 'tool', name: 'get_weather' });
    expect(choice({ parallel_tool_calls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(choice({ tool_choice: 'required', parallel_tool_calls: false })).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(choice({ tool_choice: 'none', parallel_tool_calls: false })).toEqual({ type: 'none' });
    // Without tools there is nothing to choose from: neither is sent.
    const noTools = chatRequestToMessages({ model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: 'none' }, SERVED);
    expect(noTools.tools).toBeUndefined();
    expect(noTools.tool_choice).toBeUndefined();
    const allowed = translationError(() => choice({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } }));
    expect(allowed.param).toBe('tool_choice');
  });

  test('sampling, stop, stream and user', () => {
    const messages: ChatCompletionCreateParams['messages'] = [{ role: 'user', content: 'x' }];
    const out = chatRequestToMessages({ model: 'm', messages, stop: ['END', ''], temperature: 0.2, top_p: 0.9, stream: true, user: 'alice' }, SERVED);
    expect(out).toMatchObject({ stop_sequences: ['END'], temperature: 0.2, top_p: 0.9, stream: true, metadata: { user_id: 'alice' } });
    expect(chatRequestToMessages({ model: 'm', messages, stop: 'END' }, SERVED).stop_sequences).toEqual(['END']);
    expect(chatRequestToMessages({ model: 'm', messages, stop: null }, SERVED).stop_sequences).toBeUndefined();
    expect(chatRequestToMessages({ model: 'm', messages, safety_identifier: 'hash-1' }, SERVED).metadata).toEqual({ user_id: 'hash-1' });
    // Anthropic API 2026-10-21 (and some newer models) reject sampling parameters: they can be left out.
    const unsampled = chatRequestToMessages({ model: 'm', messages, temperature: 0.2, top_p: 0.9 }, SERVED, { dropSamplingParams: true });
    expect(unsampled).not.toHaveProperty('temperature');
    expect(unsampled).not.toHaveProperty('top_p');
    // Parameters with no Messages equivalent are not sent.
    const quiet = chatRequestToMessages({ model: 'm', messages, seed: 1, presence_penalty: 0.5, logprobs: false }, SERVED);
    expect(Object.keys(quiet).sort()).toEqual(['max_tokens', 'messages', 'model']);
  });

  test('wantsStreamUsage reads stream_options.include_usage', () => {
    expect(wantsStreamUsage({ stream: true, stream_options: { include_usage: true } })).toBe(true);
    expect(wantsStreamUsage({ stream: true })).toBe(false);
    expect(wantsStreamUsage(null)).toBe(false);
  });

  describe('refuses what it cannot translate, naming the field and the fix', () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['a body that is not an object', [], 'body', /must be a JSON object/],
      ['no messages', { model: 'm' }, 'messages', /must be an array/],
      ['only system messages', { model: 'm', messages: [{ role: 'system', content: 'x' }] }, 'messages', /no user or assistant message/],
      [
        'invalid JSON arguments',
        { model: 'm', messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"city":' } }] }] },
        'messages[1].tool_calls[0].function.arguments',
        /^messages\[1\]\.tool_calls\[0\]\.function\.arguments is not valid JSON \(.+\)\. Send the arguments as a JSON-encoded object/,
      ],
      [
        'arguments that are not an object',
        { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] },
        'messages[0].tool_calls[0].function.arguments',
        /must encode a JSON object/,
      ],
      ['a tool message without tool_call_id', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id', /must be a string/],
      ['n > 1', { model: 'm', n: 2, messages: [{ role: 'user', content: 'x' }] }, 'n', /returns one choice\. Drop n/],
      ['legacy functions', { model: 'm', functions: [], messages: [{ role: 'user', content: 'x' }] }, 'functions', /Send tools and tool_choice instead/],
      ['a function-role message', { model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role', /deprecated/],
      ['an unknown role', { model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /Use 'system', 'developer', 'user', 'assistant' or 'tool'/],
      [
        'audio input',
        { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] },
        'messages[0].content[0].type',
        /input_audio.*Transcribe the audio first/,
      ],
      [
        'a file by id',
        { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] },
        'messages[0].content[0].file.file_id',
        /Send the file inline as file_data/,
      ],
      [
        'an image in a system message',
        { model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x' } }] }, { role: 'user', content: 'x' }] },
        'messages[0].content[0].type',
        /system messages carry text only/,
      ],
      ['a custom tool', { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type', /Only 'function' tools/],
      [
        'a non-object schema',
        { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
        'tools[0].function.parameters.type',
        /object schema/,
      ],
      ['a string temperature', { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }, 'temperature', /must be a number/],
    ];
    test.each(cases)('%s', (_name, body, param, message) => {
      const e = translationError(() => chatRequestToMessages(body, SERVED));
      expect(e).toBeInstanceOf(TranslationError);
      expect(e.name).toBe('TranslationError');
      expect(e.source).toBe('request');
      expect(e.param).toBe(param);
      expect(e.message).toMatch(message);
      expect(e.message).toContain(param);
    });
  });
});

/** A Messages API response as Anthropic sends it. */
function anthropicMessage(partial: Partial<Message>): Message {
  return {
    id: 'msg_01ABC',
    type: 'message',
    role: 'assistant',
    model: SERVED,
    content: [],
    container: null,
    stop_details: null,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation: null,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    },
    ...partial,
  } as Message;
}

describe('messagesResponseToChat', () => {
  test('text blocks joined, tool_use as tool_calls, thinking as reasoning_content, usage with cache', () => {
    const resp = anthropicMessage({
      content: [
        { type: 'thinking', thinking: 'The user wants weather.', signature: 'sig' },
        { type: 'text', text: 'Checking ', citations: null },
        { type: 'text', text: 'now.', citations: null },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' }, caller: { type: 'direct' } },
      ] as Message['content'],
      stop_reason: 'tool_use',
      usage: { ...anthropicMessage({}).usage, input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
    });
    const out = messagesResponseToChat(resp, 'smart');
    expect(out).toEqual({
      id: 'msg_01ABC',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'smart',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking now.',
            refusal: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
            reasoning_content: 'The user wants weather.',
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 117, completion_tokens: 20, total_tokens: 137, prompt_tokens_details: { cached_tokens: 100 } },
    });
    expect(Math.abs(out.created - Date.now() / 1000)).toBeLessThan(5);
    // It is a chat completion as the official OpenAI SDK types it.
    const typed: ChatCompletion = out;
    expect(JSON.parse(typed.choices[0].message.tool_calls![0].type === 'function' ? typed.choices[0].message.tool_calls![0].function.arguments : '')).toEqual({ city: 'Paris' });
  });

  test('a tool-only answer has null content; an empty answer has empty content', () => {
    const toolOnly = messagesResponseToChat(anthropicMessage({ content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] as Message['content'], stop_reason: 'tool_use' }), 'm');
    expect(toolOnly.choices[0].message.content).toBeNull();
    expect(toolOnly.choices[0].message.tool_calls![0].function.arguments).toBe('{}');
    const empty = messagesResponseToChat(anthropicMessage({ content: [] }), 'm');
    expect(empty.choices[0].message).toEqual({ role: 'assistant', content: '', refusal: null });
  });

  test.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ] as const)('stop_reason %s → finish_reason %s', (stopReason, finishReason) => {
    expect(messagesResponseToChat(anthropicMessage({ stop_reason: stopReason }), 'm').choices[0].finish_reason).toBe(finishReason);
  });

  test('usage without cache fields', () => {
    expect(messagesResponseToChat(anthropicMessage({}), 'm').usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } });
  });

  test('a malformed message is a response-side TranslationError', () => {
    const e = translationError(() => messagesResponseToChat({ id: 'x', content: 'hello' }, 'm'));
    expect(e.source).toBe('response');
    expect(e.param).toBe('content');
    expect(e.message).toMatch(/upstream's content must be an array/);
  });

  test('anthropicErrorToChat', () => {
    expect(anthropicErrorToChat({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toEqual({
      error: { message: 'Overloaded', type: 'api_error', param: null, code: 'overloaded_error' },
    });
    expect(anthropicErrorToChat({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } }).error.type).toBe('rate_limit_error');
    expect(anthropicErrorToChat('garbage').error).toEqual({ message: 'The upstream failed.', type: 'api_error', param: null, code: 'api_error' });
  });
});

/** The events of a streamed answer: thinking, text, a tool call whose JSON is split mid-token. */
const STREAM: Array<Record<string, unknown> & { type: string }> = [
  {
    type: 'message_start',
    message: {
      id: 'msg_01XYZ',
      type: 'message',
      role: 'assistant',
      model: SERVED,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    },
  },
  { type: 'ping' },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Need the weather.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'abc' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Let me ' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'check.' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"ci' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ty": "Par' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'is"}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} } },
  { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"tz":"CET"}' } },
  { type: 'content_block_stop', index: 3 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 40 } },
  { type: 'message_stop' },
];

function translateStream(events: typeof STREAM, includeUsage: boolean): { frames: string[]; t: MessagesStreamToChatChunks } {
  const t = new MessagesStreamToChatChunks('smart', { includeUsage });
  const frames = events.flatMap((e) => t.push(e.type, JSON.stringify(e)));
  return { frames, t };
}

describe('MessagesStreamToChatChunks', () => {
  test('thinking, text and tool calls stream as chat chunks; the split arguments concatenate to valid JSON', () => {
    const { frames, t } = translateStream(STREAM, false);
    const parsed = openAiFrames(frames);
    expect(parsed[parsed.length - 1]).toBe('[DONE]');
    const chunks = chunksOf(parsed);
    expect(chunks.length).toBe(parsed.length - 1);
    for (const c of chunks) {
      expect(c).toMatchObject({ id: 'msg_01XYZ', object: 'chat.completion.chunk', model: 'smart' });
      expect(c.usage).toBeUndefined();
    }
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Need the weather.' },
      { content: 'Let me ' },
      { content: 'check.' },
      { tool_calls: [{ index: 0, id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] },
      { tool_calls: [{ index: 1, id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"tz":"CET"}' } }] },
      {},
    ]);
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([...Array(10).fill(null), 'tool_calls']);

    const result = accumulateChat(parsed);
    expect(result.role).toBe('assistant');
    expect(result.content).toBe('Let me check.');
    expect(result.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)])).toEqual([
      ['toolu_01', 'get_weather', { city: 'Paris' }],
      ['toolu_02', 'get_time', { tz: 'CET' }],
    ]);
    expect(result.usage).toBeUndefined();
    expect(t.usage()).toEqual({ inputTokens: 125, outputTokens: 40 });
    // Nothing after the end.
    expect(t.push('message_stop', '{"type":"message_stop"}')).toEqual([]);
  });

  test('with includeUsage: every chunk has usage null, and a usage chunk with no choices comes before [DONE]', () => {
    const { frames } = translateStream(STREAM, true);
    const parsed = openAiFrames(frames);
    const chunks = chunksOf(parsed);
    const last = chunks[chunks.length - 1];
    expect(parsed[parsed.length - 2]).toBe(last);
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 125, completion_tokens: 40, total_tokens: 165, prompt_tokens_details: { cached_tokens: 100 } });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(accumulateChat(parsed).usage).toEqual(last.usage);
  });

  test('message_delta counts are cumulative: they replace those of message_start', () => {
    const t = new MessagesStreamToChatChunks('m');
    expect(t.usage()).toBeUndefined();
    t.push('message_start', JSON.stringify({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 9, output_tokens: 1 } } }));
    expect(t.usage()).toEqual({ inputTokens: 9, outputTokens: 1 });
    t.push('message_delta', JSON.stringify({ type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 3 } }));
    t.push('message_delta', JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 7, input_tokens: 12 } }));
    expect(t.usage()).toEqual({ inputTokens: 12, outputTokens: 7 });
  });

  test('stop reasons reach the finish chunk', () => {
    for (const [stop, finish] of [['end_turn', 'stop'], ['max_tokens', 'length'], ['stop_sequence', 'stop'], ['refusal', 'content_filter']] as const) {
      const t = new MessagesStreamToChatChunks('m');
      const frames = [
        ...t.push('message_start', JSON.stringify({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 1, output_tokens: 1 } } })),
        ...t.push('message_delta', JSON.stringify({ type: 'message_delta', delta: { stop_reason: stop }, usage: { output_tokens: 2 } })),
        ...t.push('message_stop', '{"type":"message_stop"}'),
      ];
      expect(accumulateChat(openAiFrames(frames)).finishReason).toBe(finish);
    }
  });

  test('an error event becomes an OpenAI error frame and ends the stream', () => {
    const t = new MessagesStreamToChatChunks('m', { includeUsage: true });
    const started = t.push('message_start', JSON.stringify({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 1, output_tokens: 1 } } }));
    expect(started).toHaveLength(1);
    const frames = t.push('error', JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    expect(frames).toEqual(['data: {"error":{"message":"Overloaded","type":"api_error","param":null,"code":"overloaded_error"}}\n\n']);
    expect(t.push('message_stop', '{"type":"message_stop"}')).toEqual([]);
    expect(t.end()).toEqual([]);
  });

  test('raw SSE bytes split anywhere, through SseFramer and pushEvent, give the same frames', () => {
    const wire = Buffer.from(anthropicSse(STREAM), 'utf8');
    const framer = new SseFramer();
    const t = new MessagesStreamToChatChunks('smart');
    const frames: string[] = [];
    for (let i = 0; i < wire.length; i += 7) for (const e of framer.push(wire.subarray(i, i + 7))) frames.push(...t.pushEvent(e));
    const expected = translateStream(STREAM, false).frames;
    expect(frames.map(withoutCreated)).toEqual(expected.map(withoutCreated));
  });

  test('end() finishes a stream that stopped without message_stop; unknown events are ignored', () => {
    const t = new MessagesStreamToChatChunks('m', { includeUsage: true });
    expect(t.push('content_block_start', JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Hi' } }))).toHaveLength(2);
    expect(t.push('future_event', '{"type":"future_event"}')).toEqual([]);
    const parsed = openAiFrames(t.end());
    expect(parsed.map((f) => (f === '[DONE]' ? f : 'object' in f ? f.choices.length : 'error'))).toEqual([1, 0, '[DONE]']);
    expect(t.end()).toEqual([]);
  });

  test('a payload that is not JSON is a response-side TranslationError', () => {
    const e = translationError(() => new MessagesStreamToChatChunks('m').push('message_start', '{not json'));
    expect(e.source).toBe('response');
    expect(e.message).toMatch(/not a JSON object/);
  });
});

function withoutCreated(frame: string): string {
  return frame.replace(/"created":\d+/, '"created":0');
}
