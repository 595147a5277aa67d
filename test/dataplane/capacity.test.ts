import { connect } from 'net';
import { gatewayStack, simulatedBackend, start } from './harness';
import { UpstreamSimulator } from '../../src/testing';

async function rawRequest(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.write('GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
}

describe('capacity: each replica enforces its share of the spec', () => {
  let sim: UpstreamSimulator;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
  });
  afterAll(() => sim.close());

  function gateway() {
    const g = gatewayStack();
    g.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }], policies: { keyAuth: false } });
    return g;
  }

  test('one connection over the share gets a clean 503 with Connection: close, counted in metrics', async () => {
    const gw = await start(gateway(), (c) => ({ ...c, limits: { ...c.limits, maxClientConnections: 3 } }));
    const port = Number(new URL(gw.url).port);
    const held = await Promise.all([0, 1, 2].map(() => new Promise<ReturnType<typeof connect>>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
    })));
    try {
      const response = await rawRequest(port);
      expect(response).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(response).toContain('Connection: close');
      expect(response).toContain('"code":"too_many_connections"');
      const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/aigw_capacity_rejections_total\{reason="connections"[^}]*\} 1/);
      // A held connection closing frees its place.
      held.pop()!.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(await rawRequest(port)).toMatch(/^HTTP\/1\.1 200 OK/);
    } finally {
      held.forEach((s) => s.destroy());
      await gw.close();
    }
  });

  test('requests over the QPS share get a 503 with Retry-After', async () => {
    const gw = await start(gateway(), (c) => ({ ...c, limits: { ...c.limits, maxQps: 5 } }));
    try {
      const statuses: number[] = [];
      let rejected: Response | undefined;
      for (let i = 0; i < 30; i++) {
        const res = await fetch(`${gw.url}/v1/models`);
        statuses.push(res.status);
        if (res.status === 503 && !rejected) rejected = res;
        else await res.arrayBuffer();
      }
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
      expect(rejected).toBeDefined();
      expect(rejected!.headers.get('retry-after')).toBe('1');
      expect(((await rejected!.json()) as any).error.code).toBe('capacity_exceeded');
    } finally {
      await gw.close();
    }
  });
});

test('a slow client that never finishes its headers is cut off (slowloris)', async () => {
  const sim = await UpstreamSimulator.start();
  const g = gatewayStack();
  g.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }], policies: { keyAuth: false } });
  const gw = await start(g, (c) => ({ ...c, limits: { ...c.limits, headersTimeoutMs: 300 } }));
  try {
    const port = Number(new URL(gw.url).port);
    const response = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /v1/models HTTP/1.1\r\nHost: x\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
    });
    expect(response).toMatch(/^HTTP\/1\.1 408/);
  } finally {
    await gw.close();
    await sim.close();
  }
});
