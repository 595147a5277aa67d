import OpenAI from 'openai';
import { difyUser } from '../../../src/dataplane/agents/protocol';
import { UpstreamSimulator } from '../../../src/simulator';
import { parseGatewayConfig } from '../../../src/specs';
import { startTestGateway, synthesizedGatewayConfig, type TestGateway } from '../../../src/testing';
import { agentUpstream, type AgentUpstream } from '../agent-upstream';
import { CONSUMER_KEYS, gatewayStack } from '../harness';

/** Edges of agents exposed as models: tenant names, the agent's own paths under its prefix, what an agent may put in a header, key echoes. */
const AGENT_KEY = 'app-edge-secret-key-0123456789';

async function gatewayOn(baseUrl: string, options: { cors?: boolean } = {}): Promise<TestGateway> {
  const gateway = gatewayStack();
  const support = gateway.addAgentRoute('support', {
    kind: 'dify',
    pathPrefix: '/agents/support',
    baseUrl,
    apiKey: { secretName: 'agent-keys', key: 'dify' },
    asModel: 'support-bot',
    ...(options.cors && { policies: { cors: { allowOrigins: ['https://app.example.com'] } } }),
  });
  const flow = gateway.addAgentRoute('flow', { kind: 'dify', appType: 'workflow', pathPrefix: '/agents/flow', baseUrl, apiKey: { secretName: 'agent-keys', key: 'dify' }, asModel: 'flow-bot' });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [support, flow] } });
  return startTestGateway(gateway, { secrets: { 'consumer-keys/alice': CONSUMER_KEYS.alice, 'agent-keys/dify': AGENT_KEY } });
}

