/**
 * The translated stream read by the official `openai` SDK: its SSE parser and its ResponseStream
 * (which rebuilds the Response from the events and throws on any event out of place), over HTTP.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo, Socket } from 'net';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { translateStream } from './responses-frames';
import { chatResponseToResponses } from '../../../src/dataplane/translate/chat-to-responses';
import { responsesEchoOf } from '../../../src/dataplane/translate/responses-to-chat';

const ID = 'chatcmpl-sdk1';
const CREATED = 1_760_000_000;
const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk {
  return { id: ID, object: 'chat.completion.chunk', created: CREATED, model: 'qwen3', choices: [{ index: 0, delta, finish_reason: finish as null, logprobs: null }] };
}

/** What the server answers next: SSE frames, or a JSON body. */
let answer: { sse: string[] } | { json: unknown } = { sse: [] };
let server: Server;
const sockets = new Set<Socket>();
let client: OpenAI;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if ('sse' in answer) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const frame of answer.sse) res.write(frame);
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.json));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OpenAI({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'x', maxRetries: 0 });
});

afterAll(async () => {
  // The client keeps its connection alive: closed here, or close() would wait for it.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const socket of sockets) socket.destroy();
  await closed;
});

const request = { model: 'gpt-5', instructions: 'Be brief.', input: 'Weather in Paris?', tools: [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object' }, strict: false }] };

const chunks = [
  chunk({ role: 'assistant', reasoning_content: 'One ' }),
  chunk({ reasoning_content: 'lookup.' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"ci' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...chunk({}), choices: [], usage: USAGE },
  '[DONE]' as const,
];

test('the SDK reads the translated stream: every event in place, finalResponse() the whole answer', async () => {
  const echo = responsesEchoOf(request);
  const { frames } = translateStream(chunks, 'gpt-5', echo);
  answer = { sse: frames };
  const stream = client.responses.stream(request);
  const seen: ResponseStreamEvent[] = [];
  const deltas: string[] = [];
  stream.on('event', (e) => seen.push(e));
  stream.on('response.output_text.delta', (e) => deltas.push(e.snapshot));
  const final = await stream.finalResponse();

  expect(seen.map((e) => e.sequence_number)).toEqual(frames.map((_, i) => i));
  // The SDK's snapshots grew with each delta.
  expect(deltas).toEqual(['Let me ', 'Let me check.']);
  // (ResponseStream's finalResponse() sets output_text only for parseable requests: the output is checked instead.)
  expect(final.usage).toEqual({
    input_tokens: 11,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 7,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 18,
  });
  expect(final.output).toEqual([
    { type: 'reasoning', id: `rs_${ID}`, summary: [], content: [{ type: 'reasoning_text', text: 'One lookup.' }] },
    { type: 'message', id: `msg_${ID}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.', annotations: [], logprobs: [], parsed: null }] },
    { type: 'function_call', id: `fc_${ID}_0`, call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed', parsed_arguments: null },
  ]);
  expect(final).toMatchObject({ id: `resp_${ID}`, model: 'gpt-5', status: 'completed', instructions: 'Be brief.' });
});

test('the SDK accumulates an incomplete stream (no response.completed) from the events alone', async () => {
  const { frames } = translateStream([chunk({ role: 'assistant', reasoning: 'Hm' }), chunk({ content: 'Once upon' }), chunk({ refusal: 'No.' }), chunk({}, 'length'), '[DONE]'], 'gpt-5', {});
  answer = { sse: frames };
  const stream = client.responses.stream({ model: 'gpt-5', input: 'Tell a story' });
  const types: string[] = [];
  stream.on('event', (e) => types.push(e.type));
  const final = await stream.finalResponse();
  expect(types[types.length - 1]).toBe('response.incomplete');
  // The SDK builds an unfinished response from added items and text deltas (it skips refusal deltas:
  // the refusal is whole in the response.incomplete event, checked in chat-to-responses.test.ts).
  expect(final.output[1]).toMatchObject({ type: 'message', content: [{ type: 'output_text', text: 'Once upon' }, { type: 'refusal' }] });
  expect(final.output[0]).toMatchObject({ type: 'reasoning', content: [{ type: 'reasoning_text', text: 'Hm' }] });
});

test('responses.create({stream: true}) yields the typed events; a failed stream ends in response.failed', async () => {
  const { frames } = translateStream([chunk({ role: 'assistant', content: 'Par' }), { error: { message: 'overloaded' } }], 'gpt-5', {});
  answer = { sse: frames };
  const events: ResponseStreamEvent[] = [];
  for await (const e of await client.responses.create({ model: 'gpt-5', input: 'x', stream: true })) events.push(e);
  expect(events.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.failed']);
  const failed = events[5];
  expect(failed.type === 'response.failed' && failed.response.error).toEqual({ code: 'server_error', message: 'overloaded' });
});

test('the non-streamed Response is read by the SDK as it is, output_text computed', async () => {
  answer = {
    json: chatResponseToResponses(
      {
        id: ID,
        object: 'chat.completion',
        created: CREATED,
        model: 'qwen3',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there.' }, finish_reason: 'stop' }],
        usage: USAGE,
      },
      'gpt-5',
      responsesEchoOf({ model: 'gpt-5', input: 'x' }),
    ),
  };
  const response = await client.responses.create({ model: 'gpt-5', input: 'x' });
  expect(response.output_text).toBe('Hello there.');
  expect(response.id).toBe(`resp_${ID}`);
  expect(response.usage?.total_tokens).toBe(18);
});
