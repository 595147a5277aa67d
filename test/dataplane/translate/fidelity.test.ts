import type { MessageCreateParams } from '@anthropic-ai/sdk/resources/messages';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { anthropicFrames, translationError } from './frames';
import {
  chatRequestToMessages,
  chatResponseToMessages,
  ChatChunksToMessagesStream,
  messagesRequestToChat,
} from '../../../src/dataplane/translate';

const ask = (extra: Partial<MessageCreateParams> = {}): MessageCreateParams => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 32000,
  messages: [{ role: 'user', content: 'Think.' }],
  ...extra,
});

describe('Anthropic client → OpenAI-compatible backend: output field, limit, thinking', () => {
  test('OpenAI and Azure get max_completion_tokens, the others max_tokens; the model limit lowers it', () => {
    expect(messagesRequestToChat(ask(), 'm', { provider: 'openai', maxOutputTokens: 8192 })).toEqual({
      model: 'm',
      max_completion_tokens: 8192,
      messages: [{ role: 'user', content: 'Think.' }],
    });
    expect(messagesRequestToChat(ask(), 'm', { provider: 'azure-openai' })).toMatchObject({ max_completion_tokens: 32000 });
    expect(messagesRequestToChat(ask(), 'm', { provider: 'azure-openai' }).max_tokens).toBeUndefined();
    for (const provider of ['dashscope', 'deepseek', 'vllm', 'ollama', 'openai-compatible'] as const) {
      const out = messagesRequestToChat(ask({ max_tokens: 100 }), 'm', { provider, maxOutputTokens: 8192 });
      expect([out.max_tokens, out.max_completion_tokens]).toEqual([100, undefined]);
    }
  });

  test('thinking: reasoning_effort by budget on OpenAI reasoning models, enable_thinking and its budget on Qwen3 models, nothing elsewhere', () => {
    const enabled = (budget: number) => ask({ thinking: { type: 'enabled', budget_tokens: budget } });
    expect(messagesRequestToChat(enabled(2048), 'o3', { provider: 'openai' }).reasoning_effort).toBe('low');
    expect(messagesRequestToChat(enabled(8000), 'o4-mini', { provider: 'azure-openai' }).reasoning_effort).toBe('medium');
    expect(messagesRequestToChat(enabled(31999), 'gpt-5', { provider: 'openai' }).reasoning_effort).toBe('high');
    const streamed = (budget: number) => ask({ stream: true, thinking: { type: 'enabled', budget_tokens: budget } });
    expect(messagesRequestToChat(streamed(8000), 'qwen-plus', { provider: 'dashscope' })).toMatchObject({ enable_thinking: true, thinking_budget: 8000 });
    expect(messagesRequestToChat(ask({ stream: true, thinking: { type: 'disabled' } }), 'qwen3-32b', { provider: 'dashscope' }).enable_thinking).toBe(false);
    expect(messagesRequestToChat(ask({ stream: true, thinking: { type: 'adaptive' } }), 'qwen-flash', { provider: 'dashscope' })).toMatchObject({ enable_thinking: true });
    // DashScope thinks only when streaming (it refuses enable_thinking on a whole answer): not streamed, thinking is off.
    expect(messagesRequestToChat(enabled(8000), 'qwen-plus', { provider: 'dashscope' })).toMatchObject({ enable_thinking: false });
    expect(messagesRequestToChat(ask(), 'qwen3-32b', { provider: 'dashscope' })).toMatchObject({ enable_thinking: false });
    expect(messagesRequestToChat(ask({ thinking: { type: 'adaptive' } }), 'o3', { provider: 'openai' }).reasoning_effort).toBeUndefined();
    // Models that take no such field (OpenAI refuses reasoning_effort on gpt-4o): Claude Code's thinking must not make a 400.
    for (const [provider, model] of [['openai', 'gpt-4o'], ['azure-openai', 'gpt-4.1'], ['dashscope', 'qwen-max']] as const) {
      expect(Object.keys(messagesRequestToChat(enabled(31999), model, { provider })).sort()).toEqual(['max_completion_tokens', 'max_tokens', 'messages', 'model'].filter((k) => k !== (provider === 'dashscope' ? 'max_completion_tokens' : 'max_tokens')));
    }
    for (const provider of ['deepseek', 'vllm', 'ollama', 'openai-compatible'] as const) {
      const out = messagesRequestToChat(enabled(8000), 'm', { provider });
      expect(Object.keys(out).sort()).toEqual(['max_tokens', 'messages', 'model']);
    }
    // Without a provider (agents' translators), thinking is not read at all, as before.
    expect(Object.keys(messagesRequestToChat(enabled(8000), 'm')).sort()).toEqual(['max_tokens', 'messages', 'model']);
    const e = translationError(() => messagesRequestToChat(ask({ thinking: { type: 'enabled' } as never }), 'o3', { provider: 'openai' }));
    expect([e.param, e.message]).toEqual(['thinking.budget_tokens', "thinking.budget_tokens is missing, and thinking of type 'enabled' needs it. Send budget_tokens, e.g. 4096."]);
  });

  test('thinking blocks sent back in history are dropped, signed or redacted; the text and tool calls stay', () => {
    const out = messagesRequestToChat(
      ask({
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Call the tool.', signature: 'sig' },
              { type: 'redacted_thinking', data: 'xyz' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' }] },
        ],
      }),
      'm',
      { provider: 'deepseek' },
    );
    expect(out.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
    ]);
  });

  test('reasoning_content (or reasoning) in the answer becomes a thinking block before the text', () => {
    const answer = (message: object) => ({
      id: 'chatcmpl-1',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.', ...message }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
    });
    expect(chatResponseToMessages(answer({ reasoning_content: 'France → Paris.' }), 'claude').content).toEqual([
      { type: 'thinking', thinking: 'France → Paris.', signature: '' },
      { type: 'text', text: 'Paris.' },
    ]);
    expect(chatResponseToMessages(answer({ reasoning: 'Capital.' }), 'claude').content[0]).toEqual({ type: 'thinking', thinking: 'Capital.', signature: '' });
    expect(chatResponseToMessages(answer({ reasoning_content: null }), 'claude').content).toEqual([{ type: 'text', text: 'Paris.' }]);
  });

  test('streamed reasoning is a thinking block: thinking_delta events, then signature_delta, then the text block', () => {
    const base = { id: 'chatcmpl-2', object: 'chat.completion.chunk', created: 1, model: 'deepseek-reasoner' };
    const chunk = (delta: object, finish: string | null = null) => JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
    const t = new ChatChunksToMessagesStream('claude');
    const frames = [
      chunk({ role: 'assistant', content: null, reasoning_content: 'Fr' }),
      chunk({ reasoning_content: 'ance.' }),
      chunk({ content: 'Paris.' }),
      chunk({}, 'stop'),
      '[DONE]',
    ].flatMap((d) => t.push(d));
    const events = anthropicFrames(frames);
    expect(events.slice(1, -2)).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Fr' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'ance.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: '' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Paris.' } },
      { type: 'content_block_stop', index: 1 },
    ]);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['message_delta', 'message_stop']);
  });
});

