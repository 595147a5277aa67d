import { parseSse, startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';

const KEY = { authorization: 'Bearer app-sim' };

async function post(sim: UpstreamSimulator, path: string, body: unknown, headers: Record<string, string> = KEY): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function get(sim: UpstreamSimulator, path: string, headers: Record<string, string> = KEY): Promise<Response> {
  return fetch(`${sim.url}${path}`, { headers });
}

type Json = Record<string, unknown>;

/** The stream's events: `ping` for the keep-alive, else the `data:` JSON. */
async function events(response: Response): Promise<(Json | 'ping')[]> {
  return parseSse(await response.text()).map((frame) => (frame.event === 'ping' ? 'ping' : JSON.parse(frame.data) as Json));
}

function answerOf(list: (Json | 'ping')[]): string {
  return list.filter((e): e is Json => e !== 'ping' && e.event === 'message').map((e) => e.answer as string).join('');
}

const tokens = (text: string) => Math.ceil(text.length / 4);

describe('Dify chat-messages', () => {
  test('blocking: a chat answer showing the query, the turn and the user, with usage from text lengths', async () => {
    const sim = await startSimulator();
    const response = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'Hello   Dify', response_mode: 'blocking', user: 'alice' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = await response.json() as Json;
    const answer = 'Dify heard "Hello Dify" (turn 1 of conversation, user alice)';
    expect(body).toMatchObject({
      event: 'message',
      mode: 'chat',
      answer,
      metadata: {
        usage: { prompt_tokens: tokens('Hello   Dify'), completion_tokens: tokens(answer), total_tokens: tokens('Hello   Dify') + tokens(answer), currency: 'USD' },
        retriever_resources: [],
      },
    });
    expect(body.id).toBe(body.message_id);
    expect(body.conversation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof body.task_id).toBe('string');
    expect(Number.isInteger(body.created_at)).toBe(true);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat-messages', body: { query: 'Hello   Dify', user: 'alice' } });
  });

  test('inputs and files show in the answer; the base path may be anything', async () => {
    const sim = await startSimulator();
    const response = await post(sim, '/agents/support/v1/chat-messages', {
      inputs: { system: 'Be brief.' }, query: 'Hi', user: 'u', files: [{ type: 'image', transfer_method: 'remote_url', url: 'https://x/y.png' }],
    });
    expect((await response.json() as Json).answer).toBe('Dify heard "Hi" (turn 1 of conversation, user u) with inputs {"system":"Be brief."} with 1 file(s)');
  });

  test('streaming: a ping, message deltas that make up the answer, message_end with usage; every event names the conversation', async () => {
    const sim = await startSimulator({ streamChunks: 4 });
    const response = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'stream me', response_mode: 'streaming', user: 'bob' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const list = await events(response);
    expect(list[0]).toBe('ping');
    const data = list.slice(1) as Json[];
    expect(data.map((e) => e.event)).toEqual(['message', 'message', 'message', 'message', 'message_end']);
    const answer = 'Dify heard "stream me" (turn 1 of conversation, user bob)';
    expect(answerOf(list)).toBe(answer);
    const conversationId = data[0].conversation_id;
    const { message_id: messageId, task_id: taskId } = data[0];
    expect(data.every((e) => e.conversation_id === conversationId && e.message_id === messageId && e.task_id === taskId)).toBe(true);
    expect(data[4]).toMatchObject({ metadata: { usage: { prompt_tokens: tokens('stream me'), completion_tokens: tokens(answer) } } });
  });

  test('[[thought]] adds an agent_thought event before the answer', async () => {
    const sim = await startSimulator({ streamChunks: 2 });
    const list = await events(await post(sim, '/v1/chat-messages', { inputs: {}, query: 'why? [[thought]]', response_mode: 'streaming', user: 'u' }));
    expect((list[1] as Json)).toMatchObject({ event: 'agent_thought', position: 1, thought: 'Thinking about "why? [[thought]]"' });
  });

  test('a conversation continues for its user (turns count up) and is 404 for anyone else or when unknown', async () => {
    const sim = await startSimulator();
    const first = await (await post(sim, '/v1/chat-messages', { inputs: {}, query: 'one', user: 'alice' })).json() as Json;
    const conversationId = first.conversation_id as string;
    const second = await (await post(sim, '/v1/chat-messages', { inputs: {}, query: 'two', user: 'alice', conversation_id: conversationId })).json() as Json;
    expect(second).toMatchObject({ conversation_id: conversationId, answer: 'Dify heard "two" (turn 2 of conversation, user alice)' });
    for (const attempt of [{ user: 'mallory', conversation_id: conversationId }, { user: 'alice', conversation_id: 'no-such-conversation' }]) {
      const response = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'three', ...attempt });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ code: 'not_found', message: 'Conversation Not Exists.', status: 404 });
    }
  });

  test('user, inputs, query and a Bearer key are required, with Dify\'s error body', async () => {
    const sim = await startSimulator();
    const cases: [Json, Record<string, string>, number, Json][] = [
      [{ inputs: {}, query: 'q' }, KEY, 400, { code: 'invalid_param', message: 'user is required', status: 400 }],
      [{ query: 'q', user: 'u' }, KEY, 400, { code: 'invalid_param', status: 400 }],
      [{ inputs: {}, user: 'u' }, KEY, 400, { code: 'invalid_param', message: 'query is required', status: 400 }],
      [{ inputs: {}, query: 'q', user: 'u' }, {}, 401, { code: 'unauthorized', status: 401 }],
      [{ inputs: {}, query: 'q', user: 'u' }, { authorization: 'Bearer ' }, 401, { code: 'unauthorized', status: 401 }],
    ];
    for (const [body, headers, status, error] of cases) {
      const response = await post(sim, '/v1/chat-messages', body, headers);
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject(error);
    }
  });

  test('[[error]]: a few message events, then the error event, and the stream ends (HTTP 200); blocking: HTTP 400', async () => {
    const sim = await startSimulator({ streamChunks: 5 });
    const response = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'fail [[error]]', response_mode: 'streaming', user: 'u' });
    expect(response.status).toBe(200);
    const list = (await events(response)).slice(1) as Json[];
    expect(list.map((e) => e.event)).toEqual(['message', 'message', 'error']);
    expect(list[2]).toMatchObject({ event: 'error', status: 400, code: 'invalid_param', task_id: list[0].task_id, message_id: list[0].message_id });
    expect(typeof list[2].message).toBe('string');
    const blocking = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'fail [[error]]', user: 'u' });
    expect(blocking.status).toBe(400);
    expect(await blocking.json()).toMatchObject({ code: 'invalid_param', status: 400 });
  });

  test('[[error-first]]: the error event is the first and only event', async () => {
    const sim = await startSimulator();
    const list = await events(await post(sim, '/v1/chat-messages', { inputs: {}, query: '[[error-first]]', response_mode: 'streaming', user: 'u' }));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ event: 'error', code: 'invalid_param', status: 400 });
  });

  test('[[slow:N]] pauses between events; a fault with status answers in Dify\'s error shape', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const list = await events(await post(sim, '/v1/chat-messages', { inputs: {}, query: 'slow [[slow:5]]', response_mode: 'streaming', user: 'u' }));
    expect(answerOf(list)).toBe('Dify heard "slow [[slow:5]]" (turn 1 of conversation, user u)');
    sim.failNext({ status: 429 });
    const limited = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'q', user: 'u' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ code: 'too_many_requests', status: 429 });
  });

  test('a fault dropping the stream after N frames counts the ping', async () => {
    const sim = await startSimulator();
    sim.failNext({ dropAfterChunks: 2 });
    const response = await post(sim, '/v1/chat-messages', { inputs: {}, query: 'q', response_mode: 'streaming', user: 'u' });
    await expect(response.text()).rejects.toThrow();
  });

  test('stop: {result: success} for the task\'s user', async () => {
    const sim = await startSimulator();
    const response = await post(sim, '/v1/chat-messages/task-1/stop', { user: 'u' });
    expect(await response.json()).toEqual({ result: 'success' });
    expect((await post(sim, '/v1/chat-messages/task-1/stop', {})).status).toBe(400);
  });
});

