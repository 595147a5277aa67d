import type { ChatCompletion } from 'openai/resources/chat/completions';
import { ADAPTER, agentRoute, chatSource, gatewayError } from './agent-fixtures';
import { accumulateChat, accumulateMessages, anthropicFrames, chunksOf, openAiFrames, translationError } from './frames';
import { agentTranslators } from '../../../src/dataplane/translate/agents';
import { customAgentAnswer, customAgentChatTranslator, customAgentRequest, customAgentStream } from '../../../src/dataplane/translate/custom-agent';
import { fillTemplate, placeholdersOf, readPath } from '../../../src/dataplane/translate/custom-agent-mapping';
import { type AgentRouteConfig, CONFIG_PART_SCHEMAS, formatConfigIssues } from '../../../src/specs';

type Mapping = NonNullable<AgentRouteConfig['mapping']>;

/** A custom agent route with a mapping (its template, its answer paths), as the config loader produces it. */
function mapped(request: Mapping['request'], response: Mapping['response'] = { answer: 'output.text' }): AgentRouteConfig {
  return agentRoute({ kind: 'custom', asModel: 'helper', upstream: { baseUrl: 'https://agent.example.com/api' }, mapping: { path: '/run', request, response } });
}

/** What customAgentRequest takes: the route's mapping and the placeholders its template uses. */
const agentOf = (route: AgentRouteConfig) => ({ route, mapping: route.mapping!, uses: placeholdersOf(route.mapping!.request) });

const user = (content: unknown) => ({ role: 'user', content });
/** The backend ADAPTER is: a custom agent's body is its template's whatever it is. */
const TARGET = { provider: 'openai-compatible' } as const;
/** The client request the chat answers below are for. */
const chatRequest = chatSource({ messages: [user('Hi')] });
const everyPlaceholder = {
  input: { question: '{{query}}', history: '{{messages}}', persona: '{{system}}' },
  session: '{{conversationId}}',
  caller: { id: '{{user}}', model: '{{model}}' },
  note: 'asked by {{user}} in {{conversationId}}: {{query}}',
  fixed: [1, true, null, 'plain', { deep: ['{{query}}'] }],
};

describe('the template', () => {
  test('a value that is one placeholder becomes its value (an array, null); inside a longer string, its text; the rest is kept', () => {
    const values = { query: 'Hi', system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], conversationId: null, user: 'aigw:consumer:acme', model: 'helper' };
    expect(fillTemplate(everyPlaceholder, values)).toEqual({
      input: { question: 'Hi', history: [{ role: 'user', content: 'Hi' }], persona: 'Be brief.' },
      session: null,
      caller: { id: 'aigw:consumer:acme', model: 'helper' },
      note: 'asked by aigw:consumer:acme in : Hi',
      fixed: [1, true, null, 'plain', { deep: ['Hi'] }],
    });
    expect(fillTemplate({ both: '{{messages}} and {{conversationId}}' }, { ...values, conversationId: 'c-1' })).toEqual({ both: '[{"role":"user","content":"Hi"}] and c-1' });
    // The client's text is data, never a template: a placeholder in it stays as it is.
    expect(fillTemplate({ q: '{{query}}', t: 'say {{query}}' }, { ...values, query: '{{system}}' })).toEqual({ q: '{{system}}', t: 'say {{system}}' });
  });

  test('the placeholders a template uses, wherever they are', () => {
    expect([...placeholdersOf(everyPlaceholder)].sort()).toEqual(['conversationId', 'messages', 'model', 'query', 'system', 'user']);
    expect([...placeholdersOf({ a: ['x', { b: 'say {{query}}' }] })]).toEqual(['query']);
  });

  test('the config schema refuses unknown placeholders, placeholders in keys, a template without the message, and bad paths', () => {
    const route = (mapping: unknown) => ({ ...mapped({ q: '{{query}}' }), mapping });
    const issues = (mapping: unknown) => {
      const r = CONFIG_PART_SCHEMAS.agentRoute.safeParse(route(mapping));
      return r.success ? [] : formatConfigIssues(r.error);
    };
    expect(issues({ path: '/run', request: { 'q': '{{query}}', 'a': ['{{ query }}'], '{{user}}': 'x' }, response: { answer: 'a' } })).toEqual([
      'mapping.request.a[0]: {{ query }} is not a placeholder: use {{query}}, {{system}}, {{messages}}, {{conversationId}}, {{user}}, {{model}}',
      'mapping.request.{{user}}: is a key with a placeholder: only values are filled. Put the placeholder in a value',
    ]);
    expect(issues({ path: 'run', request: { q: 'hello' }, response: { answer: 'output..text' } })).toEqual([
      'mapping.path: must be a URL path beneath the base URL: it starts with "/" and has no "?", "#" or spaces',
      "mapping.request: has neither {{query}} nor {{messages}}: the user's message would never reach the agent. Put '{{query}}' (or '{{messages}}') where the agent takes it",
      'mapping.response.answer: must be a dotted path into the JSON answer, such as "output.text" or "choices.0.message.content"',
    ]);
    expect(issues({ path: '/a/../b', request: { m: '{{messages}}' }, response: { answer: 'a' } })).toEqual(['mapping.path: must not have "." or ".." segments: it would leave the base URL']);
    expect(issues({ path: '/a/%2E%2e/b?x=1', request: { m: '{{messages}}' }, response: { answer: 'a', text: 'b' } })).toEqual([
      'mapping.path: must be a URL path beneath the base URL: it starts with "/" and has no "?", "#" or spaces',
      'mapping.path: must not have "." or ".." segments: it would leave the base URL',
      'mapping.response: Unrecognized key: "text"',
    ]);
    expect(issues({ path: '/v1/run', request: { m: '{{messages}}' }, response: { answer: 'choices.0.message.content', conversationId: 'session', inputTokens: 'usage.in', outputTokens: 'usage.out' } })).toEqual([]);
  });
});

