import { createHook } from 'async_hooks';
import { rmSync, writeFileSync } from 'fs';
import { connect, type Socket } from 'net';
import { join } from 'path';
import { Writable } from 'stream';
import Redis from 'ioredis';
import OpenAI from 'openai';
import type { Logger } from 'pino';
import { kubeletDir, plainDir, shardFiles } from './config-files';
import { gatewayStack, simulatedBackend } from './harness';
import { mountSecrets } from './secret-files';
import { Backend } from '../../src';
import { synthesizedGatewayConfig } from '../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets } from '../../src/dataplane';
import { ConfigWatcher, type ConfigWatcherOptions, type Reloadable, type ReloadCause } from '../../src/dataplane/config-watcher';
import type { ReloadResult } from '../../src/dataplane/server';
import { decodeConfigShards, type GatewayConfig } from '../../src/specs';
import { type SimulatorOptions, UpstreamSimulator } from '../../src/testing';
import { spawnServe, freePort, waitReady } from '../cli/serve-process';
import { eventually } from '../support/eventually';
import { startRedisServer } from '../support/redis-server';

jest.setTimeout(60_000);

const KEY = 'sk-alice-reload-test';
const secrets = new FileAndEnvSecrets(undefined, { AIGW_SECRET_CONSUMER_KEYS_ALICE: KEY });

type Config = { config: GatewayConfig; hash: string };

/** One route `chat` serving `models`, each spread over the simulators (by weight), and consumer alice. */
function chatConfig(targets: { sim: UpstreamSimulator; weight?: number }[], models: string[] = ['gpt-4o']): Config {
  const gateway = gatewayStack();
  const backends = targets.map((t, i) => ({ backend: simulatedBackend(t.sim, { provider: 'openai', backendName: `sim-${i}` }), weight: t.weight }));
  const route = gateway.addModelRoute('chat', { models: models.map((name) => ({ name, targets: backends })) });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  return synthesizedGatewayConfig(gateway);
}

/** A variant of a config as raw data, with the hash the data plane will compute for it. */
function variant(base: GatewayConfig, edit: (c: GatewayConfig) => void): Config & { files: Map<string, Buffer> } {
  const config = structuredClone(base);
  edit(config);
  const files = shardFiles(config);
  const decoded = decodeConfigShards(files);
  if (!decoded.ok) throw new Error(decoded.reason);
  return { config, hash: decoded.hash, files };
}

/** A logger whose JSON lines are collected, parsed. */
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

interface Running {
  plane: DataPlane;
  watcher: ConfigWatcher;
  swap: (next: Map<string, Buffer>) => void;
  dir: string;
  logs: Record<string, unknown>[];
  client: OpenAI;
  close(): Promise<void>;
}

