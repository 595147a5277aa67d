import { writeFileSync } from 'fs';
import { join } from 'path';
import { Pool } from 'undici';
import { client, gatewayStack, start } from './harness';
import { type Family, parseExposition } from './system-metrics-exposition';
import { Backend } from '../../src';
import { GatewayMetrics } from '../../src/dataplane/metrics';
import { snapshotPools } from '../../src/dataplane/system-metrics';
import { METRICS, SYSTEM_METRICS } from '../../src/specs';
import { UpstreamSimulator } from '../../src/testing';
import { eventually } from '../support/eventually';
import { tempDirs } from '../support/temp-dirs';

const tempDir = tempDirs();

/** A cgroup v2 directory as a container sees its own at /sys/fs/cgroup. */
function cgroup(files: Record<string, string>): string {
  const dir = tempDir('aigw-cgroup-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const SAMPLE_CGROUP = {
  'cpu.stat': 'usage_usec 12500000\nuser_usec 10000000\nsystem_usec 2500000\nnr_periods 40\nnr_throttled 3\nthrottled_usec 250000\n',
  'cpu.max': '150000 100000\n',
  'memory.current': '123456789\n',
  'memory.max': '536870912\n',
  'memory.events': 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n',
};

const SYSTEM_NAMES: readonly string[] = Object.values(SYSTEM_METRICS).map((m) => m.name);

/** Families by name, and one sample's value (no labels but the default ones, or these). */
async function scrape(metrics: GatewayMetrics): Promise<Map<string, Family>> {
  return parseExposition(await metrics.registry.metrics());
}
function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  return families.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('the system tier', () => {
  test("names are unique Prometheus names, apart from the business contract's, and counters end in _total", () => {
    const all = [...Object.values(METRICS).map((m) => m.name), ...SYSTEM_NAMES];
    expect(new Set(all).size).toBe(all.length);
    for (const m of Object.values(SYSTEM_METRICS)) {
      expect(m.name).toMatch(/^aigw_[a-z_]+$/);
      expect([m.name, m.type === 'counter']).toEqual([m.name, m.name.endsWith('_total')]);
    }
  });

  test("container CPU and memory from the cgroup v2 files: usage, limit, throttling, OOM kills, in the contract's names, types and help", async () => {
    const metrics = new GatewayMetrics({ gateway: 'g' });
    metrics.collectSystemMetrics({ cgroupRoot: cgroup(SAMPLE_CGROUP) });
    const families = await scrape(metrics);
    for (const m of Object.values(SYSTEM_METRICS)) {
      const family = families.get(m.name);
      expect([m.name, family?.type, family?.help]).toEqual([m.name, m.type, m.help]);
    }
    expect(valueOf(families, SYSTEM_METRICS.cpuUsage.name)).toBe(12.5);
    expect(valueOf(families, SYSTEM_METRICS.cpuThrottled.name)).toBe(0.25);
    expect(valueOf(families, SYSTEM_METRICS.cpuThrottledPeriods.name)).toBe(3);
    expect(valueOf(families, SYSTEM_METRICS.cpuLimit.name)).toBe(1.5);
    expect(valueOf(families, SYSTEM_METRICS.memoryUsage.name)).toBe(123456789);
    expect(valueOf(families, SYSTEM_METRICS.memoryLimit.name)).toBe(536870912);
    expect(valueOf(families, SYSTEM_METRICS.oomKills.name)).toBe(2);
    expect(families.get(SYSTEM_METRICS.cpuUsage.name)!.samples[0].labels).toEqual({ gateway: 'g' });
  });

  test('values are read at each scrape: a file that changes is seen', async () => {
    const root = cgroup(SAMPLE_CGROUP);
    const metrics = new GatewayMetrics();
    metrics.collectSystemMetrics({ cgroupRoot: root });
    writeFileSync(join(root, 'memory.current'), '222\n');
    writeFileSync(join(root, 'cpu.stat'), 'usage_usec 20000000\nnr_throttled 3\nthrottled_usec 250000\n');
    const families = await scrape(metrics);
    expect(valueOf(families, SYSTEM_METRICS.memoryUsage.name)).toBe(222);
    expect(valueOf(families, SYSTEM_METRICS.cpuUsage.name)).toBe(20);
  });

  test('absent files (cgroup v1, or no cgroup at all) and no limit (`max`): listed with no sample, no error', async () => {
    const empty = new GatewayMetrics();
    empty.collectSystemMetrics({ cgroupRoot: join(tempDir('aigw-cgroup-'), 'missing') });
    const none = await scrape(empty);
    for (const name of SYSTEM_NAMES) expect([name, none.get(name)?.samples]).toEqual([name, []]);
    const unlimited = new GatewayMetrics();
    unlimited.collectSystemMetrics({ cgroupRoot: cgroup({ ...SAMPLE_CGROUP, 'cpu.max': 'max 100000\n', 'memory.max': 'max\n' }) });
    const families = await scrape(unlimited);
    expect(families.get(SYSTEM_METRICS.cpuLimit.name)?.samples).toEqual([]);
    expect(families.get(SYSTEM_METRICS.memoryLimit.name)?.samples).toEqual([]);
    expect(valueOf(families, SYSTEM_METRICS.memoryUsage.name)).toBe(123456789);
  });

  test("an upstream pool's sockets and requests, from undici's Pool.stats, by the pool's name", async () => {
    // A slow stream: the response is still running while the test reads the figures.
    const sim = await UpstreamSimulator.start({ chunkDelayMs: 50, streamChunks: 20 });
    const pool = new Pool(sim.url);
    try {
      const metrics = new GatewayMetrics();
      metrics.collectSystemMetrics({ cgroupRoot: cgroup({}), pools: () => [['openai', pool]] });
      const idle = await scrape(metrics);
      expect(valueOf(idle, SYSTEM_METRICS.upstreamPoolConnections.name, { pool: 'openai', state: 'connected' })).toBe(0);
      const state = async (name: string) => valueOf(await scrape(metrics), SYSTEM_METRICS.upstreamPoolConnections.name, { pool: 'openai', state: name });
      // Headers in, body not read yet: one socket, one request running on it.
      const res = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'authorization': 'Bearer k' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'slowly' }] }),
      });
      expect([await state('connected'), await state('running'), await state('pending')]).toEqual([1, 1, 0]);
      await res.body.text();
      // The request done, the socket stays open and becomes free (undici frees it as the response ends).
      await eventually(async () => (await state('running')) === 0 && (await state('free')) === 1);
      expect(await state('connected')).toBe(1);
    } finally {
      await pool.close();
      await sim.close();
    }
  });
});

