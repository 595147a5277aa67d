import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { UpstreamSimulator } from '../../../src/simulator';
import type { GatewayConfig } from '../../../src/specs';
import { startTestGateway, type TestGateway } from '../../../src/testing';
import { startRedisServer, type TestRedisServer } from '../../support/redis-server';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend } from '../harness';

/**
 * Agents exposed as models (`asModel`), driven with the official OpenAI and Anthropic clients through a
 * real gateway, against the bundled simulators of Dify and DashScope applications.
 */
const CAROL = 'sk-carol-test-key';
const AGENT_KEY = 'app-dify-secret-key-0123456789';

interface Fixture {
  gw: TestGateway;
  sim: UpstreamSimulator;
  close(): Promise<void>;
}

async function fixture(options: { tokenLimit?: number; redis?: TestRedisServer } = {}): Promise<Fixture> {
  const sim = await UpstreamSimulator.start({ streamChunks: 3, name: 'agents' });
  const gateway = gatewayStack();
  const backend = simulatedBackend(sim, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  const agentKey = { secretName: 'agent-keys', key: 'dify' };
  const support = gateway.addAgentRoute('support', {
    kind: 'dify',
    pathPrefix: '/agents/support',
    baseUrl: `${sim.url}/v1`,
    apiKey: agentKey,
    asModel: 'support-bot',
    ...(options.tokenLimit !== undefined && { policies: { rateLimits: [{ kind: 'tokens', limit: options.tokenLimit, window: 'minute', scope: 'consumer' }] } }),
  });
  const helper = gateway.addAgentRoute('helper', { kind: 'model-studio', pathPrefix: '/agents/helper', baseUrl: `${sim.url}/api/v1`, appId: 'app-7', apiKey: agentKey, asModel: 'helper-bot' });
  const flow = gateway.addAgentRoute('flow', { kind: 'dify', appType: 'workflow', pathPrefix: '/agents/flow', baseUrl: `${sim.url}/v1`, apiKey: agentKey, asModel: 'flow-bot', surfaceAgentEvents: true });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat, support, helper, flow] } });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [support] } });
  gateway.addConsumer('carol', { apiKey: { secretName: 'consumer-keys', key: 'carol' }, grants: { routes: [chat] } });
  const redis = options.redis;
  const gw = await startTestGateway(gateway, {
    ...(redis && { transform: (c: GatewayConfig): GatewayConfig => ({ ...c, redis: { address: redis.address, keyPrefix: `aigw:${Date.now()}:` } }) }),
    secrets: {
      'consumer-keys/alice': CONSUMER_KEYS.alice,
      'consumer-keys/bob': CONSUMER_KEYS.bob,
      'consumer-keys/carol': CAROL,
      'llm-keys/openai': 'sk-upstream-secret-0123456789',
      'agent-keys/dify': AGENT_KEY,
    },
  });
  return { gw, sim, close: async () => void (await Promise.all([gw.close(), sim.close()])) };
}

const openai = (gw: TestGateway, apiKey: string = CONSUMER_KEYS.alice, prefix = '') => new OpenAI({ baseURL: `${gw.url}${prefix}/v1`, apiKey, maxRetries: 0 });
const anthropic = (gw: TestGateway, apiKey: string = CONSUMER_KEYS.alice) => new Anthropic({ baseURL: gw.url, apiKey, maxRetries: 0 });
/** The last request the simulator received on a path ending in `suffix`. */
const lastBody = (sim: UpstreamSimulator, suffix: string) => {
  const found = [...sim.requests].reverse().find((r) => r.path.endsWith(suffix));
  if (!found) throw new Error(`no request to ${suffix}`);
  return found.body as Record<string, unknown>;
};