/** A data plane on a kubelet-style config directory, with a watcher started on it. */
async function startWatched(first: Config, options: ConfigWatcherOptions = {}): Promise<Running> {
  const { dir, swap } = kubeletDir(shardFiles(first.config));
  const { logger, logs } = collectingLogger();
  const plane = await DataPlane.start({ config: { dir }, secrets, port: 0, adminPort: 0, host: '127.0.0.1', logger });
  const watcher = new ConfigWatcher(plane, options).start();
  const client = new OpenAI({ baseURL: `${plane.url}/v1`, apiKey: KEY, maxRetries: 0 });
  return {
    plane,
    watcher,
    swap,
    dir,
    logs,
    client,
    close: async () => {
      watcher.stop();
      await plane.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function modelIds(client: OpenAI): Promise<string[]> {
  return (await client.models.list()).data.map((m) => m.id).sort();
}

async function reloadCounter(plane: DataPlane, result: string): Promise<number> {
  const text = await (await fetch(`${plane.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('aigw_config_reloads_total{') && l.includes(`result="${result}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function chat(client: OpenAI, model = 'gpt-4o'): Promise<string> {
  const res = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] });
  return res.choices[0].message.content ?? '';
}

describe('hot reload of the config directory', () => {
  let sims: UpstreamSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.map((s) => s.close()));
    sims = [];
  });
  async function sim(options: SimulatorOptions = {}): Promise<UpstreamSimulator> {
    const s = await UpstreamSimulator.start(options);
    sims.push(s);
    return s;
  }

  test("kubelet's ..data swap is picked up: a new model appears and is served", async () => {
    const upstream = await sim();
    const first = chatConfig([{ sim: upstream }]);
    const second = chatConfig([{ sim: upstream }], ['gpt-4o', 'gpt-4o-mini']);
    const gw = await startWatched(first);
    try {
      expect(await modelIds(gw.client)).toEqual(['gpt-4o']);
      const next = gw.watcher.nextReload();
      gw.swap(shardFiles(second.config));
      expect(await next).toMatchObject({ result: 'applied', hash: second.hash });
      expect(gw.plane.snapshot.hash).toBe(second.hash);
      expect(await modelIds(gw.client)).toEqual(['gpt-4o', 'gpt-4o-mini']);
      expect(await chat(gw.client, 'gpt-4o-mini')).toBe('[sim:sim] gpt-4o-mini: hello');
      expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'config reloaded', hash: second.hash }));
      expect(await reloadCounter(gw.plane, 'applied')).toBe(1);
    } finally {
      await gw.close();
    }
  });

  test('an invalid config or a half-updated set is rejected with a log line and a metric; the last good config keeps serving', async () => {
    const upstream = await sim();
    const good = chatConfig([{ sim: upstream }]);
    const gw = await startWatched(good);
    try {
      // A bad field.
      const broken = structuredClone(good.config);
      (broken.modelRoutes[0].match as { host: string }).host = 'Not A Host';
      let next = gw.watcher.nextReload();
      gw.swap(shardFiles(broken));
      const rejected = await next;
      expect(rejected).toMatchObject({ result: 'rejected', reason: expect.stringContaining('modelRoutes[0].match.host') });
      expect(gw.logs).toContainEqual(
        expect.objectContaining({ level: 50, msg: 'config rejected; the last good config keeps serving', serving: good.hash, reason: expect.stringContaining('modelRoutes[0].match.host') }),
      );
      expect(await reloadCounter(gw.plane, 'rejected')).toBe(1);
      expect(gw.plane.snapshot.hash).toBe(good.hash);
      expect(await chat(gw.client)).toBe('[sim:sim] gpt-4o: hello');

      // A half-updated set: one shard of another config, so two hashes.
      const one = shardFiles(good.config, 128);
      const two = shardFiles(chatConfig([{ sim: upstream }], ['gpt-4o', 'gpt-4o-mini']).config, 128);
      expect(two.has('shard-001.meta.json') && one.has('shard-001.meta.json')).toBe(true);
      const mixed = new Map(one);
      mixed.set('shard-001.meta.json', two.get('shard-001.meta.json')!);
      mixed.set('shard-001.json.gz', two.get('shard-001.json.gz')!);
      next = gw.watcher.nextReload();
      gw.swap(mixed);
      expect(await next).toMatchObject({ result: 'rejected', reason: expect.stringMatching(/disagree on the config hash|expected \d+ shards/) });
      expect(await reloadCounter(gw.plane, 'rejected')).toBe(2);
      expect(gw.plane.snapshot.hash).toBe(good.hash);
      expect(await modelIds(gw.client)).toEqual(['gpt-4o']);
      expect(await chat(gw.client)).toBe('[sim:sim] gpt-4o: hello');

      // A good set after the bad ones is applied.
      const fixed = chatConfig([{ sim: upstream }], ['gpt-4o', 'gpt-4o-mini']);
      next = gw.watcher.nextReload();
      gw.swap(shardFiles(fixed.config));
      expect(await next).toMatchObject({ result: 'applied', hash: fixed.hash });
      expect(await modelIds(gw.client)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    } finally {
      await gw.close();
    }
  });

  test('a stream in flight during a reload finishes on its snapshot: all of it from the old upstream', async () => {
    const oldUpstream = await sim({ name: 'old', chunkDelayMs: 50, streamChunks: 20 });
    const newUpstream = await sim({ name: 'new' });
    const before = chatConfig([{ sim: oldUpstream }]);
    const after = chatConfig([{ sim: newUpstream }]);
    const gw = await startWatched(before);
    try {
      const stream = await gw.client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a long answer' }] });
      const pieces: string[] = [];
      let finish: string | null = null;
      let swapped = false;
      for await (const chunk of stream) {
        pieces.push(chunk.choices[0]?.delta?.content ?? '');
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (!swapped && pieces.length === 2) {
          swapped = true;
          const next = gw.watcher.nextReload();
          gw.swap(shardFiles(after.config));
          expect(await next).toMatchObject({ result: 'applied', hash: after.hash });
          // New requests get the new snapshot while the stream goes on.
          expect(await chat(gw.client)).toBe('[sim:new] gpt-4o: hello');
        }
      }
      expect(swapped).toBe(true);
      // role chunk + 20 content chunks + the finish chunk, all from the old upstream.
      expect(pieces).toHaveLength(22);
      expect(pieces.join('')).toBe('[sim:old] gpt-4o: a long answer');
      expect(finish).toBe('stop');
      // The swap happened while the stream was in flight: its access line comes after the reload's.
      const reloadedAt = gw.logs.findIndex((l) => l.msg === 'config reloaded');
      const streamEndedAt = gw.logs.findIndex((l) => l.msg === 'access' && l.stream === true);
      expect(reloadedAt).toBeGreaterThanOrEqual(0);
      expect(streamEndedAt).toBeGreaterThan(reloadedAt);
      expect(gw.logs[streamEndedAt]).toMatchObject({ status: 200, route: 'chat' });
      expect(gw.logs[streamEndedAt].aborted).toBeUndefined();
      expect(oldUpstream.requests).toHaveLength(1);
      expect(newUpstream.requests).toHaveLength(1);
    } finally {
      await gw.close();
    }
  });

  test('reload under load: 20 reloads during continuous requests, zero failed requests', async () => {
    const a = await sim({ name: 'a', latencyMs: 5, chunkDelayMs: 2, streamChunks: 5 });
    const b = await sim({ name: 'b', latencyMs: 5, chunkDelayMs: 2, streamChunks: 5 });
    const base = chatConfig([{ sim: a }, { sim: b }]);
    // Each reload changes the config: the weight of the second backend, and one more model.
    const variants = Array.from({ length: 20 }, (_, i) =>
      variant(base.config, (c) => {
        const route = c.modelRoutes[0];
        route.models[0].targets[1].weight = i + 2;
        for (let m = 1; m <= i + 1; m++) route.models.push({ ...structuredClone(route.models[0]), name: `extra-${m}` });
      }),
    );
    const gw = await startWatched(base);
    const outcomes: { outcome: ReloadResult; cause: ReloadCause; inFlight: number }[] = [];
    let inFlight = 0;
    gw.watcher.onReload((outcome, cause) => outcomes.push({ outcome, cause, inFlight }));

    const failures: string[] = [];
    let completed = 0;
    let progress: { atLeast: number; wake: () => void } | undefined;
    const finished = (): void => {
      completed++;
      if (progress && completed >= progress.atLeast) progress.wake();
    };
    const completedAtLeast = (n: number): Promise<void> =>
      completed >= n ? Promise.resolve() : new Promise((resolve) => (progress = { atLeast: n, wake: resolve }));

    let done = false;
    const loop = async (worker: number): Promise<void> => {
      for (let n = 0; !done; n++) {
        const streaming = (worker + n) % 2 === 0;
        const prompt = `worker ${worker} request ${n}`;
        inFlight++;
        try {
          let content = '';
          let finish: string | null = null;
          if (streaming) {
            const stream = await gw.client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: prompt }] });
            for await (const chunk of stream) {
              content += chunk.choices[0]?.delta?.content ?? '';
              finish = chunk.choices[0]?.finish_reason ?? finish;
            }
          } else {
            const res = await gw.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }] });
            content = res.choices[0].message.content ?? '';
            finish = res.choices[0].finish_reason;
          }
          if (!/^\[sim:[ab]\] gpt-4o: /.test(content) || !content.endsWith(prompt) || finish !== 'stop') {
            failures.push(`${streaming ? 'stream' : 'request'} ${prompt}: unexpected ${JSON.stringify({ content, finish })}`);
          }
        } catch (e) {
          failures.push(`${streaming ? 'stream' : 'request'} ${prompt}: ${(e as Error).message}`);
        } finally {
          inFlight--;
          finished();
        }
      }
    };

    try {
      const workers = Array.from({ length: 6 }, (_, w) => loop(w));
      for (const next of variants) {
        // Some traffic between reloads, so every reload lands among requests and streams.
        await completedAtLeast(completed + 6);
        const reloaded = gw.watcher.nextReload();
        gw.swap(next.files);
        expect(await reloaded).toMatchObject({ result: 'applied', hash: next.hash });
      }
      await completedAtLeast(completed + 6);
      done = true;
      await Promise.all(workers);

      expect(failures).toEqual([]);
      expect(outcomes.map((o) => o.outcome)).toEqual(variants.map((v) => expect.objectContaining({ result: 'applied', hash: v.hash })));
      expect(outcomes.some((o) => o.inFlight > 0)).toBe(true);
      expect(await reloadCounter(gw.plane, 'applied')).toBe(20);
      expect(await reloadCounter(gw.plane, 'rejected')).toBe(0);
      expect(gw.plane.snapshot.hash).toBe(variants[19].hash);
      expect(await modelIds(gw.client)).toHaveLength(21);
      expect(a.requests.length + b.requests.length).toBe(completed);
      const swapMs = outcomes.map((o) => (o.outcome.result === 'applied' ? o.outcome.swapMs : 0));
      process.stdout.write(`reload under load: ${completed} requests, 20 reloads, swap ms max ${Math.max(...swapMs).toFixed(2)}\n`);
    } finally {
      done = true;
      await gw.close();
    }
  });

  test('a burst of swaps gives one reload, of the last set', async () => {
    const upstream = await sim();
    const base = chatConfig([{ sim: upstream }, { sim: upstream }]);
    const weights = Array.from({ length: 6 }, (_, i) => variant(base.config, (c) => (c.modelRoutes[0].models[0].targets[1].weight = i + 2)));
    const gw = await startWatched(base, { pollIntervalMs: 0, debounceMs: 300 });
    const reload = jest.spyOn(gw.plane, 'reload');
    try {
      let next = gw.watcher.nextReload();
      // Five swaps, each on its own turn of the event loop, so the watch reports each one.
      for (const w of weights.slice(0, 5)) {
        gw.swap(w.files);
        await new Promise((r) => setImmediate(r));
      }
      expect(await next).toMatchObject({ result: 'applied', hash: weights[4].hash });
      expect(reload).toHaveBeenCalledTimes(1);

      // The next swap is a reload of its own, and nothing came in between.
      next = gw.watcher.nextReload();
      gw.swap(weights[5].files);
      expect(await next).toMatchObject({ result: 'applied', hash: weights[5].hash });
      expect(reload).toHaveBeenCalledTimes(2);
    } finally {
      await gw.close();
    }
  });

  test('the poll is a safety net for missed events', async () => {
    const upstream = await sim();
    const first = chatConfig([{ sim: upstream }]);
    const second = chatConfig([{ sim: upstream }], ['gpt-4o', 'gpt-4o-mini']);
    const gw = await startWatched(first, { watch: false, pollIntervalMs: 50, debounceMs: 10 });
    try {
      const next = new Promise<ReloadCause>((resolve) => gw.watcher.onReload((_o, cause) => resolve(cause)));
      gw.swap(shardFiles(second.config));
      expect(await next).toBe('poll');
      expect(gw.plane.snapshot.hash).toBe(second.hash);
    } finally {
      await gw.close();
    }
  });

  test('a change between the plane starting and the watcher starting is reloaded on start', async () => {
    const upstream = await sim();
    const first = chatConfig([{ sim: upstream }]);
    const second = chatConfig([{ sim: upstream }], ['gpt-4o', 'gpt-4o-mini']);
    const { dir, swap } = kubeletDir(shardFiles(first.config));
    const plane = await DataPlane.start({ config: { dir }, secrets, port: 0, adminPort: 0, host: '127.0.0.1', logger: collectingLogger().logger });
    swap(shardFiles(second.config));
    const watcher = new ConfigWatcher(plane, { pollIntervalMs: 0 });
    try {
      const next = new Promise<[ReloadResult, ReloadCause]>((resolve) => watcher.onReload((o, c) => resolve([o, c])));
      watcher.start();
      expect(await next).toEqual([expect.objectContaining({ result: 'applied', hash: second.hash }), 'start']);
    } finally {
      watcher.stop();
      await plane.close();
    }
  });
});

