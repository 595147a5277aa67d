import OpenAI from 'openai';
import { gatewayStack, simulatedBackend } from './harness';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../src/testing';

jest.setTimeout(60_000);

const KEYS = { alice: 'sk-alice-labels', bob: 'sk-bob-labels' };
let sim: UpstreamSimulator;
let gw: TestGateway;

/** A Dedicated gateway labelling its request counters by tenant (a header) and team (a consumer attribute), logging three fields. */
beforeAll(async () => {
  sim = await UpstreamSimulator.start();
  const gateway = gatewayStack({
    edition: 'dedicated',
    spec: 'aigw.small.x1',
    observability: {
      requestLabels: [
        { name: 'tenant', header: 'x-tenant', values: ['acme', 'globex'] },
        { name: 'team', consumerAttribute: 'team', values: ['checkout'] },
      ],
      accessLogFields: ['status', 'route', 'consumer'],
    },
  });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] }, attributes: { team: 'checkout' } });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [route] }, attributes: { team: 'data-science' } });
  gw = await startTestGateway(gateway, { consumers: KEYS });
});

afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

function chat(apiKey: string, tenant?: string) {
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0, defaultHeaders: tenant === undefined ? {} : { 'x-tenant': tenant } });
  return openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
}

/** The label sets of one family's samples on /metrics, as `name=value` lists. */
async function labelSets(family: string): Promise<Record<string, string>[]> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${family}{`))
    .map((line) => Object.fromEntries([...line.slice(family.length + 1, line.indexOf('}')).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])));
}

test('the request counters carry the declared values, `other` for any other and `none` for a missing one', async () => {
  await chat(KEYS.alice, 'acme');
  await chat(KEYS.bob, 'globex');
  await chat(KEYS.alice, 'initech');
  await chat(KEYS.bob);
  const requests = (await labelSets('aigw_requests_total')).map((l) => `${l.consumer}:${l.tenant}:${l.team}`);
  expect(requests.sort()).toEqual(['alice:acme:checkout', 'alice:other:checkout', 'bob:globex:other', 'bob:none:other']);
  const tokens = await labelSets('gen_ai_client_token_usage_total');
  expect(new Set(tokens.map((l) => l.tenant))).toEqual(new Set(['acme', 'globex', 'other', 'none']));
});

test('a client sending 200 made-up tenants creates no new series: the label stays within the declared values', async () => {
  for (let i = 0; i < 200; i++) await chat(KEYS.alice, `tenant-${i}-${'x'.repeat(i % 7)}`);
  const tenants = new Set((await labelSets('aigw_requests_total')).map((l) => l.tenant));
  expect([...tenants].sort()).toEqual(['acme', 'globex', 'none', 'other']);
});

test('access lines have the selected fields only', async () => {
  const from = gw.logs.length;
  await chat(KEYS.alice, 'acme');
  const line = gw.logs.slice(from).find((l) => l.msg === 'access')!;
  expect(line).toMatchObject({ status: 200, route: 'chat', consumer: 'alice' });
  for (const unselected of ['path', 'method', 'host', 'durationMs', 'requestedModel', 'backend']) expect(line).not.toHaveProperty(unselected);
});

test('a request label named like a built-in label, or one without a source, fails synth naming the prop', () => {
  const gateway = gatewayStack({ edition: 'dedicated', spec: 'aigw.small.x1', observability: { requestLabels: [{ name: 'route', header: 'x-route', values: ['a'] }, { name: 'team', values: ['a'] }] } });
  expect(() => synthesizedGatewayConfig(gateway)).toThrow(/observability\.requestLabels\.0\.name is already a label of the gateway's metrics[\s\S]*observability\.requestLabels\.1 takes its value from exactly one of header and consumerAttribute/);
});
