import { Backend } from '../../../src';
import { LOCAL_STATE_LIMITS, LocalMcpBus } from '../../../src/dataplane/mcp/bus';
import type { GatewayConfig } from '../../../src/specs';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { CONSUMER_KEYS, gatewayStack, start } from '../harness';

// The gateway resolves system extensions from the package's catalog: the tests' own extensions are added to it.
jest.mock('../../../src/extensions/system', () => {
  const actual = jest.requireActual<typeof import('../../../src/extensions/system')>('../../../src/extensions/system');
  const { systemCatalogWithTests } = jest.requireActual<typeof import('./test-extensions')>('./test-extensions');
  return { ...actual, SYSTEM_EXTENSIONS: systemCatalogWithTests(actual.SYSTEM_EXTENSIONS) };
});

type Entry = GatewayConfig['extensions'][number];
const ext = (name: string, over: Partial<Entry> = {}): Entry => ({ name, source: 'system', phase: 'default', priority: 0, failPolicy: 'closed', enabled: true, config: {}, ...over }) as Entry;

let sim: UpstreamSimulator;
beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'review' });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

/** A route with `claude` on an Anthropic backend whose config sets `x-backend-tag`, alice granted, and these extensions. */
async function gatewayWith(extensions: Entry[]): Promise<TestGateway> {
  const gateway = gatewayStack();
  const backend = Backend.anthropic({ baseUrl: `${sim.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'anthropic' }, headers: { 'x-backend-tag': 'from-backend' } });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'claude', targets: [{ backend, model: 'claude-sonnet-4' }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  return start(gateway, (c) => ({ ...c, redis: undefined, extensions }));
}

const messages = (gw: TestGateway, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': CONSUMER_KEYS.alice, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }),
  });

test("a client header a hook removes is not forwarded; a header it sets goes upstream, under the backend's own", async () => {
  const gw = await gatewayWith([ext('header-editor')]);
  try {
    expect((await messages(gw)).status).toBe(200);
    const sent = sim.requests[0].headers;
    expect(sent['anthropic-beta']).toBeUndefined();
    expect(sent['anthropic-version']).toBe('2023-06-01');
    expect(sent['x-extension-tag']).toBe('from-extension');
    // The backend's configured header wins over an extension's.
    expect(sent['x-backend-tag']).toBe('from-backend');
  } finally {
    await gw.close();
  }
});

test('an async hook abandoned over its budget cannot answer the request later (open: it went on without it)', async () => {
  const gw = await gatewayWith([ext('late-responder', { failPolicy: 'open' })]);
  try {
    const res = await messages(gw, { 'x-late': '1' });
    expect(res.status).toBe(200);
    expect(sim.requests).toHaveLength(1);
    // The hook answers at ~120 ms, after the upstream's answer: ignored and logged, never sent.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(gw.logs.some((l) => String(l.msg).includes('answered after its onRequest call had ended'))).toBe(true);
  } finally {
    await gw.close();
  }
});

test('the in-memory KV of a gateway without Redis is bounded: expired entries are swept, then the oldest dropped', async () => {
  const bus = new LocalMcpBus();
  const value = 'v'.repeat(1024 * 1024);
  const many = Math.ceil(LOCAL_STATE_LIMITS.chars / value.length) + 5;
  for (let i = 0; i < many; i++) await bus.set(`ext:cache:${i}`, value, 3600);
  // The first entries went, the last stayed: the values held stay within the bound.
  expect(await bus.get('ext:cache:0')).toBeUndefined();
  expect(await bus.get(`ext:cache:${many - 1}`)).toBe(value);
  let held = 0;
  for (let i = 0; i < many; i++) if ((await bus.get(`ext:cache:${i}`)) !== undefined) held++;
  expect(held * value.length).toBeLessThanOrEqual(LOCAL_STATE_LIMITS.chars);
  await bus.close();
});
