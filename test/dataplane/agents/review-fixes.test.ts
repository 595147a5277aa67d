import type { ServerResponse } from 'http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { estimatePromptTokens, estimateTextTokens } from '../../../src/dataplane/token-estimate';
import { type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { agentUpstream, type AgentUpstream, type SeenRequest } from '../agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from '../harness';

/**
 * Agent routes, natively and as models, against agents that misbehave in the ways Dify documents (an
 * `error` event echoing the key, a 5xx inside a 200, keep-alives and nothing else, a stream cut before
 * its first event, a long workflow): the key never reaches a client or a log line, the breaker hears
 * the agent's own failures and never the client's, a stream that fails before its head is answered with
 * a status, and a workflow's head goes out when the run starts.
 */
const KEY = { secretName: 'llm-keys', key: 'openai' };
const dify = (data: Record<string, unknown>) => `data: ${JSON.stringify(data)}\n\n`;
const PING = 'event: ping\n\n';
const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });

/** Released by the early-head test once its client has the head: the workflow then sends its answer. */
let releaseWorkflow: () => void = () => undefined;
/** Whether the held workflow had sent its answer when the client got the head. */
let workflowAnswered = false;

/** What the agent does, by the first segment of the path (each route's base URL is `<upstream>/<behaviour>/v1`). */
const behaviours: Record<string, (req: SeenRequest, res: ServerResponse) => void> = {
  // A Dify error event that quotes the key the gateway sent (a real agent may echo its Authorization header).
  'echo-key': (_req, res) => {
    sse(res);
    res.write(dify({ event: 'message', message_id: 'm', conversation_id: 'c', answer: 'Hi' }));
    res.end(dify({ event: 'error', message_id: 'm', status: 400, code: 'invalid_param', message: `bad credentials: Bearer ${UPSTREAM_KEY}` }));
  },
  // A Model Studio stream (incremental) whose answer spells the key across two events.
  'split-key': (_req, res) => {
    sse(res);
    const half = Math.floor(UPSTREAM_KEY.length / 2);
    const result = (text: string, finish: string) => `event:result\n:HTTP_STATUS/200\ndata:${JSON.stringify({ output: { session_id: 's', finish_reason: finish, text }, request_id: 'r' })}\n\n`;
    res.write(result(`key ${UPSTREAM_KEY.slice(0, half)}`, 'null'));
    res.end(result(`${UPSTREAM_KEY.slice(half)} end`, 'stop'));
  },
  'error-500': (_req, res) => {
    sse(res);
    res.end(dify({ event: 'error', message_id: 'm', status: 500, code: 'internal_server_error', message: 'the model failed' }));
  },
  'error-400': (_req, res) => {
    sse(res);
    res.end(dify({ event: 'error', message_id: 'm', status: 400, code: 'invalid_param', message: 'query is required' }));
  },
  'mid-500': (_req, res) => {
    sse(res);
    res.write(dify({ event: 'message', message_id: 'm', conversation_id: 'c', answer: 'Par' }));
    res.end(dify({ event: 'error', message_id: 'm', status: 500, code: 'internal_server_error', message: 'the model failed' }));
  },
  'pings': (_req, res) => {
    sse(res);
    res.write(PING);
    res.end(PING);
  },
  // The head, a keep-alive, then the connection breaks.
  'breaks': (_req, res) => {
    sse(res);
    res.write(PING, () => setImmediate(() => res.socket?.destroy()));
  },
  // The head, a keep-alive, then nothing until the client or the gateway gives up.
  'holds': (_req, res) => {
    sse(res);
    res.write(PING);
  },
  'workflow': (_req, res) => {
    sse(res);
    res.write(PING);
    res.write(dify({ event: 'workflow_started', task_id: 't', workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w' } }));
    const answer = () => {
      workflowAnswered = true;
      res.write(dify({ event: 'text_chunk', task_id: 't', workflow_run_id: 'r', data: { text: 'Done.' } }));
      res.end(dify({ event: 'workflow_finished', task_id: 't', workflow_run_id: 'r', data: { id: 'r', workflow_id: 'w', status: 'succeeded', outputs: { text: 'Done.' }, total_tokens: 5 } }));
    };
    // The test releases it; a test that never does (a head that never came) still ends, later.
    const fallback = setTimeout(answer, 5_000);
    releaseWorkflow = () => {
      clearTimeout(fallback);
      answer();
    };
  },
};

let up: AgentUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await agentUpstream((req, res) => behaviours[req.url.split('/')[1]!]!(req, res));
  const gateway = gatewayStack();
  const route = (name: string, behaviour: string, extra: Record<string, unknown> = {}) =>
    gateway.addAgentRoute(name, { kind: 'dify', pathPrefix: `/${name}`, baseUrl: `${up.url}/${behaviour}/v1`, apiKey: KEY, ...extra });
  const routes = [
    route('echo-native', 'echo-key'),
    route('echo-model', 'echo-key', { asModel: 'echo-bot' }),
    gateway.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio', baseUrl: `${up.url}/split-key/api/v1`, appId: 'app-1', apiKey: KEY }),
    route('fails-native', 'error-500'),
    route('fails-model', 'error-500', { asModel: 'fails-bot' }),
    route('fails-mid', 'mid-500', { asModel: 'mid-bot' }),
    route('refuses-native', 'error-400'),
    route('refuses-model', 'error-400', { asModel: 'refuses-bot' }),
    route('pings', 'pings', { asModel: 'pings-bot' }),
    route('breaks', 'breaks', { asModel: 'breaks-bot' }),
    route('holds', 'holds', { asModel: 'holds-bot', timeouts: { totalMs: 300 } }),
    route('left', 'holds', { asModel: 'left-bot' }),
    route('flow', 'workflow', { asModel: 'flow-bot', appType: 'workflow' }),
  ];
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes } });
  gw = await start(gateway, ({ redis: _cluster, ...config }) => config);
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

