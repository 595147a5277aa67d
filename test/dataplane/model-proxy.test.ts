import { Readable } from 'stream';
import OpenAI from 'openai';
import { request as undiciRequest } from 'undici';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start, UPSTREAM_KEY } from './harness';
import type { TestGateway } from '../../src/testing';
import { UpstreamSimulator } from '../../src/testing';

describe('model proxy, end to end with the official openai SDK', () => {
  let primary: UpstreamSimulator;
  let secondary: UpstreamSimulator;
  let gw: TestGateway;

  beforeAll(async () => {
    primary = await UpstreamSimulator.start({ name: 'primary', streamChunks: 10 });
    secondary = await UpstreamSimulator.start({ name: 'secondary' });
    const gateway = gatewayStack();
    // A high breaker threshold: these tests fail the primary on purpose, and must not open its circuit.
    const openai = simulatedBackend(primary, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' }, circuitBreaker: { failureThreshold: 100 } });
    const qwen = simulatedBackend(secondary, { provider: 'dashscope', basePath: '/compatible-mode/v1', apiKey: { secretName: 'llm-keys', key: 'dashscope' } });
    const chat = gateway.addModelRoute('chat', {
      models: [
        { name: 'gpt-4o', aliases: ['default'], targets: [{ backend: openai }], fallbacks: ['qwen-max'] },
        { name: 'qwen-max', targets: [{ backend: qwen }] },
        { name: 'qwen-*', targets: [{ backend: qwen, model: '*' }] },
        { name: 'text-embedding-3-small', targets: [{ backend: openai }] },
      ],
    });
    gateway.addModelRoute('team', {
      pathPrefix: '/team',
      models: [{ name: 'team-model', targets: [{ backend: openai, model: 'gpt-4o-mini' }] }],
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat] } });
    gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: 'all' });
    gw = await start(gateway);
  });

  afterAll(async () => {
    await gw.close();
    await primary.close();
    await secondary.close();
  });

  beforeEach(() => {
    primary.reset();
    secondary.reset();
  });

  test('non-streaming chat: the served model is mapped, the upstream key is the backend\'s, the consumer key never goes upstream', async () => {
    const res = await client(gw).chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hello there' }] });
    expect(res.choices[0].message.content).toContain('[sim:primary] gpt-4o');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    const [seen] = primary.requests;
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain(CONSUMER_KEYS.alice);
    expect((seen.body as { model: string }).model).toBe('gpt-4o');
  });

  test('streaming chat arrives in chunks, and the usage chunk the gateway asked for is stripped', async () => {
    const stream = await client(gw).chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'stream please' }] });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    expect(chunks.some((c) => c.choices.length === 0 && c.usage)).toBe(false);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toContain('[sim:primary] gpt-4o');
    // The gateway asked the upstream for usage even though the client did not.
    expect((primary.requests[0].body as { stream_options: { include_usage: boolean } }).stream_options.include_usage).toBe(true);
  });

  test('streaming chat keeps the usage chunk when the client asks for it', async () => {
    const stream = await client(gw).chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'with usage' }],
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  test('wildcard models pass the requested name through; DashScope gets its compatible-mode path', async () => {
    const res = await client(gw).chat.completions.create({ model: 'qwen-turbo', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toContain('[sim:secondary] qwen-turbo');
    expect(secondary.requests[0].path).toBe('/compatible-mode/v1/chat/completions');
  });

  test('completions and embeddings', async () => {
    const completion = await client(gw).completions.create({ model: 'gpt-4o', prompt: 'Say hi' });
    expect(completion.choices[0].text.length).toBeGreaterThan(0);
    const embedding = await client(gw).embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(embedding.data).toHaveLength(2);
    expect(primary.requests.map((r) => r.path)).toEqual(['/v1/completions', '/v1/embeddings']);
  });

  test('/v1/models lists what the consumer may use', async () => {
    const alice = (await client(gw).models.list()).data.map((m) => m.id);
    expect(alice).toEqual(expect.arrayContaining(['gpt-4o', 'default', 'qwen-max', 'text-embedding-3-small']));
    expect(alice).not.toContain('team-model');
    const bob = (await client(gw, CONSUMER_KEYS.bob, '/team').models.list()).data.map((m) => m.id);
    expect(bob).toContain('team-model');
  });

  test('a route under a path prefix, with model-name mapping', async () => {
    const res = await client(gw, CONSUMER_KEYS.bob, '/team').chat.completions.create({ model: 'team-model', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0].message.content).toContain('gpt-4o-mini');
    expect((primary.requests[0].body as { model: string }).model).toBe('gpt-4o-mini');
  });

  test('retry: a 503 is retried on the same backend with backoff, invisibly to the client', async () => {
    primary.failNext({ status: 503 });
    const res = await client(gw).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0].message.content).toContain('[sim:primary] gpt-4o');
    expect(primary.requests).toHaveLength(2);
  });

  test('fallback: when the primary keeps failing, the fallback model serves, invisibly to the client', async () => {
    // 1 attempt + 2 retries (the backend's default) all fail.
    primary.failNext({ status: 503 }, 3);
    const res = await client(gw).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0].message.content).toContain('[sim:secondary] qwen-max');
  });

  test('errors are OpenAI-style, with the right status', async () => {
    await expect(client(gw, 'sk-wrong').chat.completions.create({ model: 'gpt-4o', messages: [] })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const noKey = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as any).error.code).toBe('missing_api_key');
    await expect(client(gw, CONSUMER_KEYS.alice, '/team').chat.completions.create({ model: 'team-model', messages: [] })).rejects.toMatchObject({ status: 403 });
    await expect(client(gw).chat.completions.create({ model: 'nope', messages: [] })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const badJson = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` }, body: '{"model": ' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as any).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    const big = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] }),
    });
    expect(big.status).toBe(413);
  });

  test('a chunked body that grows past the limit without declaring its length: 413, nothing sent upstream', async () => {
    // No Content-Length: the limit is found while reading; the rest of the upload is discarded.
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent++ < 16) this.push(chunk);
        else this.push(null);
      },
    });
    const res = await undiciRequest(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body,
    }).catch((e: Error) => e);
    // (`instanceof Error` does not hold across the test sandbox's realm; an answer has a statusCode.)
    if (!('statusCode' in res)) throw new Error(`expected a 413 answer, the request failed: ${String(res)}`);
    expect(res.statusCode).toBe(413);
    expect(((await res.body.json()) as any).error.code).toBe('request_too_large');
    expect(primary.requests).toHaveLength(0);
  });

  test('upstream failures: 502 when every attempt fails, and the upstream key never reaches the client', async () => {
    primary.failNext({ status: 500 });
    secondary.failNext({ status: 500 });
    await expect(client(gw).chat.completions.create({ model: 'gpt-4o', messages: [] })).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
    primary.failNext({ status: 401, message: `Incorrect API key provided: ${UPSTREAM_KEY}` });
    secondary.failNext({ status: 401, message: `Incorrect API key provided: ${UPSTREAM_KEY}` });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain(UPSTREAM_KEY);
    primary.failNext({ status: 400, message: `bad request for key ${UPSTREAM_KEY}` });
    const passed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` },
      body: JSON.stringify({ model: 'gpt-4o', messages: [] }),
    });
    expect(passed.status).toBe(400);
    expect(await passed.text()).not.toContain(UPSTREAM_KEY);
    expect(JSON.stringify(gw.logs)).not.toContain(UPSTREAM_KEY);
    expect(JSON.stringify(gw.logs)).not.toContain(CONSUMER_KEYS.alice);
  });

  test('metrics, access logs and the overhead header', async () => {
    const res = await client(gw).chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    for await (const chunk of res.data) void chunk;
    expect(Number(res.response.headers.get('x-aigw-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_requests_total\{[^}]*route="chat"[^}]*consumer="alice"[^}]*gen_ai_request_model="gpt-4o"[^}]*gen_ai_response_model="gpt-4o"[^}]*status="200"/);
    expect(metrics).toMatch(/gen_ai_client_token_usage_total\{[^}]*gen_ai_token_type="output"/);
    expect(metrics).toContain('gen_ai_server_time_to_first_token_seconds_bucket');
    expect(metrics).toContain('gen_ai_server_request_duration_seconds_bucket');
    const access = gw.logs.filter((l) => l.msg === 'access' && l.stream === true).pop()!;
    expect(access).toMatchObject({ route: 'chat', consumer: 'alice', requestedModel: 'gpt-4o', servedModel: 'gpt-4o', status: 200 });
    expect(access.outputTokens).toBeGreaterThan(0);
    expect(await (await fetch(`${gw.adminUrl}/healthz`)).text()).toBe('ok\n');
    expect((await fetch(`${gw.adminUrl}/readyz`)).status).toBe(200);
  });
});