describe('dotted paths', () => {
  const doc = { output: { text: 'Hi', parts: [{ t: 'a' }, { t: 'b' }], empty: null }, 0: 'key zero', list: ['x'] };

  test('object keys and array indexes', () => {
    expect(readPath(doc, 'output.text')).toEqual({ found: true, value: 'Hi' });
    expect(readPath(doc, 'output.parts.1.t')).toEqual({ found: true, value: 'b' });
    expect(readPath(doc, '0')).toEqual({ found: true, value: 'key zero' });
    expect(readPath(doc, 'output.parts')).toEqual({ found: true, value: [{ t: 'a' }, { t: 'b' }] });
  });

  test('where a path stops, and what is there instead', () => {
    expect(readPath(doc, 'output.txt')).toEqual({ found: false, missing: 'txt', at: "'output'", there: 'an object with keys "text", "parts", "empty"' });
    expect(readPath(doc, 'output.parts.2.t')).toEqual({ found: false, missing: '2', at: "'output.parts'", there: 'an array of 2 items' });
    expect(readPath(doc, 'list.first')).toEqual({ found: false, missing: 'first', at: "'list'", there: 'an array of 1 item' });
    expect(readPath(doc, 'output.text.more')).toEqual({ found: false, missing: 'more', at: "'output.text'", there: 'a string' });
    expect(readPath(doc, 'output.empty')).toMatchObject({ found: false, missing: 'empty' });
    expect(readPath(doc, 'answer')).toMatchObject({ found: false, at: 'the answer' });
    // Inherited members are not the answer's.
    expect(readPath(doc, 'output.constructor')).toMatchObject({ found: false });
    expect(readPath(['a'], '01')).toMatchObject({ found: false });
  });
});