const chat = (extra: Partial<ChatCompletionCreateParams> = {}): ChatCompletionCreateParams => ({
  model: 'gpt-4o',
  messages: [{ role: 'user', content: 'Think.' }],
  ...extra,
});

describe('OpenAI chat client → Anthropic backend: max_tokens and thinking', () => {
  test('max_tokens is max_completion_tokens, else max_tokens, else the default, at most the model limit', () => {
    expect(chatRequestToMessages(chat({ max_completion_tokens: 9000, max_tokens: 10 }), 'c', { maxOutputTokens: 2000 }).max_tokens).toBe(2000);
    expect(chatRequestToMessages(chat({ max_tokens: 9000 }), 'c', { maxOutputTokens: 2000 }).max_tokens).toBe(2000);
    expect(chatRequestToMessages(chat({ max_tokens: 900 }), 'c', { maxOutputTokens: 2000 }).max_tokens).toBe(900);
    expect(chatRequestToMessages(chat(), 'c', { maxOutputTokens: 2000 }).max_tokens).toBe(2000);
    expect(chatRequestToMessages(chat(), 'c').max_tokens).toBe(4096);
  });

  test('reasoning_effort becomes thinking with a budget below max_tokens', () => {
    expect(chatRequestToMessages(chat({ reasoning_effort: 'low' }), 'c').thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(chatRequestToMessages(chat({ reasoning_effort: 'medium', max_completion_tokens: 32000 }), 'c').thinking).toEqual({ type: 'enabled', budget_tokens: 4096 });
    expect(chatRequestToMessages(chat({ reasoning_effort: 'high' }), 'c', { maxOutputTokens: 8000 })).toMatchObject({ max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 4095 } });
    expect(chatRequestToMessages(chat({ reasoning_effort: 'high', max_tokens: 1024 }), 'c').thinking).toBeUndefined();
    expect(chatRequestToMessages(chat({ reasoning_effort: 'minimal' }), 'c').thinking).toBeUndefined();
    expect(chatRequestToMessages(chat({ reasoning_effort: 'none' }), 'c').thinking).toBeUndefined();
    const e = translationError(() => chatRequestToMessages(chat({ reasoning_effort: 'extreme' as never }), 'c'));
    expect([e.param, e.message]).toEqual(['reasoning_effort', "reasoning_effort is 'extreme'. Send one of none, minimal, low, medium, high, xhigh."]);
  });

  test('no thinking where Anthropic would refuse it: sampling params, a forced tool, a tool loop', () => {
    const tools: ChatCompletionCreateParams['tools'] = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    expect(chatRequestToMessages(chat({ reasoning_effort: 'low', temperature: 0.2 }), 'c').thinking).toBeUndefined();
    expect(chatRequestToMessages(chat({ reasoning_effort: 'low', top_p: 0.5 }), 'c').thinking).toBeUndefined();
    expect(chatRequestToMessages(chat({ reasoning_effort: 'low', temperature: 0.2 }), 'c', { dropSamplingParams: true }).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(chatRequestToMessages(chat({ reasoning_effort: 'low', tools, tool_choice: 'required' }), 'c').thinking).toBeUndefined();
    expect(chatRequestToMessages(chat({ reasoning_effort: 'low', tools, tool_choice: 'auto' }), 'c').thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    const loop = chat({
      reasoning_effort: 'low',
      tools,
      messages: [
        { role: 'user', content: 'Go.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'done' },
      ],
    });
    expect(chatRequestToMessages(loop, 'c').thinking).toBeUndefined();
  });
});
