import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { Backend } from '../../../src';
import { UpstreamSimulator } from '../../../src/simulator';
import type { GatewayConfig } from '../../../src/specs';
import type { TestGateway } from '../../../src/testing';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';
import { CONSUMER_KEYS, client, gatewayStack, modelsOnEveryApi, start } from '../harness';
import { rawRequest } from '../raw-http';

/**
 * Responses kept by the backend, reached through the gateway with the official `openai` SDK: retrieve, input items,
 * delete, cancel and `previous_response_id`, each only by the consumer who created the response, on its route, at the
 * backend that keeps it. Two replicas share one real redis-server, so a response created through one is reached through
 * the other; a third gateway without Redis keeps its records in memory.
 */
let sim: UpstreamSimulator;
/** A second OpenAI account: the model `gpt-pair` is spread over both. */
let simB: UpstreamSimulator;
/** An OpenAI account whose streams take a while (150 ms between events). */
let slowSim: UpstreamSimulator;
let redis: TestRedisServer;
let gw: TestGateway;
let replica: TestGateway;
let alice: OpenAI;
let bob: OpenAI;
let aliceOnReplica: OpenAI;

function fleetGateway() {
  const gateway = gatewayStack();
  const models = modelsOnEveryApi(sim);
  const key = { secretName: 'llm-keys', key: 'openai' };
  const pair = {
    name: 'gpt-pair',
    targets: [
      { backend: Backend.openAi({ baseUrl: `${sim.url}/v1`, apiKey: key }), model: 'gpt-4o', weight: 1 },
      { backend: Backend.openAi({ baseUrl: `${simB.url}/v1`, apiKey: key }), model: 'gpt-4o', weight: 1 },
    ],
  };
  const onlyB = { name: 'gpt-b', targets: [{ backend: Backend.openAi({ baseUrl: `${simB.url}/v1`, apiKey: key }), model: 'gpt-4o' }] };
  const slow = { name: 'gpt-slow', targets: [{ backend: Backend.openAi({ baseUrl: `${slowSim.url}/v1`, apiKey: key }), model: 'gpt-4o' }] };
  const chat = gateway.addModelRoute('chat', { models: [models.gpt4o, models.deepseek, pair, onlyB, slow] });
  const team = gateway.addModelRoute('team', { pathPrefix: '/team', models: [models.gpt4o] });
  const metered = gateway.addModelRoute('metered', {
    pathPrefix: '/metered',
    models: [models.gpt4o],
    policies: { rateLimits: [{ kind: 'tokens', limit: 10_000_000, window: 'hour', scope: 'consumer' }] },
  });
  for (const name of ['alice', 'bob'] as const) {
    gateway.addConsumer(name, { apiKey: { secretName: 'consumer-keys', key: name }, grants: { routes: [chat, team, metered] } });
  }
  return gateway;
}

beforeAll(async () => {
  [sim, simB, slowSim, redis] = await Promise.all([
    UpstreamSimulator.start({ name: 'a' }),
    UpstreamSimulator.start({ name: 'b' }),
    UpstreamSimulator.start({ name: 'slow', chunkDelayMs: 150, streamChunks: 4 }),
    startRedisServer(),
  ]);
  const shared = (c: GatewayConfig): GatewayConfig => ({ ...c, redis: { address: redis.address, keyPrefix: 'aigw-stored:' } });
  [gw, replica] = await Promise.all([start(fleetGateway(), shared), start(fleetGateway(), shared)]);
  alice = client(gw, CONSUMER_KEYS.alice);
  bob = client(gw, CONSUMER_KEYS.bob);
  aliceOnReplica = client(replica, CONSUMER_KEYS.alice);
});
afterAll(async () => {
  await Promise.all([gw?.close(), replica?.close()]);
  await Promise.all([sim?.close(), simB?.close(), slowSim?.close(), redis?.stop()]);
});
beforeEach(() => {
  sim.reset();
  simB.reset();
});

/** The paths the simulators were asked for, in order. */
function upstreamCalls(): string[] {
  return [...sim.requests, ...simB.requests].map((r) => `${r.method} ${r.path}`);
}

