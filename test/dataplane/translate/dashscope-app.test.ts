import type { ChatCompletion } from 'openai/resources/chat/completions';
import { agentRoute, chatSource, dashScopeSse, gatewayError, rawEvents } from './agent-fixtures';
import { accumulateChat, chunksOf, openAiFrames, translationError } from './frames';
import { RecordedErrors } from '../../../src/dataplane/errors';
import { SseFramer } from '../../../src/dataplane/sse';
import { dashScopeAppHeaders, dashScopeAppRequest, dashScopeAppResponse, dashScopeAppStream } from '../../../src/dataplane/translate/dashscope-app';

const app = agentRoute({ kind: 'model-studio' });
const user = (content: unknown) => ({ role: 'user', content });

describe('DashScope application request', () => {
  const history = [{ role: 'system', content: 'Be brief.' }, user('Hi'), { role: 'assistant', content: 'Hello' }, { role: 'developer', content: 'Be kind.' }, user([{ type: 'text', text: 'And' }, { type: 'text', text: 'now?' }])];

  test('without a session the app takes the whole history, system included', () => {
    expect(dashScopeAppRequest(app, chatSource({ model: 'bot', messages: history, temperature: 0.3, max_tokens: 9 }))).toEqual({
      input: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'system', content: 'Be kind.' },
          { role: 'user', content: 'And\nnow?' },
        ],
      },
      parameters: {},
      debug: {},
    });
  });

  test('with a session (header, else metadata) only the new user message goes, as the prompt', () => {
    expect(dashScopeAppRequest(app, chatSource({ messages: history, stream: true }, 'sess-1'))).toEqual({
      input: { prompt: 'And\nnow?', session_id: 'sess-1' },
      parameters: { incremental_output: true },
      debug: {},
    });
    expect(dashScopeAppRequest(app, chatSource({ messages: history, metadata: { conversation_id: 'sess-2' } })).input).toEqual({ prompt: 'And\nnow?', session_id: 'sess-2' });
  });

  test('biz_params (an extra body field of the OpenAI SDK) goes through; a non-object is refused', () => {
    const biz = { user_defined_params: { retrieval: { top_k: 3 } } };
    expect(dashScopeAppRequest(app, chatSource({ messages: [user('Hi')], biz_params: biz })).input).toEqual({ messages: [{ role: 'user', content: 'Hi' }], biz_params: biz });
    const e = translationError(() => dashScopeAppRequest(app, chatSource({ messages: [user('Hi')], biz_params: 'x' })));
    expect(e.param).toBe('biz_params');
  });

  test('streaming asks for X-DashScope-SSE; not streaming, no header', () => {
    expect(dashScopeAppHeaders(chatSource({ messages: [user('Hi')], stream: true }))).toEqual({ 'x-dashscope-sse': 'enable' });
    expect(dashScopeAppHeaders(chatSource({ messages: [user('Hi')] }))).toBeUndefined();
  });

  test.each([
    ['an image', { messages: [user([{ type: 'image_url', image_url: { url: 'https://x/y.png' } }])] }, 'messages[0].content[0].type'],
    ['a tool message', { messages: [user('a'), { role: 'tool', content: 'x', tool_call_id: 'c' }, user('b')] }, 'messages[1].role'],
    ['tools', { messages: [user('Hi')], tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    ['an assistant last', { messages: [user('Hi'), { role: 'assistant', content: 'x' }] }, 'messages[1].role'],
  ])('refused: %s', (_name, body, param) => {
    expect(translationError(() => dashScopeAppRequest(app, chatSource(body))).param).toBe(param);
  });
});

describe('DashScope application answer', () => {
  const usage = { models: [{ model_id: 'qwen-max', input_tokens: 20, output_tokens: 6 }, { model_id: 'qwen-plus', input_tokens: 5, output_tokens: 1 }] };

  test('a chat.completion: the text, usage summed over the app\'s models, the session in a header', () => {
    const answer = { output: { finish_reason: 'stop', session_id: 'sess-9', text: 'Hi there.' }, usage, request_id: 'req-1' };
    const out = dashScopeAppResponse(app, JSON.stringify(answer), 'bot');
    const completion = JSON.parse(out.body) as ChatCompletion;
    expect(completion).toMatchObject({
      id: 'chatcmpl-req-1',
      object: 'chat.completion',
      model: 'bot',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there.', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 25, completion_tokens: 7, total_tokens: 32 },
    });
    expect(out.usage).toEqual({ inputTokens: 25, outputTokens: 7 });
    expect(out.headers).toEqual({ 'x-aigw-conversation-id': 'sess-9' });
  });

  test('an error document is the agent\'s error; not JSON, or no output, is a 502', () => {
    const e = gatewayError(() => dashScopeAppResponse(app, JSON.stringify({ code: 'InternalError.Algo', message: 'the app broke', request_id: 'r' }), 'bot'));
    expect(e.code).toBe('agent_error');
    expect(e.message).toMatch(/InternalError\.Algo\): the app broke/);
    expect(translationError(() => dashScopeAppResponse(app, 'nope', 'bot')).source).toBe('response');
    expect(translationError(() => dashScopeAppResponse(app, JSON.stringify({ request_id: 'r' }), 'bot')).param).toBe('output');
  });
});

