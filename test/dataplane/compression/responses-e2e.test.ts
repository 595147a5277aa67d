import { gunzipSync, brotliDecompressSync, gzipSync } from 'zlib';
import OpenAI from 'openai';
import { decoderFor, open, send } from './http-client';
import { MIN_COMPRESSED_BYTES } from '../../../src/dataplane/compression/policy';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { agentUpstream, type AgentUpstream } from '../agent-upstream';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from '../harness';

jest.setTimeout(60_000);

/**
 * Responses compressed end to end: the gateway's answers (model relays, agent relays, its own errors)
 * as a client receives them, in the coding it asked for, and decoded to the same content.
 */
let sim: UpstreamSimulator;
/** Paces its streams an hour apart: while a test runs, it has sent the first event only. */
let slowSim: UpstreamSimulator;
let agent: AgentUpstream;
let gw: TestGateway;
/** What the agent answers, before its gzip. */
let agentDocument: string;

const auth = { authorization: `Bearer ${CONSUMER_KEYS.alice}` };
const embeddings = { model: 'text-embedding-3-small', input: Array.from({ length: 20 }, (_, i) => `compress me ${i}`) };
const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] };

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'sim' });
  slowSim = await UpstreamSimulator.start({ name: 'slow', chunkDelayMs: 3_600_000 });
  // An agent that answers gzip although the gateway asks for identity.
  agentDocument = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, text: `item number ${i}` })) });
  agent = await agentUpstream((_req, res) => {
    const body = gzipSync(agentDocument);
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) }).end(body);
  });
  const gateway = gatewayStack();
  const key = { secretName: 'llm-keys', key: 'openai' };
  const openai = simulatedBackend(sim, { provider: 'openai', apiKey: key });
  const slow = simulatedBackend(slowSim, { provider: 'openai', apiKey: key });
  const models = gateway.addModelRoute('chat', {
    models: [
      { name: 'gpt-4o', targets: [{ backend: openai }] },
      { name: 'text-embedding-3-small', targets: [{ backend: openai }] },
      { name: 'slow-model', targets: [{ backend: slow, model: 'gpt-4o' }] },
    ],
  });
  const agents = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agent', baseUrl: `${agent.url}/v1`, apiKey: key });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [models, agents] } });
  gw = await start(gateway);
});

afterAll(async () => {
  await gw.close();
  await sim.close();
  await slowSim.close();
  await agent.close();
});

describe('a JSON answer of at least 1 KiB', () => {
  let plain: Buffer;
  beforeAll(async () => {
    const res = await send(gw.url, 'POST', '/v1/embeddings', auth, embeddings);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    plain = res.body;
    expect(plain.length).toBeGreaterThanOrEqual(MIN_COMPRESSED_BYTES);
  });

  test.each([
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
  ])('Accept-Encoding: %s → compressed in it, smaller, and decodes to the same JSON', async (coding, decode) => {
    const res = await send(gw.url, 'POST', '/v1/embeddings', { ...auth, 'accept-encoding': coding }, embeddings);
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.body.length).toBeLessThan(plain.length);
    const decoded = JSON.parse(decode(res.body).toString()) as { data: { embedding: number[] }[] };
    const expected = JSON.parse(plain.toString()) as { data: { embedding: number[] }[] };
    expect(decoded).toEqual(expected);
  });

  test("what an SDK sends (Node fetch's 'gzip, deflate, br') gets br", async () => {
    const res = await send(gw.url, 'POST', '/v1/embeddings', { ...auth, 'accept-encoding': 'gzip, deflate, br' }, embeddings);
    expect(res.headers['content-encoding']).toBe('br');
  });

  test('no Accept-Encoding, identity, or only codings the gateway lacks: plain, with its length', async () => {
    for (const accept of [undefined, 'identity', 'compress, deflate', 'gzip;q=0']) {
      const res = await send(gw.url, 'POST', '/v1/embeddings', { ...auth, ...(accept && { 'accept-encoding': accept }) }, embeddings);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(JSON.parse(res.body.toString())).toHaveProperty('data');
    }
  });
});