/** An OpenAI client under the agent route's own prefix (this gateway has no model route). */
const openai = (route: string) => new OpenAI({ baseURL: `${gw.url}/${route}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
const breakerOf = (route: string) => gw.plane.snapshot.upstreams.get(`agent:${route}`)!.breaker;
const nativeChat = (route: string) =>
  fetch(`${gw.url}/${route}/chat-messages`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'hi', inputs: {}, response_mode: 'streaming' }),
  });
/** A streamed chat on `model` of agent route `route`, read to its end: the text, and the error the SDK threw. */
async function streamChat(route: string, model: string): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    const stream = await openai(route).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return { text };
  } catch (error) {
    return { text, error };
  }
}
/** Waits for the access line of the request just made on `route` (the `count`th). */
async function accessLines(route: string, count: number): Promise<Record<string, unknown>[]> {
  await eventually(() => gw.logs.filter((l) => l.msg === 'access' && l.route === route).length >= count);
  return gw.logs.filter((l) => l.msg === 'access' && l.route === route);
}

describe("an agent's error event that echoes its key", () => {
  test('natively: neither the client nor any log line holds the key (the error is read after scrubbing)', async () => {
    const res = await nativeChat('echo-native');
    const body = await res.text();
    expect(body).toContain('bad credentials');
    expect(body).not.toContain(UPSTREAM_KEY);
    const [line] = await accessLines('echo-native', 1);
    expect(line).toMatchObject({ error: 'agent_stream_failed' });
    expect(String(line!.errorDetail)).toContain('bad credentials');
    expect(JSON.stringify(gw.logs)).not.toContain(UPSTREAM_KEY);
  });

  test('as a model: neither the client nor any log line holds the key', async () => {
    const { text, error } = await streamChat('echo-model', 'echo-bot');
    expect(text).toBe('Hi');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(String((error as Error).message)).not.toContain(UPSTREAM_KEY);
    const lines = await accessLines('echo-model', 1);
    expect(lines[0]).toMatchObject({ error: 'agent_stream_failed' });
    expect(JSON.stringify(gw.logs.filter((l) => l.route === 'echo-model'))).not.toContain(UPSTREAM_KEY);
  });
});

describe('a Model Studio stream re-accumulated for the client', () => {
  test('reads scrubbed pieces, and a key the pieces spell only once joined is scrubbed too', async () => {
    const res = await fetch(`${gw.url}/studio`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json', 'x-dashscope-sse': 'enable' },
      body: JSON.stringify({ input: { prompt: 'hi' } }),
    });
    const body = await res.text();
    // Whole text so far in every event, as the client asked (no incremental_output): the second joins the key's halves.
    expect(body).toContain('"text":"key ');
    expect(body).toContain(' end"');
    expect(body).not.toContain(UPSTREAM_KEY);
  });
});

describe("the breaker hears the agent's own errors inside a 200", () => {
  test('natively: five 5xx error events open the circuit; the next call never reaches the agent', async () => {
    for (let i = 0; i < 5; i++) expect((await nativeChat('fails-native')).status).toBe(200);
    expect(breakerOf('fails-native').state).toBe('open');
    expect((await nativeChat('fails-native')).status).toBe(503);
  });

  test('as a model, before any byte: five 5xx error events (answered 502) open the circuit', async () => {
    for (let i = 0; i < 5; i++) expect(((await streamChat('fails-model', 'fails-bot')).error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(breakerOf('fails-model').state).toBe('open');
  });

  test('as a model, mid-stream: five 5xx error events after the answer started open the circuit', async () => {
    for (let i = 0; i < 5; i++) {
      const { text, error } = await streamChat('fails-mid', 'mid-bot');
      expect(text).toBe('Par');
      expect(error).toBeInstanceOf(OpenAI.APIError);
    }
    await accessLines('fails-mid', 5);
    expect(breakerOf('fails-mid').state).toBe('open');
  });

  test('a 4xx error event is the request refused by a live agent: never charged, natively or as a model', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await nativeChat('refuses-native')).status).toBe(200);
      expect(((await streamChat('refuses-model', 'refuses-bot')).error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    }
    expect(breakerOf('refuses-native').state).toBe('closed');
    expect(breakerOf('refuses-model').state).toBe('closed');
  });
});

describe('an agent stream that fails before its first frame (the head still deferred) is answered with a status', () => {
  test('keep-alives and then the end: a 502 in the client format (OpenAI and Anthropic), charged to the agent', async () => {
    const { error } = await streamChat('pings', 'pings-bot');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 502, code: 'upstream_untranslatable' });
    expect((error as Error).message).toMatch(/ended with no answer/);
    const anthropic = new Anthropic({ baseURL: `${gw.url}/pings`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
    const refused = await anthropic.messages
      .stream({ model: 'pings-bot', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.APIError);
    expect(refused).toMatchObject({ status: 502, error: { type: 'error', error: { type: 'api_error' } } });
    for (let i = 0; i < 3; i++) await streamChat('pings', 'pings-bot');
    expect(breakerOf('pings').state).toBe('open');
  });

  test('a connection broken before the first event: a 502, not a cut connection, charged to the agent', async () => {
    for (let i = 0; i < 5; i++) {
      const { error } = await streamChat('breaks', 'breaks-bot');
      expect(error).toMatchObject({ status: 502, code: 'upstream_unreachable' });
    }
    expect(breakerOf('breaks').state).toBe('open');
  });

  test("the attempt's total time running out before the first event: a 504", async () => {
    const { error } = await streamChat('holds', 'holds-bot');
    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout' });
    const [line] = await accessLines('holds', 1);
    expect(line).toMatchObject({ status: 504, error: 'upstream_timeout' });
  });

  test('a client that leaves before the first event is never charged to the agent', async () => {
    for (let i = 0; i < 5; i++) {
      const seen = up.seen.length;
      const abort = new AbortController();
      const pending = openai('left')
        .chat.completions.create({ model: 'left-bot', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: abort.signal })
        .catch((e: unknown) => e);
      await eventually(() => up.seen.length > seen);
      abort.abort();
      await pending;
      await accessLines('left', i + 1);
    }
    expect(breakerOf('left').state).toBe('closed');
  });
});

describe('a long Dify workflow as a model', () => {
  test('its head (and first chunk, the role) goes out when the run starts, before any answer text', async () => {
    workflowAnswered = false;
    const res = await fetch(`${gw.url}/flow/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'flow-bot', stream: true, messages: [{ role: 'user', content: 'run' }] }),
    });
    expect(res.status).toBe(200);
    expect(workflowAnswered).toBe(false);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"delta":{"role":"assistant","content":""}');
    releaseWorkflow();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain('"content":"Done."');
    expect(rest.trim().endsWith('data: [DONE]')).toBe(true);
  });
});

