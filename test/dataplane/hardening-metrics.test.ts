import { Agent, fetch as undiciFetch } from 'undici';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { type TestGateway, UpstreamSimulator } from '../../src/testing';

// 10,000 real requests through a gateway and a simulator on a loaded 2-core machine: generous, not a bound.
jest.setTimeout(180_000);

/** The gateway's own series (process metrics come and go with the GC), one line each. */
function ownSeries(metrics: string): string[] {
  return metrics.split('\n').filter((l) => l.startsWith('aigw_') || l.startsWith('gen_ai_'));
}

/** The gateway's series with every sample value zeroed: what remains is the set of series, names and labels. */
function seriesShape(metrics: string): string {
  return ownSeries(metrics)
    .map((l) => l.replace(/ [^ ]+$/, ' 0'))
    .sort()
    .join('\n');
}

function seriesCount(metrics: string): number {
  return ownSeries(metrics).length;
}

describe('metric labels come from sets known at config load', () => {
  let sim: UpstreamSimulator;
  let gw: TestGateway;
  // One keep-alive pool for the whole loop.
  const agent = new Agent({ connections: 16, keepAliveTimeout: 30_000 });
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    const backend = simulatedBackend(sim, { provider: 'openai' });
    const chat = gateway.addModelRoute('chat', {
      pathPrefix: '/chat',
      models: [{ name: 'gpt-4o', targets: [{ backend }] }],
    });
    const qwen = gateway.addModelRoute('qwen', { pathPrefix: '/qwen', models: [{ name: 'qwen-*', targets: [{ backend }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat, qwen] } });
    // The loop is far above a small replica's QPS share: lift it, this test is about labels.
    gw = await start(gateway, (c) => ({ ...c, limits: { ...c.limits, maxQps: 1_000_000 } }));
  });
  afterAll(async () => {
    await agent.close();
    await gw.close();
    await sim.close();
  });

  const post = (prefix: string, model: string, stream = false) =>
    undiciFetch(`${gw.url}${prefix}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
      dispatcher: agent,
    }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });
  const metrics = () => fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());

  test('10,000 distinct model names (unknown, and matching a wildcard) add no series; long names stay out of labels and logs', async () => {
    // Warm-up: one of each kind of request, so every series the loop can touch exists.
    expect(await post('/chat', 'warm-up-unknown')).toBe(404);
    expect(await post('/qwen', 'qwen-warm-up')).toBe(200);
    const before = await metrics();

    const total = 10_000;
    let next = 0;
    const statuses = new Map<number, number>();
    const worker = async () => {
      for (let i = next++; i < total; i = next++) {
        // Half unknown names on the exact route, half distinct names the wildcard serves.
        const status = i % 2 === 0 ? await post('/chat', `unknown-${i}-${'x'.repeat(48)}`) : await post('/qwen', `qwen-${i}-${'y'.repeat(48)}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 404: total / 2, 200: total / 2 });

    const after = await metrics();
    expect(seriesCount(after)).toBe(seriesCount(before));
    expect(seriesShape(after)).toBe(seriesShape(before));
    // Only sample values changed: at most a few digits per series, never a name.
    const bytes = (m: string) => ownSeries(m).join('\n').length;
    expect(bytes(after) - bytes(before)).toBeLessThan(seriesCount(before) * 8);
    expect(after).toMatch(/aigw_requests_total\{[^}]*route="chat"[^}]*gen_ai_request_model="unknown"[^}]*status="404"[^}]*\} 5001/);
    expect(after).toMatch(/aigw_requests_total\{[^}]*route="qwen"[^}]*gen_ai_request_model="qwen-\*"[^}]*gen_ai_response_model="qwen-\*"[^}]*status="200"[^}]*\} 5001/);

    // A 1 MiB name: served through the wildcard, labelled by the entry, logged cut short.
    const huge = `qwen-${'z'.repeat(1024 * 1024)}`;
    expect(await post('/qwen', huge)).toBe(200);
    expect(await post('/chat', huge)).toBe(404);
    expect(seriesShape(await metrics())).toBe(seriesShape(before));
    const lines = gw.logs.filter((l) => l.msg === 'access' && typeof l.requestedModel === 'string' && l.requestedModel.startsWith('qwen-zzz'));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(JSON.stringify(line).length).toBeLessThan(2_000);
  });

  test('a stream that breaks mid-way is labelled with its error code, not the error message', async () => {
    sim.failNext({ dropAfterChunks: 2 });
    await post('/chat', 'gpt-4o', true).catch(() => undefined);
    const m = await metrics();
    expect(m).toMatch(/aigw_request_errors_total\{[^}]*route="chat"[^}]*gen_ai_request_model="gpt-4o"[^}]*error_type="upstream_stream_failed"[,}]/);
    expect(m).not.toMatch(/error_type="upstream_stream_failed:/);
  });
});
