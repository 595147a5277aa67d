import * as http from 'node:http';
import OpenAI, { APIConnectionError, AzureOpenAI, InternalServerError, RateLimitError } from 'openai';
import { runSimulatorCli, type SimulatorOptions, UpstreamSimulator } from '../../src/simulator';
import { parseSimulatorArgs } from '../../src/simulator/main';

const simulators: UpstreamSimulator[] = [];

async function start(options: SimulatorOptions = {}): Promise<UpstreamSimulator> {
  const sim = await UpstreamSimulator.start(options);
  simulators.push(sim);
  return sim;
}

function client(sim: UpstreamSimulator, prefix = '/v1'): OpenAI {
  return new OpenAI({ baseURL: sim.url + prefix, apiKey: 'x', maxRetries: 0 });
}

afterEach(async () => {
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hello   there,\nsimulator' },
];

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('chat completions', () => {
  test('non-streaming: a deterministic chat.completion echoing the simulator name, the model and the last user message', async () => {
    const sim = await start({ name: 'alpha' });
    const completion = await client(sim).chat.completions.create({ model: 'gpt-4o', messages });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: '[sim:alpha] gpt-4o: Hello there, simulator' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: Math.ceil(('You are terse.'.length + 'Hello   there,\nsimulator'.length) / 4),
        completion_tokens: 5,
        total_tokens: Math.ceil(39 / 4) + 5,
      },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(Number.isInteger(completion.created)).toBe(true);
    const again = await client(sim).chat.completions.create({ model: 'gpt-4o', messages });
    expect(again.choices[0].message.content).toBe(completion.choices[0].message.content);
  });

  test('long prompts are truncated and content-part arrays are read', async () => {
    const sim = await start();
    const long = 'word '.repeat(100);
    const completion = await client(sim).chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: long }] }],
    });
    const content = completion.choices[0].message.content!;
    expect(content.startsWith('[sim:sim] m: word word')).toBe(true);
    expect(content.length).toBeLessThan(long.length);
    expect(content.endsWith('...')).toBe(true);
  });

  test('streaming: deltas concatenate to the non-streaming content, role chunk first, stop chunk last, no usage', async () => {
    const sim = await start({ name: 'beta', streamChunks: 4 });
    const openai = client(sim);
    const whole = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const chunks = await collect(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));

    expect(chunks).toHaveLength(1 + 4 + 1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini' && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(whole.choices[0].message.content);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks[chunks.length - 1].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  test('streaming with stream_options.include_usage: a final usage chunk with no choices, usage null elsewhere', async () => {
    const sim = await start();
    const openai = client(sim);
    const whole = await openai.chat.completions.create({ model: 'gpt-4o', messages });
    const chunks = await collect(await openai.chat.completions.create({
      model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true },
    }));

    expect(chunks).toHaveLength(1 + 10 + 1 + 1);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.slice(0, -1).map((c) => c.choices[0].delta.content ?? '').join('')).toBe(whole.choices[0].message.content);
  });

  test('raw SSE framing: data: frames separated by blank lines, each chunk its own write, ending with data: [DONE]', async () => {
    const sim = await start({ streamChunks: 3, chunkDelayMs: 15 });
    const response = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages, stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('connection')).not.toBe('close');

    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let reads = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      reads++;
      text += decoder.decode(r.value, { stream: true });
    }
    expect(reads).toBeGreaterThan(1);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const frames = text.split('\n\n');
    expect(frames.pop()).toBe('');
    expect(frames).toHaveLength(1 + 3 + 1 + 1);
    expect(frames.every((f) => f.startsWith('data: ') && !f.includes('\n'))).toBe(true);
    const payloads = frames.slice(0, -1).map((f) => JSON.parse(f.slice('data: '.length)));
    expect(payloads.every((p) => p.object === 'chat.completion.chunk')).toBe(true);
  });

  test('a DashScope-style prefix works', async () => {
    const sim = await start({ name: 'dashscope' });
    const completion = await client(sim, '/compatible-mode/v1').chat.completions.create({ model: 'qwen-plus', messages });
    expect(completion.choices[0].message.content).toBe('[sim:dashscope] qwen-plus: Hello there, simulator');
    expect(sim.requests[0].path).toBe('/compatible-mode/v1/chat/completions');
  });

  test('an Azure-shaped path answers with the deployment name as the model', async () => {
    const sim = await start({ name: 'azure' });
    const azure = new AzureOpenAI({ endpoint: sim.url, apiKey: 'x', apiVersion: '2024-10-21', deployment: 'my-gpt4o', maxRetries: 0 });
    const completion = await azure.chat.completions.create({ model: '', messages });
    expect(completion.model).toBe('my-gpt4o');
    expect(completion.choices[0].message.content).toBe('[sim:azure] my-gpt4o: Hello there, simulator');
    expect(sim.requests[0]).toMatchObject({
      method: 'POST',
      path: '/openai/deployments/my-gpt4o/chat/completions',
      query: { 'api-version': '2024-10-21' },
    });
    expect(sim.requests[0].headers['api-key']).toBe('x');

    const chunks = await collect(await azure.chat.completions.create({ model: '', messages, stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(completion.choices[0].message.content);
  });

  test('a chat request without a model or messages is a 400', async () => {
    const sim = await start();
    await expect(client(sim).chat.completions.create({ messages } as never)).rejects.toMatchObject({ status: 400 });
    await expect(client(sim).chat.completions.create({ model: 'gpt-4o' } as never)).rejects.toMatchObject({ status: 400, param: 'messages' });
  });
});

describe('completions, embeddings and models', () => {
  test('completions: a text_completion, streamed as data: chunks ending with [DONE]', async () => {
    const sim = await start({ name: 'legacy', streamChunks: 3 });
    const openai = client(sim);
    const completion = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
    expect(completion).toMatchObject({
      object: 'text_completion',
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ index: 0, text: '[sim:legacy] gpt-3.5-turbo-instruct: Say hi', finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 },
    });

    const chunks = await collect(await openai.completions.create({
      model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', stream: true, stream_options: { include_usage: true },
    }));
    expect(chunks).toHaveLength(3 + 1 + 1);
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.slice(0, -1).map((c) => c.choices[0].text).join('')).toBe(completion.choices[0].text);
    expect(chunks[3].choices[0].finish_reason).toBe('stop');
    expect(chunks[4]).toMatchObject({ choices: [], usage: completion.usage });

    const raw = await (await fetch(`${sim.url}/v1/completions`, {
      method: 'POST', body: JSON.stringify({ model: 'm', prompt: 'x', stream: true }),
    })).text();
    expect(raw.endsWith('\n\ndata: [DONE]\n\n')).toBe(true);
  });

  test('embeddings: one deterministic 8-float vector per input, in float and (the SDK default) base64 encoding', async () => {
    const sim = await start();
    const openai = client(sim);
    const single = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(single).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 2, total_tokens: 2 } });
    expect(single.data).toHaveLength(1);
    expect(single.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(single.data[0].embedding).toHaveLength(8);
    expect(sim.requests[0].body).toMatchObject({ encoding_format: 'base64' });

    const floats = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'], encoding_format: 'float' });
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    expect(floats.data[0].embedding).toEqual(single.data[0].embedding);
    expect(floats.data[1].embedding).not.toEqual(floats.data[0].embedding);
    expect(floats.data[0].embedding.every((x) => typeof x === 'number' && x >= -1 && x <= 1)).toBe(true);
    const norm = Math.sqrt(floats.data[0].embedding.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
  });

  test('GET /v1/models lists a few models; GET /v1/models/{id} returns one', async () => {
    const sim = await start();
    const ids: string[] = [];
    for await (const model of client(sim).models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'text-embedding-3-small']));
    expect(await client(sim).models.retrieve('anything')).toMatchObject({ id: 'anything', object: 'model' });
  });

  test('unknown paths are a 404 and invalid JSON a 400, both with an OpenAI-style error body', async () => {
    const sim = await start();
    const notFound = await fetch(`${sim.url}/v1/nope`);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error', param: null, code: null } });
    expect((await fetch(`${sim.url}/v1/chat/completions`)).status).toBe(404);

    const bad = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: null } });
    expect(sim.requests[2].body).toBe('{not json');
  });
});