describe('token limits on a Dify agent as a model whose stream ends in its error (no usage report)', () => {
  let sim: UpstreamSimulator;
  let limited: TestGateway;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start({ streamChunks: 4, name: 'agents' });
    const gateway = gatewayStack();
    const route = gateway.addAgentRoute('support', {
      kind: 'dify',
      pathPrefix: '/support',
      baseUrl: `${sim.url}/v1`,
      apiKey: KEY,
      asModel: 'support-bot',
      policies: { rateLimits: [{ kind: 'tokens', limit: 1_000_000, window: 'day', scope: 'consumer' }] },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    limited = await start(gateway, ({ redis: _cluster, ...config }) => config);
  });
  afterAll(async () => {
    await limited.close();
    await sim.close();
  });

  test('the answer text relayed is charged, read off the frames sent (Dify names it `answer`, which raw bytes do not show)', async () => {
    const messages = [{ role: 'user' as const, content: 'tell me a story [[error]]' }];
    const client = new OpenAI({ baseURL: `${limited.url}/support/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'support-bot', messages, stream: true });
    let text = '';
    await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch(() => undefined);
    expect(text.length).toBeGreaterThan(0);
    await eventually(() => limited.logs.some((l) => l.msg === 'access' && l.route === 'support'));
    const line = limited.logs.find((l) => l.msg === 'access' && l.route === 'support')!;
    expect(line.error).toBe('agent_stream_failed');
    expect(line.estimatedTokens).toBeGreaterThanOrEqual(estimatePromptTokens('chat', { messages }) + estimateTextTokens(text.length));
  });

  test('a Responses stream is charged its text once, not once per event that repeats it (deltas, .done events, the Response)', async () => {
    const before = limited.logs.length;
    const client = new OpenAI({ baseURL: `${limited.url}/support/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
    const body = { model: 'support-bot', input: 'tell me another story [[error]]', stream: true as const };
    let text = '';
    await (async () => {
      for await (const event of await client.responses.create(body)) if (event.type === 'response.output_text.delta') text += event.delta;
    })().catch(() => undefined);
    expect(text.length).toBeGreaterThan(0);
    await eventually(() => limited.logs.slice(before).some((l) => l.msg === 'access' && l.route === 'support'));
    const line = limited.logs.slice(before).find((l) => l.msg === 'access' && l.route === 'support')!;
    expect(line.error).toBe('agent_stream_failed');
    // The prompt and the text once (JSON escapes may add a little), never the two or more times the frames repeat it.
    const once = estimatePromptTokens('responses', body) + estimateTextTokens(text.length);
    expect(line.estimatedTokens).toBeGreaterThanOrEqual(once);
    expect(line.estimatedTokens).toBeLessThan(once + estimateTextTokens(text.length) / 2);
  });
});