describe('the consumer who created a response reaches it, on either replica', () => {
  test('retrieve, input items and delete, at the backend that keeps it', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'Remember the number 42' });
    const retrieved = await aliceOnReplica.responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output_text).toBe(created.output_text);
    const items = await aliceOnReplica.responses.inputItems.list(created.id, { order: 'asc', limit: 5 });
    expect(items.data[0]).toMatchObject({ type: 'message', role: 'user' });
    const listed = sim.requests.at(-1)!;
    expect(listed.path).toBe(`/v1/responses/${created.id}/input_items`);
    expect(listed.query).toEqual({ order: 'asc', limit: '5' });
    // The backend hears the gateway's key, never the consumer's.
    expect(listed.headers.authorization).toBe('Bearer sk-upstream-secret-0123456789');

    await expect(alice.responses.delete(created.id)).resolves.toMatchObject({ id: created.id, deleted: true });
    await expect(aliceOnReplica.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    expect(upstreamCalls()).toEqual([
      'POST /v1/responses',
      `GET /v1/responses/${created.id}`,
      `GET /v1/responses/${created.id}/input_items`,
      `DELETE /v1/responses/${created.id}`,
    ]);
  });

  test('a streamed response is recorded from its response.created event', async () => {
    const stream = await alice.responses.create({ model: 'gpt-4o', input: 'Stream something to keep', stream: true });
    let id = '';
    for await (const event of stream as AsyncIterable<ResponseStreamEvent>) if (event.type === 'response.created') id = event.response.id;
    expect(id).toMatch(/^resp_/);
    const retrieved = await aliceOnReplica.responses.retrieve(id);
    expect(retrieved.status).toBe('completed');
  });

  test('a response is reachable as soon as its stream names it: retrieved on the other replica while it still streams', async () => {
    const stream = await alice.responses.create({ model: 'gpt-slow', input: 'A long answer, please', stream: true });
    let during: Promise<unknown> | undefined;
    let done = false;
    for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
      if (event.type === 'response.created') during = aliceOnReplica.responses.retrieve(event.response.id).finally(() => expect(done).toBe(false));
      if (event.type === 'response.completed') done = true;
    }
    await expect(during).resolves.toMatchObject({ object: 'response' });
  });

  test('previous_response_id continues the conversation at the backend that keeps it, whichever the weights would pick', async () => {
    let previous = await alice.responses.create({ model: 'gpt-pair', input: 'My name is Ada.' });
    const keeper = sim.requests.length === 1 ? sim : simB;
    for (let turn = 0; turn < 6; turn++) {
      previous = await aliceOnReplica.responses.create({ model: 'gpt-pair', input: `Turn ${turn}`, previous_response_id: previous.id });
      expect(previous.status).toBe('completed');
    }
    // Every turn went to the account that kept the first response (the other would not know it: 400).
    expect(keeper.requests).toHaveLength(7);
  });

  test('a background response: created, retrieved and cancelled', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'Work on this in the background', background: true });
    expect(created.background).toBe(true);
    await expect(alice.responses.retrieve(created.id)).resolves.toMatchObject({ id: created.id });
    await expect(alice.responses.cancel(created.id)).resolves.toMatchObject({ id: created.id });
    expect(upstreamCalls().at(-1)).toBe(`POST /v1/responses/${created.id}/cancel`);
  });
});