describe('faults', () => {
  test('a 429 surfaces as the SDK RateLimitError with retry-after, then the queue drains', async () => {
    const sim = await start();
    sim.failNext({ status: 429 });
    const error = await client(sim).chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    const rateLimit = error as RateLimitError;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.headers.get('retry-after')).toBe('1');
    expect(rateLimit.type).toBe('requests');
    expect(rateLimit.code).toBe('rate_limit_exceeded');
    await expect(client(sim).chat.completions.create({ model: 'gpt-4o', messages })).resolves.toBeDefined();
    expect(sim.requests).toHaveLength(2);
  });

  test('failNext(fault, n) fails n requests; setFault persists until reset', async () => {
    const sim = await start();
    sim.failNext({ status: 503, message: 'overloaded' }, 2);
    for (let i = 0; i < 2; i++) {
      const error = await client(sim).models.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error).toMatchObject({ status: 503, type: 'server_error', message: expect.stringContaining('overloaded') });
    }
    await expect(client(sim).models.list()).resolves.toBeDefined();

    sim.setFault({ status: 500 });
    await expect(client(sim).models.list()).rejects.toBeInstanceOf(InternalServerError);
    await expect(client(sim).models.list()).rejects.toBeInstanceOf(InternalServerError);
    sim.setFault(undefined);
    await expect(client(sim).models.list()).resolves.toBeDefined();

    sim.setFault({ status: 500 });
    sim.reset();
    expect(sim.requests).toEqual([]);
    await expect(client(sim).models.list()).resolves.toBeDefined();
  });

  test('dropAfterChunks mid-stream surfaces as an error in the stream iteration', async () => {
    const sim = await start();
    sim.failNext({ dropAfterChunks: 3 });
    const stream = await client(sim).chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const received: unknown[] = [];
    await expect((async () => {
      for await (const chunk of stream) received.push(chunk);
    })()).rejects.toThrow();
    // The three frames written before the drop (role chunk + two content chunks) still arrive.
    expect(received).toHaveLength(3);
  });

  test('dropAfterChunks: 0 closes the socket before any byte; on a non-streaming response N > 0 truncates the body', async () => {
    const sim = await start();
    sim.failNext({ dropAfterChunks: 0 });
    await expect(client(sim).chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(APIConnectionError);
    sim.failNext({ dropAfterChunks: 1 });
    await expect(client(sim).chat.completions.create({ model: 'gpt-4o', messages })).rejects.toThrow();
    await expect(client(sim).chat.completions.create({ model: 'gpt-4o', messages })).resolves.toBeDefined();
    expect(sim.requests).toHaveLength(3);
  });

  test('latency: the fault and the option delay the response', async () => {
    const sim = await start({ latencyMs: 30 });
    sim.failNext({ latencyMs: 70 });
    const t0 = Date.now();
    await client(sim).models.list();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
  });
});