describe('the request', () => {
  const route = mapped(everyPlaceholder);

  test('every placeholder from the chat request: the query, system, history, conversation, consumer and model', () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Use French.' }, user('Hi'), { role: 'assistant', content: 'Salut' }, user([{ type: 'text', text: 'And' }, { type: 'text', text: 'now?' }])];
    const sent = customAgentRequest(agentOf(route), chatSource({ model: 'helper', messages, temperature: 0.3, max_tokens: 9 }, 'conv-7'), 'helper');
    expect(sent).toEqual({
      input: {
        question: 'And\nnow?',
        history: [
          { role: 'system', content: 'Be brief.' },
          { role: 'system', content: 'Use French.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Salut' },
          { role: 'user', content: 'And\nnow?' },
        ],
        persona: 'Be brief.\n\nUse French.',
      },
      session: 'conv-7',
      caller: { id: 'aigw:consumer:acme', model: 'helper' },
      note: 'asked by aigw:consumer:acme in conv-7: And\nnow?',
      fixed: [1, true, null, 'plain', { deep: ['And\nnow?'] }],
    });
    // No conversation: null where the value is the placeholder; a route without key auth has no consumer.
    const alone = customAgentRequest(agentOf(route), chatSource({ messages: [user('Hi')] }, undefined, null), 'helper') as Record<string, unknown>;
    expect([alone.session, (alone.caller as Record<string, unknown>).id, (alone.input as Record<string, unknown>).persona]).toEqual([null, 'aigw:anonymous', '']);
  });

  test('what the template has no place for is refused, naming the field, never dropped', () => {
    const queryOnly = agentOf(mapped({ q: '{{query}}' }));
    const system = translationError(() => customAgentRequest(queryOnly, chatSource({ messages: [{ role: 'system', content: 'Be brief.' }, user('Hi')] }), 'helper'));
    expect([system.param, system.message]).toEqual([
      'messages[0]',
      "messages[0] is a system prompt, but the mapping of agent route 'support' has no {{system}} or {{messages}} to send it in. Leave the system message out (or ask the route's operator to add {{system}} to mapping.request).",
    ]);
    const history = translationError(() => customAgentRequest(queryOnly, chatSource({ messages: [user('Hi'), { role: 'assistant', content: 'Hello' }, user('Again')] }), 'helper'));
    expect([history.param, history.message]).toEqual([
      'messages',
      "messages has earlier turns (messages[0] is a user message), but the mapping of agent route 'support' sends only the new user message. Send only the new user message.",
    ]);
    const conversation = translationError(() => customAgentRequest(queryOnly, chatSource({ messages: [user('Hi')], metadata: { conversation_id: 'c-1' } }), 'helper'));
    expect([conversation.param, conversation.message]).toEqual([
      'metadata.conversation_id',
      "metadata.conversation_id is set, but the mapping of agent route 'support' has no {{conversationId}} to send it in: the agent keeps no conversation the gateway can continue. " +
        "Leave metadata.conversation_id out and send only the new user message (or ask the route's operator to add {{conversationId}} to mapping.request).",
    ]);
    const withHistory = agentOf(mapped({ m: '{{messages}}' }));
    expect(translationError(() => customAgentRequest(withHistory, chatSource({ messages: [user('Hi')] }, 'c-1'), 'helper')).message).toBe(
      "x-aigw-conversation-id is set, but the mapping of agent route 'support' has no {{conversationId}} to send it in: the agent keeps no conversation the gateway can continue. " +
        'Leave x-aigw-conversation-id out and send the whole conversation in messages.',
    );
    // With {{conversationId}}, history without one says how to continue; with one, the earlier turns are the agent's.
    const session = agentOf(mapped({ q: '{{query}}', s: '{{conversationId}}' }));
    expect(translationError(() => customAgentRequest(session, chatSource({ messages: [user('Hi'), { role: 'assistant', content: 'Hello' }, user('Again')] }), 'helper')).message).toMatch(
      /Continue the conversation with the x-aigw-conversation-id header/,
    );
    const continued = [{ role: 'system', content: 'Be brief.' }, user('Hi'), { role: 'assistant', content: 'Hello' }, user('Again')];
    expect(customAgentRequest(session, chatSource({ messages: continued }, 'c-9'), 'helper')).toEqual({ q: 'Again', s: 'c-9' });
    // With {{system}}, a system prompt goes there.
    expect(customAgentRequest(agentOf(mapped({ q: '{{query}}', p: '{{system}}' })), chatSource({ messages: [{ role: 'system', content: 'Be brief.' }, user('Hi')] }), 'helper')).toEqual({ q: 'Hi', p: 'Be brief.' });
    // What no agent takes is refused as for every agent.
    expect(translationError(() => customAgentRequest(queryOnly, chatSource({ messages: [user('Hi')], tools: [{ type: 'function', function: { name: 'f' } }] }), 'helper')).param).toBe('tools');
  });
});

