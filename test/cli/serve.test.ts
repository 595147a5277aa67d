import OpenAI from 'openai';
import { freePort, spawnServe, waitReady } from './serve-process';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { UpstreamSimulator } from '../../src/testing';
import { kubeletDir, shardFiles } from '../dataplane/config-files';
import { gatewayStack } from '../dataplane/harness';

jest.setTimeout(60_000);

function configFor(sim: UpstreamSimulator) {
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1` }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  return synthesizedGatewayConfig(gateway);
}

describe('aigw serve, as a process', () => {
  test('an invalid config exits non-zero, naming the field and the reason', async () => {
    const sim = await UpstreamSimulator.start();
    const { config } = configFor(sim);
    await sim.close();
    const broken = structuredClone(config);
    (broken.modelRoutes[0].match as { host: string }).host = 'Not A Host';
    const { dir } = kubeletDir(shardFiles(broken));
    const serve = spawnServe(['--config', dir, '--port', '0', '--admin-port', '0']);
    expect(await serve.exited).toBe(1);
    expect(serve.stderr()).toContain(`aigw serve: config ${dir}: invalid config:`);
    expect(serve.stderr()).toContain('modelRoutes[0].match.host: must be a lowercase hostname');
  });

  test('a bad flag is a usage error (exit 2)', async () => {
    const serve = spawnServe(['--config', '/x', '--tls-accel=gpu']);
    expect(await serve.exited).toBe(2);
    expect(serve.stderr()).toContain("'--tls-accel' supports only 'qat', found 'gpu'");
  });

  test('SIGTERM drains: not ready, no new connections, the in-flight stream completes, exit 0', async () => {
    const sim = await UpstreamSimulator.start({ chunkDelayMs: 100, streamChunks: 20 });
    const { dir } = kubeletDir(shardFiles(configFor(sim).config));
    const [port, adminPort] = [await freePort(), await freePort()];
    const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1'], {
      AIGW_SECRET_CONSUMER_KEYS_ALICE: 'alice-key',
    });
    try {
      await waitReady(`http://127.0.0.1:${adminPort}`, 30_000, serve.exited);
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'alice-key', maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a long answer' }] });
      const chunks: string[] = [];
      let signalled = false;
      let readyDuringDrain = 0;
      for await (const chunk of stream) {
        chunks.push(chunk.choices[0]?.delta?.content ?? '');
        if (!signalled && chunks.length === 2) {
          signalled = true;
          serve.child.kill('SIGTERM');
          await new Promise((r) => setTimeout(r, 200));
          readyDuringDrain = (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status;
          await expect(fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: 'Bearer alice-key' } })).rejects.toThrow();
        }
      }
      expect(readyDuringDrain).toBe(503);
      // role chunk + 20 content chunks + the finish chunk: nothing was cut.
      expect(chunks.length).toBe(22);
      expect(await serve.exited).toBe(0);
    } finally {
      serve.child.kill('SIGKILL');
      await sim.close();
    }
  });
});
