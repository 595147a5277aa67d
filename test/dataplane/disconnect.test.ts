import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { UpstreamSimulator } from '../../src/testing';

test('a client that disconnects mid-stream aborts the upstream request', async () => {
  const sim = await UpstreamSimulator.start({ chunkDelayMs: 50, streamChunks: 200 });
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await start(gateway);
  try {
    const abort = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'go on' }] }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    abort.abort();
    // The upstream sees its stream cancelled long before its 200 chunks (10 s) are out.
    const deadline = Date.now() + 5_000;
    while (sim.clientCancelledStreams === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sim.clientCancelledStreams).toBe(1);
    const access = gw.logs.find((l) => l.msg === 'access' && l.route === 'chat');
    expect(access).toMatchObject({ aborted: true, stream: true });
  } finally {
    await gw.close();
    await sim.close();
  }
});