describe('Dify conversations and messages', () => {
  test('each user lists only their own conversations, and reads only their own messages', async () => {
    const sim = await startSimulator();
    const a = await (await post(sim, '/v1/chat-messages', { inputs: { k: 'v' }, query: 'first question', user: 'alice' })).json() as Json;
    await post(sim, '/v1/chat-messages', { inputs: {}, query: 'follow-up', user: 'alice', conversation_id: a.conversation_id });
    await post(sim, '/v1/chat-messages', { inputs: {}, query: 'bob asks', user: 'bob' });

    const list = await (await get(sim, '/v1/conversations?user=alice&limit=20')).json() as Json;
    expect(list).toMatchObject({ limit: 20, has_more: false, data: [{ id: a.conversation_id, name: 'first question', inputs: { k: 'v' }, status: 'normal' }] });

    const messages = await (await get(sim, `/v1/messages?conversation_id=${a.conversation_id as string}&user=alice`)).json() as Json;
    expect(messages).toMatchObject({
      has_more: false,
      data: [
        { conversation_id: a.conversation_id, query: 'first question', answer: a.answer },
        { conversation_id: a.conversation_id, query: 'follow-up', answer: 'Dify heard "follow-up" (turn 2 of conversation, user alice)' },
      ],
    });

    const other = await get(sim, `/v1/messages?conversation_id=${a.conversation_id as string}&user=bob`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ code: 'not_found', message: 'Conversation Not Exists.', status: 404 });
    expect((await get(sim, '/v1/conversations')).status).toBe(400);
    expect((await get(sim, '/v1/conversations?user=alice', {})).status).toBe(401);
  });

  test('conversations page with limit and last_id; a failed call adds no message', async () => {
    const sim = await startSimulator();
    const ids: string[] = [];
    for (const query of ['a', 'b', 'c']) ids.push((await (await post(sim, '/v1/chat-messages', { inputs: {}, query, user: 'u' })).json() as Json).conversation_id as string);
    const page = await (await get(sim, '/v1/conversations?user=u&limit=2')).json() as { has_more: boolean; data: Json[] };
    expect(page.has_more).toBe(true);
    expect(page.data.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    const rest = await (await get(sim, `/v1/conversations?user=u&limit=2&last_id=${ids[1]}`)).json() as { data: Json[] };
    expect(rest.data.map((c) => c.id)).toEqual([ids[0]]);

    await post(sim, '/v1/chat-messages', { inputs: {}, query: '[[error]]', user: 'u', conversation_id: ids[0] });
    const messages = await (await get(sim, `/v1/messages?conversation_id=${ids[0]}&user=u`)).json() as { data: Json[] };
    expect(messages.data).toHaveLength(1);
  });

  test('parameters: the app\'s settings', async () => {
    const sim = await startSimulator();
    const response = await get(sim, '/v1/parameters?user=u');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user_input_form: [{ 'text-input': { variable: 'query' } }], file_upload: { image: { enabled: true } } });
  });
});