describe('the answer', () => {
  const route = mapped({ q: '{{query}}' }, { answer: 'choices.0.message.content', conversationId: 'session.id', inputTokens: 'usage.in', outputTokens: 'usage.out' });
  const agent = agentOf(route);

  test('the text, the conversation and the usage at their paths', () => {
    const body = { choices: [{ message: { content: 'Hello!' } }], session: { id: 's-1' }, usage: { in: 12, out: '3' } };
    expect(customAgentAnswer(agent, JSON.stringify(body))).toEqual({ text: 'Hello!', conversationId: 's-1', usage: { inputTokens: 12, outputTokens: 3 } });
    // A number id becomes text; an answer that is not a string is sent as JSON; a side without its count is 0.
    const structured = { choices: [{ message: { content: { rows: 2 } } }], session: { id: 42 }, usage: { out: 5 } };
    expect(customAgentAnswer(agent, JSON.stringify(structured))).toEqual({
      text: '{"rows":2}',
      conversationId: '42',
      usage: { inputTokens: 0, outputTokens: 5 },
    });
    // No usage and no conversation in this answer: none (the gateway then estimates).
    expect(customAgentAnswer(agent, JSON.stringify({ choices: [{ message: { content: '' } }], usage: { in: -1, out: 'many' } }))).toEqual({ text: '', conversationId: undefined, usage: undefined });
  });

  test('a missing answer names the path and what is there; not JSON, or an id no header can carry, is unreadable too', () => {
    const missing = translationError(() => customAgentAnswer(agent, JSON.stringify({ choices: [], error: null })));
    expect([missing.source, missing.param, missing.message]).toEqual([
      'response',
      'choices.0.message.content',
      "The answer of the agent of route 'support' has nothing at mapping.response.answer 'choices.0.message.content': 'choices' has no '0' (it is an array of 0 items). Set the route's mapping.response.answer to the path of the answer's text.",
    ]);
    expect(translationError(() => customAgentAnswer(agentOf(mapped({ q: '{{query}}' })), '{"result":"x","status":"ok"}')).message).toBe(
      "The answer of the agent of route 'support' has nothing at mapping.response.answer 'output.text': the answer has no 'output' (it is an object with keys \"result\", \"status\"). Set the route's mapping.response.answer to the path of the answer's text.",
    );
    expect(translationError(() => customAgentAnswer(agent, '<html>oops</html>'))).toMatchObject({ source: 'response', param: 'body' });
    const badId = translationError(() => customAgentAnswer(agent, JSON.stringify({ choices: [{ message: { content: 'x' } }], session: { id: 'a\nb' } })));
    expect([badId.param, badId.message]).toEqual([
      'session.id',
      "The answer of the agent of route 'support' has a conversation id at mapping.response.conversationId 'session.id' that cannot be the x-aigw-conversation-id header (3 characters; it must be printable ASCII without spaces, at most 256 characters). Set the route's mapping.response.conversationId to the path of the conversation's id.",
    ]);
    expect(translationError(() => customAgentAnswer(agent, JSON.stringify({ choices: [{ message: { content: 'x' } }], session: { id: { v: 1 } } }))).message).toMatch(/\(an object; it must be/);
  });

  test('non-streamed: a chat.completion with its usage and the conversation header', () => {
    const chat = customAgentChatTranslator(route);
    const answer = chat.response!(JSON.stringify({ choices: [{ message: { content: 'Hello!' } }], session: { id: 's-1' }, usage: { in: 12, out: 3 } }), 'helper', chatRequest);
    const completion = JSON.parse(answer.body) as ChatCompletion;
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'helper', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }] });
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(answer.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(answer.headers).toEqual({ 'x-aigw-conversation-id': 's-1' });
    expect(chat).toMatchObject({ answersWhole: true });
    expect(JSON.parse(chat.payload(chatSource({ messages: [user('Hi')] }), 'helper', ADAPTER, TARGET) as string)).toEqual({ q: 'Hi' });
  });

  test('streamed: the whole answer as a short stream (role and text, finish, usage when asked, [DONE]); the head waits for it', () => {
    const body = JSON.stringify({ choices: [{ message: { content: 'Hello!' } }], session: { id: 's-1' }, usage: { in: 12, out: 3 } });
    const relay = customAgentStream(agent, true, 'helper');
    expect(relay.deferHead).toBe(true);
    const frames = openAiFrames(relay.push(body));
    expect(frames).toHaveLength(4);
    expect(frames[3]).toBe('[DONE]');
    const chunks = chunksOf(frames);
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: 'Hello!' }, {}, undefined]);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(accumulateChat(frames)).toEqual({ role: 'assistant', content: 'Hello!', toolCalls: [], finishReason: 'stop', usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
    expect([relay.usage(), relay.headers!(), relay.failure!()]).toEqual([{ inputTokens: 12, outputTokens: 3 }, { 'x-aigw-conversation-id': 's-1' }, undefined]);
    expect(relay.push(body)).toEqual([]);
    // No usage chunk unless asked; an empty answer still finishes, with the role.
    const quiet = openAiFrames(customAgentStream(agent, false, 'helper').push(JSON.stringify({ choices: [{ message: { content: '' } }] })));
    expect(chunksOf(quiet).map((c) => [c.choices[0].delta, c.choices[0].finish_reason])).toEqual([[{ role: 'assistant' }, 'stop']]);
    expect(quiet[quiet.length - 1]).toBe('[DONE]');
  });

  test('through agentTranslators: an unreadable answer is a 502 before any byte, request faults 400s; Anthropic clients through the chat mapping', () => {
    const { chat, messages } = agentTranslators(route);
    expect(gatewayError(() => chat.stream(false, 'helper', chatRequest).push('{"choices":[]}'))).toMatchObject({ status: 502, code: 'upstream_untranslatable' });
    expect(gatewayError(() => chat.response!('nope', 'helper', chatRequest))).toMatchObject({ status: 502, code: 'upstream_untranslatable' });
    expect(gatewayError(() => chat.payload(chatSource({ messages: [{ role: 'system', content: 's' }, user('Hi')] }), 'helper', ADAPTER, TARGET))).toMatchObject({ status: 400, param: 'messages[0]' });
    expect([chat, messages]).toEqual([expect.objectContaining({ answersWhole: true }), expect.objectContaining({ answersWhole: true })]);

    const body = { model: 'helper', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] };
    expect(JSON.parse(messages.payload(chatSource(body), 'helper', ADAPTER, TARGET) as string)).toEqual({ q: 'Hi' });
    const answer = JSON.stringify({ choices: [{ message: { content: 'Hello!' } }], session: { id: 's-1' }, usage: { in: 12, out: 3 } });
    const message = JSON.parse(messages.response!(answer, 'helper', chatSource(body)).body) as { content: unknown; usage: unknown };
    expect(message.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 3 });
    const relay = messages.stream(false, 'helper', chatSource({ ...body, stream: true }));
    const streamed = accumulateMessages(anthropicFrames(relay.push(answer)));
    expect([streamed.content, streamed.stopReason, streamed.usage]).toEqual([[{ type: 'text', text: 'Hello!' }], 'end_turn', { input_tokens: 12, output_tokens: 3 }]);
    expect(relay.headers!()).toEqual({ 'x-aigw-conversation-id': 's-1' });
  });

  test('a custom agent without a mapping has no translators', () => {
    expect(() => customAgentChatTranslator(agentRoute({ kind: 'custom' }))).toThrow("Agent route 'support' has no mapping");
    expect(() => agentTranslators(agentRoute({ kind: 'custom' }))).toThrow(/custom agent without a mapping/);
  });
});

test('a `__proto__` key of the template is kept as a key, never set as the prototype', () => {
  const filled = fillTemplate(JSON.parse('{"__proto__":{"q":"{{query}}"},"x":1}'), { query: 'hi' } as Parameters<typeof fillTemplate>[1]);
  expect(JSON.stringify(filled)).toBe('{"__proto__":{"q":"hi"},"x":1}');
  expect(Object.getPrototypeOf(filled)).toBe(Object.prototype);
});
