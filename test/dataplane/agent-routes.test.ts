import { gzipSync } from 'zlib';
import { agentUpstream } from './agent-upstream';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start, UPSTREAM_KEY } from './harness';
import { REDACTED } from '../../src/dataplane/scrub';
import { UpstreamSimulator } from '../../src/testing';

test('agent routes stream through to the agent API with its key; Model Studio apps get their app path', async () => {
  const up = await agentUpstream();
  const gateway = gatewayStack();
  const dify = gateway.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const studio = gateway.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/agents/studio', baseUrl: `${up.url}/api/v1`, appId: 'app-123', apiKey: { secretName: 'llm-keys', key: 'openai' } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [dify, studio] } });
  const gw = await start(gateway);
  try {
    const res = await fetch(`${gw.url}/agents/support/chat-messages?user=u1`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'hello', response_mode: 'streaming' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('data: {"event":"message","answer":"Hel"}\n\ndata: {"event":"message_end"}\n\n');
    // A Dify route sets the `user` to the consumer's, in the body and in any `user` query parameter.
    expect(up.seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/chat-messages?user=aigw%3Aconsumer%3Aalice',
      body: '{"query":"hello","response_mode":"streaming","user":"aigw:consumer:alice"}',
    });
    // The agent's key replaces the consumer's: the consumer key never leaves the gateway.
    expect(up.seen[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);

    await fetch(`${gw.url}/agents/studio`, { method: 'POST', headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` }, body: '{"input":{"prompt":"hi"}}' }).then((r) => r.text());
    expect(up.seen[1].url).toBe('/api/v1/apps/app-123/completion');

    const denied = await fetch(`${gw.url}/agents/support/chat-messages`, { method: 'POST', body: '{}' });
    expect(denied.status).toBe(401);
  } finally {
    await gw.close();
    await up.close();
  }
});

test("GET …/models on an agent route is the agent's; only /v1/models on a model route is the gateway's model list", async () => {
  const up = await agentUpstream((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ agent: true, url: req.url })));
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  const agent = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${up.url}/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [agent, chat] } });
  const gw = await start(gateway);
  try {
    const headers = { authorization: `Bearer ${CONSUMER_KEYS.alice}` };
    for (const path of ['/agents/a/models', '/agents/a/v1/models']) {
      const res = await fetch(`${gw.url}${path}`, { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ agent: true, url: `/api${path.slice('/agents/a'.length)}` });
    }
    const models = await client(gw).models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o']);
    // On a model route, a path that merely ends in /models is not the model list.
    expect((await fetch(`${gw.url}/something/models`, { headers })).status).toBe(404);
  } finally {
    await gw.close();
    await up.close();
    await sim.close();
  }
});

describe('agent responses: echoes of the agent key are scrubbed from headers, bodies and streams', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  /** The agent's key as an agent might echo it: as sent, in another case, base64 of its auth header, URL-encoded. */
  const ECHOES = [UPSTREAM_KEY, UPSTREAM_KEY.toUpperCase(), b64(`Bearer ${UPSTREAM_KEY}`), b64(`user:${UPSTREAM_KEY}`), encodeURIComponent(UPSTREAM_KEY), Buffer.from(UPSTREAM_KEY).toString('base64url')];

  async function gatewayOn(answer: Parameters<typeof agentUpstream>[0]) {
    const up = await agentUpstream(answer);
    const gateway = gatewayStack();
    gateway.addAgentRoute('agent', { kind: 'dify', pathPrefix: '/agent', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' }, policies: { keyAuth: false } });
    const gw = await start(gateway);
    return { gw, up, close: async () => Promise.all([gw.close(), up.close()]) };
  }

  test('an SSE stream that echoes the key in every form, split across writes at, inside and around each echo, reaches the client scrubbed; other bytes intact', async () => {
    const events = ECHOES.map((e, i) => `data: {"event":"message","answer":"${i} ${e}"}\n\n`).join('');
    const { gw, close } = await gatewayOn((req, res) => {
      // The split point comes in the query: each write is its own TCP segment on loopback, mostly its own chunk at the gateway.
      const at = Number(new URL(req.url, 'http://x').searchParams.get('at'));
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-echo': req.headers.authorization! });
      res.write(events.slice(0, at));
      setImmediate(() => res.end(events.slice(at)));
    });
    try {
      const around = (e: string) => {
        const i = events.indexOf(e);
        return [i, i + 1, i + Math.floor(e.length / 2), i + e.length - 1];
      };
      const offsets = [...new Set([0, 1, 7, ...ECHOES.flatMap(around), events.length])];
      for (const at of offsets) {
        const res = await fetch(`${gw.url}/agent/chat-messages?at=${at}`, { method: 'POST', body: '{}' });
        expect(res.headers.get('x-echo')).toBe(`Bearer ${REDACTED}`);
        const text = await res.text();
        for (const echo of ECHOES) expect(text).not.toContain(echo);
        expect(text.split(REDACTED)).toHaveLength(ECHOES.length + 1);
        // Everything but the echoes is as the agent sent it.
        expect(text.replace(/"\d+ [^"]*"/g, '')).toBe(events.replace(/"\d+ [^"]*"/g, ''));
      }
    } finally {
      await close();
    }
  });

  test('a 4xx error body and a gzip-compressed answer are scrubbed too', async () => {
    const { gw, up, close } = await gatewayOn((req, res) => {
      const body = JSON.stringify({ message: `invalid key ${UPSTREAM_KEY.toUpperCase()}`, echo: b64(`Bearer ${UPSTREAM_KEY}`) });
      if (req.url.includes('/parameters')) res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(body));
      else res.writeHead(400, { 'content-type': 'application/json' }).end(body);
    });
    try {
      const bad = await fetch(`${gw.url}/agent/chat-messages`, { method: 'POST', body: '{}' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ message: `invalid key ${REDACTED}`, echo: expect.stringContaining(REDACTED) });
      const zipped = await fetch(`${gw.url}/agent/parameters`, { headers: { 'accept-encoding': 'gzip' } });
      // Decoded to scrub, then compressed once for this client, which accepts gzip (fetch decodes that one layer).
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      const text = await zipped.text();
      expect(text).toContain(`invalid key ${REDACTED}`);
      expect(text).not.toContain(b64(`Bearer ${UPSTREAM_KEY}`));
      // The gateway asks the agent for an answer it can read.
      expect(up.seen[1].headers['accept-encoding']).toBe('identity');
    } finally {
      await close();
    }
  });
});
