import OpenAI from 'openai';
import { client, CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from './harness';
import { QpsCeiling } from '../../src/dataplane/capacity';
import { backoffDelayMs, CircuitBreaker } from '../../src/dataplane/resilience';
import { UpstreamSimulator } from '../../src/testing';

class FakeClock {
  public t = 0;
  public now(): number {
    return this.t;
  }
}

jest.setTimeout(30_000);

describe('circuit breaker (fake clock)', () => {
  test('opens after the threshold, lets one trial through after the cool-down, closes on its success', () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, clock);
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
    clock.t = 999;
    expect(b.allow()).toBe(false);
    clock.t = 1000;
    expect(b.state).toBe('half-open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false); // one trial at a time
    b.success();
    expect(b.state).toBe('closed');
  });

  test('a failed trial opens the circuit again for a full cool-down', () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100 }, clock);
    b.failure();
    clock.t = 100;
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    clock.t = 199;
    expect(b.allow()).toBe(false);
  });
});

test('backoff: exponential with full jitter, capped', () => {
  expect(backoffDelayMs(0, 100, () => 0.999)).toBe(99);
  expect(backoffDelayMs(3, 100, () => 0.5)).toBe(400);
  expect(backoffDelayMs(20, 100, () => 0.999)).toBe(4995);
  expect(backoffDelayMs(2, 100, () => 0)).toBe(0);
});

test('QPS ceiling (fake clock): one second of the share, refilled continuously', () => {
  const clock = new FakeClock();
  const q = new QpsCeiling(10, clock);
  for (let i = 0; i < 10; i++) expect(q.tryTake()).toBe(true);
  expect(q.tryTake()).toBe(false);
  clock.t = 100;
  expect(q.tryTake()).toBe(true);
  expect(q.tryTake()).toBe(false);
});

describe('resilience, end to end', () => {
  test('an open circuit keeps a failing backend out: traffic goes to the other target without touching it', async () => {
    const bad = await UpstreamSimulator.start({ name: 'bad' });
    const good = await UpstreamSimulator.start({ name: 'good' });
    const gateway = gatewayStack();
    const badBackend = simulatedBackend(bad, { provider: 'openai', retries: { attempts: 0 }, circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    gateway.addModelRoute('chat', {
      models: [{ name: 'm', targets: [{ backend: badBackend, weight: 1000 }, { backend: simulatedBackend(good, { provider: 'openai' }), weight: 1 }] }],
      policies: { keyAuth: false },
    });
    const gw = await start(gateway);
    bad.setFault({ status: 500 });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await client(gw).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
        expect(res.choices[0].message.content).toContain('[sim:good]');
      }
      // Weighted 1000:1 towards the bad backend, yet it saw only the failures that opened its circuit.
      expect(bad.requests.length).toBe(2);
    } finally {
      await gw.close();
      await bad.close();
      await good.close();
    }
  });

  test('one backend dies mid-load with fallback configured: zero client-visible failures', async () => {
    const primary = await UpstreamSimulator.start({ name: 'primary' });
    const spare = await UpstreamSimulator.start({ name: 'spare' });
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [
        { name: 'gpt-4o', targets: [{ backend: simulatedBackend(primary, { provider: 'openai', retries: { backoffBaseMs: 1 } }) }], fallbacks: ['spare'] },
        { name: 'spare', targets: [{ backend: simulatedBackend(spare, { provider: 'openai' }) }] },
      ],
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway);
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CONSUMER_KEYS.alice, maxRetries: 0 });
    let ok = 0;
    let failed = 0;
    /** Streams that had already relayed text when the primary died: the client has it, so nothing can be replayed elsewhere. */
    let brokenMidStream = 0;
    let primaryDead = false;
    const served = new Set<string>();
    try {
      const worker = async (w: number) => {
        for (let i = 0; i < 40; i++) {
          if (w === 0 && i === 10) {
            primaryDead = true;
            await primary.close(); // the primary dies while the others are mid-flight
          }
          const stream = i % 2 === 0;
          let text = '';
          try {
            if (stream) {
              const s = await sdk.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] });
              for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
              served.add(text.slice(0, 13));
            } else {
              const r = await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
              served.add(r.choices[0].message.content!.slice(0, 13));
            }
            ok++;
          } catch {
            if (stream && primaryDead && text.startsWith('[sim:primary]')) brokenMidStream++;
            else failed++;
          }
        }
      };
      await Promise.all([0, 1, 2, 3].map(worker));
      expect(failed).toBe(0);
      expect(ok + brokenMidStream).toBe(160);
      expect(served).toEqual(new Set(['[sim:primary]', '[sim:spare] s']));
    } finally {
      await gw.close();
      await spare.close();
      await primary.close().catch(() => undefined);
    }
  });

  test('route timeouts: first byte beyond the route limit is a 504 naming it', async () => {
    const slow = await UpstreamSimulator.start({ latencyMs: 2_000 });
    const gateway = gatewayStack();
    gateway.addModelRoute('chat', {
      models: [{ name: 'm', targets: [{ backend: simulatedBackend(slow, { provider: 'openai', retries: { attempts: 0 } }) }] }],
      policies: { keyAuth: false, timeouts: { firstByteMs: 100 } },
    });
    const gw = await start(gateway);
    try {
      await expect(client(gw).chat.completions.create({ model: 'm', messages: [] })).rejects.toMatchObject({ status: 504, code: 'upstream_timeout' });
    } finally {
      await gw.close();
      await slow.close();
    }
  });

  test('CORS: preflight answered before auth; allowed origins echoed; others not', async () => {
    const sim = await UpstreamSimulator.start();
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', {
      models: [{ name: 'm', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }],
      policies: { cors: { allowOrigins: ['https://app.example.com'] } },
    });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway);
    try {
      const preflight = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { 'origin': 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
      const denied = await fetch(`${gw.url}/v1/chat/completions`, { method: 'OPTIONS', headers: { 'origin': 'https://evil.example.com', 'access-control-request-method': 'POST' } });
      expect(denied.status).toBe(403);
      const real = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'origin': 'https://app.example.com', 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      expect(real.status).toBe(200);
      expect(real.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    } finally {
      await gw.close();
      await sim.close();
    }
  });
});