describe('the watcher itself', () => {
  type FakePlane = Reloadable & { logs: Record<string, unknown>[] };
  function fakePlane(dir: string, hash: string, reload: () => ReloadResult | Promise<ReloadResult>): FakePlane {
    return { reload, snapshot: { hash }, configDir: dir, ...collectingLogger() };
  }

  function validDir(): { dir: string; hash: string } {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
    gateway.addConsumer('a', { apiKey: { secretName: 'k', key: 'a' }, grants: { routes: [route] } });
    const { config, hash } = synthesizedGatewayConfig(gateway);
    return { dir: plainDir(shardFiles(config)), hash };
  }

  test('never runs two reloads at once, and never throws out of a handler', async () => {
    const { dir, hash } = validDir();
    let running = 0;
    let most = 0;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered = (): void => undefined;
    const firstEntered = new Promise<void>((resolve) => (entered = resolve));
    let calls = 0;
    const plane = fakePlane(dir, hash, async () => {
      calls++;
      running++;
      most = Math.max(most, running);
      if (calls === 1) {
        entered();
        await held;
      }
      running--;
      if (calls === 2) throw new Error('boom');
      return { result: 'unchanged', hash };
    });
    const watcher = new ConfigWatcher(plane, { pollIntervalMs: 0, debounceMs: 10 }).start();
    watcher.onReload(() => {
      throw new Error('a listener that throws');
    });
    try {
      const first = watcher.nextReload();
      writeFileSync(join(dir, 'touch-1'), '1');
      // The first reload is held; changes meanwhile queue one more check.
      await firstEntered;
      const second = watcher.nextReload((o) => o.result === 'rejected');
      writeFileSync(join(dir, 'touch-2'), '2');
      writeFileSync(join(dir, 'touch-3'), '3');
      release();
      expect(await first).toEqual({ result: 'unchanged', hash });
      expect(await second).toEqual({ result: 'rejected', reason: 'reload failed: boom' });
      expect(calls).toBe(2);
      expect(most).toBe(1);
      expect(plane.logs).toContainEqual(expect.objectContaining({ msg: 'config reload failed; the last good config keeps serving', err: 'boom' }));
      expect(plane.logs).toContainEqual(expect.objectContaining({ msg: 'config reload listener failed', err: 'a listener that throws' }));
    } finally {
      watcher.stop();
    }
  });

  test('holds nothing that keeps the process alive, and stop() releases everything', async () => {
    const { dir, hash } = validDir();
    const plane = fakePlane(dir, hash, () => ({ result: 'unchanged', hash }));
    // Every watch and timer the watcher creates (not jest's own), until it is closed or cleared.
    const open = new Map<number, string>();
    const fromWatcher = (): boolean => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      return stack.includes('config-watcher');
    };
    const hook = createHook({
      init: (id, type) => void ((type === 'FSEVENTWRAP' || type === 'Timeout') && fromWatcher() ? open.set(id, type) : undefined),
      destroy: (id) => void open.delete(id),
    }).enable();
    try {
      const before = process.getActiveResourcesInfo();
      const watcher = new ConfigWatcher(plane, { pollIntervalMs: 20, debounceMs: 5 }).start();
      // Nothing it holds keeps the event loop alive.
      expect(process.getActiveResourcesInfo()).toEqual(before);
      expect([...open.values()].sort()).toEqual(['FSEVENTWRAP', 'Timeout']);
      const next = watcher.nextReload();
      writeFileSync(join(dir, 'touch'), 'x');
      expect(await next).toEqual({ result: 'unchanged', hash });
      const pending = watcher.nextReload();
      watcher.stop();
      await expect(pending).rejects.toThrow('the config watcher was stopped');
      expect(watcher.started).toBe(false);
      // destroy hooks run asynchronously.
      for (let i = 0; i < 3 && open.size > 0; i++) await new Promise((r) => setImmediate(r));
      expect([...open.values()]).toEqual([]);
    } finally {
      hook.disable();
    }
    expect(() => new ConfigWatcher({ ...plane, configDir: undefined })).toThrow('not started from a config directory');
  });
});

