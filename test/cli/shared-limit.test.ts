import OpenAI from 'openai';
import { freePort, spawnServe, waitReady } from './serve-process';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { UpstreamSimulator } from '../../src/testing';
import { kubeletDir, shardFiles } from '../dataplane/config-files';
import { gatewayStack } from '../dataplane/harness';
import { startRedisServer } from '../support/redis-server';

jest.setTimeout(90_000);

test('two aigw serve processes share one limit through Redis: the total admitted across both is the limit', async () => {
  const sim = await UpstreamSimulator.start();
  const redis = await startRedisServer();
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', {
    models: [{ name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1` }) }] }],
    policies: { rateLimits: [{ limit: 10, window: 'hour', scope: 'route' }], onRedisUnavailable: 'failClosed' },
  });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const { config } = synthesizedGatewayConfig(gateway);
  // The synthesized address is the in-cluster Service; here both replicas use the test's redis-server.
  const { dir } = kubeletDir(shardFiles({ ...config, redis: { address: redis.address, keyPrefix: 'aigw:gw:' } }));
  const replicas = await Promise.all(
    [0, 1].map(async () => {
      const [port, adminPort] = [await freePort(), await freePort()];
      const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1'], { AIGW_SECRET_CONSUMER_KEYS_ALICE: 'alice-key' });
      await waitReady(`http://127.0.0.1:${adminPort}`, 30_000, serve.exited);
      return { serve, client: new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'alice-key', maxRetries: 0 }) };
    }),
  );
  try {
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => replicas[i % 2].client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `${i}` }] })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(results.filter((r) => r.status === 'rejected' && (r.reason as { status: number }).status === 429)).toHaveLength(20);
    // The upstream saw exactly the admitted requests: a refused one never left the gateway.
    expect(sim.requests.length).toBe(10);
  } finally {
    for (const r of replicas) r.serve.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.serve.exited));
    await redis.stop();
    await sim.close();
  }
});
