import Anthropic from '@anthropic-ai/sdk';
import { CONSUMER_KEYS, gatewayStack, modelsOnEveryApi, start } from './harness';
import { UpstreamSimulator } from '../../src/simulator';
import type { TestGateway } from '../../src/testing';
import { startRedisServer, type TestRedisServer } from '../support/redis-server';

/**
 * `POST /v1/messages/count_tokens` (what Claude Code calls before a long prompt), with the official
 * Anthropic SDK: passed to an Anthropic backend; estimated by the gateway for an OpenAI-compatible one,
 * and said so in a header. Either way in Anthropic's shape, and no token is charged for counting.
 */
let sim: UpstreamSimulator;
let gw: TestGateway;
let anthropic: Anthropic;
let redis: TestRedisServer;

beforeAll(async () => {
  sim = await UpstreamSimulator.start({ name: 'count-tokens' });
  redis = await startRedisServer();
  const gateway = gatewayStack();
  const models = modelsOnEveryApi(sim);
  const route = gateway.addModelRoute('chat', {
    models: [
      models.claude,
      models.deepseek,
    ],
    // Two tokens a minute: a count that charged even one token would leave none by the third call.
    policies: { rateLimits: [{ kind: 'tokens', limit: 2, window: 'minute', scope: 'consumer' }], onRedisUnavailable: 'failClosed' },
  });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  gw = await start(gateway, (c) => ({ ...c, redis: { address: redis.address, keyPrefix: `count-${Date.now()}:` } }));
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
  await redis?.stop();
});
beforeEach(() => sim.reset());

const MESSAGES = [{ role: 'user' as const, content: 'How many tokens is this sentence, roughly? '.repeat(10) }];

test('an Anthropic backend counts: the request goes to its count_tokens endpoint', async () => {
  const { data, response } = await anthropic.messages.countTokens({ model: 'claude-sonnet-4', messages: MESSAGES }).withResponse();
  expect(data.input_tokens).toBeGreaterThan(0);
  expect(response.headers.get('x-aigw-token-count')).toBeNull();
  expect(sim.requests.map((r) => r.path)).toEqual(['/v1/messages/count_tokens']);
});

test('an OpenAI-compatible backend cannot: the gateway estimates, says so, and calls nobody', async () => {
  for (let i = 0; i < 4; i++) {
    const { data, response } = await anthropic.messages.countTokens({ model: 'deepseek-chat', messages: MESSAGES, system: 'Be brief.' }).withResponse();
    // About four characters a token: 430 characters of prompt, plus framing.
    expect(data.input_tokens).toBeGreaterThan(100);
    expect(data.input_tokens).toBeLessThan(200);
    expect(response.headers.get('x-aigw-token-count')).toBe('estimated');
    // Admission holds one token while the call runs (the header is written then); the answer settles it to none.
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('1');
  }
  expect(sim.requests).toHaveLength(0);
});

test('the estimate reads what Claude Code sends: tool calls, tool results, thinking', async () => {
  const big = 'result line of a tool, '.repeat(400); // 9,200 characters
  const data = await anthropic.messages.countTokens({
    model: 'deepseek-chat',
    messages: [
      { role: 'user', content: 'list files' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls '.repeat(300) } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: big }] }] },
    ],
  });
  // About four characters a token: 9,200 of tool result and 900 of tool input are about 2,500 tokens.
  expect(data.input_tokens).toBeGreaterThan(2400);
  expect(data.input_tokens).toBeLessThan(2700);
});

test('a bad body is refused in Anthropic shape', async () => {
  const res = await fetch(`${gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': CONSUMER_KEYS.alice, 'content-type': 'application/json' }, body: '{"model": 1' });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
});
