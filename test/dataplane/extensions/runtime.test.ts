import OpenAI from 'openai';
import { compileExtensions, NO_EXTENSIONS } from '../../../src/dataplane/extensions/compile';
import type { GatewayConfig } from '../../../src/specs';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from '../harness';

// The gateway resolves system extensions from the package's catalog: the tests' own extensions are added to it.
jest.mock('../../../src/extensions/system', () => {
  const actual = jest.requireActual<typeof import('../../../src/extensions/system')>('../../../src/extensions/system');
  const { systemCatalogWithTests } = jest.requireActual<typeof import('./test-extensions')>('./test-extensions');
  return { ...actual, SYSTEM_EXTENSIONS: systemCatalogWithTests(actual.SYSTEM_EXTENSIONS) };
});

type Entry = GatewayConfig['extensions'][number];

function ext(name: string, over: Partial<Entry> = {}): Entry {
  return { name, source: 'system', phase: 'default', priority: 0, failPolicy: 'closed', enabled: true, config: {}, ...over } as Entry;
}

describe('extensions in the data plane', () => {
  let sim: UpstreamSimulator;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
  });
  afterAll(() => sim.close());

  /** A gateway with one model route (`m` on the simulator), alice granted, and these extensions. */
  async function gatewayWith(extensions: Entry[], more: (c: GatewayConfig) => GatewayConfig = (c) => c): Promise<TestGateway> {
    const gateway = gatewayStack();
    const backend = simulatedBackend(sim, { provider: 'openai' });
    const chat = gateway.addModelRoute('chat', {
      models: [
        { name: 'm', targets: [{ backend }] },
        { name: 'alias', targets: [{ backend, model: 'not-m' }] },
      ],
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat] } });
    return start(gateway, (c) => more({ ...c, redis: undefined, extensions }));
  }

  const ask = (gw: TestGateway, headers: Record<string, string> = {}) =>
    client(gw).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hello' }] }, { headers }).withResponse();

  async function metrics(gw: TestGateway): Promise<string> {
    return (await fetch(`${gw.adminUrl}/metrics`)).text();
  }

  test('a gateway without extensions has an empty array for every hook', () => {
    const problems: string[] = [];
    expect(compileExtensions([], problems)).toBe(NO_EXTENSIONS);
    expect(compileExtensions([ext('tag-a', { enabled: false })], problems)).toBe(NO_EXTENSIONS);
    const none = { all: [], onRequest: [], onResponse: [], onStreamChunk: [], onStreamEnd: [], onLog: [], onToolCall: [], onToolResult: [] };
    expect(NO_EXTENSIONS).toEqual({ ...none, onAdmin: new Map() });
    expect(problems).toEqual([]);
  });

  test('an unknown extension, or a config its parseConfig refuses, is a config problem naming it', () => {
    const problems: string[] = [];
    compileExtensions([ext('no-such-thing')], problems);
    compileExtensions([ext('tag-a'), ext('tag-a')], problems, () => ({ name: 'tag-a' }));
    compileExtensions([ext('picky', { config: { size: -1 } })], problems, () => ({
      name: 'picky',
      parseConfig: () => {
        throw new Error('size must be positive');
      },
    }));
    expect(problems).toEqual([
      expect.stringMatching(/^extensions\[0\] \(no-such-thing\): 'no-such-thing' is not a system extension/),
      expect.stringMatching(/^extensions\[1\] \(tag-a\): extensions\[0\] has the same name/),
      'extensions[0] (picky): its config is refused: size must be positive',
    ]);
  });

  test('hooks run by phase, then priority (descending), then declaration order; the order is logged at load', async () => {
    await using gw = await gatewayWith([
      ext('tag-a', { phase: 'default', priority: 10 }),
      ext('tag-b', { phase: 'authn', priority: 1 }),
      ext('tag-c', { phase: 'default', priority: 10 }),
      ext('tag-d', { phase: 'stats', priority: 500 }),
    ]);
    const before = sim.requests.length;
    const { data } = await ask(gw);
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(sim.requests.slice(before)[0]?.headers['x-order']).toBe('tag-b,tag-d,tag-a,tag-c');
    const loaded = gw.logs.find((l) => l.msg === 'extensions loaded, in run order');
    expect(loaded?.extensions).toEqual(['authn/1/tag-b', 'stats/500/tag-d', 'default/10/tag-a', 'default/10/tag-c']);
  });

  test('respond answers the request: nothing reaches the upstream; onResponse sets a response header', async () => {
    await using gw = await gatewayWith([ext('tagger')]);
    const before = sim.requests.length;
    const blocked = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', 'x-block': '1' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(blocked.status).toBe(403);
    expect(await blocked.json()).toEqual({ error: { message: 'blocked by tagger' } });
    expect(sim.requests.length).toBe(before);
    const { response } = await ask(gw);
    expect(response.headers.get('x-tagger')).toBe('on');
    expect(sim.requests.length).toBe(before + 1);
  });

  test('a throwing hook under failPolicy closed: a 500 JSON error, nothing upstream, and the next request is served', async () => {
    await using gw = await gatewayWith([ext('thrower', { failPolicy: 'closed' })]);
    const before = sim.requests.length;
    const failed = await ask(gw, { 'x-throw': '1' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failed as InstanceType<typeof OpenAI.InternalServerError>).error).toMatchObject({ code: 'extension_failed', type: 'api_error' });
    expect((failed as Error).message).toContain("Extension 'thrower' failed in its onRequest hook");
    expect(sim.requests.length).toBe(before);
    const { response } = await ask(gw);
    expect(response.status).toBe(200);
    expect(await metrics(gw)).toMatch(/aigw_extension_errors_total\{[^}]*extension="thrower",hook="onRequest"[^}]*\} 1/);
    const logged = gw.logs.find((l) => l.msg === 'extension hook failed');
    expect(logged).toMatchObject({ extension: 'thrower', hook: 'onRequest', error: 'thrower was asked to throw', failPolicy: 'closed' });
  });

  test('a throwing hook under failPolicy open: skipped, the request is served', async () => {
    await using gw = await gatewayWith([ext('thrower', { failPolicy: 'open' })]);
    const { response } = await ask(gw, { 'x-throw': '1' });
    expect(response.status).toBe(200);
    expect(await metrics(gw)).toMatch(/aigw_extension_errors_total\{[^}]*extension="thrower",hook="onRequest"[^}]*\} 1/);
  });

  test('an async hook over its budget is abandoned: closed answers 504, open serves; both counted', async () => {
    await using gw = await gatewayWith([ext('sleeper', { failPolicy: 'closed' })]);
    const before = sim.requests.length;
    const failed = await ask(gw, { 'x-sleep': '1' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect((failed as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'extension_timeout' });
    expect(sim.requests.length).toBe(before);
    const text = await metrics(gw);
    expect(text).toMatch(/aigw_extension_budget_overruns_total\{[^}]*extension="sleeper",hook="onRequest"[^}]*\} 1/);
    expect(text).toMatch(/aigw_extension_duration_seconds_count\{[^}]*extension="sleeper",hook="onRequest"[^}]*\} 1/);

    await using open = await gatewayWith([ext('sleeper', { failPolicy: 'open' })]);
    expect((await ask(open, { 'x-sleep': '1' })).response.status).toBe(200);
  });

  test("an extension's own budgets replace the defaults: a 300 ms hook within asyncBudgetMs 30000 is served; a 15 ms one within syncBudgetMs 1000 is no overrun", async () => {
    // Budgets far above the hooks' times, so that a loaded machine cannot make them overrun: what is checked is that they apply.
    await using gw = await gatewayWith([ext('sleeper', { failPolicy: 'closed', asyncBudgetMs: 30_000 }), ext('busy', { syncBudgetMs: 1000 })]);
    expect((await ask(gw, { 'x-sleep': '1', 'x-busy': '1' })).response.status).toBe(200);
    const text = await metrics(gw);
    expect(text).not.toMatch(/aigw_extension_budget_overruns_total\{[^}]*\} [1-9]/);
    expect(text).not.toMatch(/aigw_extension_errors_total\{[^}]*\} [1-9]/);
  });

  test("authenticate cannot make a request another consumer's once the built-in key auth admitted it on its route's grants", async () => {
    // alice is granted the route; bob, whose key a hook presents, is not: the request stays alice's.
    await using gw = await gatewayWith([ext('switcher')], (c) => ({ ...c, consumers: [...c.consumers, { ...c.consumers[0]!, name: 'bob', apiKey: { secretName: 'consumer-keys', key: 'bob' } }] }));
    const before = sim.requests.length;
    await ask(gw, { 'x-switch-key': CONSUMER_KEYS.bob });
    expect(sim.requests[before]!.headers['x-switched']).toBe('refused');
    expect(gw.logs.find((l) => l.msg === 'access')).toMatchObject({ consumer: 'alice' });
  });

  test('a synchronous hook over its budget is measured and counted, not preempted', async () => {
    await using gw = await gatewayWith([ext('busy')]);
    expect((await ask(gw, { 'x-busy': '1' })).response.status).toBe(200);
    const text = await metrics(gw);
    expect(text).toMatch(/aigw_extension_budget_overruns_total\{[^}]*extension="busy",hook="onRequest"[^}]*\} 1/);
    expect(text).not.toMatch(/aigw_extension_errors_total\{[^}]*extension="busy"[^}]*\} [1-9]/);
    expect(gw.logs.some((l) => l.msg === 'extension hook overran its synchronous time budget' && l.extension === 'busy')).toBe(true);
  });

  test('onRequest may change the model: re-routed within the route; onResponse may rewrite a JSON answer', async () => {
    await using gw = await gatewayWith([ext('mapper'), ext('body-rewriter')]);
    const before = sim.requests.length;
    const { data, response } = await client(gw)
      .chat.completions.create({ model: 'alias', messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(response.status).toBe(200);
    // The entry 'alias' would have sent 'not-m': the hook's 'm' was matched again, and its entry sent.
    expect((sim.requests[before]?.body as { model: string }).model).toBe('m');
    expect(data.choices[0]?.message.content).toMatch(/^\[rewritten\] /);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
  });

  test('onStreamChunk rewrites a streamed answer event by event; onStreamEnd runs once it ended whole', async () => {
    await using gw = await gatewayWith([ext('shout')]);
    const stream = await client(gw).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'stream please' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(text).toBe(text.toUpperCase());
    expect(text).toMatch(/[A-Z]/);
    const ended = gw.logs.find((l) => l.msg === 'stream ended' && l.extension === 'shout');
    expect(ended?.events).toBeGreaterThan(1);
    // Usage is still read and counted.
    expect(await metrics(gw)).toMatch(/gen_ai_client_token_usage_total\{[^}]*gen_ai_token_type="output"[^}]*\} [1-9]/);
  });

  test('onLog adds bounded fields to the access record, under ext.<extension>', async () => {
    await using gw = await gatewayWith([ext('stats')]);
    await ask(gw, { 'x-note': 'hello-log' });
    const access = gw.logs.filter((l) => l.msg === 'access').pop() as { ext?: Record<string, Record<string, unknown>> };
    expect(access.ext?.stats).toEqual({ note: 'hello-log', status: 200, long: 'x'.repeat(256) });
  });

  describe('KV', () => {
    let redis: TestRedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(() => redis.stop());

    test("two replicas share an extension's KV through the gateway's Redis", async () => {
      const shared = (c: GatewayConfig): GatewayConfig => ({ ...c, redis: { address: redis.address, keyPrefix: 'kvtest:' } });
      await using one = await gatewayWith([ext('counter')], shared);
      await using two = await gatewayWith([ext('counter')], shared);
      const before = sim.requests.length;
      await ask(one);
      await ask(two);
      await ask(one);
      expect(sim.requests.slice(before).map((r) => r.headers['x-count'])).toEqual(['1', '2', '3']);
    });

    test('without Redis, each replica counts in its own memory', async () => {
      await using one = await gatewayWith([ext('counter')]);
      await using two = await gatewayWith([ext('counter')]);
      const before = sim.requests.length;
      await ask(one);
      await ask(two);
      expect(sim.requests.slice(before).map((r) => r.headers['x-count'])).toEqual(['1', '1']);
    });
  });
});