test('an answer under 1 KiB is sent as is, with its length, even to a client that accepts gzip', async () => {
  const res = await send(gw.url, 'POST', '/v1/chat/completions', { ...auth, 'accept-encoding': 'gzip' }, chat);
  expect(res.status).toBe(200);
  expect(res.body.length).toBeLessThan(MIN_COMPRESSED_BYTES);
  expect(res.headers['content-encoding']).toBeUndefined();
  expect(Number(res.headers['content-length'])).toBe(res.body.length);
  expect(JSON.parse(res.body.toString())).toHaveProperty('choices');
});

test("the gateway's own error answers go through the same path (small: plain)", async () => {
  const res = await send(gw.url, 'POST', '/v1/chat/completions', { 'authorization': 'Bearer wrong', 'accept-encoding': 'gzip' }, chat);
  expect(res.status).toBe(401);
  expect(res.headers['content-encoding']).toBeUndefined();
  expect(JSON.parse(res.body.toString())).toHaveProperty('error');
});

test('a streamed chat in gzip: the first event decodes while the upstream still holds the second', async () => {
  const { res, abort } = await open(gw.url, '/v1/chat/completions', { ...auth, 'accept-encoding': 'gzip' }, { ...chat, model: 'slow-model', stream: true });
  try {
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['content-encoding']).toBe('gzip');
    const decoder = decoderFor(res.headers['content-encoding']);
    res.pipe(decoder);
    let text = '';
    // The simulator waits an hour after its first event: this resolves only if that event was flushed through gzip.
    await new Promise<void>((resolve, reject) => {
      decoder.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\n\n')) resolve();
      });
      decoder.on('error', reject);
      res.on('end', () => reject(new Error('the stream ended before its first event was decoded')));
    });
    const first = JSON.parse(text.slice('data: '.length, text.indexOf('\n\n'))) as { object: string; choices: { delta: { role?: string } }[] };
    expect(first.object).toBe('chat.completion.chunk');
    expect(first.choices[0].delta.role).toBe('assistant');
  } finally {
    abort();
  }
});

describe('the official openai SDK (Node fetch sends Accept-Encoding: gzip, deflate, br)', () => {
  test('non-streaming chat and embeddings', async () => {
    const answer = await client(gw).chat.completions.create(chat as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(answer.choices[0].message.content).toContain('[sim:sim]');
    const vectors = await client(gw).embeddings.create(embeddings);
    expect(vectors.data).toHaveLength(20);
  });

  test('streaming chat: every chunk, in order, then the end', async () => {
    const stream = await client(gw).chat.completions.create({ ...chat, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(5);
    expect(text).toContain('[sim:sim] gpt-4o');
    // The stream the SDK read was compressed: the simulator's equal plain answer is the same text.
    const raw = await send(gw.url, 'POST', '/v1/chat/completions', { ...auth, 'accept-encoding': 'gzip, deflate, br' }, { ...chat, stream: true });
    // A stream, with gzip weighed like br: gzip, the smaller encoder (codings.ts STREAM_CODINGS).
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toContain('data: [DONE]');
  });
});

describe('an agent that answers gzip itself', () => {
  test('is decoded by the gateway and compressed once for a client that accepts gzip', async () => {
    const res = await send(gw.url, 'GET', '/agent/items', { ...auth, 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    // One layer: decoding once gives the agent's JSON.
    expect(gunzipSync(res.body).toString()).toBe(agentDocument);
  });

  test('is plain for a client that accepts no coding', async () => {
    const res = await send(gw.url, 'GET', '/agent/items', auth);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toBe(agentDocument);
  });

  test('HEAD is never encoded', async () => {
    const res = await send(gw.url, 'HEAD', '/agent/items', { ...auth, 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});
