import { createServer, type IncomingMessage, type Server } from 'http';
import type { AddressInfo } from 'net';
import { CONSUMER_KEYS, gatewayStack, start, UPSTREAM_KEY } from './harness';

/** A stand-in for a Dify / Model Studio app API: records what arrives, answers in SSE like Dify's streaming mode. */
async function agentUpstream(): Promise<{ server: Server; url: string; seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] }> {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"event":"message","answer":"Hel"}\n\n');
      res.end('data: {"event":"message_end"}\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

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
    expect(up.seen[0]).toMatchObject({ method: 'POST', url: '/v1/chat-messages?user=u1', body: '{"query":"hello","response_mode":"streaming"}' });
    // The agent's key replaces the consumer's: the consumer key never leaves the gateway.
    expect(up.seen[0].headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);

    await fetch(`${gw.url}/agents/studio`, { method: 'POST', headers: { authorization: `Bearer ${CONSUMER_KEYS.alice}` }, body: '{"input":{"prompt":"hi"}}' }).then((r) => r.text());
    expect(up.seen[1].url).toBe('/api/v1/apps/app-123/completion');

    const denied = await fetch(`${gw.url}/agents/support/chat-messages`, { method: 'POST', body: '{}' });
    expect(denied.status).toBe(401);
  } finally {
    await gw.close();
    up.server.close();
  }
});
