import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start, UPSTREAM_KEY } from './harness';
import { Backend } from '../../src';
import { REDACTED } from '../../src/dataplane/scrub';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';

jest.setTimeout(60_000);

const completion = (content: string, usage = true) =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    ...(usage && { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
  });

async function chat(gw: TestGateway, content = 'hi'): Promise<{ headers: Headers; body: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }),
  });
  expect(res.status).toBe(200);
  return { headers: res.headers, body: await res.text() };
}

describe('a non-streamed JSON answer from an upstream with a key keeps its content-length', () => {
  test('an answer with nothing to scrub (the simulator, one chunk) goes out with its content-length, not chunked', async () => {
    const sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    const backend = simulatedBackend(sim, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' } });
    const route = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway);
    try {
      const { headers, body } = await chat(gw);
      expect(headers.get('transfer-encoding')).toBeNull();
      expect(headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
      expect(JSON.parse(body)).toMatchObject({ object: 'chat.completion' });
    } finally {
      await gw.close();
      await sim.close();
    }
  });

  describe('answers that echo the key', () => {
    let up: AgentUpstream;
    let gw: TestGateway;
    beforeAll(async () => {
      up = await agentUpstream((req, res) => {
        const ask = (JSON.parse(req.body) as { messages: { content: string }[] }).messages[0].content;
        const body = Buffer.from(completion(`echo ${UPSTREAM_KEY} done`));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        if (ask !== 'split') return void res.end(body);
        // Two pieces, the key cut in half between them.
        const at = body.indexOf(UPSTREAM_KEY) + UPSTREAM_KEY.length / 2;
        res.write(body.subarray(0, at));
        setTimeout(() => res.end(body.subarray(at)), 20);
      });
      const gateway = gatewayStack();
      const backend = new Backend({ provider: 'openai-compatible', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
      const route = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend }] }] });
      gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
      gw = await start(gateway);
    });
    afterAll(async () => {
      await gw.close();
      await up.close();
    });

    test('in one chunk: scrubbed whole, sent with the scrubbed body’s length', async () => {
      const { headers, body } = await chat(gw);
      expect(body).not.toContain(UPSTREAM_KEY);
      expect(JSON.parse(body)).toMatchObject({ choices: [{ message: { content: `echo ${REDACTED} done` } }] });
      expect(headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    });

    test('in two chunks, the key cut between them: chunked, still scrubbed', async () => {
      const { headers, body } = await chat(gw, 'split');
      expect(headers.get('content-length')).toBeNull();
      expect(body).not.toContain(UPSTREAM_KEY);
      expect(JSON.parse(body)).toMatchObject({ choices: [{ message: { content: `echo ${REDACTED} done` } }] });
    });
  });
});

describe('completion text is counted only where a token limit needs the estimate', () => {
  test('a route without token limits records no estimate for an answer without usage', async () => {
    const up = await agentUpstream((_req, res) => {
      const body = completion('a completion without any usage report', false);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
    const gateway = gatewayStack();
    const backend = new Backend({ provider: 'openai-compatible', baseUrl: `${up.url}/v1` });
    const route = gateway.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway);
    try {
      await chat(gw);
      const deadline = Date.now() + 20_000;
      let line: Record<string, unknown> | undefined;
      while (!(line = gw.logs.find((l) => l.msg === 'access')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(line).toMatchObject({ status: 200 });
      expect(line).not.toHaveProperty('estimatedTokens');
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
