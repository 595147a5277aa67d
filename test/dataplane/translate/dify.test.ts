import type { ChatCompletion } from 'openai/resources/chat/completions';
import { agentRoute, chatSource, difySse, gatewayError, rawEvents } from './agent-fixtures';
import { accumulateChat, chunksOf, openAiFrames, translationError } from './frames';
import { RecordedErrors } from '../../../src/dataplane/errors';
import { SseFramer } from '../../../src/dataplane/sse';
import { difyRequest, difyResponse, difyStream } from '../../../src/dataplane/translate/dify';

const chatApp = agentRoute({ kind: 'dify' });
const user = (content: unknown) => ({ role: 'user', content });

describe('Dify request', () => {
  test('a chat app: the user message is the query, the user is the consumer', () => {
    expect(difyRequest(chatApp, chatSource({ model: 'bot', messages: [user('Hi')] }))).toEqual({
      inputs: {},
      query: 'Hi',
      response_mode: 'blocking',
      user: 'aigw:consumer:acme',
    });
  });

  test('parameters the agent has no use for are ignored, not refused; streaming asks for streaming', () => {
    const body = {
      model: 'bot',
      messages: [user('Hi')],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 10,
      max_completion_tokens: 10,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['x'],
      seed: 1,
      response_format: { type: 'text' },
      logprobs: false,
      n: 1,
      tools: [],
      presence_penalty: 0,
    };
    expect(difyRequest(chatApp, chatSource(body))).toEqual({ inputs: {}, query: 'Hi', response_mode: 'streaming', user: 'aigw:consumer:acme' });
  });

  test('with a conversation (header, else metadata), only the last user message goes, earlier turns and system are the conversation\'s', () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, user('Hi'), { role: 'assistant', content: 'Hello' }, user('And now?')];
    expect(difyRequest(chatApp, chatSource({ messages }, 'conv-1'))).toEqual({
      inputs: {}, query: 'And now?', response_mode: 'blocking', user: 'aigw:consumer:acme', conversation_id: 'conv-1',
    });
    expect(difyRequest(chatApp, chatSource({ messages, metadata: { conversation_id: 'conv-2' } })).conversation_id).toBe('conv-2');
    // The header wins over the body.
    expect(difyRequest(chatApp, chatSource({ messages, metadata: { conversation_id: 'conv-2' } }, 'conv-1')).conversation_id).toBe('conv-1');
  });

  test('metadata.conversation_id must be a string', () => {
    const e = translationError(() => difyRequest(chatApp, chatSource({ messages: [user('Hi')], metadata: { conversation_id: 7 } })));
    expect(e.param).toBe('metadata.conversation_id');
    expect(e.message).toMatch(/must be a string/);
  });

  test('history without a conversation is refused, saying how to continue one', () => {
    const e = translationError(() => difyRequest(chatApp, chatSource({ messages: [user('Hi'), { role: 'assistant', content: 'Hello' }, user('Again')] })));
    expect(e.param).toBe('messages');
    expect(e.source).toBe('request');
    expect(e.message).toMatch(/x-aigw-conversation-id header/);
    expect(e.message).toMatch(/metadata\.conversation_id/);
  });

  test('a system prompt goes to variables.system; without one it is refused, naming the message', () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: [{ type: 'text', text: 'Be kind.' }] }, user('Hi')];
    const e = translationError(() => difyRequest(chatApp, chatSource({ messages })));
    expect(e.param).toBe('messages[0]');
    expect(e.message).toMatch(/variables\.system/);
    const withSystem = agentRoute({ kind: 'dify', variables: { system: 'persona' } });
    expect(difyRequest(withSystem, chatSource({ messages })).inputs).toEqual({ persona: 'Be brief.\n\nBe kind.' });
  });

  test('text parts are joined with newlines; other parts are refused, naming the part', () => {
    const parts = [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }];
    expect(difyRequest(chatApp, chatSource({ messages: [user(parts)] })).query).toBe('a\nb');
    const e = translationError(() => difyRequest(chatApp, chatSource({ messages: [user([...parts, { type: 'image_url', image_url: { url: 'https://x/y.png' } }])] })));
    expect(e.param).toBe('messages[0].content[2].type');
    expect(e.message).toMatch(/agent route 'support' takes text only/);
  });

  test.each([
    ['tool role', { messages: [user('Hi'), { role: 'tool', tool_call_id: 'c', content: 'x' }, user('Hi')] }, 'messages[1].role'],
    ['function role', { messages: [{ role: 'function', name: 'f', content: 'x' }, user('Hi')] }, 'messages[0].role'],
    ['tool_calls', { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, user('Hi')] }, 'messages[0].tool_calls'],
    ['tools', { messages: [user('Hi')], tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    ['functions', { messages: [user('Hi')], functions: [{ name: 'f' }] }, 'functions'],
    ['n > 1', { messages: [user('Hi')], n: 2 }, 'n'],
    ['last message not the user\'s', { messages: [user('Hi'), { role: 'assistant', content: 'Hello' }] }, 'messages[1].role'],
    ['no messages', { messages: [] }, 'messages'],
    ['messages not an array', { messages: 'Hi' }, 'messages'],
  ])('refused: %s', (_name, body, param) => {
    const e = translationError(() => difyRequest(chatApp, chatSource(body)));
    expect(e.source).toBe('request');
    expect(e.param).toBe(param);
  });

  test('a completion app: the query is an input (variables.query), it keeps no conversation and takes no history', () => {
    const completion = agentRoute({ kind: 'dify', appType: 'completion', variables: { query: 'question' } });
    expect(difyRequest(completion, chatSource({ messages: [user('Hi')], stream: true }))).toEqual({
      inputs: { question: 'Hi' }, response_mode: 'streaming', user: 'aigw:consumer:acme',
    });
    const e = translationError(() => difyRequest(completion, chatSource({ messages: [user('Hi')] }, 'conv-1')));
    expect(e.param).toBe('x-aigw-conversation-id');
    expect(translationError(() => difyRequest(completion, chatSource({ messages: [user('Hi')], metadata: { conversation_id: 'c' } }))).param).toBe('metadata.conversation_id');
    expect(translationError(() => difyRequest(completion, chatSource({ messages: [user('a'), { role: 'assistant', content: 'b' }, user('c')] }))).param).toBe('messages');
  });

  test('a workflow app: the query goes to inputs.query by default, the system prompt to variables.system', () => {
    const workflow = agentRoute({ kind: 'dify', appType: 'workflow', variables: { system: 'sys' } });
    expect(difyRequest(workflow, chatSource({ messages: [{ role: 'system', content: 'S' }, user('Hi')] }))).toEqual({
      inputs: { sys: 'S', query: 'Hi' }, response_mode: 'blocking', user: 'aigw:consumer:acme',
    });
  });

  test('the user: per consumer; the client\'s own only when the route passes it, inside the consumer\'s namespace', () => {
    const body = { messages: [user('Hi')], user: 'end-user-7' };
    expect(difyRequest(chatApp, chatSource(body)).user).toBe('aigw:consumer:acme');
    expect(difyRequest(chatApp, chatSource(body, undefined, 'other')).user).toBe('aigw:consumer:other');
    expect(difyRequest(agentRoute({ kind: 'dify', userMapping: 'client' }), chatSource(body)).user).toBe('aigw:consumer:acme:end-user-7');
    expect(difyRequest(chatApp, chatSource(body, undefined, null)).user).toBe('aigw:anonymous');
  });
});