describe('aigw serve', () => {
  test('watches its config directory: a swap is served, and SIGTERM still exits 0', async () => {
    const upstream = await UpstreamSimulator.start();
    const first = chatConfig([{ sim: upstream }]);
    const second = chatConfig([{ sim: upstream }], ['gpt-4o', 'gpt-4o-mini']);
    const { dir, swap } = kubeletDir(shardFiles(first.config));
    const [port, adminPort] = [await freePort(), await freePort()];
    const serve = spawnServe(['--config', dir, '--port', String(port), '--admin-port', String(adminPort), '--host', '127.0.0.1'], { AIGW_SECRET_CONSUMER_KEYS_ALICE: KEY });
    try {
      await waitReady(`http://127.0.0.1:${adminPort}`, 30_000, serve.exited);
      const reloaded = new Promise<Record<string, unknown>>((resolve) => {
        let buffered = '';
        serve.child.stdout!.on('data', (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const line of lines) {
            let entry: Record<string, unknown>;
            try {
              entry = JSON.parse(line) as Record<string, unknown>;
            } catch {
              continue;
            }
            if (entry.msg === 'config reloaded' || entry.msg === 'config rejected; the last good config keeps serving') resolve(entry);
          }
        });
      });
      swap(shardFiles(second.config));
      expect(await reloaded).toMatchObject({ msg: 'config reloaded', hash: second.hash });
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: KEY, maxRetries: 0 });
      expect(await modelIds(client)).toEqual(['gpt-4o', 'gpt-4o-mini']);
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
    } finally {
      serve.child.kill('SIGKILL');
      await upstream.close();
    }
  });
});