describe('a Dify chat app as a model on /v1/chat/completions', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(async () => f.close());

  test('non-streamed: the answer, its usage and the conversation header; the Dify user is the consumer, never a key', async () => {
    const { data, response } = await openai(f.gw)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 50, temperature: 0.2 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('support-bot');
    expect(data.choices[0].message.content).toBe('Dify heard "hello there" (turn 1 of conversation, user aigw:consumer:alice)');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-aigw-conversation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const sent = lastBody(f.sim, '/chat-messages');
    expect(sent).toMatchObject({ query: 'hello there', response_mode: 'blocking', user: 'aigw:consumer:alice', inputs: {} });
    expect(JSON.stringify(sent)).not.toContain(CONSUMER_KEYS.alice);
    // The agent's key goes upstream as a Bearer token.
    expect([...f.sim.requests].reverse().find((r) => r.path.endsWith('/chat-messages'))!.headers.authorization).toBe(`Bearer ${AGENT_KEY}`);
  });

  test('conversation continuity: the header sent back continues it, and only the last user message is the query', async () => {
    const client = openai(f.gw);
    const first = await client.chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'my name is Ada' }] }).withResponse();
    const conversation = first.response.headers.get('x-aigw-conversation-id')!;
    const history: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: first.data.choices[0].message.content! },
      { role: 'user', content: 'what is my name?' },
    ];
    const second = await client.chat.completions.create({ model: 'support-bot', messages: history }, { headers: { 'x-aigw-conversation-id': conversation } }).withResponse();
    expect(second.data.choices[0].message.content).toBe('Dify heard "what is my name?" (turn 2 of conversation, user aigw:consumer:alice)');
    expect(second.response.headers.get('x-aigw-conversation-id')).toBe(conversation);
    expect(lastBody(f.sim, '/chat-messages')).toMatchObject({ query: 'what is my name?', conversation_id: conversation });
    // metadata.conversation_id works the same way.
    const third = await client.chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'again' }], metadata: { conversation_id: conversation } });
    expect(third.choices[0].message.content).toContain('(turn 3 of conversation');
  });

  test('history without a conversation id is refused, naming the field and the fix (nothing is silently dropped)', async () => {
    const err = await openai(f.gw)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/x-aigw-conversation-id/);
  });

  test('streamed with include_usage: deltas, a usage chunk, the conversation header', async () => {
    const { data: stream, response } = await openai(f.gw)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('x-aigw-conversation-id')).toMatch(/^[0-9a-f-]{36}$/);
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Dify heard "stream please" (turn 1 of conversation, user aigw:consumer:alice)');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(lastBody(f.sim, '/chat-messages')).toMatchObject({ response_mode: 'streaming' });
  });

  test("an error event mid-stream ends the stream with an error the SDK throws, and is recorded as the agent's error", async () => {
    const stream = await openai(f.gw).chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'boom [[error]]' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    const line = [...f.gw.logs].reverse().find((l) => l.route === 'support');
    expect(line).toMatchObject({ error: 'agent_stream_failed', status: 200 });
  });

  test('an error event before any byte is an HTTP error with its status', async () => {
    const err = await openai(f.gw)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: '[[error-first]]' }], stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/agent of route 'support' failed/);
  });

  test('per-consumer users: bob cannot continue alice’s conversation, and his user is his own', async () => {
    const alice = await openai(f.gw).chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'secret plan' }] }).withResponse();
    const conversation = alice.response.headers.get('x-aigw-conversation-id')!;
    const mine = await openai(f.gw, CONSUMER_KEYS.bob).chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'hi' }] });
    expect(mine.choices[0].message.content).toContain('user aigw:consumer:bob');
    const err = await openai(f.gw, CONSUMER_KEYS.bob)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'continue' }] }, { headers: { 'x-aigw-conversation-id': conversation } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    // The client's own `user` field is not passed on this route (userMapping: consumer).
    const spoof = await openai(f.gw, CONSUMER_KEYS.bob).chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'x' }], user: 'aigw:consumer:alice' });
    expect(spoof.choices[0].message.content).toContain('user aigw:consumer:bob');
  });

  test('grants: the agent route decides who may use its model; /v1/models lists it to them only', async () => {
    const ids = async (key: string, prefix = '') => (await openai(f.gw, key, prefix).models.list()).data.map((m) => m.id).sort();
    expect(await ids(CONSUMER_KEYS.alice)).toEqual(['flow-bot', 'gpt-4o', 'helper-bot', 'support-bot']);
    expect(await ids(CONSUMER_KEYS.bob)).toEqual(['support-bot']);
    expect(await ids(CAROL)).toEqual(['gpt-4o']);
    expect(await ids(CONSUMER_KEYS.alice, '/agents/support')).toEqual(['support-bot']);
    await expect(openai(f.gw, CAROL).chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(openai(f.gw, CONSUMER_KEYS.bob).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  test('GET /v1/models/{id}: a model the consumer may use, else 404 as for one that does not exist', async () => {
    expect(await openai(f.gw).models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'chat' });
    expect(await openai(f.gw, CONSUMER_KEYS.bob).models.retrieve('support-bot')).toMatchObject({ id: 'support-bot', object: 'model', owned_by: 'support' });
    await expect(openai(f.gw, CONSUMER_KEYS.bob).models.retrieve('gpt-4o')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openai(f.gw, CAROL).models.retrieve('support-bot')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openai(f.gw).models.retrieve('no/such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const res = await fetch(`${f.gw.url}/v1/models/%E0%A4%A`, { headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  test("under the agent route's own prefix, with the agent's metrics label", async () => {
    const out = await openai(f.gw, CONSUMER_KEYS.bob, '/agents/support').chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'own prefix' }] });
    expect(out.choices[0].message.content).toContain('Dify heard "own prefix"');
    const metrics = await (await fetch(`${f.gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_requests_total\{[^}]*route="support"[^}]*\} [1-9]/);
  });

  test('Anthropic /v1/messages reaches the agent through the existing translation, streamed and not', async () => {
    const msg = await anthropic(f.gw).messages.create({ model: 'support-bot', max_tokens: 100, messages: [{ role: 'user', content: 'hola' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Dify heard "hola" (turn 1 of conversation, user aigw:consumer:alice)' });
    const stream = anthropic(f.gw).messages.stream({ model: 'support-bot', max_tokens: 100, messages: [{ role: 'user', content: 'hola stream' }] });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Dify heard "hola stream" (turn 1 of conversation, user aigw:consumer:alice)' });
  });

  test('count_tokens on the agent: the gateway estimates, on the root and under its prefix, calling no agent', async () => {
    const calls = f.sim.requests.length;
    for (const base of [f.gw.url, `${f.gw.url}/agents/support`]) {
      const client = new Anthropic({ baseURL: base, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
      const { data, response } = await client.messages.countTokens({ model: 'support-bot', messages: [{ role: 'user', content: 'how long is this' }] }).withResponse();
      expect(data.input_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-aigw-token-count')).toBe('estimated');
    }
    expect(f.sim.requests.length).toBe(calls);
  });

  test('the Responses API reaches the agent through its chat translation, streamed and not, on the root and under its prefix', async () => {
    const response = await openai(f.gw).responses.create({ model: 'support-bot', input: 'hola responses' });
    expect(response.output_text).toBe('Dify heard "hola responses" (turn 1 of conversation, user aigw:consumer:alice)');
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    const stream = await openai(f.gw, CONSUMER_KEYS.bob, '/agents/support').responses.create({ model: 'support-bot', input: 'hola stream', stream: true });
    let text = '';
    let completed = false;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = true;
    }
    expect(text).toBe('Dify heard "hola stream" (turn 1 of conversation, user aigw:consumer:bob)');
    expect(completed).toBe(true);
  });

  test('a Dify workflow app: the query in its input variable, the answer from its output; node events surfaced when asked', async () => {
    const out = await openai(f.gw).chat.completions.create({ model: 'flow-bot', messages: [{ role: 'user', content: 'run it' }] });
    expect(out.choices[0].message.content).toBe('Dify workflow ran with inputs {"query":"run it"} (user aigw:consumer:alice)');
    const stream = await openai(f.gw).chat.completions.create({ model: 'flow-bot', messages: [{ role: 'user', content: 'run it' }], stream: true });
    let text = '';
    const events: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      const extra = (chunk as unknown as { aigw_agent_event?: { event: string } }).aigw_agent_event;
      if (extra) events.push(extra.event);
    }
    expect(text).toBe('Dify workflow ran with inputs {"query":"run it"} (user aigw:consumer:alice)');
    expect(events).toContain('node_started');
  });
});

describe('a Model Studio application as a model', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(async () => f.close());

  test('history goes as messages; the session id comes back and continues the session', async () => {
    const client = openai(f.gw);
    const first = await client.chat.completions
      .create({ model: 'helper-bot', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }, { role: 'user', content: 'how are you' }] })
      .withResponse();
    expect(first.data.choices[0].message.content).toBe('App app-7 heard "how are you" (turn 1, 4 messages)');
    const session = first.response.headers.get('x-aigw-conversation-id')!;
    expect(session).toMatch(/^[0-9a-f]{32}$/);
    expect(lastBody(f.sim, '/apps/app-7/completion')).toMatchObject({ input: { messages: [{ role: 'system' }, { role: 'user' }, { role: 'assistant' }, { role: 'user', content: 'how are you' }] } });
    const stream = await client.chat.completions.create(
      { model: 'helper-bot', messages: [{ role: 'user', content: 'and now?' }], stream: true, stream_options: { include_usage: true } },
      { headers: { 'x-aigw-conversation-id': session } },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('App app-7 heard "and now?" (turn 2)');
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(lastBody(f.sim, '/apps/app-7/completion')).toMatchObject({ input: { prompt: 'and now?', session_id: session }, parameters: { incremental_output: true } });
  });
});

describe('token limits on an agent exposed as a model', () => {
  let redis: TestRedisServer;
  let f: Fixture;
  beforeAll(async () => {
    redis = await startRedisServer();
    f = await fixture({ tokenLimit: 40, redis });
  });
  afterAll(async () => {
    await f.close();
    await redis.stop();
  });

  test("the agent's reported usage is charged to its route: past the limit the next call is refused with 429", async () => {
    const client = openai(f.gw);
    const ask = () => client.chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'count my tokens please, a fairly long question' }] });
    await ask();
    const refused = await (async () => {
      for (let i = 0; i < 5; i++) await ask();
      return undefined;
    })().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
