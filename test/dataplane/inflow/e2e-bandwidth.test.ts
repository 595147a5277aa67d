import { request } from 'undici';
import { Backend } from '../../../src';
import { synthesizedGatewayConfig } from '../../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets } from '../../../src/dataplane';
import type { GatewayConfig } from '../../../src/specs';
import { UpstreamSimulator } from '../../../src/testing';
import { kubeletDir, shardFiles } from '../config-files';
import { CONSUMER_KEYS, gatewayStack, simulatedBackend, start } from '../harness';

jest.setTimeout(60_000);

/**
 * `limits.bandwidthMbps` enforced by the data plane: each replica reads request bodies through one token bucket
 * sized to its share (bandwidthMbps / bandwidthReplicas). A test may only bound the rate from above (it cannot go
 * faster than the cap, however fast the machine); the accounting says how much was read and held.
 */

/** 2 Mbps for the whole gateway, one replica: 250,000 bytes a second (burst 64 KiB). */
const SHAPED = { bandwidthMbps: 2, bandwidthReplicas: 1 };
const RATE_BYTES_PER_SECOND = 250_000;

const shaped = (c: GatewayConfig): GatewayConfig => {
  const { redis: _redis, ...local } = c;
  return { ...local, limits: { ...local.limits, ...SHAPED } };
};

/** The value of an unlabelled-but-default-labelled counter on /metrics. */
async function counter(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

test('a 750 KB upload through a 2 Mbps gateway is capped near 250 KB/s, and /metrics counts its bytes and the time it was held', async () => {
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await start(gateway, shaped);
  try {
    expect(gw.plane.snapshot.bandwidth.bytesPerSecond).toBe(RATE_BYTES_PER_SECOND);
    const body = Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x'.repeat(750_000) }] }));
    const before = gw.plane.snapshot.bandwidth.totals;
    const started = performance.now();
    const res = await request(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' },
      body,
    });
    await res.body.text();
    const seconds = (performance.now() - started) / 1000;
    expect(res.statusCode).toBe(200);
    // Nothing dropped: the backend got the whole prompt.
    expect((sim.requests.at(-1)!.body as { messages: Array<{ content: string }> }).messages[0]!.content).toHaveLength(750_000);

    // The achieved rate is at most the cap, give or take the burst and scheduling: an upper bound on the rate (a
    // lower bound on the time), which a slow machine can only make easier to meet.
    const achieved = body.length / seconds;
    expect(achieved).toBeLessThan(1.5 * RATE_BYTES_PER_SECOND);

    const after = gw.plane.snapshot.bandwidth.totals;
    expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(body.length);
    // Past the burst, the rest waited for the bucket: at least (750 KB - 64 KiB) / 250 KB/s of waits computed.
    expect(after.heldSeconds - before.heldSeconds).toBeGreaterThan((body.length - 64 * 1024) / RATE_BYTES_PER_SECOND - 0.1);
    expect(await counter(gw.adminUrl, 'aigw_request_body_bytes_total')).toBeGreaterThanOrEqual(body.length);
    expect(await counter(gw.adminUrl, 'aigw_bandwidth_throttled_seconds_total')).toBeCloseTo(after.heldSeconds, 3);
  } finally {
    await gw.close();
    await sim.close();
  }
});

test("a reload that changes the bandwidth takes effect on the replica's one bucket, its counts going on", async () => {
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const plain = shaped(synthesizedGatewayConfig(gateway).config);
  const faster = { ...plain, limits: { ...plain.limits, bandwidthMbps: 8 } };
  const { dir, swap } = kubeletDir(shardFiles(plain));
  const plane = await DataPlane.start({
    config: { dir },
    secrets: new FileAndEnvSecrets(undefined, { AIGW_SECRET_CONSUMER_KEYS_ALICE: CONSUMER_KEYS.alice }),
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    logger: createLogger({ write: () => true } as unknown as NodeJS.WritableStream),
  });
  try {
    const first = plane.snapshot.bandwidth;
    expect(first.bytesPerSecond).toBe(RATE_BYTES_PER_SECOND);
    // A body read before the reload: counted, and the bucket emptied.
    first.take(200_000);
    swap(shardFiles(faster));
    expect(await plane.reload()).toMatchObject({ result: 'applied' });
    const second = plane.snapshot.bandwidth;
    expect(second).not.toBe(first);
    expect(second.bytesPerSecond).toBe(4 * RATE_BYTES_PER_SECOND);
    // The same bucket, not a fresh full one: what was read before the reload is still owed, and still counted.
    expect(second.totals.bytes).toBe(200_000);
    expect(second.take(1)).toBeGreaterThan(0);
    expect(first.totals).toEqual(second.totals);
  } finally {
    await plane.close();
  }
});