describe('DashScope application stream', () => {
  const events = [
    { payload: { output: { session_id: 'sess-1', finish_reason: 'null', text: 'Hel' }, usage: { models: [{ model_id: 'q', input_tokens: 10, output_tokens: 1 }] }, request_id: 'req-1' } },
    { payload: { output: { session_id: 'sess-1', finish_reason: 'null', text: 'lo', thoughts: [{ thought: 'hmm', action_type: 'response' }] }, usage: { models: [{ model_id: 'q', input_tokens: 10, output_tokens: 2 }] }, request_id: 'req-1' } },
    { payload: { output: { session_id: 'sess-1', finish_reason: 'stop', text: '!' }, usage: { models: [{ model_id: 'q', input_tokens: 10, output_tokens: 3 }] }, request_id: 'req-1' } },
  ];

  test('incremental texts become deltas; finish_reason stop ends it; the last (cumulative) usage counts', () => {
    const relay = dashScopeAppStream(app, true, 'bot');
    expect(relay.deferHead).toBe(true);
    const frames = openAiFrames(rawEvents(dashScopeSse(events)).flatMap((e) => relay.push(e)));
    expect(accumulateChat(frames)).toEqual({ role: 'assistant', content: 'Hello!', toolCalls: [], finishReason: 'stop', usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } });
    expect(chunksOf(frames).every((c) => c.id === 'chatcmpl-req-1')).toBe(true);
    expect(frames[frames.length - 1]).toBe('[DONE]');
    expect(relay.headers?.()).toEqual({ 'x-aigw-conversation-id': 'sess-1' });
    expect(relay.usage()).toEqual({ inputTokens: 10, outputTokens: 3 });
    expect(relay.failure?.()).toBeUndefined();
  });

  test('thoughts: dropped, or aigw_agent_event chunks when the route asks', () => {
    const plain = chunksOf(openAiFrames(rawEvents(dashScopeSse(events)).flatMap((e) => dashScopeAppStream(app, false, 'bot').push(e))));
    expect(plain.some((c) => 'aigw_agent_event' in c)).toBe(false);
    const relay = dashScopeAppStream(agentRoute({ kind: 'model-studio', surfaceAgentEvents: true }), false, 'bot');
    const chunks = chunksOf(openAiFrames(rawEvents(dashScopeSse(events)).flatMap((e) => relay.push(e))));
    expect(chunks.filter((c) => 'aigw_agent_event' in c).map((c) => (c as unknown as { aigw_agent_event: unknown }).aigw_agent_event)).toEqual([
      { event: 'thoughts', data: { thoughts: [{ thought: 'hmm', action_type: 'response' }] } },
    ]);
  });

  test('raw bytes cut anywhere, through the SseFramer: the same answer', () => {
    const all = Buffer.from(dashScopeSse(events).replace('Hel', 'Hé€😀'), 'utf8');
    for (let cut = 1; cut < all.length; cut += 5) {
      const framer = new SseFramer();
      const relay = dashScopeAppStream(app, false, 'bot');
      const frames = [...framer.push(all.subarray(0, cut)), ...framer.push(all.subarray(cut))].flatMap((e) => relay.push(e));
      expect(accumulateChat(openAiFrames(frames)).content).toBe('Hé€😀lo!');
    }
  });

  test('an error event before any byte: the agent\'s error with the status of its comment', () => {
    const relay = dashScopeAppStream(app, false, 'bot');
    const e = gatewayError(() => relay.push(dashScopeSse([{ event: 'error', status: 400, payload: { code: 'InvalidParameter', message: 'bad session', request_id: 'r' } }])));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/InvalidParameter\): bad session/);
  });

  test('the first result, though it has no text yet, sends the first chunk (the role alone) with the session id', () => {
    const relay = dashScopeAppStream(app, false, 'bot');
    const frames = openAiFrames(relay.push(dashScopeSse([{ payload: { output: { session_id: 'sess-2', finish_reason: 'null', text: '' }, request_id: 'r' } }])));
    expect(chunksOf(frames).map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: '' }]);
    expect(relay.headers?.()).toEqual({ 'x-aigw-conversation-id': 'sess-2' });
    expect(chunksOf(openAiFrames(relay.push(dashScopeSse([events[0]]))))[0].choices[0].delta).toEqual({ content: 'Hel' });
  });

  test('an error event mid-stream: one error frame, then nothing, recorded as the agent\'s failure', () => {
    const relay = dashScopeAppStream(app, false, 'bot');
    const frames = openAiFrames(rawEvents(dashScopeSse([events[0], { event: 'error', status: 500, payload: { code: 'InternalError', message: 'oops', request_id: 'r' } }, events[2]])).flatMap((e) => relay.push(e)));
    expect(frames).toHaveLength(2);
    expect(frames[1]).toEqual({ error: { message: expect.stringMatching(/InternalError\): oops/), type: 'api_error', param: null, code: 'agent_error' } });
    expect(relay.failure?.()).toBe(RecordedErrors.agentStreamFailed);
  });

  test('a stream cut before finish_reason stop is recorded as the upstream\'s failure', () => {
    const relay = dashScopeAppStream(app, false, 'bot');
    rawEvents(dashScopeSse(events.slice(0, 2))).forEach((e) => relay.push(e));
    expect(relay.failure?.()).toBe(RecordedErrors.upstreamStreamFailed);
  });
});