describe('Dify blocking answer', () => {
  const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };

  test('a chat answer: a chat.completion, its usage, the conversation in a header', () => {
    const answer = { event: 'message', task_id: 't', id: 'm-1', message_id: 'm-1', conversation_id: 'conv-9', mode: 'chat', answer: 'Hello!', metadata: { usage }, created_at: 1705407629 };
    const out = difyResponse(chatApp, JSON.stringify(answer), 'support-bot');
    const completion = JSON.parse(out.body) as ChatCompletion;
    expect(completion).toEqual({
      id: 'chatcmpl-m-1',
      object: 'chat.completion',
      created: 1705407629,
      model: 'support-bot',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
    expect(out.usage).toEqual({ inputTokens: 12, outputTokens: 5 });
    expect(out.headers).toEqual({ 'x-aigw-conversation-id': 'conv-9' });
  });

  test('a completion app: no conversation header, even when its answer carries an id (it would refuse it back)', () => {
    const completion = agentRoute({ kind: 'dify', appType: 'completion' });
    const answer = JSON.stringify({ event: 'message', message_id: 'm', conversation_id: 'c', mode: 'completion', answer: 'x' });
    expect(difyResponse(completion, answer, 'bot').headers).toBeUndefined();
    const relay = difyStream(completion, false, 'bot');
    relayAll(relay, difySse([{ event: 'message', message_id: 'm', conversation_id: 'c', answer: 'x' }, { event: 'message_end', message_id: 'm', conversation_id: 'c', metadata: {} }]));
    expect(relay.headers?.()).toEqual({});
  });

  test('without usage from the agent, none is made up', () => {
    const out = difyResponse(chatApp, JSON.stringify({ event: 'message', message_id: 'm', answer: 'x' }), 'bot');
    expect(out.usage).toBeUndefined();
    expect(out.headers).toBeUndefined();
    expect((JSON.parse(out.body) as ChatCompletion).usage).toBeUndefined();
  });

  test('a workflow answer: the output variable (text by default; JSON for a non-string); usage from total_tokens', () => {
    const workflow = agentRoute({ kind: 'dify', appType: 'workflow' });
    const doc = (outputs: unknown, status = 'succeeded') => JSON.stringify({
      workflow_run_id: 'run-1', task_id: 't', data: { id: 'run-1', workflow_id: 'w', status, outputs, error: null, total_tokens: 30, created_at: 1, finished_at: 2 },
    });
    const out = difyResponse(workflow, doc({ text: 'Done.' }), 'bot');
    const completion = JSON.parse(out.body) as ChatCompletion;
    expect(completion.id).toBe('chatcmpl-run-1');
    expect(completion.choices[0].message.content).toBe('Done.');
    expect(out.usage).toEqual({ inputTokens: 0, outputTokens: 30 });
    const custom = agentRoute({ kind: 'dify', appType: 'workflow', variables: { output: 'result' } });
    expect((JSON.parse(difyResponse(custom, doc({ result: { a: 1 } }), 'bot').body) as ChatCompletion).choices[0].message.content).toBe('{"a":1}');
    const missing = translationError(() => difyResponse(workflow, doc({ answer: 'x', other: 1 }), 'bot'));
    expect(missing.source).toBe('response');
    expect(missing.param).toBe('data.outputs.text');
    expect(missing.message).toMatch(/no output 'text' \(its outputs: answer, other\).*variables\.output/);
    const failed = gatewayError(() => difyResponse(workflow, JSON.stringify({ workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w', status: 'failed', error: 'node 3 broke' } }), 'bot'));
    expect(failed.code).toBe('agent_error');
    expect(failed.status).toBe(502);
    expect(failed.message).toMatch(/route 'support' failed \(workflow_failed\): node 3 broke/);
  });

  test('an answer that is not JSON is the agent\'s fault (502)', () => {
    const e = translationError(() => difyResponse(chatApp, '<html>', 'bot'));
    expect(e.source).toBe('response');
  });
});

/** Runs raw SSE through a relay, event by event. */
function relayAll(relay: { push(e: string): string[] }, sse: string): string[] {
  return rawEvents(sse).flatMap((e) => relay.push(e));
}

describe('Dify stream', () => {
  const chatEvents = [
    'ping',
    { event: 'message', task_id: 't', message_id: 'm-1', conversation_id: 'conv-1', answer: 'Hel', created_at: 1 },
    { event: 'agent_thought', id: 'th', message_id: 'm-1', conversation_id: 'conv-1', thought: 'thinking', position: 1 },
    'ping',
    { event: 'message', task_id: 't', message_id: 'm-1', conversation_id: 'conv-1', answer: 'lo!', created_at: 1 },
    { event: 'message_end', task_id: 't', message_id: 'm-1', conversation_id: 'conv-1', metadata: { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } } },
  ] as const;

  test('messages become deltas, role first; message_end the finish, the usage chunk (when asked), [DONE]', () => {
    const relay = difyStream(chatApp, true, 'support-bot');
    expect(relay.deferHead).toBe(true);
    const frames = openAiFrames(relayAll(relay, difySse([...chatEvents])));
    const chunks = chunksOf(frames);
    expect(chunks.map((c) => c.id)).toEqual(Array(chunks.length).fill('chatcmpl-m-1'));
    expect(chunks.every((c) => c.model === 'support-bot' && c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: 'Hel' });
    expect(chunks[1].choices[0].delta).toEqual({ content: 'lo!' });
    expect(chunks[2].choices).toEqual([{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }]);
    expect(chunks[3].choices).toEqual([]);
    expect(frames[frames.length - 1]).toBe('[DONE]');
    expect(accumulateChat(frames)).toEqual({ role: 'assistant', content: 'Hello!', toolCalls: [], finishReason: 'stop', usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } });
    expect(relay.headers?.()).toEqual({ 'x-aigw-conversation-id': 'conv-1' });
    expect(relay.usage()).toEqual({ inputTokens: 9, outputTokens: 2 });
    expect(relay.failure?.()).toBeUndefined();
  });

  test('without include_usage, no usage chunk (the usage is still read)', () => {
    const relay = difyStream(chatApp, false, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([...chatEvents])));
    expect(chunksOf(frames).some((c) => c.choices.length === 0)).toBe(false);
    expect(relay.usage()).toEqual({ inputTokens: 9, outputTokens: 2 });
  });

  test('agent events surface as aigw_agent_event chunks when the route asks', () => {
    const relay = difyStream(agentRoute({ kind: 'dify', surfaceAgentEvents: true }), false, 'bot');
    const chunks = chunksOf(openAiFrames(relayAll(relay, difySse([...chatEvents]))));
    const surfaced = chunks.filter((c) => 'aigw_agent_event' in c) as Array<(typeof chunks)[number] & { aigw_agent_event: { event: string; data: Record<string, unknown> } }>;
    expect(surfaced).toHaveLength(1);
    expect(surfaced[0].aigw_agent_event).toEqual({ event: 'agent_thought', data: chatEvents[2] });
    expect(surfaced[0].choices).toEqual([{ index: 0, delta: {}, finish_reason: null, logprobs: null }]);
  });

  test('raw bytes cut anywhere, with CRLF line endings, through the SseFramer: the same answer', () => {
    const sse = difySse([...chatEvents]).replace(/\n/g, '\r\n');
    const all = Buffer.from(sse.replace('Hel', 'Hé€😀'), 'utf8');
    for (let cut = 1; cut < all.length; cut += 7) {
      const framer = new SseFramer();
      const relay = difyStream(chatApp, true, 'bot');
      const frames = [...framer.push(all.subarray(0, cut)), ...framer.push(all.subarray(cut))].flatMap((e) => relay.push(e));
      expect(accumulateChat(openAiFrames(frames)).content).toBe('Hé€😀lo!');
    }
  });

  test('a workflow: text_chunk deltas, workflow_finished ends it (node events dropped), usage from total_tokens', () => {
    const workflow = agentRoute({ kind: 'dify', appType: 'workflow' });
    const relay = difyStream(workflow, true, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([
      { event: 'workflow_started', task_id: 't', workflow_run_id: 'run-1', data: { id: 'run-1', workflow_id: 'w' } },
      { event: 'node_started', task_id: 't', workflow_run_id: 'run-1', data: { id: 'n', node_type: 'llm' } },
      { event: 'text_chunk', task_id: 't', workflow_run_id: 'run-1', data: { text: 'Do', from_variable_selector: ['n', 'text'] } },
      { event: 'text_chunk', task_id: 't', workflow_run_id: 'run-1', data: { text: 'ne.', from_variable_selector: ['n', 'text'] } },
      { event: 'node_finished', task_id: 't', workflow_run_id: 'run-1', data: { id: 'n', status: 'succeeded' } },
      { event: 'workflow_finished', task_id: 't', workflow_run_id: 'run-1', data: { id: 'run-1', workflow_id: 'w', status: 'succeeded', outputs: { text: 'Done.' }, total_tokens: 40 } },
    ])));
    expect(accumulateChat(frames)).toEqual({ role: 'assistant', content: 'Done.', toolCalls: [], finishReason: 'stop', usage: { prompt_tokens: 0, completion_tokens: 40, total_tokens: 40 } });
    expect(chunksOf(frames)[0].id).toBe('chatcmpl-run-1');
    expect(relay.failure?.()).toBeUndefined();
    expect(relay.headers?.()).toEqual({});
  });

  test('a workflow that streamed no text: its output variable is the answer, in one delta', () => {
    const relay = difyStream(agentRoute({ kind: 'dify', appType: 'workflow', variables: { output: 'answer' } }), false, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([
      { event: 'workflow_finished', workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w', status: 'succeeded', outputs: { answer: 'Forty-two' }, total_tokens: 3 } },
    ])));
    expect(accumulateChat(frames).content).toBe('Forty-two');
    expect(frames[frames.length - 1]).toBe('[DONE]');
  });

  test('a chatflow: its workflow_finished is not the end, message_end is', () => {
    const relay = difyStream(chatApp, false, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([
      { event: 'workflow_started', message_id: 'm', conversation_id: 'c', workflow_run_id: 'r', data: {} },
      { event: 'message', message_id: 'm', conversation_id: 'c', answer: 'Hi' },
      { event: 'workflow_finished', message_id: 'm', conversation_id: 'c', workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w', status: 'succeeded', outputs: { answer: 'Hi' } } },
      { event: 'message_end', message_id: 'm', conversation_id: 'c', metadata: {} },
    ])));
    expect(accumulateChat(frames)).toMatchObject({ content: 'Hi', finishReason: 'stop' });
    expect(frames.filter((f) => f === '[DONE]')).toHaveLength(1);
  });

  test('message_replace: its answer with finish_reason content_filter, and no second finish', () => {
    const relay = difyStream(chatApp, false, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([
      { event: 'message', message_id: 'm', conversation_id: 'c', answer: 'bad words' },
      { event: 'message_replace', message_id: 'm', conversation_id: 'c', answer: 'I cannot say that.' },
      { event: 'message_end', message_id: 'm', conversation_id: 'c', metadata: {} },
    ])));
    const chunks = chunksOf(frames);
    expect(chunks[1].choices[0]).toMatchObject({ delta: { content: 'I cannot say that.' }, finish_reason: 'content_filter' });
    expect(chunks.filter((c) => c.choices[0]?.finish_reason)).toHaveLength(1);
    expect(frames[frames.length - 1]).toBe('[DONE]');
  });

  test('an error event before any byte: the agent\'s error, with its status', () => {
    const relay = difyStream(chatApp, false, 'bot');
    // Keep-alives start nothing: the head still waits.
    expect(relayAll(relay, difySse(['ping', 'ping']))).toEqual([]);
    const e = gatewayError(() => relayAll(relay, difySse([{ event: 'error', task_id: 't', message_id: 'm', status: 400, code: 'invalid_param', message: 'query is required' }])));
    expect(e.status).toBe(400);
    expect(e.code).toBe('agent_error');
    expect(e.message).toMatch(/route 'support' failed \(invalid_param\): query is required/);
  });

  test('the first event of a run (not a keep-alive) sends the first chunk, the role alone, with the conversation id', () => {
    const relay = difyStream(chatApp, false, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse(['ping', { event: 'workflow_started', message_id: 'm', conversation_id: 'c-9', workflow_run_id: 'r', data: {} }])));
    expect(frames).toHaveLength(1);
    expect(chunksOf(frames)[0].choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null });
    expect(relay.headers?.()).toEqual({ 'x-aigw-conversation-id': 'c-9' });
    // Later node events add nothing; the text that follows carries no role; an error now is a last frame.
    expect(relayAll(relay, difySse([{ event: 'node_started', message_id: 'm', conversation_id: 'c-9', data: {} }]))).toEqual([]);
    const rest = chunksOf(openAiFrames(relayAll(relay, difySse([{ event: 'message', message_id: 'm', conversation_id: 'c-9', answer: 'Hi' }]))));
    expect(rest[0].choices[0].delta).toEqual({ content: 'Hi' });
    const last = openAiFrames(relayAll(relay, difySse([{ event: 'error', message_id: 'm', status: 500, code: 'boom', message: 'failed' }])));
    expect(last).toEqual([{ error: expect.objectContaining({ code: 'agent_error' }) }]);
  });

  test('an error event mid-stream: one OpenAI error frame, then nothing; recorded as the agent\'s failure', () => {
    const relay = difyStream(chatApp, true, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([
      { event: 'message', message_id: 'm', conversation_id: 'c', answer: 'Par' },
      { event: 'error', message_id: 'm', status: 500, code: 'completion_request_error', message: 'model overloaded' },
      { event: 'message', message_id: 'm', conversation_id: 'c', answer: 'more' },
      { event: 'message_end', message_id: 'm', conversation_id: 'c', metadata: {} },
    ])));
    expect(frames).toHaveLength(2);
    expect(frames[1]).toEqual({ error: { message: expect.stringMatching(/completion_request_error\): model overloaded/), type: 'api_error', param: null, code: 'agent_error' } });
    expect(relay.failure?.()).toBe(RecordedErrors.agentStreamFailed);
  });

  test('a workflow that failed: before any byte its error; after text an error frame', () => {
    const workflow = agentRoute({ kind: 'dify', appType: 'workflow' });
    const failed = { event: 'workflow_finished', workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w', status: 'failed', error: 'timeout in node 2' } };
    expect(gatewayError(() => relayAll(difyStream(workflow, false, 'bot'), difySse([failed]))).message).toMatch(/workflow_failed\): timeout in node 2/);
    const relay = difyStream(workflow, false, 'bot');
    const frames = openAiFrames(relayAll(relay, difySse([{ event: 'text_chunk', workflow_run_id: 'r', data: { text: 'x' } }, failed])));
    expect(frames[frames.length - 1]).toMatchObject({ error: { code: 'agent_error' } });
    expect(relay.failure?.()).toBe(RecordedErrors.agentStreamFailed);
  });

  test('a stream that just ends, with no terminal event, is recorded as the upstream\'s failure', () => {
    const relay = difyStream(chatApp, false, 'bot');
    relayAll(relay, difySse([{ event: 'message', message_id: 'm', conversation_id: 'c', answer: 'Par' }]));
    expect(relay.failure?.()).toBe(RecordedErrors.upstreamStreamFailed);
  });

  test('data that is not JSON: before any byte a 502 (TranslationError), after an error frame', () => {
    expect(translationError(() => difyStream(chatApp, false, 'bot').push('data: {oops\n\n')).source).toBe('response');
    const relay = difyStream(chatApp, false, 'bot');
    const frames = openAiFrames(relayAll(relay, `${difySse([{ event: 'message', message_id: 'm', answer: 'a' }])}data: {oops\n\n`));
    expect(frames[frames.length - 1]).toMatchObject({ error: { code: 'upstream_untranslatable', type: 'api_error' } });
    expect(relay.failure?.()).toBe(RecordedErrors.upstreamStreamFailed);
  });
});
