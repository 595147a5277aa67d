import { writeFileSync } from 'fs';
import { join } from 'path';
import { Writable } from 'stream';
import OpenAI from 'openai';
import type { Logger } from 'pino';
import { kubeletDir, shardFiles } from './config-files';
import { gatewayStack, simulatedBackend } from './harness';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets } from '../../src/dataplane';
import { closeSnapshot, compileSnapshot, compileSnapshotSteps, type Snapshot } from '../../src/dataplane/compile/snapshot';
import { readConfig } from '../../src/dataplane/config-load';
import { configDecoderOf } from '../../src/dataplane/reload/decoder';
import { runSliced, SliceClock } from '../../src/dataplane/reload/sliced';
import { packConfig, unpackConfig } from '../../src/dataplane/reload/wire';
import type { GatewayConfig } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';

jest.setTimeout(60_000);

const KEY = 'sk-alice-reload-worker-test';
const secrets = new FileAndEnvSecrets(undefined, { AIGW_SECRET_CONSUMER_KEYS_ALICE: KEY, AIGW_SECRET_CONSUMER_KEYS_BOB: 'sk-bob-reload-worker-test' });

/** `count` model routes `r0`… on /r0…, each with a request limit, on `host`; consumers alice (all) and bob (r0 only). */
function routesConfig(sim: UpstreamSimulator, count: number, host?: string): { config: GatewayConfig; hash: string } {
  const gateway = gatewayStack();
  const backend = simulatedBackend(sim, { provider: 'openai', backendName: 'sim' });
  const routes = Array.from({ length: count }, (_, i) =>
    gateway.addModelRoute(`r${i}`, {
      pathPrefix: `/r${i}`,
      host,
      models: [{ name: 'gpt-4o', aliases: [`alias-${i}`], targets: [{ backend }] }],
      policies: { keyAuth: true, rateLimits: [{ limit: 1000 + i, window: 'minute', scope: 'consumer' }] },
    }),
  );
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: 'all' });
  gateway.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: 'bob' }, grants: { routes: [routes[0]] } });
  return synthesizedGatewayConfig(gateway);
}

function collectingLogger(): { logger: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(sink), logs };
}

interface Started {
  plane: DataPlane;
  dir: string;
  swap: (next: Map<string, Buffer>) => void;
  logs: Record<string, unknown>[];
}

async function startOn(first: GatewayConfig): Promise<Started> {
  const { dir, swap } = kubeletDir(shardFiles(first));
  const { logger, logs } = collectingLogger();
  const plane = await DataPlane.start({ config: { dir }, secrets, port: 0, adminPort: 0, host: '127.0.0.1', logger });
  return { plane, dir, swap, logs };
}

async function chat(plane: DataPlane, prefix: string): Promise<string> {
  const client = new OpenAI({ baseURL: `${plane.url}${prefix}/v1`, apiKey: KEY, maxRetries: 0 });
  const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
  return res.choices[0].message.content ?? '';
}

describe('reload through the decode worker', () => {
  let sim: UpstreamSimulator;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
  });
  afterAll(async () => {
    await sim.close();
  });

  test('a new config is decoded off the main thread and served: its new routes answer; the log line has blockedMs', async () => {
    const gw = await startOn(routesConfig(sim, 1).config);
    try {
      const next = routesConfig(sim, 3);
      gw.swap(shardFiles(next.config));
      expect(await gw.plane.reload()).toMatchObject({ result: 'applied', hash: next.hash });
      expect(configDecoderOf(gw.plane)?.worker).toBeDefined();
      expect(gw.plane.snapshot.hash).toBe(next.hash);
      expect(await chat(gw.plane, '/r2')).toBe('[sim:sim] gpt-4o: hello');
      const line = gw.logs.find((l) => l.msg === 'config reloaded');
      expect(line).toMatchObject({ hash: next.hash, swapMs: expect.any(Number), blockedMs: expect.any(Number) });
    } finally {
      await gw.plane.close();
    }
  });

  test('the worker is stopped when the plane closes', async () => {
    const gw = await startOn(routesConfig(sim, 1).config);
    gw.swap(shardFiles(routesConfig(sim, 2).config));
    expect(await gw.plane.reload()).toMatchObject({ result: 'applied' });
    const worker = configDecoderOf(gw.plane)!.worker!;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    await gw.plane.close();
    await exited;
    expect(configDecoderOf(gw.plane)!.worker).toBeUndefined();
  });

  test('a bad config is rejected with the reason readConfig gives, and the last good one keeps serving', async () => {
    const good = routesConfig(sim, 1);
    const gw = await startOn(good.config);
    try {
      const broken = structuredClone(good.config);
      (broken.modelRoutes[0].match as { host: string }).host = 'Not A Host';
      gw.swap(shardFiles(broken));
      const expected = readConfig({ dir: gw.dir });
      expect(expected).toMatchObject({ ok: false, reason: expect.stringContaining('modelRoutes[0].match.host') });
      expect(await gw.plane.reload()).toEqual({ result: 'rejected', reason: (expected as { reason: string }).reason });

      // Not even a gzip stream: the inflate's own message, as readConfig words it.
      writeFileSync(join(gw.dir, '..data', 'shard-000.json.gz'), 'not gzip');
      const garbled = readConfig({ dir: gw.dir });
      expect(garbled).toMatchObject({ ok: false, reason: expect.stringContaining('shards do not gunzip') });
      expect(await gw.plane.reload()).toEqual({ result: 'rejected', reason: (garbled as { reason: string }).reason });

      expect(gw.plane.snapshot.hash).toBe(good.hash);
      expect(await chat(gw.plane, '/r0')).toBe('[sim:sim] gpt-4o: hello');
    } finally {
      await gw.plane.close();
    }
  });

  test('a worker that dies mid-decode rejects that reload, naming the worker; the next reload starts a new one and applies', async () => {
    const gw = await startOn(routesConfig(sim, 1).config);
    try {
      const next = routesConfig(sim, 2);
      gw.swap(shardFiles(next.config));
      // The worker is started and asked at once (before reload's first await): ending it now is a crash mid-decode.
      const pending = gw.plane.reload();
      const first = configDecoderOf(gw.plane)!.worker!;
      await first.terminate();
      expect(await pending).toEqual({ result: 'rejected', reason: expect.stringMatching(/^the config decode worker \(a worker thread of this process\) exited \(code \d+\) before it answered; the next reload starts a new one$/) });
      expect(gw.plane.snapshot.hash).not.toBe(next.hash);
      expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'config rejected; the last good config keeps serving', reason: expect.stringContaining('config decode worker') }));

      expect(await gw.plane.reload()).toMatchObject({ result: 'applied', hash: next.hash });
      expect(configDecoderOf(gw.plane)!.worker).not.toBe(first);
      expect(await chat(gw.plane, '/r1')).toBe('[sim:sim] gpt-4o: hello');

      // Killed between reloads: the next one notices nothing.
      await configDecoderOf(gw.plane)!.worker!.terminate();
      const third = routesConfig(sim, 3);
      gw.swap(shardFiles(third.config));
      expect(await gw.plane.reload()).toMatchObject({ result: 'applied', hash: third.hash });
    } finally {
      await gw.plane.close();
    }
  });
});

