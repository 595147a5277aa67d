import OpenAI from 'openai';
import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from './harness';
import { Backend } from '../../src';
import type { TestGateway } from '../../src/testing';

/**
 * A translated answer (an OpenAI client on an Anthropic backend) is read whole before it is mapped. When
 * the backend breaks off mid-body, its head and most of a billed generation have arrived: the client gets
 * a 502 with a status, the backend is charged, and the request is never sent again (a proxy does not
 * retry once an upstream's headers arrived).
 */
let claude: AgentUpstream;
let gw: TestGateway;

beforeAll(async () => {
  claude = await agentUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
    res.write('{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Half an ans');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const gateway = gatewayStack();
  const backend = new Backend({ provider: 'anthropic', baseUrl: `${claude.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'claude-sonnet-4', targets: [{ backend }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat] } });
  gw = await start(gateway);
});

afterAll(async () => {
  await gw.close();
  await claude.close();
});

test('a translated answer cut mid-body is a 502, charged to the backend, and not sent again', async () => {
  const err = await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 })
    .chat.completions.create({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }] })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  expect(claude.seen).toHaveLength(1);
  expect(gw.logs.some((l) => l.msg === 'unhandled error in the request path')).toBe(false);
});
