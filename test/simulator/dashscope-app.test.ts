import { startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';

const KEY = { authorization: 'Bearer sk-sim' };
const SSE = { ...KEY, 'x-dashscope-sse': 'enable' };
const PATH = '/api/v1/apps/app-123/completion';

type Json = Record<string, unknown>;

async function post(sim: UpstreamSimulator, body: unknown, headers: Record<string, string> = KEY, path = PATH): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

interface DashScopeEvent {
  readonly id: number;
  readonly event: string;
  readonly status: number;
  readonly data: Json;
}

/** DashScope's frames, checked line by line against the documented shape (`id:N`, `event:X`, `:HTTP_STATUS/N`, `data:{…}`). */
async function events(response: Response): Promise<DashScopeEvent[]> {
  const text = await response.text();
  const frames = text.split('\n\n');
  expect(frames.pop()).toBe('');
  return frames.map((frame) => {
    const match = /^id:(\d+)\nevent:(\w+)\n:HTTP_STATUS\/(\d+)\ndata:(.+)$/.exec(frame);
    if (!match) throw new Error(`not a DashScope frame: ${JSON.stringify(frame)}`);
    return { id: Number(match[1]), event: match[2], status: Number(match[3]), data: JSON.parse(match[4]) as Json };
  });
}

const tokens = (text: string) => Math.ceil(text.length / 4);
const output = (e: DashScopeEvent) => e.data.output as Json;

describe('DashScope application completion', () => {
  test('blocking: output.text shows the app and the prompt; finish_reason stop; a session id; usage per model', async () => {
    const sim = await startSimulator();
    const response = await post(sim, { input: { prompt: 'Who   are you?' }, parameters: {}, debug: {} });
    expect(response.status).toBe(200);
    const body = await response.json() as Json;
    const text = 'App app-123 heard "Who are you?" (turn 1)';
    expect(body).toMatchObject({
      output: { text, finish_reason: 'stop' },
      usage: { models: [{ model_id: 'qwen-plus', input_tokens: tokens('Who   are you?'), output_tokens: tokens(text) }] },
    });
    expect((body.output as Json).session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof body.request_id).toBe('string');
    expect((body.output as Json).thoughts).toBeUndefined();
  });

  test('a session continues (the turn counts up); messages are honoured; biz_params show', async () => {
    const sim = await startSimulator();
    const first = await (await post(sim, { input: { prompt: 'one' } })).json() as Json;
    const sessionId = (first.output as Json).session_id as string;
    const second = await (await post(sim, { input: { prompt: 'two', session_id: sessionId } })).json() as Json;
    expect(second.output).toMatchObject({ text: 'App app-123 heard "two" (turn 2)', session_id: sessionId });

    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'latest question' },
    ];
    const withMessages = await (await post(sim, { input: { prompt: 'ignored', messages, biz_params: { city: 'Hangzhou' } } })).json() as Json;
    expect((withMessages.output as Json).text).toBe('App app-123 heard "latest question" (turn 1, 4 messages) with biz_params {"city":"Hangzhou"}');
    expect((withMessages.usage as { models: Json[] }).models[0].input_tokens).toBe(tokens('Be brief.' + 'earlier' + 'ok' + 'latest question'));
  });

  test('has_thoughts adds output.thoughts', async () => {
    const sim = await startSimulator();
    const body = await (await post(sim, { input: { prompt: 'think' }, parameters: { has_thoughts: true } })).json() as Json;
    expect((body.output as Json).thoughts).toEqual([expect.objectContaining({ thought: 'Thinking about "think"' })]);
  });

  test('SSE, not incremental: each event has all the text so far; finish_reason "null" until the last "stop"', async () => {
    const sim = await startSimulator({ streamChunks: 3 });
    const response = await post(sim, { input: { prompt: 'stream' } }, SSE);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const list = await events(response);
    const text = 'App app-123 heard "stream" (turn 1)';
    expect(list.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(list.every((e) => e.event === 'result' && e.status === 200)).toBe(true);
    expect(list.map((e) => output(e).finish_reason)).toEqual(['null', 'null', 'null', 'stop']);
    expect(output(list[2]).text).toBe(text);
    expect(output(list[3]).text).toBe(text);
    expect(text.startsWith(output(list[0]).text as string)).toBe(true);
    expect(list[3].data.usage).toEqual({ models: [{ model_id: 'qwen-plus', input_tokens: tokens('stream'), output_tokens: tokens(text) }] });
    const sessionId = output(list[0]).session_id;
    expect(list.every((e) => output(e).session_id === sessionId)).toBe(true);
  });

  test('SSE, incremental_output: each event has only the new piece, and the last is empty with "stop"', async () => {
    const sim = await startSimulator({ streamChunks: 4 });
    const list = await events(await post(sim, { input: { prompt: 'inc' }, parameters: { incremental_output: true } }, SSE));
    expect(list.map((e) => output(e).text).join('')).toBe('App app-123 heard "inc" (turn 1)');
    expect(output(list[list.length - 1])).toMatchObject({ text: '', finish_reason: 'stop' });
    expect(list).toHaveLength(5);
  });

  test('errors: InvalidApiKey 401 and InvalidParameter 400 in DashScope\'s body', async () => {
    const sim = await startSimulator();
    const noKey = await post(sim, { input: { prompt: 'x' } }, {});
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ code: 'InvalidApiKey', message: 'No API-key provided.', request_id: expect.any(String) });
    for (const body of [{}, { input: {} }, { input: { messages: [] } }, 'not json']) {
      const response = await fetch(`${sim.url}${PATH}`, { method: 'POST', headers: KEY, body: typeof body === 'string' ? body : JSON.stringify(body) });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'InvalidParameter', message: expect.any(String) });
    }
  });

  test('[[error]]: two result events then event:error with :HTTP_STATUS/400; blocking: HTTP 400; the failed call is no turn', async () => {
    const sim = await startSimulator({ streamChunks: 5 });
    const list = await events(await post(sim, { input: { prompt: 'x [[error]]', session_id: 's1' }, parameters: { incremental_output: true } }, SSE));
    expect(list.map((e) => [e.event, e.status])).toEqual([['result', 200], ['result', 200], ['error', 400]]);
    expect(list[2].data).toMatchObject({ code: 'InvalidParameter', message: expect.any(String), request_id: expect.any(String) });
    const blocking = await post(sim, { input: { prompt: '[[error]]' } });
    expect(blocking.status).toBe(400);
    expect(await blocking.json()).toMatchObject({ code: 'InvalidParameter' });
    const next = await (await post(sim, { input: { prompt: 'after', session_id: 's1' } })).json() as Json;
    expect((next.output as Json).text).toBe('App app-123 heard "after" (turn 1)');
  });

  test('[[error-first]]: event:error is the first and only event', async () => {
    const sim = await startSimulator();
    const list = await events(await post(sim, { input: { prompt: '[[error-first]]' } }, SSE));
    expect(list.map((e) => [e.id, e.event, e.status])).toEqual([[1, 'error', 400]]);
  });

  test('any prefix; a fault answers in DashScope\'s shape', async () => {
    const sim = await startSimulator();
    const response = await post(sim, { input: { prompt: 'p' } }, KEY, '/apps/other-app/completion');
    expect(((await response.json()) as { output: Json }).output.text).toBe('App other-app heard "p" (turn 1)');
    sim.failNext({ status: 500 });
    const failed = await post(sim, { input: { prompt: 'p' } });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ code: 'InternalError', request_id: expect.any(String) });
  });
});