describe('sliced work', () => {
  let sim: UpstreamSimulator;
  beforeAll(async () => {
    sim = await UpstreamSimulator.start();
  });
  afterAll(async () => {
    await sim.close();
  });

  /** What requests see of a snapshot: routes, their matches, limits and models, consumers and upstreams. */
  function shape(s: Snapshot): unknown {
    const routes = s.routes.routesForHost('api.example.com');
    return {
      hash: s.hash,
      config: s.config,
      routes: routes.map((r) => ({ name: r.name, kind: r.kind, match: r.match, maxBodyBytes: r.maxBodyBytes, limits: r.limits, models: r.kind === 'model' ? r.models.listable() : [] })),
      matches: ['/r0/v1/chat/completions', '/r7/v1/models', '/r10/x', '/nothing'].map((path) => s.routes.match('api.example.com', path)?.name),
      otherHost: s.routes.match('other.example.com', '/r1/v1/models')?.name,
      consumers: [...s.consumersByDigest].map(([digest, c]) => [digest, c.name, c.all, [...c.routes]]),
      upstreams: [...s.upstreams.keys()],
      mcpServers: s.mcpServers.map((m) => m.name),
    };
  }

  test('a compile run in slices gives the same snapshot as the synchronous one', async () => {
    const { config, hash } = routesConfig(sim, 12, 'api.example.com');
    const whole = compileSnapshot(config, hash, secrets);
    const clock = new SliceClock();
    // A budget of 0: every step is a slice of its own, the most a reload can be cut.
    const sliced = await runSliced(compileSnapshotSteps(config, hash, secrets), clock, 0);
    try {
      expect(shape(sliced)).toEqual(shape(whole));
      expect((shape(whole) as { routes: unknown[] }).routes).toHaveLength(12);
      expect(clock.longestMs).toEqual(expect.any(Number));
    } finally {
      await Promise.all([closeSnapshot(whole), closeSnapshot(sliced)]);
    }
  });

  test('a compile that fails in slices fails as the synchronous one does', async () => {
    const { config, hash } = routesConfig(sim, 3);
    const noKeys = new FileAndEnvSecrets(undefined, {});
    const expected = (() => {
      try {
        compileSnapshot(config, hash, noKeys);
      } catch (e) {
        return (e as Error).message;
      }
      return 'compiled';
    })();
    expect(expected).toContain('secret consumer-keys/alice not found');
    await expect(runSliced(compileSnapshotSteps(config, hash, noKeys), new SliceClock(), 0)).rejects.toThrow(expected);
  });

  test('a config packed in chunks unpacks to the same config, keys in the same order', () => {
    const { config } = routesConfig(sim, 7);
    const { packed, transfer } = packConfig(config, 2);
    expect(packed.chunks.map((c) => c.key)).toEqual(['modelRoutes', 'modelRoutes', 'modelRoutes', 'modelRoutes']);
    expect(transfer).toHaveLength(5);
    const steps = unpackConfig(packed);
    let step = steps.next();
    let yields = 0;
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBe(4);
    expect(JSON.stringify(step.value)).toBe(JSON.stringify(config));
  });
});
