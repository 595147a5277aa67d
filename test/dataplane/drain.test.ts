import OpenAI from 'openai';
import { gatewayStack, simulatedBackend } from './harness';
import { prestop } from '../../src/cli/prestop';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets } from '../../src/dataplane';
import { isLoopbackAddress } from '../../src/dataplane/admin-access';
import { PROBE_PATHS } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { eventually } from '../support/eventually';
import { freshGet } from '../support/fresh-get';

jest.setTimeout(60_000);

const KEY = 'sk-alice-drain-test';

describe('drain in two phases', () => {
  test('the preStop hook: readiness 503 at once, new connections still served (told to reconnect) until the delay ends; then drain: no new connections, the in-flight stream completes', async () => {
    const sim = await UpstreamSimulator.start({ chunkDelayMs: 100, streamChunks: 40 });
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const plane = await DataPlane.start({
      config: synthesizedGatewayConfig(gateway),
      secrets: new FileAndEnvSecrets(undefined, { AIGW_SECRET_CONSUMER_KEYS_ALICE: KEY }),
      port: 0,
      adminPort: 0,
      host: '127.0.0.1',
      logger: createLogger({ write: () => undefined }),
      drainDelayMs: 1_500,
    });
    try {
      expect((await freshGet(plane.adminUrl, PROBE_PATHS.readiness, KEY)).status).toBe(200);
      const client = new OpenAI({ baseURL: `${plane.url}/v1`, apiKey: KEY, maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a long answer' }] });
      const chunks: string[] = [];
      let preStop: Promise<number> | undefined;
      let drained: Promise<void> | undefined;
      const seen: Record<string, unknown> = {};
      for await (const chunk of stream) {
        chunks.push(chunk.choices[0]?.delta?.content ?? '');
        if (preStop || chunks.length !== 2) continue;
        // kubelet runs the preStop hook (`aigw prestop`, inside the pod) and waits for it to exit.
        preStop = prestop(['--admin-port', new URL(plane.adminUrl).port]);
        await eventually(async () => (await freshGet(plane.adminUrl, PROBE_PATHS.readiness, KEY)).status === 503);
        seen.duringDelay = await freshGet(plane.url, '/v1/models', KEY);
        seen.preStop = await preStop;
        // Then SIGTERM: the delay has passed, so the listener closes at once.
        drained = plane.drain();
        await eventually(async () => (seen.afterDelay = await freshGet(plane.url, '/v1/models', KEY).catch((e: NodeJS.ErrnoException) => e.code)) === 'ECONNREFUSED');
      }
      expect(seen.duringDelay).toEqual({ status: 200, connection: 'close' });
      expect(seen.preStop).toBe(0);
      expect(seen.afterDelay).toBe('ECONNREFUSED');
      // role chunk + 40 content chunks + the finish chunk: nothing was cut.
      expect(chunks).toHaveLength(42);
      await drained;
    } finally {
      await plane.close();
      await sim.close();
    }
  });
});

describe('the preStop path changes the replica\'s state, so only the pod itself may call it', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.10.0.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.7', false],
    ['192.168.1.20', false],
    ['::ffff:10.0.0.7', false],
    ['fe80::1', false],
    ['1127.0.0.1', false],
    ['::ffff:1127.0.0.1', false],
    [undefined, false],
  ])('%s is loopback: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });

  test('`aigw prestop` with no gateway on the admin port exits 1 and says which port it tried', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => writes.push(String(s)) > 0);
    try {
      // Port 1 is privileged and never ours: nothing listens there.
      expect(await prestop(['--admin-port', '1'])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(writes.join('')).toContain("Is 'aigw serve' running with '--admin-port 1'?");
  });
});