test("a running gateway's pools, named by the config: each backend's by its name", async () => {
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: new Backend({ provider: 'openai', baseUrl: `${sim.url}/v1` }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await start(gateway);
  try {
    await client(gw).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const pools = snapshotPools(gw.plane.snapshot);
    expect(pools.map(([name]) => name)).toEqual([...gw.plane.snapshot.upstreams.keys()]);
    expect(pools.map(([, p]) => p.stats.connected)).toEqual([1]);
  } finally {
    await gw.close();
    await sim.close();
  }
});

describe('each tier exposes exactly its families, on a running gateway', () => {
  const previousRoot = process.env.AIGW_CGROUP_ROOT;
  beforeAll(() => {
    process.env.AIGW_CGROUP_ROOT = cgroup(SAMPLE_CGROUP);
  });
  afterAll(() => {
    if (previousRoot === undefined) delete process.env.AIGW_CGROUP_ROOT;
    else process.env.AIGW_CGROUP_ROOT = previousRoot;
  });

  async function familiesOf(tier: 'business' | 'full'): Promise<Map<string, Family>> {
    const gateway = gatewayStack();
    const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.vllm({ baseUrl: 'http://vllm:8000/v1' }) }] }] });
    gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
    const gw = await start(gateway, (c) => ({ ...c, observability: { ...c.observability, tier } }));
    try {
      return parseExposition(await (await fetch(`${gw.adminUrl}/metrics`)).text());
    } finally {
      await gw.close();
    }
  }

  test("business: the contract's families only, no process, container or pool figures", async () => {
    const names = [...(await familiesOf('business')).keys()];
    expect(names).toEqual(Object.values(METRICS).map((m) => m.name));
  });

  test('full: the business families, the system tier (container from the cgroup files), and the process ones: event-loop delay percentiles, GC pauses, heap by space', async () => {
    const families = await familiesOf('full');
    const names = [...families.keys()];
    for (const name of [...Object.values(METRICS).map((m) => m.name), ...SYSTEM_NAMES]) expect(names).toContain(name);
    for (const name of ['nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds', 'nodejs_heap_space_size_used_bytes', 'process_cpu_seconds_total', 'process_resident_memory_bytes']) {
      expect(names).toContain(name);
    }
    // Nothing else: the contract, the system tier, and prom-client's process_* and nodejs_* families.
    expect(names.filter((n) => !/^(process|nodejs)_/.test(n) && !Object.values(METRICS).some((m) => m.name === n) && !SYSTEM_NAMES.includes(n))).toEqual([]);
    expect(valueOf(families, SYSTEM_METRICS.memoryLimit.name)).toBe(536870912);
    expect(valueOf(families, SYSTEM_METRICS.cpuLimit.name)).toBe(1.5);
  });
});
