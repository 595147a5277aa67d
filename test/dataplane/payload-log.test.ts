import OpenAI from 'openai';
import { gatewayStack, simulatedBackend } from './harness';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../src/testing';

jest.setTimeout(60_000);

const KEY = 'sk-alice-payloads';
let sim: UpstreamSimulator;
let gw: TestGateway;

/** Two routes: `audited` logs payloads (card numbers redacted besides credentials, 300 bytes kept), `plain` does not. */
beforeAll(async () => {
  sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  const backend = simulatedBackend(sim, { provider: 'openai' });
  const audited = gateway.addModelRoute('audited', { pathPrefix: '/audited', models: [{ name: 'gpt-4o', targets: [{ backend }] }], logPayloads: { maxBytes: 300, redact: ['\\b\\d{4}(?:[ -]?\\d{4}){3}\\b'] } });
  const plain = gateway.addModelRoute('plain', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [audited, plain] } });
  gw = await startTestGateway(gateway, { consumers: { alice: KEY } });
});

afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

const SECRET_PROMPT = 'my key is sk-proj-abcdefghijklmnop0123 and my card 4111 1111 1111 1111, token Bearer eyJhbGciOi.payload123.sig45678';

function payloadLines(from: number) {
  return gw.logs.slice(from).filter((l) => l.msg === 'payload');
}

test('a route with logPayloads logs the prompt and the completion, with credentials and the route’s patterns redacted', async () => {
  const from = gw.logs.length;
  const openai = new OpenAI({ baseURL: `${gw.url}/audited/v1`, apiKey: KEY, maxRetries: 0 });
  const answer = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: SECRET_PROMPT }] });
  const [line] = payloadLines(from);
  expect(line).toMatchObject({ route: 'audited', consumer: 'alice', status: 200 });
  const prompt = line.prompt as string;
  expect(prompt).toContain('"role":"user"');
  for (const secret of ['sk-proj-abcdefghijklmnop0123', '4111 1111 1111 1111', 'eyJhbGciOi']) expect(prompt).not.toContain(secret);
  expect(prompt.match(/\[redacted\]/g)).toHaveLength(3);
  // The completion as the client got it, cut at 300 bytes.
  expect((line.completion as string).length).toBeLessThanOrEqual(300);
  expect(line.completion).toContain(answer.id);
});

test('a streamed completion is logged as the SSE the client got, cut at the bound and said so', async () => {
  const from = gw.logs.length;
  const openai = new OpenAI({ baseURL: `${gw.url}/audited/v1`, apiKey: KEY, maxRetries: 0 });
  const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const _ of stream) void _;
  const [line] = payloadLines(from);
  expect(line.completion).toMatch(/^data: \{/);
  expect(line.completionTruncated).toBe(true);
});

test('a route without logPayloads writes no payload line', async () => {
  const from = gw.logs.length;
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
  await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: SECRET_PROMPT }] });
  expect(payloadLines(from)).toEqual([]);
  expect(JSON.stringify(gw.logs.slice(from))).not.toContain('4111 1111');
});

test('a redaction pattern RE2 cannot run in linear time fails synth naming the route', () => {
  const gateway = gatewayStack();
  gateway.addModelRoute('r', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }], logPayloads: { redact: ['(a)\\1'] } });
  expect(() => synthesizedGatewayConfig(gateway)).toThrow(/ModelRoute .r. \(dp\/fleet\/gw\/r\): logPayloads\.redact\[0\]: is not a regular expression RE2 accepts[\s\S]*Redaction patterns use RE2 syntax/);
});