/** `eventually`, at the 50 ms poll this file has always used (the shared default is 25 ms). */
const poll = (check: () => boolean | Promise<boolean>): Promise<void> => eventually(check, 15_000, { everyMs: 50 });

describe('Secrets rotation', () => {
  let sims: UpstreamSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.map((s) => s.close()));
    sims = [];
  });

  test.each(['per-secret', 'projected'] as const)("a consumer key rotated by kubelet's ..data swap (%s volume): the old key is refused, the new one accepted, on the same config", async (layout) => {
    const upstream = await UpstreamSimulator.start();
    sims.push(upstream);
    const config = chatConfig([{ sim: upstream }]);
    const mounted = mountSecrets(layout, { 'consumer-keys': { alice: 'sk-alice-before-rotation' } });
    const { dir } = kubeletDir(shardFiles(config.config));
    const { logger, logs } = collectingLogger();
    const plane = await DataPlane.start({ config: { dir }, secrets: new FileAndEnvSecrets(mounted.dir, {}), port: 0, adminPort: 0, host: '127.0.0.1', logger });
    // No poll: the watch alone must see the swap.
    const watcher = new ConfigWatcher(plane, { pollIntervalMs: 0 }).start();
    const status = async (key: string): Promise<number> => (await fetch(`${plane.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status;
    try {
      expect(await status('sk-alice-before-rotation')).toBe(200);
      expect(await status('sk-alice-after-rotation')).toBe(401);
      mounted.rotate({ 'consumer-keys': { alice: 'sk-alice-after-rotation' } });
      await poll(async () => (await status('sk-alice-after-rotation')) === 200);
      expect(await status('sk-alice-before-rotation')).toBe(401);
      // The config itself did not change: the rotation alone recompiled it.
      expect(plane.snapshot.hash).toBe(config.hash);
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'config reloaded', hash: config.hash, rotatedSecrets: ['consumer-keys/alice'] }));
      expect(await reloadCounter(plane, 'applied')).toBe(1);
    } finally {
      watcher.stop();
      await plane.close();
      mounted.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a reload applies every setting', () => {
  let sims: UpstreamSimulator[] = [];
  afterEach(async () => {
    await Promise.all(sims.map((s) => s.close()));
    sims = [];
  });

  /** A raw keep-alive connection to `url`'s port. */
  function rawSocket(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  test('idleTimeoutMs and headersTimeoutMs: open connections get the new values', async () => {
    const upstream = await UpstreamSimulator.start();
    sims.push(upstream);
    const base = chatConfig([{ sim: upstream }]);
    // The synthesized defaults are 60 s idle and 10 s for headers: far beyond this test's bounds.
    expect(base.config.limits.idleTimeoutMs).toBeGreaterThanOrEqual(60_000);
    const gw = await startWatched(base);
    try {
      const shorter = variant(base.config, (c) => {
        c.limits.idleTimeoutMs = 300;
        c.limits.headersTimeoutMs = 500;
      });
      const next = gw.watcher.nextReload();
      gw.swap(shorter.files);
      expect(await next).toMatchObject({ result: 'applied', hash: shorter.hash });

      // A keep-alive connection that answered one request is closed once idle for the new time.
      const idle = await rawSocket(gw.plane.url);
      let answer = '';
      idle.on('data', (d: Buffer) => (answer += d.toString()));
      let idleClosed = false;
      idle.once('close', () => (idleClosed = true));
      idle.write(`GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${KEY}\r\nConnection: keep-alive\r\n\r\n`);
      await poll(async () => answer.includes('gpt-4o'));
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      await poll(async () => idleClosed);

      // A client that never finishes its headers is cut off after the new header timeout.
      const slow = await rawSocket(gw.plane.url);
      let slowAnswer = '';
      slow.on('data', (d: Buffer) => (slowAnswer += d.toString()));
      let slowClosed = false;
      slow.once('close', () => (slowClosed = true));
      slow.write('GET /v1/models HTTP/1.1\r\nHost: localhost\r\n');
      await poll(async () => slowClosed);
      expect(slowAnswer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await gw.close();
    }
  });

  test('redis moved to another server: new counters land in the new one, the old store is closed', async () => {
    const upstream = await UpstreamSimulator.start();
    sims.push(upstream);
    const [first, second] = [await startRedisServer(), await startRedisServer()];
    const clients = [first, second].map((r) => new Redis({ port: r.port, host: '127.0.0.1', lazyConnect: true }));
    /** The sum of the gateway's counters in one Redis. */
    const counted = async (client: Redis): Promise<number> => {
      const keys = await client.keys('aigw:gw:*');
      const values = keys.length > 0 ? await client.mget(...keys) : [];
      return values.reduce((n, v) => n + Number(v ?? 0), 0);
    };
    const limited = (address: string): Config & { files: Map<string, Buffer> } =>
      variant(chatConfig([{ sim: upstream }]).config, (c) => {
        c.modelRoutes[0].policies.rateLimits = [{ name: 'r', kind: 'requests', limit: 1_000, window: 'hour', scope: 'route' }];
        c.modelRoutes[0].policies.onRedisUnavailable = 'failClosed';
        c.redis = { address, keyPrefix: 'aigw:gw:', counting: 'exact' }; // exact: the counts are read as charged
      });
    const before = limited(first.address);
    const after = limited(second.address);
    const gw = await startWatched(before);
    try {
      for (let i = 0; i < 2; i++) expect(await chat(gw.client)).toBe('[sim:sim] gpt-4o: hello');
      expect(await counted(clients[0])).toBe(2);
      const next = gw.watcher.nextReload();
      gw.swap(after.files);
      expect(await next).toMatchObject({ result: 'applied', hash: after.hash });
      for (let i = 0; i < 3; i++) expect(await chat(gw.client)).toBe('[sim:sim] gpt-4o: hello');
      expect(await counted(clients[1])).toBe(3);
      expect(await counted(clients[0])).toBe(2);
      expect(gw.logs).toContainEqual(expect.objectContaining({ msg: 'config reloaded', redis: second.address }));
      // The old store's connection is gone: the first server has only our own inspection client.
      await poll(async () => String(await clients[0].call('CLIENT', 'LIST')).trim().split('\n').length === 1);
    } finally {
      await gw.close();
      for (const c of clients) c.disconnect();
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
