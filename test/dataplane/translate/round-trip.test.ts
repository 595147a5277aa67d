import type { MessageCreateParams } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { accumulateChat, accumulateMessages, anthropicFrames, openAiFrames, type OpenAiFrame } from './frames';
import {
  ChatChunksToMessagesStream,
  chatRequestToMessages,
  chatResponseToMessages,
  messagesRequestToChat,
  messagesResponseToChat,
  MessagesStreamToChatChunks,
} from '../../../src/dataplane/translate';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const WEATHER_SCHEMA = { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] };

test('an OpenAI request survives OpenAI → Anthropic → OpenAI', () => {
  const original: ChatCompletionCreateParams = {
    model: 'smart',
    messages: [
      { role: 'system', content: 'You are a weather bot.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Where is this, and what is the weather there?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          { type: 'image_url', image_url: { url: 'https://example.com/paris.jpg' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Paris. Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: '21C' },
      { role: 'assistant', content: 'Paris is 18C, Lyon 21C.' },
      { role: 'user', content: 'Thanks' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: WEATHER_SCHEMA } }],
    tool_choice: 'required',
    parallel_tool_calls: false,
    max_tokens: 500,
    stop: ['END'],
    temperature: 0.5,
    top_p: 0.9,
    stream: true,
    user: 'alice',
  };
  const anthropic = chatRequestToMessages(original, 'claude-sonnet-4-5');
  expect(anthropic.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
  const back = messagesRequestToChat(anthropic, 'smart');
  // Bodies are plain JSON records for the proxy.
  const records: Array<Record<string, unknown>> = [anthropic, back, messagesResponseToChat({ content: [] }, 'm'), chatResponseToMessages({ choices: [{ message: {} }] }, 'm')];
  expect(records).toHaveLength(4);
  // The same request; streaming now asks for the usage chunk.
  expect(back).toEqual({ ...original, stream_options: { include_usage: true } });
});

test('an Anthropic request survives Anthropic → OpenAI → Anthropic', () => {
  const original: MessageCreateParams = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: 'Be helpful.',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look at these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/rome.jpg' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Rome' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '24C' }, { type: 'text', text: 'And Milan?' }] },
      { role: 'assistant', content: 'I would need to look that up.' },
    ],
    tools: [{ name: 'get_weather', description: 'Current weather', input_schema: WEATHER_SCHEMA }],
    tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
    stop_sequences: ['END'],
    stream: true,
    metadata: { user_id: 'alice' },
  };
  const openai = messagesRequestToChat(original, 'gpt-4.1');
  const back = chatRequestToMessages(openai, 'claude-sonnet-4-5');
  expect(back).toEqual(original);
});

test('an Anthropic response survives Anthropic → OpenAI → Anthropic', () => {
  const original = {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Rome', units: ['C'] } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 },
  };
  const back = chatResponseToMessages(messagesResponseToChat(original, 'smart'), 'claude-sonnet-4-5');
  expect(back).toEqual(original);
});

/** Anthropic events without thinking: every block survives the trip. */
const ANTHROPIC_STREAM = [
  {
    type: 'message_start',
    message: {
      id: 'msg_01XYZ',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me ' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'check.' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: {} } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ty": "Par' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'is"}' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 40 } },
  { type: 'message_stop' },
] as const;

/** The data payload of an OpenAI frame. */
function payload(frame: string): string {
  return frame.slice('data: '.length, -2);
}

test('an Anthropic stream survives Anthropic → OpenAI chunks → Anthropic', () => {
  const toChat = new MessagesStreamToChatChunks('smart', { includeUsage: true });
  const toMessages = new ChatChunksToMessagesStream('claude-sonnet-4-5');
  const frames = ANTHROPIC_STREAM.flatMap((e) => toChat.push(e.type, JSON.stringify(e)))
    .flatMap((f) => toMessages.push(payload(f)));
  const original = accumulateMessages(anthropicFrames(ANTHROPIC_STREAM.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)));
  const back = accumulateMessages(anthropicFrames(frames));
  expect(back).toEqual({ ...original, usage: { input_tokens: 25, output_tokens: 40 } });
  expect(toChat.usage()).toEqual({ inputTokens: 125, outputTokens: 40 });
  expect(toMessages.usage()).toEqual({ inputTokens: 125, outputTokens: 40 });
});

test('an OpenAI stream survives OpenAI chunks → Anthropic → OpenAI chunks', () => {
  const base = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1700000000, model: 'smart' } as const;
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const chunks: ChatCompletionChunk[] = [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Hello ' }),
    chunk({ content: 'there.' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"a' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: 'b"}' } }] }),
    chunk({}, 'tool_calls'),
    { ...base, choices: [], usage: { prompt_tokens: 80, completion_tokens: 30, total_tokens: 110, prompt_tokens_details: { cached_tokens: 64 } } },
  ];
  const toMessages = new ChatChunksToMessagesStream('claude-sonnet-4-5');
  const toChat = new MessagesStreamToChatChunks('smart', { includeUsage: true });
  const frames = [...chunks.map((c) => JSON.stringify(c)), '[DONE]']
    .flatMap((d) => toMessages.push(d))
    .flatMap((f) => {
      const m = /^event: (\w+)\ndata: (.*)\n\n$/s.exec(f)!;
      return toChat.push(m[1], m[2]);
    });
  const original: OpenAiFrame[] = [...chunks, '[DONE]'];
  const back = openAiFrames(frames);
  expect(accumulateChat(back)).toEqual(accumulateChat(original));
  expect(accumulateChat(back).toolCalls[0]).toEqual({ id: 'call_a', name: 'lookup', arguments: '{"q":"ab"}' });
  expect(back[back.length - 1]).toBe('[DONE]');
});
