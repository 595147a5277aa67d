import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { ADAPTER, agentRoute, chatSource, dashScopeSse, difySse, gatewayError, rawEvents } from './agent-fixtures';
import { accumulateMessages, anthropicFrames } from './frames';
import { RecordedErrors } from '../../../src/dataplane/errors';
import { agentTranslators } from '../../../src/dataplane/translate/agents';

const dify = agentRoute({ kind: 'dify', variables: { system: 'persona' } });
const difyEvents = [
  'ping',
  { event: 'message', message_id: 'm-1', conversation_id: 'conv-1', answer: 'Hel' },
  { event: 'message', message_id: 'm-1', conversation_id: 'conv-1', answer: 'lo!' },
  { event: 'message_end', message_id: 'm-1', conversation_id: 'conv-1', metadata: { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } } },
] as const;
/** The backend ADAPTER is: agent translators build the agent's own API's body whatever it is. */
const TARGET = { provider: 'openai-compatible' } as const;
/** The client requests the answers below are for. */
const chatRequest = chatSource({ messages: [{ role: 'user', content: 'Hi' }] });
const messagesRequest = chatSource({ max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }], stream: true });

describe('agentTranslators', () => {
  test('a custom agent has no translators', () => {
    expect(() => agentTranslators(agentRoute({ kind: 'custom' }))).toThrow(/custom agent/);
  });

  test('chat: request faults are 400s naming the field; unreadable answers 502s; the agent\'s own errors pass as they are', () => {
    const { chat } = agentTranslators(dify);
    const bad = gatewayError(() => chat.payload(chatSource({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }), 'x', ADAPTER, TARGET));
    expect(bad.status).toBe(400);
    expect(bad.param).toBe('messages[0].content[0].type');
    expect(bad.message).toMatch(/takes text only/);
    expect(gatewayError(() => chat.response!('<html>', 'bot', chatRequest))).toMatchObject({ status: 502, code: 'upstream_untranslatable' });
    expect(gatewayError(() => chat.stream(false, 'bot', chatRequest).push('data: nope\n\n'))).toMatchObject({ status: 502, code: 'upstream_untranslatable' });
    expect(gatewayError(() => chat.stream(false, 'bot', chatRequest).push(difySse([{ event: 'error', status: 429, code: 'rate_limit', message: 'slow down' }])))).toMatchObject({ status: 429, code: 'agent_error' });
    expect(chat.responseError(JSON.stringify({ code: 'invalid_param', message: 'query is required', status: 400 }))).toBe('query is required (invalid_param)');
    expect(chat.responseError(JSON.stringify({ error: { message: 'other shape' } }))).toBe('other shape');
  });

  test('messages: the Anthropic request through the chat translation to the agent\'s (system to variables.system)', () => {
    const { messages } = agentTranslators(dify);
    const body = { model: 'bot', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], metadata: { user_id: 'u' } };
    expect(JSON.parse(messages.payload(chatSource(body), 'x', ADAPTER, TARGET) as string)).toEqual({
      inputs: { persona: 'Be brief.' }, query: 'Hi', response_mode: 'blocking', user: 'aigw:consumer:acme',
    });
  });

  test('messages: the conversation from the header or metadata.conversation_id; then only the last user message goes', () => {
    const { messages } = agentTranslators(dify);
    const turns = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'More' }];
    const viaHeader = JSON.parse(messages.payload(chatSource({ max_tokens: 10, messages: turns, stream: true }, 'conv-1'), 'x', ADAPTER, TARGET) as string) as Record<string, unknown>;
    expect(viaHeader).toMatchObject({ query: 'More', conversation_id: 'conv-1', response_mode: 'streaming' });
    const viaBody = JSON.parse(messages.payload(chatSource({ max_tokens: 10, messages: turns, metadata: { conversation_id: 'conv-2' } }), 'x', ADAPTER, TARGET) as string) as Record<string, unknown>;
    expect(viaBody).toMatchObject({ query: 'More', conversation_id: 'conv-2' });
  });

  test.each([
    ['an image block', { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }] }, 'messages[0].content[1].type'],
    ['a tool_result block', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }] }] }, 'messages[0].content[0].type'],
    ['tools', { messages: [{ role: 'user', content: 'Hi' }], tools: [{ name: 'f', input_schema: { type: 'object' } }] }, 'tools'],
  ])('messages refuses %s, in the client\'s terms', (_name, body, param) => {
    const e = gatewayError(() => agentTranslators(dify).messages.payload(chatSource({ max_tokens: 10, ...body }), 'x', ADAPTER, TARGET));
    expect(e.status).toBe(400);
    expect(e.param).toBe(param);
  });

  test("messages: a system prompt the Dify app has no variable for is refused naming `system`, with the chat's fix", () => {
    const { messages } = agentTranslators(agentRoute({ kind: 'dify' }));
    const e = gatewayError(() => messages.payload(chatSource({ max_tokens: 10, system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: 'Hi' }] }), 'x', ADAPTER, TARGET));
    expect(e).toMatchObject({ status: 400, param: 'system' });
    expect(e.message).toMatch(/^system is a system prompt, .*Set the route's variables\.system to the app's input variable that takes it, or leave the system message out\.$/);
    // With a conversation the system prompt is the conversation's already: nothing to refuse.
    expect(() => messages.payload(chatSource({ max_tokens: 10, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] }, 'conv-1'), 'x', ADAPTER, TARGET)).not.toThrow();
  });

  test('messages: refusals after the chat translation name the Anthropic indexes (behind a system prompt, shifted back by one)', () => {
    const { messages } = agentTranslators(dify);
    const turns = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'More' }];
    const e = gatewayError(() => messages.payload(chatSource({ max_tokens: 10, system: 'Be brief.', messages: turns }), 'x', ADAPTER, TARGET));
    expect(e.param).toBe('messages');
    expect(e.message).toContain('(messages[0] is a user message)');
    const last = gatewayError(() => messages.payload(chatSource({ max_tokens: 10, system: 'Be brief.', messages: turns.slice(0, 2) }), 'x', ADAPTER, TARGET));
    expect(last.param).toBe('messages[1].role');
  });

  test('messages: a blocking answer as an Anthropic message, with its usage and conversation header', () => {
    const answer = { event: 'message', message_id: 'm-1', conversation_id: 'conv-1', answer: 'Hello!', metadata: { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }, created_at: 1 };
    const out = agentTranslators(dify).messages.response!(JSON.stringify(answer), 'support-bot', chatSource({ max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }));
    const message = JSON.parse(out.body) as Message;
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'support-bot', content: [{ type: 'text', text: 'Hello!' }], stop_reason: 'end_turn', usage: { input_tokens: 9, output_tokens: 2 } });
    expect(message.id).toMatch(/^msg_/);
    expect(out.headers).toEqual({ 'x-aigw-conversation-id': 'conv-1' });
    expect(out.usage).toEqual({ inputTokens: 9, outputTokens: 2 });
  });

  test('messages: the agent stream as Anthropic events, head deferred, usage in message_delta', () => {
    const relay = agentTranslators(dify).messages.stream(false, 'support-bot', messagesRequest);
    expect(relay.deferHead).toBe(true);
    const frames = rawEvents(difySse([...difyEvents])).flatMap((e) => relay.push(e));
    const result = accumulateMessages(anthropicFrames(frames));
    expect(result).toMatchObject({ model: 'support-bot', content: [{ type: 'text', text: 'Hello!' }], stopReason: 'end_turn', usage: { input_tokens: 9, output_tokens: 2 } });
    expect(relay.headers?.()).toEqual({ 'x-aigw-conversation-id': 'conv-1' });
    expect(relay.usage()).toEqual({ inputTokens: 9, outputTokens: 2 });
    expect(relay.failure?.()).toBeUndefined();
  });

  test('messages: an agent error mid-stream is Anthropic\'s `event: error`; before any byte, the agent\'s error', () => {
    const relay = agentTranslators(dify).messages.stream(false, 'bot', messagesRequest);
    const frames = rawEvents(difySse([difyEvents[1], { event: 'error', message_id: 'm-1', status: 500, code: 'boom', message: 'the model failed' }])).flatMap((e) => relay.push(e));
    const last = frames[frames.length - 1];
    expect(last.startsWith('event: error\n')).toBe(true);
    expect(JSON.parse(last.slice(last.indexOf('data: ') + 6))).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(/\(boom\): the model failed/) } });
    expect(relay.failure?.()).toBe(RecordedErrors.agentStreamFailed);
    const before = agentTranslators(dify).messages.stream(false, 'bot', messagesRequest);
    expect(gatewayError(() => before.push(difySse([{ event: 'error', status: 400, code: 'invalid_param', message: 'bad' }])))).toMatchObject({ status: 400, code: 'agent_error' });
  });

  test('messages on a Model Studio application: X-DashScope-SSE when streaming, the history as input.messages', () => {
    const { messages } = agentTranslators(agentRoute({ kind: 'model-studio' }));
    const source = chatSource({ max_tokens: 10, system: 'Be brief.', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    expect(messages.upstreamHeaders?.(source)).toEqual({ 'x-dashscope-sse': 'enable' });
    expect(JSON.parse(messages.payload(source, 'x', ADAPTER, TARGET) as string)).toEqual({
      input: { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] },
      parameters: { incremental_output: true },
      debug: {},
    });
    const relay = messages.stream(false, 'bot', source);
    const frames = rawEvents(dashScopeSse([
      { payload: { output: { session_id: 's', finish_reason: 'null', text: 'Hi' }, request_id: 'r' } },
      { payload: { output: { session_id: 's', finish_reason: 'stop', text: '!' }, usage: { models: [{ input_tokens: 4, output_tokens: 2 }] }, request_id: 'r' } },
    ])).flatMap((e) => relay.push(e));
    expect(accumulateMessages(anthropicFrames(frames))).toMatchObject({ content: [{ type: 'text', text: 'Hi!' }], usage: { input_tokens: 4, output_tokens: 2 } });
    expect(relay.headers?.()).toEqual({ 'x-aigw-conversation-id': 's' });
  });
});
