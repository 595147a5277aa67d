import { readFile } from 'fs/promises';
import { join } from 'path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Snapshot } from './compile/snapshot';
import { SYSTEM_METRICS, type SystemMetricKey } from '../specs/metrics';

/** What a pool's figures are read from: undici's `Pool.stats`. */
export interface PoolStatsSource {
  readonly stats: { readonly connected: number; readonly free: number; readonly running: number; readonly pending: number };
}

export interface SystemMetricSources {
  /**
   * The replica's cgroup v2 directory: inside a container, its own cgroup is mounted at the root.
   * @default AIGW_CGROUP_ROOT (for tests only), else '/sys/fs/cgroup'
   */
  readonly cgroupRoot?: string;
  /** The current config's upstream pools, by a name the config bounds. @default none */
  readonly pools?: () => Iterable<readonly [string, PoolStatsSource]>;
}

/** The pool states reported, in `Pool.stats` terms. */
const POOL_STATES = ['connected', 'free', 'running', 'pending'] as const;

/**
 * Registers the system tier's own families (SYSTEM_METRICS): read at scrape time from the cgroup
 * files and the pools, so nothing runs between scrapes. A family whose source is absent (a file
 * missing, `max` for no limit) is listed with no sample, never an error.
 */
export function registerSystemMetrics(registry: Registry, sources: SystemMetricSources = {}): void {
  const root = sources.cgroupRoot ?? (process.env.AIGW_CGROUP_ROOT || '/sys/fs/cgroup');
  const registers = [registry];
  const cpuStat = () => readKeyed(join(root, 'cpu.stat'));
  const usec = (key: string) => async () => {
    const v = (await cpuStat())?.[key];
    return v === undefined ? undefined : v / 1e6;
  };
  counter('cpuUsage', usec('usage_usec'));
  counter('cpuThrottled', usec('throttled_usec'));
  counter('cpuThrottledPeriods', async () => (await cpuStat())?.nr_throttled);
  gauge('cpuLimit', async () => {
    // `<quota> <period>` in microseconds, or `max <period>` without a limit.
    const [quota, period] = (await readText(join(root, 'cpu.max')))?.split(/\s+/) ?? [];
    return quota === undefined || quota === 'max' ? undefined : numberOrUndefined(Number(quota) / Number(period));
  });
  gauge('memoryUsage', async () => numberOrUndefined(Number(await readText(join(root, 'memory.current')))));
  gauge('memoryLimit', async () => {
    const text = await readText(join(root, 'memory.max'));
    return text === undefined || text === 'max' ? undefined : numberOrUndefined(Number(text));
  });
  counter('oomKills', async () => (await readKeyed(join(root, 'memory.events')))?.oom_kill);

  const pools = sources.pools;
  new Gauge({
    ...spec('upstreamPoolConnections'),
    registers,
    collect() {
      // Rebuilt at each scrape: a pool the current config no longer has goes away with it.
      this.reset();
      for (const [pool, source] of pools?.() ?? []) {
        for (const state of POOL_STATES) this.set({ pool, state }, source.stats[state]);
      }
    },
  });

  function counter(key: SystemMetricKey, value: () => Promise<number | undefined>): void {
    new Counter({
      ...spec(key),
      registers,
      async collect() {
        const v = await value();
        if (v === undefined) return this.remove();
        // A counter of the kernel's: taken as it is (it only goes down when the container restarts, as a counter may).
        this.reset();
        this.inc(v);
      },
    });
  }

  function gauge(key: SystemMetricKey, value: () => Promise<number | undefined>): void {
    new Gauge({
      ...spec(key),
      registers,
      async collect() {
        const v = await value();
        if (v === undefined) this.remove();
        else this.set(v);
      },
    });
  }
}

/** The pools of a snapshot: each backend's (and each agent route's, `agent:<route>`), and each proxied MCP server's (`mcp:<name>`). */
export function snapshotPools(snapshot: Snapshot): [string, PoolStatsSource][] {
  const pools: [string, PoolStatsSource][] = [...snapshot.upstreams].map(([name, u]) => [name, u.pool]);
  for (const m of snapshot.mcpServers) if (m.server === 'proxy') pools.push([`mcp:${m.config.name}`, m.upstream.pool]);
  return pools;
}

function spec(key: SystemMetricKey): { name: string; help: string; labelNames: string[] } {
  const { name, help, labelNames } = SYSTEM_METRICS[key];
  return { name, help, labelNames: [...labelNames] };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** A flat-keyed cgroup file (`key value` per line) as numbers. */
async function readKeyed(file: string): Promise<Record<string, number> | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split(/\s+/);
    const n = Number(value);
    if (key && Number.isFinite(n)) out[key] = n;
  }
  return out;
}

function numberOrUndefined(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}
