import { rmSync } from 'fs';
import OpenAI from 'openai';
import { freePort, spawnServe, waitReady } from './serve-process';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { type GatewayConfig, MAX_CONFIG_NESTING } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { kubeletDir, shardFiles } from '../dataplane/config-files';
import { gatewayStack } from '../dataplane/harness';
import { eventually } from '../support/eventually';
import { freshGet } from '../support/fresh-get';

jest.setTimeout(60_000);

function configFor(sim: UpstreamSimulator) {
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1` }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  return synthesizedGatewayConfig(gateway);
}

type JsonValue = GatewayConfig['extensions'][number]['config'][string];

/** An extension whose config holds arrays nested 2,000 deep: deep enough to overflow the schema's recursion. */
function deeplyNested(): GatewayConfig['extensions'][number] {
  const deep = JSON.parse(`${'['.repeat(2_000)}${']'.repeat(2_000)}`) as JsonValue;
  return { name: 'deep', source: 'system', phase: 'default', priority: 0, failPolicy: 'open', enabled: false, config: { deep } };
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

  test('a malformed URL, or a value nested too deeply, exits 1 with one line naming the field, the value and the reason', async () => {
    const sim = await UpstreamSimulator.start();
    const { config } = configFor(sim);
    await sim.close();
    const badUrl = structuredClone(config);
    badUrl.backends[0].baseUrl = 'not a url';
    const deep = structuredClone(config);
    deep.extensions = [deeplyNested()];
    for (const [broken, line] of [
      [badUrl, 'backends[0].baseUrl: must be an http(s) URL, found "not a url"'],
      [deep, `extensions[0].config.deep[0][0][0][0]…: nested more than ${MAX_CONFIG_NESTING} levels deep`],
    ] as const) {
      const { dir } = kubeletDir(shardFiles(broken));
      try {
        const serve = spawnServe(['--config', dir, '--port', '0', '--admin-port', '0']);
        expect(await serve.exited).toBe(1);
        expect(serve.stderr()).toBe(`aigw serve: config ${dir}: invalid config: ${line}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('bad configs swapped in again and again from the moment it listens never stop it: each is rejected, the good one keeps serving', async () => {
    const sim = await UpstreamSimulator.start();
    const good = configFor(sim);
    const badUrl = structuredClone(good.config);
    badUrl.backends[0].baseUrl = 'not a url';
    const deep = structuredClone(good.config);
    deep.extensions = [deeplyNested()];
    const bad = [shardFiles(badUrl), shardFiles(deep)];
    const { dir, swap } = kubeletDir(shardFiles(good.config));
    const [port, adminPort] = [await freePort(), await freePort()];
    const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1'], { AIGW_SECRET_CONSUMER_KEYS_ALICE: 'alice-key' });
    let stdout = '';
    serve.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      // From the first log line that says it listens (the watcher starts right after), through its first polls.
      while (!stdout.includes('"msg":"listening"')) {
        if (serve.child.exitCode !== null) throw new Error(`aigw serve exited: ${serve.stderr()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      for (let i = 0; i < 120; i++) {
        swap(bad[i % 2]);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(serve.child.exitCode).toBeNull();
      await waitReady(`http://127.0.0.1:${adminPort}`, 30_000, serve.exited);
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      const rejected = /^aigw_config_reloads_total\{[^}]*result="rejected"[^}]*\} (\d+)$/m.exec(metrics);
      expect(Number(rejected?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
      expect(metrics).not.toMatch(/result="applied"/);
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'alice-key', maxRetries: 0 });
      const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'still here' }] });
      expect(res.choices[0].message.content).toBe('[sim:sim] gpt-4o: still here');
      expect(stdout).toContain('config rejected; the last good config keeps serving');
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
    } finally {
      serve.child.kill('SIGKILL');
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM: not ready at once but still serving new connections for the drain delay; then no new connections, the in-flight stream completes, exit 0', async () => {
    const sim = await UpstreamSimulator.start({ chunkDelayMs: 100, streamChunks: 40 });
    const { dir } = kubeletDir(shardFiles(configFor(sim).config));
    const [port, adminPort] = [await freePort(), await freePort()];
    const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1', '--drain-delay-ms', '1500'], {
      AIGW_SECRET_CONSUMER_KEYS_ALICE: 'alice-key',
    });
    try {
      await waitReady(`http://127.0.0.1:${adminPort}`, 30_000, serve.exited);
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'alice-key', maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a long answer' }] });
      const chunks: string[] = [];
      let signalled = false;
      let readyAfterSignal = 0;
      let duringDelay = 0;
      let afterDelay: unknown;
      for await (const chunk of stream) {
        chunks.push(chunk.choices[0]?.delta?.content ?? '');
        if (!signalled && chunks.length === 2) {
          signalled = true;
          serve.child.kill('SIGTERM');
          // Readiness flips first...
          await eventually(async () => (readyAfterSignal = (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status) === 503);
          // ...while a new connection is still accepted and served.
          duringDelay = (await freshGet(`http://127.0.0.1:${port}`, '/v1/models', 'alice-key')).status;
          // After the delay the listener is closed: a new connection is refused.
          await eventually(async () => (afterDelay = await freshGet(`http://127.0.0.1:${port}`, '/v1/models', 'alice-key').catch((e: NodeJS.ErrnoException) => e.code)) === 'ECONNREFUSED');
        }
      }
      expect(readyAfterSignal).toBe(503);
      expect(duringDelay).toBe(200);
      expect(afterDelay).toBe('ECONNREFUSED');
      // role chunk + 40 content chunks + the finish chunk: nothing was cut.
      expect(chunks.length).toBe(42);
      expect(await serve.exited).toBe(0);
    } finally {
      serve.child.kill('SIGKILL');
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