describe('nobody else reaches it, and the backend never hears of their attempt', () => {
  test("another consumer's retrieve, input items, delete, cancel and continuation are 404 / 400, as for an id that never was", async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'Private to Alice' });
    sim.reset();
    for (const call of [
      () => bob.responses.retrieve(created.id),
      () => bob.responses.inputItems.list(created.id),
      () => bob.responses.delete(created.id),
      () => bob.responses.cancel(created.id),
      () => alice.responses.retrieve('resp_neverissued0000'),
    ]) {
      await expect(call()).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    }
    await expect(bob.responses.create({ model: 'gpt-4o', input: 'What did Alice say?', previous_response_id: created.id })).rejects.toMatchObject({
      status: 400,
      code: 'previous_response_not_found',
      param: 'previous_response_id',
    });
    expect(upstreamCalls()).toEqual([]);
    // Still Alice's: Bob's delete deleted nothing.
    await expect(alice.responses.retrieve(created.id)).resolves.toMatchObject({ id: created.id });
  });

  test('previous_response_id with a model its backend does not serve: 400 naming both, and no backend is asked', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'On account A' });
    sim.reset();
    await expect(alice.responses.create({ model: 'gpt-b', input: 'Continue on B', previous_response_id: created.id })).rejects.toMatchObject({
      status: 400,
      code: 'previous_response_elsewhere',
      message: expect.stringContaining("model 'gpt-b'"),
    });
    expect(upstreamCalls()).toEqual([]);
  });

  test('a field given twice cannot show the gateway one value and the backend another', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'Alice only' });
    const own = await bob.responses.create({ model: 'gpt-4o', input: 'Bob' });
    sim.reset();
    const body = `{"model":"gpt-4o","input":"x","previous_response_id":"${created.id}","previous_response_id":"${own.id}"}`;
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'authorization': `Bearer ${CONSUMER_KEYS.bob}`, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'duplicate_key', param: 'previous_response_id' } });
    expect(upstreamCalls()).toEqual([]);
  });

  test.each([
    ['an item_reference', { type: 'item_reference', id: 'msg_someone_elses' }],
    ['an item named by its id alone', { id: 'msg_someone_elses' }],
  ])('%s in input is refused: the backend would resolve any consumer’s stored item', async (_what, item) => {
    await expect(bob.responses.create({ model: 'gpt-4o', input: [item] as never })).rejects.toMatchObject({ status: 400, param: 'input[0].type' });
    await expect(bob.responses.create({ model: 'gpt-4o', input: 'x', conversation: 'conv_someone_elses' })).rejects.toMatchObject({ status: 400, param: 'conversation' });
    expect(upstreamCalls()).toEqual([]);
  });

  test('the same consumer on another route: 404 (a response is reached on the route that created it)', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'On the chat route' });
    sim.reset();
    await expect(client(gw, CONSUMER_KEYS.alice, '/team').responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    expect(upstreamCalls()).toEqual([]);
  });

  test('a response created with store: false is not recorded: 404 without asking the backend', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'Not kept', store: false });
    sim.reset();
    await expect(alice.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    expect(upstreamCalls()).toEqual([]);
  });

  test.each([
    ['an encoded traversal in the id', '/v1/responses/resp_1%2F..%2F..%2Fmodels', 'GET', 404],
    ['a dot-dot id, sent as written', '/v1/responses/../responses/resp_1', 'GET', 404],
    ['an encoded dot-dot id', '/v1/responses/%2E%2E/resp_1', 'GET', 404],
    ['an unknown action', '/v1/responses/resp_1/steal', 'GET', 404],
    ['a method the path does not take', '/v1/responses/resp_1', 'PUT', 405],
    ['cancel by GET', '/v1/responses/resp_1/cancel', 'GET', 405],
  ])('%s: refused before any lookup or upstream call', async (_what, path, method, status) => {
    // Byte for byte: fetch would resolve a `..` before sending it.
    const res = await rawRequest(gw.url, `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(status);
    if (status === 405) expect(res.head).toMatch(/\r\nallow: (GET, DELETE|POST)\r?$/im);
    expect(upstreamCalls()).toEqual([]);
  });

  test('a query parameter the call does not take is refused, naming it', async () => {
    const created = await alice.responses.create({ model: 'gpt-4o', input: 'x' });
    sim.reset();
    const res = await fetch(`${gw.url}/v1/responses/${created.id}?stream=false&redirect=http://169.254.169.254/`, { headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: 'redirect', message: expect.stringContaining("'redirect'") } });
    expect(upstreamCalls()).toEqual([]);
  });

  test('without credentials: 401 before anything is looked up', async () => {
    const res = await fetch(`${gw.url}/v1/responses/resp_anything`);
    expect(res.status).toBe(401);
  });
});

test('background on a route that limits tokens is refused, naming the route and the fix (its usage would come after the request)', async () => {
  await expect(client(gw, CONSUMER_KEYS.alice, '/metered').responses.create({ model: 'gpt-4o', input: 'x', background: true })).rejects.toMatchObject({
    status: 400,
    param: 'background',
    message: expect.stringContaining("route 'metered' limits tokens"),
  });
  expect(upstreamCalls()).toEqual([]);
});

test('input_tokens and compact still say they are not served', async () => {
  for (const [path, fix] of [['input_tokens', 'count_tokens'], ['compact', 'shorten it']]) {
    const res = await fetch(`${gw.url}/v1/responses/${path}`, { method: 'POST', headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(501);
    expect(await res.json()).toMatchObject({ error: { code: 'endpoint_not_served', message: expect.stringContaining(fix) } });
  }
});

describe('without Redis', () => {
  let local: TestGateway;
  beforeAll(async () => {
    local = await start(fleetGateway(), (c) => ({ ...c, redis: undefined }));
  });
  afterAll(() => local?.close());

  test('one replica keeps the records in memory: its consumer reaches the response, another does not', async () => {
    const created = await client(local, CONSUMER_KEYS.alice).responses.create({ model: 'gpt-4o', input: 'Kept in memory' });
    await expect(client(local, CONSUMER_KEYS.alice).responses.retrieve(created.id)).resolves.toMatchObject({ id: created.id });
    await expect(client(local, CONSUMER_KEYS.bob).responses.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
  });
});

test('Redis down: a call by id is a 503 that says to retry, not a 404 that says the response is gone', async () => {
  const created = await alice.responses.create({ model: 'gpt-4o', input: 'Before the outage' });
  await redis.stop();
  try {
    await expect(alice.responses.retrieve(created.id)).rejects.toMatchObject({ status: 503, code: 'stored_responses_unavailable' });
    await expect(alice.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: created.id })).rejects.toMatchObject({ status: 503, code: 'stored_responses_unavailable' });
  } finally {
    await redis.restart();
  }
});
