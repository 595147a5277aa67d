import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Backend } from '../../../src';
import { startTestGateway, type TestGateway } from '../../../src/testing';
import { CONSUMER_KEYS, gatewayStack } from '../harness';

/**
 * A custom agent exposed as a model through its declared mapping, driven with the official OpenAI and
 * Anthropic clients through a real gateway. A custom agent has no third-party wire format to follow: its
 * upstream here is a small JSON API of its own, `POST /api/run`, taking
 * `{input: {question, history, persona}, session_id, user, model}` and answering
 * `{output: {text}, session: {id}, usage: {input_tokens, output_tokens}}`.
 */
const AGENT_KEY = 'agent-secret-key-0123456789';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** The agent: it answers with the question and its turn in the session; `[[no-answer]]`, `[[busy]]`, `[[echo-key]]`, `[[key-session]]` and `[[cut]]` ask for its faults. */
async function startAgent(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const sessions = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const json = (status: number, doc: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      if (req.url !== '/api/run') return json(200, { echo: req.url });
      const input = body.input as { question: string };
      if (input.question.includes('[[busy]]')) return json(429, { message: 'too many runs', code: 'busy' });
      if (input.question.includes('[[no-answer]]')) return json(200, { result: 'done', status: 'ok' });
      // Faults of a careless agent: its key echoed in a non-JSON answer, or as its session id; an answer cut off.
      if (input.question.includes('[[echo-key]]')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(`oops ${String(req.headers.authorization)}`);
      }
      if (input.question.includes('[[key-session]]')) return json(200, { output: { text: 'ok' }, session: { id: String(req.headers.authorization).slice(7) } });
      if (input.question.includes('[[cut]]')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"output": {"text": "par');
        return void setTimeout(() => res.destroy(), 20);
      }
      const session = typeof body.session_id === 'string' ? body.session_id : `s-${sessions.size + 1}`;
      const turn = (sessions.get(session) ?? 0) + 1;
      sessions.set(session, turn);
      json(200, { output: { text: `Agent heard "${input.question}" (turn ${turn})` }, session: { id: session }, usage: { input_tokens: 11, output_tokens: 7 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Fixture {
  gw: TestGateway;
  agent: Awaited<ReturnType<typeof startAgent>>;
  close(): Promise<void>;
}

async function fixture(): Promise<Fixture> {
  const agent = await startAgent();
  const gateway = gatewayStack();
  const helper = gateway.addAgentRoute('helper', {
    kind: 'custom',
    pathPrefix: '/agents/helper',
    baseUrl: `${agent.url}/api`,
    apiKey: { secretName: 'agent-keys', key: 'helper' },
    asModel: 'helper-bot',
    mapping: {
      path: '/run',
      request: { input: { question: '{{query}}', history: '{{messages}}', persona: '{{system}}' }, session_id: '{{conversationId}}', user: '{{user}}', model: '{{model}}' },
      response: { answer: 'output.text', conversationId: 'session.id', inputTokens: 'usage.input_tokens', outputTokens: 'usage.output_tokens' },
    },
  });
  // The gateway's model route, where the agent answers as a model too (its backend is never called here).
  const backend = new Backend({ provider: 'openai', baseUrl: `${agent.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat, helper] } });
  const gw = await startTestGateway(gateway, { secrets: { 'consumer-keys/alice': CONSUMER_KEYS.alice, 'agent-keys/helper': AGENT_KEY, 'llm-keys/openai': 'sk-unused-0123456789' } });
  return { gw, agent, close: async () => void (await Promise.all([gw.close(), agent.close()])) };
}

const openai = (gw: TestGateway, prefix = '') => new OpenAI({ baseURL: `${gw.url}${prefix}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
const last = (f: Fixture): Received => f.agent.received[f.agent.received.length - 1];

describe('a custom agent with a mapping, as a model', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(async () => f.close());

  test('non-streamed: the template filled, the answer at its path, its usage and the conversation header', async () => {
    const { data, response } = await openai(f.gw)
      .chat.completions.create({
        model: 'helper-bot',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello there' },
        ],
        temperature: 0.2,
      })
      .withResponse();
    expect(data).toMatchObject({ object: 'chat.completion', model: 'helper-bot', choices: [{ message: { role: 'assistant', content: 'Agent heard "hello there" (turn 1)' }, finish_reason: 'stop' }] });
    expect(data.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(response.headers.get('x-aigw-conversation-id')).toBe('s-1');
    const sent = last(f);
    expect(sent.path).toBe('/api/run');
    expect(sent.body).toEqual({
      input: {
        question: 'hello there',
        history: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello there' },
        ],
        persona: 'Be brief.',
      },
      session_id: null,
      user: 'aigw:consumer:alice',
      model: 'helper-bot',
    });
    expect(sent.headers.authorization).toBe(`Bearer ${AGENT_KEY}`);
    expect(sent.headers.accept).toBe('application/json');
    // Usage reached the access log as the agent reported it.
    await new Promise((r) => setTimeout(r, 50));
    expect([...f.gw.logs].reverse().find((l) => l.route === 'helper')).toMatchObject({ status: 200, inputTokens: 11, outputTokens: 7 });
  });

  test('conversation continuity: the header sent back is the template\'s {{conversationId}}', async () => {
    const client = openai(f.gw);
    const first = await client.chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: 'my name is Ada' }] }).withResponse();
    const conversation = first.response.headers.get('x-aigw-conversation-id')!;
    const second = await client.chat.completions
      .create({ model: 'helper-bot', messages: [{ role: 'user', content: 'what is my name?' }] }, { headers: { 'x-aigw-conversation-id': conversation } })
      .withResponse();
    expect(second.data.choices[0].message.content).toBe('Agent heard "what is my name?" (turn 2)');
    expect(second.response.headers.get('x-aigw-conversation-id')).toBe(conversation);
    expect(last(f).body).toMatchObject({ input: { question: 'what is my name?' }, session_id: conversation });
    const third = await client.chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: 'again' }], metadata: { conversation_id: conversation } });
    expect(third.choices[0].message.content).toBe('Agent heard "again" (turn 3)');
  });

  test('streamed with include_usage: the whole answer as a short stream, its usage and the conversation header; the agent is asked for JSON', async () => {
    const { data: stream, response } = await openai(f.gw)
      .chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-aigw-conversation-id')).toMatch(/^s-\d+$/);
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Agent heard "stream please" (turn 1)');
    expect(finish).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(last(f).headers.accept).toBe('application/json');
    expect(last(f).body).not.toHaveProperty('stream');
  });

  test('Anthropic clients on /v1/messages, streamed and not, through the same mapping', async () => {
    const anthropic = new Anthropic({ baseURL: f.gw.url, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'helper-bot', max_tokens: 100, system: 'Be kind.', messages: [{ role: 'user', content: 'hi claude' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Agent heard "hi claude" (turn 1)', citations: null }].map(({ type, text }) => expect.objectContaining({ type, text })));
    expect(message.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });
    expect(last(f).body).toMatchObject({ input: { question: 'hi claude', persona: 'Be kind.' } });
    const streamed = await anthropic.messages.stream({ model: 'helper-bot', max_tokens: 100, messages: [{ role: 'user', content: 'stream, claude' }] }).finalMessage();
    expect(streamed.content).toEqual([expect.objectContaining({ type: 'text', text: 'Agent heard "stream, claude" (turn 1)' })]);
    expect(streamed.stop_reason).toBe('end_turn');
  });

  test('faults: a missing answer path is a 502 naming it, the agent\'s own error passes with its status, what the template cannot take is a 400', async () => {
    for (const stream of [false, true]) {
      const missing = await openai(f.gw)
        .chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: '[[no-answer]]' }], stream })
        .catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.APIError);
      expect((missing as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((missing as Error).message).toContain("nothing at mapping.response.answer 'output.text': the answer has no 'output' (it is an object with keys \"result\", \"status\")");
    }
    const busy = await openai(f.gw).chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: '[[busy]]' }] }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(OpenAI.RateLimitError);
    expect((busy as Error).message).toContain('too many runs (busy)');
    const tools = await openai(f.gw)
      .chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] })
      .catch((e: unknown) => e);
    expect(tools).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tools as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('tools');
  });

  test('the model is listed, under its own prefix too; the agent\'s own paths still pass through as they are', async () => {
    expect((await openai(f.gw).models.list()).data.map((m) => m.id).sort()).toEqual(['gpt-4o', 'helper-bot']);
    expect((await openai(f.gw, '/agents/helper').models.list()).data.map((m) => m.id)).toEqual(['helper-bot']);
    const own = await openai(f.gw, '/agents/helper').chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: 'under the prefix' }] });
    expect(own.choices[0].message.content).toBe('Agent heard "under the prefix" (turn 1)');
    const native = await fetch(`${f.gw.url}/agents/helper/status?x=1`, { method: 'POST', headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' }, body: '{"ping":true}' });
    expect(native.status).toBe(200);
    expect(await native.json()).toEqual({ echo: '/api/status?x=1' });
    expect(last(f).body).toEqual({ ping: true });
  });
});

describe("a careless custom agent's answers, streamed and not", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });
  afterAll(async () => f.close());

  const ask = (question: string, stream: boolean) =>
    new OpenAI({ baseURL: `${f.gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 })
      .chat.completions.create({ model: 'helper-bot', messages: [{ role: 'user', content: question }], stream })
      .withResponse()
      .then(async ({ data, response }) => {
        if (stream) for await (const chunk of data as AsyncIterable<unknown>) void chunk;
        return response;
      });

  test.each([false, true])('its key, echoed in an unreadable answer or sent as its session id, never reaches the client (stream: %s)', async (stream) => {
    const err = await ask('[[echo-key]]', stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as Error).message).not.toContain(AGENT_KEY);
    const response = await ask('[[key-session]]', stream);
    expect(response.headers.get('x-aigw-conversation-id')).not.toContain(AGENT_KEY);
  });

  test.each([false, true])('an answer cut off while it is read whole is a 502, never a 500 (stream: %s)', async (stream) => {
    const err = await ask('[[cut]]', stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(f.gw.logs.some((l) => l.msg === 'unhandled error in the request path')).toBe(false);
  });
});