describe('Dify files upload', () => {
  test('multipart file and user: 201 and the file record; created_by is stable per user and differs between users', async () => {
    const sim = await startSimulator();
    const upload = async (user: string) => {
      const form = new FormData();
      form.append('file', new Blob(['hello world'], { type: 'text/plain' }), 'notes.TXT');
      form.append('user', user);
      return fetch(`${sim.url}/v1/files/upload`, { method: 'POST', headers: KEY, body: form });
    };
    const first = await upload('alice');
    expect(first.status).toBe(201);
    const record = await first.json() as Json;
    expect(record).toMatchObject({ name: 'notes.TXT', size: 11, extension: 'txt', mime_type: 'text/plain' });
    expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await (await upload('alice')).json()) as Json).created_by).toBe(record.created_by);
    expect(((await (await upload('bob')).json()) as Json).created_by).not.toBe(record.created_by);

    const noFile = new FormData();
    noFile.append('user', 'alice');
    const missing = await fetch(`${sim.url}/v1/files/upload`, { method: 'POST', headers: KEY, body: noFile });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'no_file_uploaded' });
    const noUser = new FormData();
    noUser.append('file', new Blob(['x']), 'x.txt');
    expect((await fetch(`${sim.url}/v1/files/upload`, { method: 'POST', headers: KEY, body: noUser })).status).toBe(400);
  });
});

describe('Dify completion-messages', () => {
  test('blocking and streaming answers come from the inputs, with no conversation', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const blocking = await (await post(sim, '/v1/completion-messages', { inputs: { query: 'Translate hi' }, response_mode: 'blocking', user: 'u' })).json() as Json;
    const answer = 'Dify completed inputs {"query":"Translate hi"} (user u)';
    expect(blocking).toMatchObject({ event: 'message', mode: 'completion', answer, metadata: { usage: { prompt_tokens: tokens('Translate hi') } } });
    expect(blocking.conversation_id).toBeUndefined();
    const list = await events(await post(sim, '/v1/completion-messages', { inputs: { query: 'Translate hi' }, response_mode: 'streaming', user: 'u' }));
    expect(list[0]).toBe('ping');
    expect(answerOf(list)).toBe(answer);
    expect((list[list.length - 1] as Json).event).toBe('message_end');
  });
});