describe('recording, keep-alive and lifecycle', () => {
  test('requests are recorded with method, path, query, lower-cased headers and parsed body, before faults', async () => {
    const sim = await start();
    sim.failNext({ status: 500 });
    await client(sim).chat.completions.create({ model: 'gpt-4o', messages }, { headers: { 'X-Trace-Id': 'abc' }, query: { foo: 'bar' } }).catch(() => undefined);
    expect(sim.requests).toHaveLength(1);
    const [recorded] = sim.requests;
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', query: { foo: 'bar' }, body: { model: 'gpt-4o', messages } });
    expect(recorded.headers).toMatchObject({ 'authorization': 'Bearer x', 'content-type': 'application/json', 'x-trace-id': 'abc' });
    expect(Object.keys(recorded.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(recorded.receivedAt).toBeLessThanOrEqual(Date.now());
  });

  test('keep-alive connections are reused, and close() still returns promptly with idle sockets open', async () => {
    const sim = await start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise<{ reused: boolean; connection?: string }>((resolve, reject) => {
      const req = http.get(`${sim.url}/v1/models`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ reused: req.reusedSocket, connection: res.headers.connection }));
      });
      req.on('error', reject);
    });
    try {
      const first = await get();
      const second = await get();
      expect(first.connection).toBe('keep-alive');
      expect(second.reused).toBe(true);
      const t0 = Date.now();
      await sim.close();
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      agent.destroy();
    }
  });

  test('close() cancels pending delays and in-flight streams', async () => {
    const sim = await start({ latencyMs: 60_000 });
    const pending = client(sim).models.list();
    const settled = pending.then(() => 'resolved', () => 'rejected');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sim.close();
    expect(await settled).toBe('rejected');

    const slow = await start({ chunkDelayMs: 60_000 });
    const stream = await client(slow).chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const iteration = collect(stream).then(() => 'resolved', () => 'rejected');
    await slow.close();
    expect(await iteration).toBe('rejected');
  });
});

describe('CLI', () => {
  test('runSimulatorCli starts a simulator and prints its URL', async () => {
    const lines: string[] = [];
    const sim = await runSimulatorCli(['--port', '0', '--name=cli'], (line) => lines.push(line));
    expect(sim).toBeDefined();
    simulators.push(sim!);
    expect(lines).toEqual([sim!.url]);
    expect(sim!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const completion = await client(sim!).chat.completions.create({ model: 'gpt-4o', messages });
    expect(completion.choices[0].message.content).toContain('[sim:cli]');
  });

  test('argument parsing', async () => {
    expect(parseSimulatorArgs(['--port=8080', '--host', '0.0.0.0', '--latency-ms', '5', '--chunk-delay-ms=1', '--stream-chunks', '3'])).toEqual({
      port: 8080, host: '0.0.0.0', latencyMs: 5, chunkDelayMs: 1, streamChunks: 3,
    });
    expect(parseSimulatorArgs(['--help'])).toBeUndefined();
    expect(() => parseSimulatorArgs(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseSimulatorArgs(['--bogus', '1'])).toThrow(/Unknown flag/);
    expect(() => parseSimulatorArgs(['--port'])).toThrow(/needs a value/);
    const lines: string[] = [];
    await expect(runSimulatorCli(['-h'], (line) => lines.push(line))).resolves.toBeUndefined();
    expect(lines[0]).toMatch(/^Usage/);
  });
});