const client = (gw: TestGateway, prefix = '/agents/support') => new OpenAI({ baseURL: `${gw.url}${prefix}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });

test("a consumer name's ':' cannot make two tenants one Dify user (userMapping: client)", () => {
  const route = { userMapping: 'client' as const };
  expect(difyUser(route, 'acme', 'evil')).not.toBe(difyUser(route, 'acme:evil', undefined));
  expect(difyUser(route, 'acme:evil', undefined)).toBe('aigw:consumer:acme%3Aevil');
  expect(difyUser({ userMapping: 'consumer' }, 'acme', 'anything')).toBe('aigw:consumer:acme');
});

describe('against the Dify simulator', () => {
  let sim: UpstreamSimulator;
  let gw: TestGateway;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start({ name: 'edges' });
    gw = await gatewayOn(`${sim.url}/v1`, { cors: true });
  });
  afterAll(async () => {
    await gw.close();
    await sim.close();
  });

  test("Dify's own GET <prefix>/messages stays the agent's on a route exposed as a model", async () => {
    const first = await client(gw).chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'remember me' }] }).withResponse();
    const conversation = first.response.headers.get('x-aigw-conversation-id')!;
    const res = await fetch(`${gw.url}/agents/support/messages?conversation_id=${conversation}`, { headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { query: string }[] };
    expect(body.data.map((m) => m.query)).toEqual(['remember me']);
  });

  test('metadata.conversation_id is bounded like the header, naming the field', async () => {
    const err = await client(gw)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'x' }], metadata: { conversation_id: 'c'.repeat(300) } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toMatch(/metadata\.conversation_id.*at most 256/);
  });

  test("the access line names the agent's protocol as the provider; a browser may read the conversation header", async () => {
    const res = await fetch(`${gw.url}/agents/support/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', 'origin': 'https://app.example.com' },
      body: JSON.stringify({ model: 'support-bot', messages: [{ role: 'user', content: 'cors' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-expose-headers')).toContain('x-aigw-conversation-id');
    await new Promise((r) => setTimeout(r, 20));
    expect([...gw.logs].reverse().find((l) => l.route === 'support')).toMatchObject({ provider: 'dify' });
  });
});

describe('against a Dify-format upstream that misbehaves', () => {
  let upstream: AgentUpstream;
  let gw: TestGateway;
  let mode: 'bad-conversation' | 'key-echo' | 'escaped-key' = 'bad-conversation';
  beforeAll(async () => {
    upstream = await agentUpstream((req, res) => {
      const stream = req.body.includes('"streaming"');
      if (mode === 'key-echo') {
        // Dify's blocking workflow answer, failed, its error quoting the key it was given.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ task_id: 't', workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w', status: 'failed', outputs: {}, error: `provider rejected ${AGENT_KEY}`, total_tokens: 0 } }));
        return;
      }
      // The key behind a JSON escape in its conversation id: the scrub of the answer's bytes cannot see it.
      if (mode === 'escaped-key') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"event":"message","message_id":"m","conversation_id":"\\u${AGENT_KEY.charCodeAt(0).toString(16).padStart(4, '0')}${AGENT_KEY.slice(1)}","mode":"chat","answer":"hi","created_at":1}`);
        return;
      }
      const conversation = 'conv\u0001bad';
      if (stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ event: 'message', message_id: 'm', conversation_id: conversation, answer: 'hi', created_at: 1 })}\n\ndata: ${JSON.stringify({ event: 'message_end', message_id: 'm', conversation_id: conversation, metadata: { usage: { prompt_tokens: 1, completion_tokens: 1 } } })}\n\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ event: 'message', message_id: 'm', conversation_id: conversation, mode: 'chat', answer: 'hi', metadata: { usage: { prompt_tokens: 1, completion_tokens: 1 } }, created_at: 1 }));
    });
    gw = await gatewayOn(`${upstream.url}/v1`);
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  test('a conversation id that cannot be a header is a 502 naming it, streamed and not, never a 500', async () => {
    mode = 'bad-conversation';
    for (const stream of [false, true]) {
      const err = await client(gw)
        .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'x' }], stream })
        .then(async (r) => {
          if (stream) for await (const _ of r as AsyncIterable<unknown>) void _;
          return r;
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((err as Error).message).toMatch(/x-aigw-conversation-id/);
    }
    expect(gw.logs.some((l) => l.msg === 'unhandled error in the request path')).toBe(false);
  });

  test("the agent's key hidden behind a JSON escape in its conversation id never becomes the header", async () => {
    mode = 'escaped-key';
    const err = await client(gw)
      .chat.completions.create({ model: 'support-bot', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(JSON.stringify(err)).not.toContain(AGENT_KEY);
  });

  test("a non-streamed agent error that quotes the agent's key reaches the client scrubbed", async () => {
    mode = 'key-echo';
    const err = await client(gw, '/agents/flow')
      .chat.completions.create({ model: 'flow-bot', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('provider rejected');
    expect((err as Error).message).not.toContain(AGENT_KEY);
  });
});

test("the config refuses a Model Studio route without appId (unpinned, it would reach any DashScope path with the route's key)", () => {
  const gateway = gatewayStack();
  gateway.addAgentRoute('studio', { kind: 'model-studio', appId: 'app-1', apiKey: { secretName: 'k', key: 'k' } });
  const config = structuredClone(synthesizedGatewayConfig(gateway).config);
  delete (config.agentRoutes[0] as { appId?: string }).appId;
  const parsed = parseGatewayConfig(config);
  expect(parsed.ok).toBe(false);
  expect(!parsed.ok && parsed.issues.join('\n')).toMatch(/agentRoutes\.0\.appId|appId/);
});

test('the config refuses a token rule on a custom agent, whose own paths report no usage (declared, it would count nothing)', () => {
  const gateway = gatewayStack();
  gateway.addAgentRoute('raw', { kind: 'custom', baseUrl: 'https://agents.example.com', policies: { rateLimits: [{ limit: 10, window: 'minute' }] } });
  const config = structuredClone(synthesizedGatewayConfig(gateway).config);
  expect(parseGatewayConfig(config).ok).toBe(true);
  config.agentRoutes[0].policies.rateLimits.push({ ...config.agentRoutes[0].policies.rateLimits[0], kind: 'tokens' });
  const parsed = parseGatewayConfig(config);
  expect(!parsed.ok && parsed.issues.join('\n')).toMatch(/rateLimits.*1.*kind.*custom agent reports no token usage/s);
});

test.each([
  ['asModel on a custom agent without a mapping', (r: Record<string, unknown>) => Object.assign(r, { kind: 'custom', asModel: 'x-bot' }), /asModel.*only with a mapping/],
  ['a mapping without asModel', (r: Record<string, unknown>) => Object.assign(r, { kind: 'custom', mapping: { path: '/run', request: { q: '{{query}}' }, response: { answer: 'a' } } }), /mapping.*set asModel/],
  ["appType on a 'model-studio' agent", (r: Record<string, unknown>) => Object.assign(r, { appType: 'chat' }), /appType.*'dify' agents only/],
  ["userMapping on a 'custom' agent", (r: Record<string, unknown>) => Object.assign(r, { kind: 'custom', userMapping: 'client' }), /userMapping.*'dify' agents only/],
])('the config refuses %s (declared, it would not be served)', (_name, change, message) => {
  const gateway = gatewayStack();
  gateway.addAgentRoute('studio', { kind: 'model-studio', appId: 'app-1', apiKey: { secretName: 'k', key: 'k' } });
  const config = structuredClone(synthesizedGatewayConfig(gateway).config);
  expect(parseGatewayConfig(config).ok).toBe(true);
  change(config.agentRoutes[0] as unknown as Record<string, unknown>);
  const parsed = parseGatewayConfig(config);
  expect(!parsed.ok && parsed.issues.join('\n')).toMatch(message);
});