describe('Dify workflows/run', () => {
  test('blocking: data.outputs.text, total_tokens and status', async () => {
    const sim = await startSimulator();
    const body = await (await post(sim, '/v1/workflows/run', { inputs: { query: 'summarize' }, response_mode: 'blocking', user: 'u' })).json() as Json;
    const text = 'Dify workflow ran with inputs {"query":"summarize"} (user u)';
    expect(body).toMatchObject({ data: { status: 'succeeded', outputs: { text }, total_tokens: tokens('summarize') + tokens(text), error: null } });
    expect(typeof body.workflow_run_id).toBe('string');
    expect(body.task_id).toBeDefined();
  });

  test('streaming: workflow_started, node events, text_chunk pieces, workflow_finished', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const list = await events(await post(sim, '/v1/workflows/run', { inputs: { query: 'go' }, response_mode: 'streaming', user: 'u' }));
    expect(list[0]).toBe('ping');
    const data = list.slice(1) as Json[];
    expect(data.map((e) => e.event)).toEqual([
      'workflow_started', 'node_started', 'node_finished', 'node_started', 'text_chunk', 'text_chunk', 'text_chunk',
      'node_finished', 'node_started', 'node_finished', 'workflow_finished',
    ]);
    const text = data.filter((e) => e.event === 'text_chunk').map((e) => (e.data as Json).text).join('');
    expect(text).toBe('Dify workflow ran with inputs {"query":"go"} (user u)');
    expect(data[data.length - 1]).toMatchObject({ data: { status: 'succeeded', outputs: { text }, total_tokens: tokens('go') + tokens(text) } });
  });

  test('[[workflow-fail]]: workflow_finished with status failed and an error, blocking and streaming', async () => {
    const sim = await startSimulator();
    const blocking = await post(sim, '/v1/workflows/run', { inputs: { query: '[[workflow-fail]]' }, user: 'u' });
    expect(blocking.status).toBe(200);
    expect(await blocking.json()).toMatchObject({ data: { status: 'failed', error: expect.stringContaining('failed') } });
    const list = await events(await post(sim, '/v1/workflows/run', { inputs: { query: '[[workflow-fail]]' }, response_mode: 'streaming', user: 'u' }));
    const last = list[list.length - 1] as Json;
    expect(last).toMatchObject({ event: 'workflow_finished', data: { status: 'failed', error: expect.any(String) } });
    expect(list.some((e) => e !== 'ping' && e.event === 'text_chunk')).toBe(false);
  });

  test('[[error]] in the inputs: text chunks, then the error event', async () => {
    const sim = await startSimulator({ streamChunks: 4 });
    const list = (await events(await post(sim, '/v1/workflows/run', { inputs: { query: '[[error]]' }, response_mode: 'streaming', user: 'u' }))) as Json[];
    expect(list.slice(-3).map((e) => e.event)).toEqual(['text_chunk', 'text_chunk', 'error']);
  });
});

describe('Dify conversation management and feedback', () => {
  test('rename, feedback, suggested and delete act only on what the user owns (404 otherwise)', async () => {
    const sim = await startSimulator();
    const first = await (await post(sim, '/v1/chat-messages', { inputs: {}, query: 'name me', user: 'alice' })).json() as Json;
    const conversationId = first.conversation_id as string;
    const messageId = first.message_id as string;
    const send = (method: string, path: string, body?: Json) => fetch(`${sim.url}/v1${path}`, {
      method, headers: { ...KEY, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });

    const renamed = await send('POST', `/conversations/${conversationId}/name`, { name: 'Renamed', user: 'alice' });
    expect(await renamed.json()).toMatchObject({ id: conversationId, name: 'Renamed' });
    expect((await send('POST', `/conversations/${conversationId}/name`, { name: 'Mine now', user: 'bob' })).status).toBe(404);

    expect(await (await send('POST', `/messages/${messageId}/feedbacks`, { rating: 'like', user: 'alice' })).json()).toEqual({ result: 'success' });
    const foreignFeedback = await send('POST', `/messages/${messageId}/feedbacks`, { rating: 'dislike', user: 'bob' });
    expect(foreignFeedback.status).toBe(404);
    expect(await foreignFeedback.json()).toEqual({ code: 'not_found', message: 'Message Not Exists.', status: 404 });

    expect(await (await send('GET', `/messages/${messageId}/suggested?user=alice`)).json()).toMatchObject({ result: 'success', data: expect.any(Array) });
    expect((await send('GET', `/messages/${messageId}/suggested?user=bob`)).status).toBe(404);

    expect((await send('DELETE', `/conversations/${conversationId}`, { user: 'bob' })).status).toBe(404);
    const deleted = await send('DELETE', `/conversations/${conversationId}`, { user: 'alice' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect((await get(sim, '/v1/conversations?user=alice').then((r) => r.json()) as { data: Json[] }).data).toEqual([]);
    expect((await send('DELETE', `/conversations/${conversationId}?user=alice`)).status).toBe(404);
  });
});
