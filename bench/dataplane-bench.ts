/**
 * Data-plane benchmark (issue #6): `aigw serve` against the peers, and the capacity specs as
 * measured facts. NOT a test: it measures and reports; a missed goal is written down, never hidden.
 *
 *   npm run bench            (= bash bench/run.sh: installs the tools, compiles, runs this, cleans up)
 *   node -r ts-node/register/transpile-only bench/dataplane-bench.ts   (what run.sh runs, pinned to CPU 0)
 *
 * Contenders, each on CPU 1 (`taskset -c 1`), in front of the same simulator process (CPU 0), with
 * the same load generators (CPU 0): direct (the simulator), nginx, Portkey, aigw. See
 * BENCHMARKS.md "## Data plane" for what each section measures; it is rewritten by every full run
 * (between the dataplane-bench markers). Raw results: bench/out/dataplane/results.json; CPU
 * profiles: bench/out/dataplane/profiles/.
 *
 * Settings (environment):
 *   BENCH_DURATION_S=10      each wrk throughput run
 *   BENCH_CONNECTIONS=50     wrk connections
 *   BENCH_RATE=1500          fixed rate of the latency runs (hey), req/s in total
 *   BENCH_LATENCY_S=10       each fixed-rate run
 *   BENCH_HEY_WORKERS=5      hey workers (-c) at BENCH_RATE; hey sends bursts of -c requests, so few workers = closer to a fixed rate
 *   BENCH_TTFT_RATE=1000     fixed rate of the streaming TTFT runs, streams/s (see BENCHMARKS.md for why not 1,500)
 *   BENCH_TTFT_S=10          each TTFT run
 *   BENCH_ROUTES=10000       routes of the large config (route count, reload)
 *   BENCH_ROUTE_ROUNDS=3     alternating 10 / 10,000-route rounds
 *   BENCH_ROUTE_PREPASS_S=5  before each route-count run, an unrecorded wrk pass over all its routes (steady state)
 *   BENCH_RELOAD_S=12        load during the reload test; BENCH_RELOAD_SWAPS=4 swaps of ..data
 *   BENCH_IDLE_CONNS=20000   idle keep-alive connections to hold
 *   BENCH_CAPACITY_S=10      fixed-rate run at POD_CAPACITY.qps
 *   BENCH_CAPACITY_RATES=250,500,750,1000,1250,1500,2000,2500,3000   capacity search: open-loop rates stepped (Direct and aigw at each),
 *                            until aigw's p99 overhead over Direct exceeds 5 ms; then one bisection step
 *   BENCH_CAPACITY_STEP_S=6  each step of the capacity search
 *   BENCH_CPU_RATES=1000,3000  cpu section: fixed open-loop rates at which every contender's CPU per request is measured
 *   BENCH_CPU_S=10           each cpu-section run (after the rate client's 1 s not recorded)
 *   BENCH_CPU_EXACT=1        cpu section: also the contender "aigw (Redis, exact counting)" (`redis.counting: 'exact'`)
 *   BENCH_NODE_BINARIES=     runtimes section: `22=/path/node,24=/path/node`, the node binaries to run aigw with (after the run's own);
 *                            unset: BENCH_RUNTIME_VERSIONS=22,24 installed with npm into bench/out/runtimes/node<major>/ (once)
 *   BENCH_WARMUP=5000        requests (all completed) sent to each contender before it is measured
 *   BENCH_PROFILE=auto       auto: profile aigw when a goal misses; always; never
 *   BENCH_PROFILE_S=8        each profiled load
 *   BENCH_QUIET_WAIT_S=5     before each run, wait up to this long (45 s in all) for other load on the machine to drop
 *   BENCH_NOISE_RETRIES=4    runs measured again (in all) when other load exceeded 0.5 core during them; the quieter run is kept
 *   BENCH_ONLY=a,b           run only these sections (throughput, latency, ttft, cpu, routes, reload, idle, capacity, runtimes, profile);
 *                            BENCHMARKS.md is then left alone, results go to bench/out/dataplane/*.partial.*
 *   BENCH_KEEP=1             keep the temp dir (configs, logs)
 *   BENCH_RENDER=1           measure nothing: re-render BENCHMARKS.md from bench/out/dataplane/results.json (the last full run)
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'fs';
import { cpus, tmpdir, totalmem } from 'os';
import { join, relative, resolve } from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { buildBenchConfig, type BenchConfig, chatPath, CONSUMER_KEY, KubeletConfigDir, RATE_LIMIT, shardFiles } from './dataplane/configs';
import { aigw, CHAT_BODY, direct, type Env, nginx, portkey, type Running, type RunningAigw, STREAM_BODY, verify, type Verification } from './dataplane/contenders';
import { type BusyPeriods, busyPeriods, type ProfileSummary, repoInclusive, setBuildRoot, summarizeProfile } from './dataplane/cpuprofile';
import { END_OF_RUN_MS, hey, type HeyResult, LOADGEN_CPU, rateClient, type RateResult, wrk, type WrkResult } from './dataplane/loadgen';
import {
  freePort,
  openFds,
  openFilesLimit,
  peakRssKiB,
  type Proc,
  rssKiB,
  start,
  type StartedProc,
  stop,
  stopAll,
  treeRssKiB,
  waitFor,
} from './dataplane/procs';
import { allocationBetween, compileProbe, PROBE_FILE_ENV, PROBE_LOOP_DELAY_ENV, ProbeReader } from './dataplane/alloc-probe-client';
import { evaluateCpuGoals } from './dataplane/cpu-goals';
import { type Allocation, type CapacitySearch, type CapacityStep, type CpuRow, type Kind, type ReloadStall, SATURATED_CORES } from './dataplane/cpu-types';
import { renderSection, routeSpread } from './dataplane/report';
import { nodeBinaries } from './dataplane/runtimes';
import { attempt } from './shared/attempt';
import { requireCompiledLib, runDriver, stopProcessesOnExit } from './shared/driver';
import { snapshotLib } from './shared/lib-snapshot';
import { benchLog } from './shared/log';
import { withMachineLoad } from './shared/machine-load';
import { writeMarkedSection } from './shared/marked-section';
import { loadAverage, packageVersion } from './shared/run-facts';
import { startSimulator } from './shared/simulator-process';
import { CAPACITY_SPEC_NAMES, CAPACITY_SPECS, decodeConfigShards, type GatewayConfig, MIN_DEDICATED_REPLICAS, POD_CAPACITY, sizeGateway } from '../src/specs';

// ---------------------------------------------------------------- settings

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return n;
};

const nums = (name: string, fallback: number[]): number[] => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${name} must be positive numbers separated by commas (e.g. 1000,3000), got '${raw}'`);
  return list;
};

export const SETTINGS = {
  durationS: num('BENCH_DURATION_S', 10),
  connections: num('BENCH_CONNECTIONS', 50),
  rate: num('BENCH_RATE', 1500),
  latencyS: num('BENCH_LATENCY_S', 10),
  ttftRate: num('BENCH_TTFT_RATE', 1000),
  ttftS: num('BENCH_TTFT_S', 10),
  routes: num('BENCH_ROUTES', 10_000),
  routeRounds: num('BENCH_ROUTE_ROUNDS', 3),
  routePrepassS: num('BENCH_ROUTE_PREPASS_S', 5),
  reloadS: num('BENCH_RELOAD_S', 12),
  reloadSwaps: num('BENCH_RELOAD_SWAPS', 4),
  idleConns: num('BENCH_IDLE_CONNS', 20_000),
  capacityS: num('BENCH_CAPACITY_S', 10),
  capacityRates: nums('BENCH_CAPACITY_RATES', [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000]),
  capacityStepS: num('BENCH_CAPACITY_STEP_S', 6),
  cpuRates: nums('BENCH_CPU_RATES', [1000, 3000]),
  cpuS: num('BENCH_CPU_S', 10),
  cpuExact: process.env.BENCH_CPU_EXACT === '1',
  nodeBinaries: process.env.BENCH_NODE_BINARIES ?? '',
  runtimeVersions: (process.env.BENCH_RUNTIME_VERSIONS ?? '22,24').split(',').map((s) => s.trim()).filter(Boolean),
  profileS: num('BENCH_PROFILE_S', 8),
  warmup: num('BENCH_WARMUP', 5000),
  quietWaitS: Number(process.env.BENCH_QUIET_WAIT_S ?? 5),
  noiseRetries: Number(process.env.BENCH_NOISE_RETRIES ?? 4),
  profile: (process.env.BENCH_PROFILE ?? 'auto') as 'auto' | 'always' | 'never',
  only: (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  keep: process.env.BENCH_KEEP === '1',
};

/**
 * hey's -q is per worker, and its workers start together, each with its own ticker: requests leave in
 * bursts of -c at once. Few workers keep the rate close to fixed; each needs latency < workers / rate
 * to keep up. The latency runs use HEY_WORKERS; other rates scale the workers at the same per-worker rate.
 */
const HEY_WORKERS = num('BENCH_HEY_WORKERS', 5);
/** The open-loop client's pool and cap on open requests. */
const RATE_CONNECTIONS = 64;
const RATE_MAX_IN_FLIGHT = 1000;
const GOALS = {
  throughputVsPortkey: 10,
  throughputVsNginx: 0.5,
  p99OverheadMs: 1,
  idleConnections: 20_000,
  idleRssMB: 250,
  routeCountTolerance: 0.05,
  reloadSwapMs: 200,
  ttftOverheadMs: 1,
  /** aigw's CPU per request ≤ Portkey's / this. */
  cpuVsPortkey: 10,
  /** aigw's CPU per request ≤ this × nginx's. */
  cpuVsNginx: 2,
  reloadStallMs: 10,
  /** Capacity search: aigw's p99 over Direct's at the same rate, ms. */
  capacityOverheadMs: 5,
  /** POD_CAPACITY.qps ≤ the measured capacity / this (a 20% margin). */
  capacityHeadroom: 1.2,
};

const REPO_ROOT = resolve(__dirname, '..');
const OUT_DIR = join(REPO_ROOT, 'bench', 'out', 'dataplane');
/** The snapshot of lib/ the contenders run (under the repo, so node_modules still resolve). */
const BUILD_DIR = join(OUT_DIR, 'build');
const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md');
const LUA = join(REPO_ROOT, 'bench', 'dataplane', 'post.lua');
const RATE_CLIENT = join(REPO_ROOT, 'bench', 'dataplane', 'rate-client.ts');
const IDLE_CLIENT = join(REPO_ROOT, 'bench', 'dataplane', 'idle-client.ts');
export const MARK_START = '<!-- dataplane-bench:start -->';
export const MARK_END = '<!-- dataplane-bench:end -->';

const section = (name: string): boolean => SETTINGS.only.length === 0 || SETTINGS.only.includes(name);
const log = benchLog('dataplane-bench');

// ---------------------------------------------------------------- results

export type ContenderKey = 'direct' | 'nginx' | 'portkey' | 'aigw' | 'aigw-local' | 'aigw-exact';

export const CONTENDER_LABELS: Record<ContenderKey, string> = {
  'direct': 'Direct (simulator)',
  'nginx': 'nginx',
  'portkey': 'Portkey',
  'aigw': 'aigw (key auth + limit, Redis)',
  'aigw-local': 'aigw (key auth + limit, in-process store)',
  'aigw-exact': 'aigw (key auth + limit, Redis, exact counting)',
};

/** Other load on the machine during a run: busy CPU not used by this bench, in cores; and how busy each core was. */
export interface Noise {
  foreignCores: number;
  /** Busy share of CPU 0 (load generators + simulator + other load), 0..1. */
  cpu0Busy?: number;
  /** Busy share of CPU 1 (the contender + other load), 0..1. */
  cpu1Busy?: number;
}

export interface ThroughputRow extends Noise {
  contender: ContenderKey;
  result: WrkResult;
  rssMiB: number;
  /** aigw only: the first request after the run (wrk closes its connections mid-request at the end). */
  after?: string;
}

export interface LatencyRow extends Noise {
  contender: ContenderKey;
  result: HeyResult;
  /** The same rate from the open-loop client (arrivals on schedule, unlike hey's bursts), in its own run; aigw: with the allocation probe. */
  openLoop?: RateResult & Noise & { allocation?: Allocation };
}

export interface TtftRow extends Noise {
  contender: ContenderKey;
  result: RateResult;
}

export interface RouteRun extends Noise {
  routes: number;
  round: number;
  result: WrkResult;
}

export interface ReloadResult extends Noise {
  routes: number;
  swaps: { at: string; hash: string; swapMs: number; detectedAfterMs?: number }[];
  rejected: string[];
  metricsSwapSeconds: { count: number; sum: number; le: Record<string, number> };
  load: WrkResult;
  /** Non-200 access-log lines while the load ran. */
  failedAccess: Record<string, number>;
  /** Non-200 access-log lines in the last END_OF_RUN_MS of the load or after it (wrk closing connections mid-request). */
  endOfRunAccess: Record<string, number>;
  configBytes: number;
  /** Per swap, in order: the allocation probe's longest event-loop stall (and `blockedMs` when logged). */
  stalls?: ReloadStall[];
  /** Two more swaps after the load ended: the reload's own stall, without queueing behind requests. */
  idleStalls?: ReloadStall[];
  /** The longest event-loop stall during one /metrics scrape after the load (a series per route), ms. */
  metricsScrapeStallMs?: number;
}

export interface IdleResult {
  target: number;
  limitNote: string;
  nofile: number;
  clients: number;
  held: number;
  failed: number;
  closedEarly: number;
  openedS: number;
  gauge: number;
  rssBeforeMiB: number;
  /** 2 s after the last connection opened. */
  rssHeldMiB: number;
  /** Once aigw trimmed its heap (quiet) and RSS stopped falling: what holding them costs. */
  rssSettledMiB?: number;
  /** Whether aigw trimmed its heap while holding them (aigw_heap_trims_total rose). */
  trimmed?: boolean;
  settleS?: number;
  peakMiB: number;
  fdsHeld: number;
  perConnectionKiB: number;
  rssAt20kMiB: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

export interface CapacityRun extends Noise {
  config: string;
  maxQps: number;
  rate: number;
  result: RateResult;
}

export interface SizingRow {
  spec: string;
  qps: number | string;
  clientConnections: number | string;
  replicas: string;
  perReplicaQps: number;
  perReplicaConnections: number;
  replicasAtMeasured?: { chat: number | string; stream: number | string };
}

export interface Goal {
  name: string;
  target: string;
  measured: string;
  ratio: string;
  pass: boolean;
}

export interface Results {
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  settings: typeof SETTINGS;
  machine: Record<string, string>;
  versions: Record<string, string>;
  configs: Record<string, { routes: number; edition: string; spec?: string; limits: GatewayConfig['limits']; changes: string[]; bytes: number }>;
  commands: Record<string, string>;
  verification: Partial<Record<ContenderKey, Verification>>;
  throughput: { chat: ThroughputRow[]; stream: ThroughputRow[] };
  latency: LatencyRow[];
  ttft: TtftRow[];
  routeRuns: RouteRun[];
  reload?: ReloadResult;
  idle?: IdleResult;
  capacity?: CapacityRun;
  /** Non-streaming, then streaming: the highest rate within the p99 overhead budget. */
  capacitySearch: CapacitySearch[];
  /** Every contender's CPU per request at fixed rates. */
  cpu: CpuRow[];
  /** aigw at the first cpu rate, non-streaming, without the probe: the probe's own cost. */
  cpuProbeCheck?: CpuRow;
  /** aigw's cpu rows under each node binary (the run's own first). */
  runtimes: CpuRow[];
  sizing: SizingRow[];
  goals: Goal[];
  profiles: { load: string; summary: ProfileSummary; inclusive: { function: string; location: string; totalPercent: number }[]; busy?: BusyPeriods; rate?: RateResult }[];
  notes: string[];
  errors: string[];
  /** Runs measured again because of other load (see lessNoisy). */
  retried: { firstForeignCores: number; againForeignCores: number }[];
}

// ---------------------------------------------------------------- helpers

/** Runs a short command; stdout and stderr together (nginx -v prints to stderr), or 'n/a'. */
function sh(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (r.error) return 'n/a';
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || 'n/a';
}

function machineInfo(): Record<string, string> {
  const model = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return {
    // The driver itself is pinned to CPU 0, so plain `nproc` would say 1.
    nproc: sh('nproc', ['--all']),
    cpuModel: model,
    memoryGiB: (totalmem() / 2 ** 30).toFixed(1),
    kernel: sh('uname', ['-sr']),
    loadAverageStart: loadAverage(),
    nofileLimit: String(openFilesLimit()),
  };
}

function versions(): Record<string, string> {
  const dpkg = (pkg: string) => sh('dpkg-query', ['-W', '-f=${Version}', pkg]);
  return {
    node: process.version,
    nginx: `${sh('nginx', ['-v']).replace('nginx version: ', '')} (nginx-light ${dpkg('nginx-light')})`,
    wrk: dpkg('wrk'),
    hey: dpkg('hey'),
    redis: sh('redis-server', ['--version']).split(' ').find((w) => w.startsWith('v='))?.slice(2) ?? 'n/a',
    portkey: packageVersion(join(REPO_ROOT, 'bench', 'peers', 'node_modules', '@portkey-ai', 'gateway', 'package.json')),
    honoNodeServer: packageVersion(join(REPO_ROOT, 'bench', 'peers', 'node_modules', '@hono', 'node-server', 'package.json')),
    undici: packageVersion(join(REPO_ROOT, 'node_modules', 'undici', 'package.json')),
    aigw: packageVersion(join(REPO_ROOT, 'package.json')),
    gitHead: sh('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
    gitDirty: sh('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length > 0 ? 'src/ has uncommitted changes' : 'clean',
  };
}

let quietWaitedS = 0;
const QUIET_WAIT_TOTAL_S = 45;
/** Other load (cores) above which a run is measured again, budget permitting. */
const NOISY_CORES = 0.5;


/** Waits (bounded) until other processes use less than half a core, so runs are not measured under someone else's build. */
async function waitForQuiet(): Promise<void> {
  const deadline = performance.now() + Math.min(SETTINGS.quietWaitS, Math.max(0, QUIET_WAIT_TOTAL_S - quietWaitedS)) * 1000;
  const t0 = performance.now();
  for (;;) {
    const { foreignCores } = await withMachineLoad(() => sleep(500));
    if (foreignCores < 0.5 || performance.now() >= deadline) break;
  }
  quietWaitedS += (performance.now() - t0) / 1000;
}

function heyRate(rate: number): { workers: number; ratePerWorker: number } {
  const perWorker = SETTINGS.rate / HEY_WORKERS;
  const workers = Math.max(1, Math.round(rate / perWorker));
  return { workers, ratePerWorker: rate / workers };
}

/** What the next request gets from aigw after a run: wrk drops its connections mid-request when its time is up. */
async function probe(running: Running): Promise<string> {
  const res = await fetch(`${running.target.baseUrl}${running.target.paths[0]}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...running.target.headers },
    body: CHAT_BODY,
    signal: AbortSignal.timeout(10_000),
  }).catch((e: Error) => e);
  if (res instanceof Error) return `error: ${res.message}`;
  const text = await res.text();
  if (res.status === 200) return 'HTTP 200';
  let code = '';
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}${code ? ` ${code}` : ''}`;
}

/**
 * Waits until aigw's heap-trim counter passes `after` (it trims once no request started for 30 s: heap-trim.ts),
 * 75 s at most; then waits 15 s more (V8 and the allocator give freed pages back over seconds). Returns the
 * counter and how long it waited.
 */
async function settleAfterTrim(trims: () => Promise<number>, after: number): Promise<{ count: number; waitedS: number }> {
  const started = Date.now();
  const deadline = started + 75_000;
  let count = await trims();
  while (count <= after && Date.now() < deadline) {
    await sleep(1_000);
    count = await trims();
  }
  for (let i = 0; i < 15; i++) await sleep(1_000);
  return { count, waitedS: (Date.now() - started) / 1000 };
}

function metricValue(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const key = line.slice(0, space);
    if (key === name || (key.startsWith(`${name}{`) && key.includes(labels))) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** A log line's time in epoch ms: pino writes ISO strings or epoch numbers, depending on its timestamp option. */
function logTime(line: Record<string, unknown>): number {
  return typeof line.time === 'number' ? line.time : Date.parse(String(line.time));
}

function readLogLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line
    }
  }
  return out;
}

/** sha256 over the snapshot's .js files (path + content), to tell runs of different code apart. */
function buildHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, name.name);
      if (name.isDirectory()) walk(path);
      else if (name.name.endsWith('.js')) hash.update(relative(dir, path)).update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}

/** Counts lines containing `needle` in a growing log file, reading only the bytes appended since the last call. */
function logCounter(file: string, needle: string): () => number {
  let seen = 0;
  let offset = 0;
  let carry = '';
  const buf = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(file)) return seen;
    const fd = openSync(file, 'r');
    try {
      for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0; n = readSync(fd, buf, 0, buf.length, offset)) {
        offset += n;
        const text = carry + buf.subarray(0, n).toString('utf8');
        const lastNewline = text.lastIndexOf('\n');
        carry = text.slice(lastNewline + 1);
        const complete = text.slice(0, lastNewline + 1);
        for (let i = complete.indexOf(needle); i >= 0; i = complete.indexOf(needle, i + 1)) seen++;
      }
    } finally {
      closeSync(fd);
    }
    return seen;
  };
}

/** The probe's figures over a rate-client run that signalled it at the start and end of its measured interval. */
async function measuredAllocation(running: Probed, result: RateResult): Promise<Allocation | undefined> {
  if (!running.probe) return undefined;
  const [a, b] = (await running.probe.waitFor(2)).slice(-2);
  return allocationBetween(a, b, result.completedInInterval ?? result.ok);
}

// ---------------------------------------------------------------- the bench

interface ContenderOptions {
  configName?: string;
  paths?: string[];
  nodeFlags?: string[];
  configDir?: string;
  /** aigw: preload the allocation probe (alloc-probe.ts). */
  probe?: boolean;
  /** With `probe`: also its loop-delay histogram (costs ~3% of a core: the reload section only). */
  loopDelay?: boolean;
  /** aigw: run it with this node binary. */
  nodeBinary?: string;
}

/** A started contender; aigw started with `probe` carries the probe's reader. */
type Probed = Running & { probe?: ProbeReader };

class Bench {
  public readonly results: Results;
  private readonly workDir: string;
  private readonly logDir: string;
  private env!: Env;
  private simulator!: StartedProc;
  private redis!: Proc;
  private redisAddress = '';
  private configs = new Map<string, { config: BenchConfig; dir: string }>();
  private runSeq = 0;
  private noiseRetries = 0;

  public constructor() {
    this.workDir = mkdtempSync(join(tmpdir(), 'aigw-dataplane-bench-'));
    this.logDir = join(this.workDir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(OUT_DIR, { recursive: true });
    this.results = {
      startedAt: new Date().toISOString(),
      settings: SETTINGS,
      machine: machineInfo(),
      versions: versions(),
      configs: {},
      commands: {},
      verification: {},
      throughput: { chat: [], stream: [] },
      latency: [],
      ttft: [],
      routeRuns: [],
      capacitySearch: [],
      cpu: [],
      runtimes: [],
      sizing: [],
      goals: [],
      profiles: [],
      notes: [],
      errors: [],
      retried: [],
    };
  }

  public async run(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.setUp();
      if (section('throughput')) await this.attempt('throughput', () => this.throughput());
      if (section('latency')) await this.attempt('latency', () => this.latency());
      if (section('ttft')) await this.attempt('ttft', () => this.ttftSection());
      if (section('cpu')) await this.attempt('cpu', () => this.cpuSection());
      if (section('routes')) await this.attempt('routes', () => this.routeCount());
      if (section('reload')) await this.attempt('reload', () => this.reload());
      if (section('idle')) await this.attempt('idle', () => this.idle());
      if (section('capacity')) await this.attempt('capacity', () => this.capacity());
      if (section('capacity')) await this.attempt('capacity search', () => this.capacitySearch());
      if (section('runtimes')) await this.attempt('runtimes', () => this.runtimes());
      this.sizing();
      this.results.goals = evaluateGoals(this.results);
      const missed = this.results.goals.some((g) => !g.pass);
      if ((SETTINGS.profile === 'always' || (SETTINGS.profile === 'auto' && missed)) && (section('profile') || SETTINGS.only.length === 0)) {
        await this.attempt('profile', () => this.profile());
      }
    } finally {
      await stopAll();
      this.results.finishedAt = new Date().toISOString();
      this.results.durationS = (performance.now() - t0) / 1000;
      this.results.machine.loadAverageEnd = loadAverage();
      // A partial run (BENCH_ONLY) keeps the full run's files, which BENCHMARKS.md points at.
      writeFileSync(join(OUT_DIR, SETTINGS.only.length ? 'results.partial.json' : 'results.json'), `${JSON.stringify(this.results, null, 2)}\n`);
      if (!SETTINGS.keep) rmSync(this.workDir, { recursive: true, force: true });
      else log(`kept ${this.workDir}`);
    }
  }

  private async attempt(name: string, fn: () => Promise<void>): Promise<void> {
    await attempt(name, fn, this.results.errors, log);
  }

  // ---------------------------------------------------------------- setup

  private async setUp(): Promise<void> {
    // Every contender run must use the same code, whoever compiles lib/ meanwhile.
    const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);
    setBuildRoot(BUILD_DIR);
    this.results.versions.build = buildHash(libDir);
    const simulator = await startSimulator({ libDir, logDir: this.logDir, chunks: 10, timeoutMs: 20_000 });
    const upstream = simulator.upstream;
    this.simulator = simulator.proc;
    this.results.commands.simulator = simulator.command;

    const redisPort = await freePort();
    const redisArgs = ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    this.redis = start('redis', 'redis-server', redisArgs, { cpu: LOADGEN_CPU, logFile: join(this.logDir, 'redis.log') });
    this.redisAddress = `127.0.0.1:${redisPort}`;
    await waitFor('redis', async () => sh('redis-cli', ['-p', String(redisPort), 'ping']) === 'PONG', 20_000, this.redis);
    this.results.commands.redis = `taskset -c ${LOADGEN_CPU} redis-server ${redisArgs.map((a) => (a === '' ? "''" : a)).join(' ')}`;
    this.env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream, simulatorPid: this.simulator.pid, libDir };

    log('building configs from the constructs');
    // Dedicated aigw.large.x4: the only family whose quota admits 10,000 routes; same gateway for 10 routes.
    const large = { edition: 'dedicated', spec: 'aigw.large.x4' } as const;
    this.addConfig('primary', buildBenchConfig({ routes: 10, upstream, ...large, maxQps: 1_000_000, redisAddress: this.redisAddress }), large);
    this.addConfig('local', buildBenchConfig({ routes: 10, upstream, ...large, maxQps: 1_000_000 }), large);
    // The idle section holds connections through aigw's 30 s quiet time before its heap trim and the settling after it:
    // longer than the synthesized 60 s keep-alive idle timeout allows the first ones opened.
    this.addConfig('idle', buildBenchConfig({ routes: 10, upstream, ...large, maxQps: 1_000_000, redisAddress: this.redisAddress, idleTimeoutMs: 300_000 }), large);
    if (SETTINGS.cpuExact) {
      // Opt-in: the gateway's schema may not have redis.counting yet; then the contender is left out, and said so.
      try {
        this.addConfig('exact', buildBenchConfig({ routes: 10, upstream, ...large, maxQps: 1_000_000, redisAddress: this.redisAddress, redisCounting: 'exact' }), large);
      } catch (e) {
        this.results.notes.push(`BENCH_CPU_EXACT=1: the config with \`redis.counting: 'exact'\` was not accepted (${(e as Error).message.slice(0, 300)}), so "${CONTENDER_LABELS['aigw-exact']}" was not measured; it needs the gateway's redis.counting field.`);
        log(this.results.notes[this.results.notes.length - 1]);
      }
    }
    this.addConfig('routes-large', buildBenchConfig({ routes: SETTINGS.routes, upstream, ...large, maxQps: 1_000_000, redisAddress: this.redisAddress }), large);
    // As synthesized (only Redis pointed at the local one): Serverless, the per-replica ceiling at POD_CAPACITY.qps.
    this.addConfig('serverless', buildBenchConfig({ routes: 10, upstream, edition: 'serverless', redisAddress: this.redisAddress }), { edition: 'serverless' });

    this.results.commands.wrk = `BENCH_PATHS_FILE=… BENCH_BODY_FILE=… BENCH_HEADERS_FILE=… taskset -c ${LOADGEN_CPU} wrk -t1 -c${SETTINGS.connections} -d${SETTINGS.durationS}s --timeout 5s -s bench/dataplane/post.lua URL`;
    const r = heyRate(SETTINGS.rate);
    this.results.commands.hey = `taskset -c ${LOADGEN_CPU} hey -z ${SETTINGS.latencyS}s -c ${r.workers} -q ${r.ratePerWorker} -m POST -T application/json -D body.json -disable-compression -cpus 1 -t 10 -H '…' URL`;
    this.results.commands.rateClient = `taskset -c ${LOADGEN_CPU} node -r ts-node/register/transpile-only bench/dataplane/rate-client.ts '{"rate":R,"durationS":S,"sse":true|false,"connections":${RATE_CONNECTIONS},"maxInFlight":${RATE_MAX_IN_FLIGHT},…}'`;
    this.results.commands.warmup = `taskset -c ${LOADGEN_CPU} hey -n ${SETTINGS.warmup} -c 20 … (every request completes, before each measured run)`;

    log('verifying that every contender proxies to the simulator');
    for (const key of ['direct', 'nginx', 'portkey', 'aigw', 'aigw-local'] as const) {
      const running = await this.startContender(key);
      try {
        this.results.commands[key] = running.command;
        const v = await verify(running);
        if (key === 'aigw' || key === 'aigw-local') {
          const anonymous = await fetch(`${running.target.baseUrl}${running.target.paths[0]}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: CHAT_BODY });
          await anonymous.arrayBuffer();
          const limited = await fetch(`${running.target.baseUrl}${running.target.paths[0]}`, { method: 'POST', headers: { 'content-type': 'application/json', ...running.target.headers }, body: CHAT_BODY });
          await limited.arrayBuffer();
          const limitHeader = limited.headers.get('x-ratelimit-limit-requests');
          const authOk = anonymous.status === 401;
          const limitOk = limitHeader === String(RATE_LIMIT.limit);
          this.results.verification[key] = {
            ok: v.ok && authOk && limitOk,
            detail: `${v.detail}; without a key: HTTP ${anonymous.status}; x-ratelimit-limit-requests: ${limitHeader}`,
          };
        } else {
          this.results.verification[key] = v;
        }
        log(`${key}: ${this.results.verification[key]!.ok ? 'ok' : 'NOT OK'} (${this.results.verification[key]!.detail})`);
      } finally {
        await running.stop();
      }
    }
  }

  private addConfig(name: string, config: BenchConfig, gateway: { edition: 'serverless' | 'dedicated'; spec?: string }): void {
    const dir = join(this.workDir, `config-${name}`);
    new KubeletConfigDir(dir, config.files);
    this.configs.set(name, { config, dir });
    this.results.configs[name] = {
      routes: config.config.modelRoutes.length,
      ...gateway,
      limits: config.config.limits,
      changes: config.changes,
      bytes: [...config.files.values()].reduce((n, b) => n + b.length, 0),
    };
  }

  private config(name: string): { config: BenchConfig; dir: string } {
    const c = this.configs.get(name);
    if (!c) throw new Error(`no config ${name}`);
    return c;
  }

  private async startContender(key: ContenderKey, options: ContenderOptions = {}): Promise<Probed> {
    switch (key) {
      case 'direct':
        return direct(this.env);
      case 'nginx':
        return nginx(this.env);
      case 'portkey':
        return portkey(this.env);
      case 'aigw':
      case 'aigw-local':
      case 'aigw-exact': {
        const configName = options.configName ?? { 'aigw': 'primary', 'aigw-local': 'local', 'aigw-exact': 'exact' }[key];
        const seq = this.runSeq++;
        // The allocation probe, preloaded from plain JS (see alloc-probe-client.ts); it writes where told.
        const probeFile = options.probe ? join(this.workDir, `probe-${key}-${seq}.jsonl`) : undefined;
        const startIt = () => aigw(this.env, {
          name: key,
          configDir: options.configDir ?? this.config(configName).dir,
          paths: options.paths ?? [chatPath(0)],
          nodeFlags: [...(probeFile ? ['-r', compileProbe(this.workDir)] : []), ...(options.nodeFlags ?? [])],
          env: probeFile ? { [PROBE_FILE_ENV]: probeFile, ...(options.loopDelay ? { [PROBE_LOOP_DELAY_ENV]: '1' } : {}) } : undefined,
          nodeBinary: options.nodeBinary,
          logFile: join(this.logDir, `${key}-${configName}-${seq}.log`),
        });
        // The free port it was given can be taken by another process on this shared machine before aigw
        // binds it: then once more, with new ports.
        const running = await startIt().catch((e: Error) => {
          if (!e.message.includes('EADDRINUSE')) throw e;
          log(`${key}: its port was taken before it could listen (EADDRINUSE); starting it again on new ports`);
          return startIt();
        });
        return probeFile ? Object.assign(running, { probe: new ProbeReader(running.pid, probeFile) }) : running;
      }
    }
  }

  /**
   * Runs a measurement; if other processes used more than NOISY_CORES during it and the retry budget
   * allows, runs it again and keeps the run with less other load.
   */
  private async lessNoisy<T extends Noise>(measure: () => Promise<T>): Promise<T> {
    let best = await measure();
    while (best.foreignCores > NOISY_CORES && this.noiseRetries < SETTINGS.noiseRetries) {
      this.noiseRetries++;
      log(`other load ${best.foreignCores.toFixed(2)} cores during the run: measuring again (retry ${this.noiseRetries} of ${SETTINGS.noiseRetries})`);
      const again = await measure();
      this.results.retried.push({ firstForeignCores: best.foreignCores, againForeignCores: again.foreignCores });
      if (again.foreignCores < best.foreignCores) best = again;
    }
    return best;
  }

  /** Starts the contender, warms it up with requests that all complete, runs `fn`, stops it. */
  private async withContender<T>(key: ContenderKey, body: string, fn: (running: Probed) => Promise<T>, options: Parameters<Bench['startContender']>[1] = {}): Promise<T> {
    await waitForQuiet();
    const running = await this.startContender(key, options);
    try {
      await this.warmUp(running, body);
      return await fn(running);
    } finally {
      await running.stop();
    }
  }

  private async warmUp(running: Running, body: string): Promise<void> {
    const bodyFile = join(this.workDir, `warmup-${body === STREAM_BODY ? 'stream' : 'chat'}.json`);
    writeFileSync(bodyFile, body);
    const r = await hey(running.target, { workers: 20, ratePerWorker: 0, durationS: 0, bodyFile, requests: SETTINGS.warmup });
    if (r.errors > 0) log(`warm-up of ${running.name}: ${r.errors} errors (${r.errorDetail})`);
  }

  // ---------------------------------------------------------------- sections

  private async throughput(): Promise<void> {
    for (const [workload, body] of [['chat', CHAT_BODY], ['stream', STREAM_BODY]] as const) {
      for (const key of ['direct', 'nginx', 'portkey', 'aigw', 'aigw-local'] as const) {
        const row = await this.lessNoisy(() => this.withContender(key, body, async (running) => {
          const { value, ...noise } = await withMachineLoad(() =>
            wrk(running.target, { connections: SETTINGS.connections, durationS: SETTINGS.durationS, body, workDir: this.workDir, luaScript: LUA, contenderPid: running.pid }),
          );
          const rssMiB = treeRssKiB(running.pid) / 1024;
          const after = key.startsWith('aigw') ? await probe(running) : undefined;
          return { contender: key, result: value, rssMiB, ...noise, after } satisfies ThroughputRow;
        }));
        this.results.throughput[workload].push(row);
        log(`${workload} ${key}: ${row.result.rps.toFixed(0)} req/s, p99 ${row.result.latencyMs.p99.toFixed(1)} ms, errors ${row.result.statusErrors + row.result.socketErrors}, CPU ${row.result.contenderCores?.toFixed(2)}, foreign ${row.foreignCores.toFixed(2)}, CPU0 ${((row.cpu0Busy ?? 0) * 100).toFixed(0)}%${row.after ? `, next request: ${row.after}` : ''}`);
      }
    }
  }

  private async latency(): Promise<void> {
    const bodyFile = join(this.workDir, 'latency-chat.json');
    writeFileSync(bodyFile, CHAT_BODY);
    for (const key of ['direct', 'nginx', 'portkey', 'aigw'] as const) {
      const row: LatencyRow = await this.lessNoisy(() => this.withContender(key, CHAT_BODY, async (running) => {
        const { value, ...noise } = await withMachineLoad(() => hey(running.target, { ...heyRate(SETTINGS.rate), durationS: SETTINGS.latencyS, bodyFile }));
        return { contender: key, result: value, ...noise };
      }));
      // Cross-check, fresh contender: the same rate with arrivals on schedule (aigw: with the allocation probe).
      row.openLoop = await this.lessNoisy(() => this.withContender(key, CHAT_BODY, async (running) => {
        const { value, ...noise } = await withMachineLoad(() =>
          rateClient(running.target, { rate: SETTINGS.rate, durationS: SETTINGS.latencyS, body: CHAT_BODY, sse: false, maxInFlight: RATE_MAX_IN_FLIGHT, connections: RATE_CONNECTIONS, clientScript: RATE_CLIENT, signalPid: running.probe ? running.pid : undefined }),
        );
        return { ...value, ...noise, allocation: await measuredAllocation(running, value) };
      }, key === 'aigw' ? { probe: true } : {}));
      this.results.latency.push(row);
      const o = row.openLoop;
      log(
        `latency ${key}: hey ${row.result.rps.toFixed(0)} req/s, p50 ${row.result.latencyMs.p50.toFixed(2)} p99 ${row.result.latencyMs.p99.toFixed(2)} ms, errors ${row.result.errors}, foreign ${row.foreignCores.toFixed(2)}, CPU0 ${((row.cpu0Busy ?? 0) * 100).toFixed(0)}%; ` +
          `open-loop ${o.achievedRps.toFixed(0)} req/s, p50 ${o.totalMs.p50} p99 ${o.totalMs.p99} ms, skipped ${o.skipped}, errors ${o.errors}${o.allocation ? `, ${o.allocation.bytesPerRequest.toFixed(0)} bytes allocated per request` : ''}`,
      );
    }
  }

  private async ttftSection(): Promise<void> {
    for (const key of ['direct', 'nginx', 'portkey', 'aigw'] as const) {
      const row = await this.lessNoisy(() => this.withContender(key, STREAM_BODY, async (running) => {
        const { value, ...noise } = await withMachineLoad(() =>
          rateClient(running.target, { rate: SETTINGS.ttftRate, durationS: SETTINGS.ttftS, body: STREAM_BODY, sse: true, maxInFlight: RATE_MAX_IN_FLIGHT, connections: RATE_CONNECTIONS, clientScript: RATE_CLIENT }),
        );
        return { contender: key, result: value, ...noise } satisfies TtftRow;
      }));
      this.results.ttft.push(row);
      log(`ttft ${key}: ${row.result.achievedRps.toFixed(0)} streams/s, TTFT p50 ${row.result.firstMs.p50} p99 ${row.result.firstMs.p99} ms, skipped ${row.result.skipped}, errors ${row.result.errors}, foreign ${row.foreignCores.toFixed(2)}, CPU0 ${((row.cpu0Busy ?? 0) * 100).toFixed(0)}%`);
    }
  }

  /**
   * One contender at a fixed open-loop rate: its own CPU time (process tree) over exactly the measured
   * interval, which the rate client reads itself at the interval's two ends; aigw with `probe` also
   * reports the bytes it allocated per request.
   */
  private async cpuRun(key: ContenderKey, kind: Kind, rate: number, options: { probe: boolean; nodeBinary?: string; nodeVersion?: string }): Promise<CpuRow> {
    const body = kind === 'chat' ? CHAT_BODY : STREAM_BODY;
    const probe = options.probe && key.startsWith('aigw');
    return this.lessNoisy(() => this.withContender(key, body, async (running) => {
      const { value, ...noise } = await withMachineLoad(() =>
        rateClient(running.target, {
          rate,
          durationS: SETTINGS.cpuS,
          body,
          sse: kind === 'stream',
          maxInFlight: RATE_MAX_IN_FLIGHT,
          connections: RATE_CONNECTIONS,
          clientScript: RATE_CLIENT,
          cpuPid: running.pid,
          signalPid: running.probe ? running.pid : undefined,
        }),
      );
      const cpuS = value.contenderCpuS ?? Number.NaN;
      const measuredS = value.measuredS ?? Number.NaN;
      const cores = cpuS / measuredS;
      return {
        contender: key,
        kind,
        rate,
        result: value,
        cpuS,
        measuredS,
        usPerRequest: (cpuS / (value.completedInInterval ?? value.ok)) * 1e6,
        cores,
        saturated: cores >= SATURATED_CORES,
        allocation: await measuredAllocation(running, value),
        node: options.nodeVersion,
        ...noise,
      } satisfies CpuRow;
    }, { probe, nodeBinary: options.nodeBinary }));
  }

  private logCpu(row: CpuRow, what = row.contender): void {
    const x = row.result;
    log(
      `cpu ${what} ${row.kind} at ${row.rate}/s: ${row.usPerRequest.toFixed(0)} µs CPU per request (${row.cores.toFixed(2)} cores${row.saturated ? ', saturated' : ''}), ` +
        `${x.achievedRps.toFixed(0)} req/s, p50 ${(row.kind === 'stream' ? x.firstMs : x.totalMs).p50} p99 ${(row.kind === 'stream' ? x.firstMs : x.totalMs).p99} ms, skipped ${x.skipped}, errors ${x.errors}` +
        `${row.allocation ? `, ${row.allocation.bytesPerRequest.toFixed(0)} bytes allocated per request` : ''}, foreign ${row.foreignCores.toFixed(2)}`,
    );
  }

  private async cpuSection(): Promise<void> {
    const keys: ContenderKey[] = ['direct', 'nginx', 'portkey', 'aigw', 'aigw-local', ...(this.configs.has('exact') ? (['aigw-exact'] as const) : [])];
    for (const kind of ['chat', 'stream'] as const) {
      for (const rate of SETTINGS.cpuRates) {
        for (const key of keys) {
          const row = await this.cpuRun(key, kind, rate, { probe: true });
          this.results.cpu.push(row);
          this.logCpu(row);
        }
      }
    }
    // Once: aigw without the probe, to show what the probe itself costs.
    this.results.cpuProbeCheck = await this.cpuRun('aigw', 'chat', SETTINGS.cpuRates[0], { probe: false });
    this.logCpu(this.results.cpuProbeCheck, 'aigw without the probe');
  }

  /**
   * The highest open-loop rate at which aigw's p99 overhead over Direct, measured at the same rate in the
   * same run, stays within GOALS.capacityOverheadMs: step through the rates until one fails, then bisect
   * once between the last pass and the first fail. One aigw process per kind (warmed up once), the
   * `primary` config (Redis limit; the per-replica ceiling raised, else the search would find the ceiling).
   */
  private async capacitySearch(): Promise<void> {
    for (const kind of ['chat', 'stream'] as const) {
      const body = kind === 'chat' ? CHAT_BODY : STREAM_BODY;
      const p99 = (x: RateResult) => (kind === 'chat' ? x.totalMs.p99 : x.firstMs.p99);
      const search: CapacitySearch = { kind, steps: [], capacity: 0, atLeast: false, budgetMs: GOALS.capacityOverheadMs };
      await this.withContender('aigw', body, async (gw) => {
        const direct = await this.startContender('direct');
        const measure = async (rate: number, bisect: boolean): Promise<CapacityStep> => {
          const opts = { rate, durationS: SETTINGS.capacityStepS, body, sse: kind === 'stream', maxInFlight: RATE_MAX_IN_FLIGHT, connections: RATE_CONNECTIONS, clientScript: RATE_CLIENT };
          const { value, ...noise } = await withMachineLoad(async () => ({ direct: await rateClient(direct.target, opts), aigw: await rateClient(gw.target, opts) }));
          const overheadMs = p99(value.aigw) - p99(value.direct);
          const pass = overheadMs <= GOALS.capacityOverheadMs && value.aigw.errors === 0 && value.aigw.skipped === 0;
          return { rate, ...value, overheadMs, pass, ...(bisect ? { bisect } : {}), ...noise };
        };
        const step = async (rate: number, bisect = false): Promise<CapacityStep> => {
          let s = await measure(rate, bisect);
          // The search ends at the first fail: a fail under other load is measured again (retry budget permitting).
          while (!s.pass && s.foreignCores > NOISY_CORES && this.noiseRetries < SETTINGS.noiseRetries) {
            this.noiseRetries++;
            log(`capacity search ${kind} at ${rate}/s failed under other load ${s.foreignCores.toFixed(2)} cores: measuring again (retry ${this.noiseRetries} of ${SETTINGS.noiseRetries})`);
            const again = await measure(rate, bisect);
            this.results.retried.push({ firstForeignCores: s.foreignCores, againForeignCores: again.foreignCores });
            s = again;
          }
          search.steps.push(s);
          log(`capacity search ${kind} at ${rate}/s: aigw p99 ${p99(s.aigw)} − direct ${p99(s.direct)} = ${s.overheadMs.toFixed(2)} ms, aigw skipped ${s.aigw.skipped}, errors ${s.aigw.errors}, foreign ${s.foreignCores.toFixed(2)}: ${s.pass ? 'pass' : 'FAIL'}`);
          return s;
        };
        let lastPass = 0;
        let firstFail: number | undefined;
        for (const rate of SETTINGS.capacityRates) {
          if ((await step(rate)).pass) lastPass = rate;
          else {
            firstFail = rate;
            break;
          }
        }
        search.atLeast = firstFail === undefined;
        if (firstFail !== undefined && lastPass > 0) {
          const mid = Math.round((lastPass + firstFail) / 2 / 50) * 50;
          if (mid > lastPass && mid < firstFail && (await step(mid, true)).pass) lastPass = mid;
        }
        search.capacity = lastPass;
      });
      this.results.capacitySearch.push(search);
      log(`capacity ${kind}: ${search.atLeast ? '≥ ' : ''}${search.capacity} req/s (POD_CAPACITY.qps ${POD_CAPACITY.qps}: margin ${((search.capacity / POD_CAPACITY.qps - 1) * 100).toFixed(0)}%)`);
    }
  }

  /** aigw's cpu runs (every cpu rate, both kinds, with the probe) under each node binary, the run's own first. */
  private async runtimes(): Promise<void> {
    const binaries = nodeBinaries({ binaries: SETTINGS.nodeBinaries || undefined, versions: SETTINGS.runtimeVersions, installDir: join(REPO_ROOT, 'bench', 'out', 'runtimes'), log });
    this.results.versions.runtimes = binaries.map((b) => `${b.version} (${b.label}: ${relative(REPO_ROOT, b.path).startsWith('..') ? b.path : relative(REPO_ROOT, b.path)})`).join(', ');
    for (const b of binaries) {
      for (const kind of ['chat', 'stream'] as const) {
        for (const rate of SETTINGS.cpuRates) {
          const row = await this.cpuRun('aigw', kind, rate, { probe: true, nodeBinary: b.path === process.execPath ? undefined : b.path, nodeVersion: b.version });
          this.results.runtimes.push(row);
          this.logCpu(row, `aigw on node ${b.version}`);
        }
      }
    }
  }

  private async routeCount(): Promise<void> {
    const small = { name: 'primary', routes: 10 };
    const large = { name: 'routes-large', routes: SETTINGS.routes };
    for (let round = 1; round <= SETTINGS.routeRounds; round++) {
      for (const cfg of round % 2 === 1 ? [small, large] : [large, small]) {
        const paths = Array.from({ length: cfg.routes }, (_, i) => chatPath(i));
        const run = await this.lessNoisy(() =>
          this.withContender(
            'aigw',
            CHAT_BODY,
            async (running) => {
              // Not recorded: one pass over every route first, so that both configs are measured in
              // steady state (each route's first request creates its metric series).
              await wrk(running.target, { connections: SETTINGS.connections, durationS: SETTINGS.routePrepassS, body: CHAT_BODY, workDir: this.workDir, luaScript: LUA });
              const { value, ...noise } = await withMachineLoad(() =>
                wrk(running.target, { connections: SETTINGS.connections, durationS: SETTINGS.durationS, body: CHAT_BODY, workDir: this.workDir, luaScript: LUA, contenderPid: running.pid }),
              );
              return { routes: cfg.routes, round, result: value, ...noise } satisfies RouteRun;
            },
            { configName: cfg.name, paths },
          ),
        );
        this.results.routeRuns.push(run);
        log(`routes ${cfg.routes} round ${round}: ${run.result.rps.toFixed(0)} req/s, errors ${run.result.statusErrors + run.result.socketErrors}, foreign ${run.foreignCores.toFixed(2)}, CPU0 ${((run.cpu0Busy ?? 0) * 100).toFixed(0)}%`);
      }
    }
  }

  private async reload(): Promise<void> {
    const base = this.config('routes-large').config;
    // B: the same 10,000 routes with every limit changed, so the whole config is new; A again after B.
    const variant = structuredClone(base.config);
    for (const r of variant.modelRoutes) r.policies.rateLimits = r.policies.rateLimits.map((l) => ({ ...l, limit: l.limit + 1 }));
    const bFiles = shardFiles(variant);
    const bDecoded = decodeConfigShards(bFiles);
    if (!bDecoded.ok) throw new Error(bDecoded.reason);
    const dir = new KubeletConfigDir(join(this.workDir, 'config-reload'), base.files);
    const paths = Array.from({ length: base.config.modelRoutes.length }, (_, i) => chatPath(i));
    await waitForQuiet();
    const started = await this.startContender('aigw', { configDir: dir.dir, paths, configName: 'reload', probe: true, loopDelay: true });
    const running = started as RunningAigw;
    const probe = started.probe!;
    try {
      await this.warmUp(running, CHAT_BODY);
      const logFile = running.logFile;
      const reloadedCount = logCounter(logFile, '"msg":"config reloaded"');
      const swapTimes: number[] = [];
      const stalls: ReloadStall[] = [];
      let loadEndedAt = Number.POSITIVE_INFINITY;
      const { value: load, ...noise } = await withMachineLoad(async () => {
        const pending = wrk(running.target, { connections: SETTINGS.connections, durationS: SETTINGS.reloadS, body: CHAT_BODY, workDir: this.workDir, luaScript: LUA });
        const interval = Math.max(1, (SETTINGS.reloadS - 4) / SETTINGS.reloadSwaps);
        // The probe's loop-delay histogram restarts at each sample: the one before a swap covers the quiet
        // stretch since the last (same load, no swap), the one after its `config reloaded` line the swap.
        await probe.sample();
        await sleep(2_000);
        for (let i = 0; i < SETTINGS.reloadSwaps; i++) {
          const before = reloadedCount();
          const quiet = await probe.sample();
          swapTimes.push(Date.now());
          dir.swap(i % 2 === 0 ? bFiles : base.files);
          const waitUntil = Date.now() + interval * 1000;
          // Bounded: the watcher polls every 2 s at worst; then wait out the interval.
          while (Date.now() < waitUntil && reloadedCount() === before) await sleep(20);
          const swapped = await probe.sample();
          stalls.push({ stallMs: swapped.loopDelayMaxMs ?? Number.NaN, baselineMs: quiet.loopDelayMaxMs ?? undefined });
          while (Date.now() < waitUntil) await sleep(50);
        }
        const result = await pending;
        loadEndedAt = Date.now();
        return result;
      });
      await sleep(500);
      const lines = readLogLines(logFile);
      const reloaded = lines.filter((l) => l.msg === 'config reloaded');
      const swaps = reloaded.map((l, i) => {
        const at = logTime(l);
        const swapMs = Number(l.swapMs);
        return { at: Number.isFinite(at) ? new Date(at).toISOString() : String(l.time), hash: String(l.hash).slice(0, 19), swapMs, detectedAfterMs: swapTimes[i] !== undefined ? Math.max(0, at - swapMs - swapTimes[i]) : undefined };
      });
      // blockedMs: how long the swap held the event loop, as the gateway measures it (when it logs it).
      reloaded.forEach((l, i) => {
        if (stalls[i] && typeof l.blockedMs === 'number') stalls[i].blockedMs = l.blockedMs;
      });
      const rejected = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('config rejected')).map((l) => String(l.reason).slice(0, 200));
      // Non-200 access lines during the load, and at its very end: when wrk's time is up it closes its
      // connections with requests in flight, and what those get is written to sockets already gone.
      const failedAccess: Record<string, number> = {};
      const endOfRunAccess: Record<string, number> = {};
      for (const l of lines) {
        if (l.msg === 'access' && l.status !== 200) {
          const k = `HTTP ${String(l.status)} ${String(l.error ?? '')}${l.aborted ? ' (client closed)' : ''}`.trim();
          const bucket = logTime(l) >= loadEndedAt - END_OF_RUN_MS ? endOfRunAccess : failedAccess;
          bucket[k] = (bucket[k] ?? 0) + 1;
        }
      }
      const metrics = await (await fetch(`${running.adminUrl}/metrics`)).text();
      const le: Record<string, number> = {};
      for (const line of metrics.split('\n')) {
        const m = /^aigw_config_swap_duration_seconds_bucket\{.*le="([^"]+)".*\} (\S+)$/.exec(line);
        if (m) le[m[1]] = Number(m[2]);
      }
      const { stalls: idleStalls, scrapeMs: metricsScrapeStallMs } = await this.idleSwapStalls(running, probe, dir, (i) => ((SETTINGS.reloadSwaps + i) % 2 === 0 ? bFiles : base.files));
      this.results.reload = {
        routes: base.config.modelRoutes.length,
        swaps,
        rejected,
        metricsSwapSeconds: {
          count: metricValue(metrics, 'aigw_config_swap_duration_seconds_count') ?? 0,
          sum: metricValue(metrics, 'aigw_config_swap_duration_seconds_sum') ?? 0,
          le,
        },
        load,
        failedAccess,
        endOfRunAccess,
        configBytes: [...base.files.values()].reduce((n, b) => n + b.length, 0),
        stalls,
        idleStalls,
        metricsScrapeStallMs,
        ...noise,
      };
      log(`reload: swaps ${swaps.map((s) => s.swapMs.toFixed(1)).join(', ')} ms; longest stalls ${stalls.map((s) => s.stallMs.toFixed(1)).join(', ')} ms (quiet: ${stalls.map((s) => s.baselineMs?.toFixed(1)).join(', ')}); load ${load.rps.toFixed(0)} req/s, errors ${load.statusErrors + load.socketErrors}, max latency ${load.latencyMs.max.toFixed(0)} ms`);
    } finally {
      await running.stop();
    }
  }

  /**
   * Two more swaps once the load has ended: under wrk the loop never rests, so its delay there includes
   * queueing behind whole batches of requests (see "Same load, no swap"); with no load it is the
   * reload's own blocking of the event loop.
   */
  private async idleSwapStalls(running: RunningAigw, probe: ProbeReader, dir: KubeletConfigDir, files: (i: number) => Map<string, Buffer>): Promise<{ stalls: ReloadStall[]; scrapeMs: number }> {
    const reloadedCount = logCounter(running.logFile, '"msg":"config reloaded"');
    const stalls: ReloadStall[] = [];
    // One /metrics scrape on its own (the load left a series per route): its stall, kept apart from the swaps'.
    await sleep(1_000);
    await probe.sample();
    await (await fetch(`${running.adminUrl}/metrics`)).text();
    const scrapeMs = (await probe.sample()).loopDelayMaxMs ?? Number.NaN;
    for (let i = 0; i < 2; i++) {
      // The stretch before the swap: one quiet second, its own baseline.
      await probe.sample();
      await sleep(1_000);
      const before = reloadedCount();
      const quiet = await probe.sample();
      dir.swap(files(i));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && reloadedCount() === before) await sleep(20);
      const swapped = await probe.sample();
      stalls.push({ stallMs: swapped.loopDelayMaxMs ?? Number.NaN, baselineMs: quiet.loopDelayMaxMs ?? undefined });
    }
    const reloaded = readLogLines(running.logFile).filter((l) => l.msg === 'config reloaded').slice(-stalls.length);
    reloaded.forEach((l, i) => {
      if (typeof l.blockedMs === 'number') stalls[i].blockedMs = l.blockedMs;
    });
    log(`reload with no load: longest stalls ${stalls.map((s) => s.stallMs.toFixed(1)).join(', ')} ms (no swap: ${stalls.map((s) => s.baselineMs?.toFixed(1)).join(', ')}); one /metrics scrape: ${scrapeMs.toFixed(1)} ms`);
    return { stalls, scrapeMs };
  }

  private async idle(): Promise<void> {
    await waitForQuiet();
    const running = (await this.startContender('aigw', { configName: 'idle' })) as RunningAigw;
    const clients: StartedProc[] = [];
    try {
      await this.warmUp(running, CHAT_BODY);
      await sleep(1_000);
      const pid = running.pid;
      const nofile = openFilesLimit(pid);
      const parallel = 16;
      const perClientMax = 9_000;
      const clientCount = Math.ceil(SETTINGS.idleConns / perClientMax);
      // Every client connection is a file descriptor in aigw; keep room for its own (listeners, Redis, upstream pool).
      const reserve = openFds(pid) + clientCount * parallel + 64;
      const target = Math.min(SETTINGS.idleConns, nofile - reserve);
      const limitNote =
        target < SETTINGS.idleConns
          ? `this container caps open files at ${nofile} per process (hard limit; raising it needs CAP_SYS_RESOURCE, which the container lacks), so one process can hold at most ~${nofile - reserve} client sockets next to its own ${reserve - clientCount * parallel - 64} descriptors; RSS at 20,000 is extrapolated linearly from the measured per-connection cost`
          : '';
      // aigw trims its heap once quiet (src/dataplane/heap-trim.ts): the baseline is the warmed-up process after that.
      const trims = async (): Promise<number> => metricValue(await (await fetch(`${running.adminUrl}/metrics`)).text(), 'aigw_heap_trims_total') ?? 0;
      const baselineTrims = await settleAfterTrim(trims, 0);
      const rssBefore = (rssKiB(pid) ?? 0) / 1024;
      const url = new URL(running.target.baseUrl);
      const request = `POST ${running.target.paths[0]} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${CONSUMER_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(CHAT_BODY)}\r\n\r\n${CHAT_BODY}`;
      for (let i = 0; i < clientCount; i++) {
        const count = Math.floor(target / clientCount) + (i < target % clientCount ? 1 : 0);
        // Held long enough for aigw's quiet time (30 s) before its heap trim, and the settling after it.
        const spec = { host: '127.0.0.1', port: Number(url.port), count, parallel, request, holdS: 180 };
        clients.push(
          start(`idle-client-${i}`, process.execPath, ['-r', 'ts-node/register/transpile-only', IDLE_CLIENT, JSON.stringify(spec)], {
            cpu: LOADGEN_CPU,
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
            captureStdout: true,
            stdinPipe: true,
          }),
        );
      }
      const report = (c: StartedProc, phase: string) => {
        const line = c.stdout().split('\n').find((l) => l.startsWith('@@idle@@ ') && l.includes(`"phase":"${phase}"`));
        return line ? (JSON.parse(line.slice(9)) as { open: number; failed: number; closedEarly: number; openedS: number; statuses: Record<string, number>; errors: Record<string, number> }) : undefined;
      };
      await waitFor('the idle connections to open', async () => clients.every((c) => report(c, 'open') !== undefined), 120_000);
      await sleep(2_000);
      const rssHeld = (rssKiB(pid) ?? 0) / 1024;
      const peak = (peakRssKiB(pid) ?? 0) / 1024;
      const fdsHeld = openFds(pid);
      const gauge = metricValue(await (await fetch(`${running.adminUrl}/metrics`)).text(), 'aigw_client_connections') ?? Number.NaN;
      const settledTrims = await settleAfterTrim(trims, baselineTrims.count);
      const rssSettled = (rssKiB(pid) ?? 0) / 1024;
      for (const c of clients) c.child.stdin!.end('close\n');
      await waitFor('the idle clients to report', async () => clients.every((c) => report(c, 'closed') !== undefined), 30_000);
      const opened = clients.map((c) => report(c, 'open')!);
      const closed = clients.map((c) => report(c, 'closed')!);
      const held = closed.reduce((n, r) => n + r.open, 0);
      const merge = (list: Record<string, number>[]) => list.reduce<Record<string, number>>((acc, m) => {
        for (const [k, v] of Object.entries(m)) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {});
      const perConnectionKiB = held > 0 ? ((rssSettled - rssBefore) * 1024) / held : Number.NaN;
      this.results.idle = {
        target,
        limitNote,
        nofile,
        clients: clientCount,
        held,
        failed: opened.reduce((n, r) => n + r.failed, 0),
        closedEarly: closed.reduce((n, r) => n + r.closedEarly, 0),
        openedS: Math.max(...opened.map((r) => r.openedS)),
        gauge,
        rssBeforeMiB: rssBefore,
        rssHeldMiB: rssHeld,
        rssSettledMiB: rssSettled,
        trimmed: settledTrims.count > baselineTrims.count,
        settleS: settledTrims.waitedS,
        peakMiB: peak,
        fdsHeld,
        perConnectionKiB,
        rssAt20kMiB: held >= 20_000 ? rssSettled : rssBefore + (perConnectionKiB * 20_000) / 1024,
        statuses: merge(opened.map((r) => r.statuses)),
        errors: merge(opened.map((r) => r.errors)),
      };
      log(`idle: held ${held} (target ${target}), gauge ${gauge}, RSS ${rssBefore.toFixed(0)} → ${rssHeld.toFixed(0)} MiB right after opening, ${rssSettled.toFixed(0)} MiB settled, ${perConnectionKiB.toFixed(2)} KiB/connection`);
    } finally {
      await Promise.all(clients.map((c) => stop(c, 5_000)));
      await running.stop();
    }
  }

  private async capacity(): Promise<void> {
    const rate = POD_CAPACITY.qps;
    const run = await this.lessNoisy(() =>
      this.withContender(
        'aigw',
        CHAT_BODY,
        async (running) => {
          const { value, ...noise } = await withMachineLoad(() =>
            rateClient(running.target, { rate, durationS: SETTINGS.capacityS, body: CHAT_BODY, sse: false, maxInFlight: RATE_MAX_IN_FLIGHT, connections: RATE_CONNECTIONS, clientScript: RATE_CLIENT }),
          );
          return { config: 'serverless', maxQps: this.config('serverless').config.config.limits.maxQps, rate, result: value, ...noise } satisfies CapacityRun;
        },
        { configName: 'serverless' },
      ),
    );
    this.results.capacity = run;
    const x = run.result;
    log(`capacity at ${rate} req/s: ${x.achievedRps.toFixed(0)} req/s, ok ${x.ok}, skipped ${x.skipped}, errors ${x.errors} (${x.errorDetail}), p99 ${x.totalMs.p99} ms`);
  }

  private sizing(): void {
    const chat = this.results.throughput.chat.find((r) => r.contender === 'aigw')?.result.rps;
    const stream = this.results.throughput.stream.find((r) => r.contender === 'aigw')?.result.rps;
    const serverless = sizeGateway('serverless', undefined);
    this.results.sizing.push({
      spec: 'Serverless (any)',
      qps: 'elastic',
      clientConnections: 'elastic',
      replicas: serverless.kind === 'elastic' ? `${serverless.minReplicas}–${serverless.maxReplicas} (HPA at ${serverless.targetCpuUtilizationPercent}% CPU)` : '',
      perReplicaQps: serverless.perReplicaQps,
      perReplicaConnections: serverless.perReplicaClientConnections,
    });
    const at = (qps: number, conns: number, measured: number | undefined): number | string =>
      measured === undefined ? 'n/a' : Math.max(MIN_DEDICATED_REPLICAS, Math.ceil(qps / Math.floor(measured)), Math.ceil(conns / POD_CAPACITY.clientConnections));
    for (const spec of CAPACITY_SPEC_NAMES) {
      const s = sizeGateway('dedicated', spec);
      const { qps, clientConnections } = CAPACITY_SPECS[spec];
      this.results.sizing.push({
        spec,
        qps,
        clientConnections,
        replicas: s.kind === 'fixed' ? String(s.replicas) : '',
        perReplicaQps: s.perReplicaQps,
        perReplicaConnections: s.perReplicaClientConnections,
        replicasAtMeasured: { chat: at(qps, clientConnections, chat), stream: at(qps, clientConnections, stream) },
      });
    }
  }

  private async profile(): Promise<void> {
    const dir = join(OUT_DIR, SETTINGS.only.length ? 'profiles.partial' : 'profiles');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const large = this.config('routes-large');
    const largePaths = Array.from({ length: large.config.config.modelRoutes.length }, (_, i) => chatPath(i));
    type Load = { name: string; sub: string; body: string; kind: 'wrk' | 'fixed' | 'reload'; configName?: string; paths?: string[] };
    const loads: Load[] = [
      { name: 'non-streaming chat, wrk (saturated)', sub: 'chat', body: CHAT_BODY, kind: 'wrk' },
      { name: 'streaming chat (10 chunks), wrk (saturated)', sub: 'stream', body: STREAM_BODY, kind: 'wrk' },
      { name: `non-streaming chat at a fixed ${fmt(SETTINGS.rate)} req/s (open loop)`, sub: 'fixed-rate', body: CHAT_BODY, kind: 'fixed' },
      { name: `non-streaming chat over ${fmt(largePaths.length)} routes, wrk (saturated)`, sub: 'routes-large', body: CHAT_BODY, kind: 'wrk', configName: 'routes-large', paths: largePaths },
      { name: `reloads of the ${fmt(largePaths.length)}-route config (no load)`, sub: 'reload', body: CHAT_BODY, kind: 'reload' },
    ];
    for (const load of loads) {
      const sub = join(dir, load.sub);
      mkdirSync(sub);
      await waitForQuiet();
      const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${sub}`];
      let configDir: KubeletConfigDir | undefined;
      if (load.kind === 'reload') configDir = new KubeletConfigDir(join(this.workDir, `config-profile-${load.sub}`), large.config.files);
      const running = await this.startContender('aigw', { nodeFlags, configName: load.configName ?? (load.kind === 'reload' ? 'routes-large' : undefined), paths: load.paths, configDir: configDir?.dir });
      let window = { fromUs: 0, toUs: 0 };
      let rate: RateResult | undefined;
      try {
        await this.warmUp(running, load.body);
        const from = Number(process.hrtime.bigint() / 1000n);
        if (load.kind === 'fixed') {
          rate = await rateClient(running.target, { rate: SETTINGS.rate, durationS: SETTINGS.profileS, body: CHAT_BODY, sse: false, maxInFlight: RATE_MAX_IN_FLIGHT, connections: RATE_CONNECTIONS, clientScript: RATE_CLIENT });
        } else if (load.kind === 'wrk') {
          await wrk(running.target, { connections: SETTINGS.connections, durationS: SETTINGS.profileS, body: load.body, workDir: this.workDir, luaScript: LUA });
        } else {
          const reloaded = logCounter((running as RunningAigw).logFile, '"msg":"config reloaded"');
          const variant = structuredClone(large.config.config);
          for (const r of variant.modelRoutes) r.policies.rateLimits = r.policies.rateLimits.map((l) => ({ ...l, limit: l.limit + 1 }));
          const bFiles = shardFiles(variant);
          for (let i = 0; i < SETTINGS.reloadSwaps; i++) {
            const before = reloaded();
            configDir!.swap(i % 2 === 0 ? bFiles : large.config.files);
            const deadline = Date.now() + 10_000;
            while (reloaded() === before && Date.now() < deadline) await sleep(50);
          }
        }
        window = { fromUs: from, toUs: Number(process.hrtime.bigint() / 1000n) };
      } finally {
        await running.stop();
      }
      const file = readdirSync(sub).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no .cpuprofile written in ${sub}`);
      const path = join(sub, file);
      this.results.profiles.push({
        load: load.name,
        summary: summarizeProfile(path, REPO_ROOT, 15, window),
        inclusive: repoInclusive(path, REPO_ROOT, 12, window),
        ...(load.kind === 'fixed' ? { busy: busyPeriods(path, REPO_ROOT, window), rate } : {}),
      });
      this.results.commands[`profile: ${load.name}`] =
        `taskset -c 1 node --cpu-prof --cpu-prof-dir=${relative(REPO_ROOT, dir)}/${load.sub} ${relative(REPO_ROOT, BUILD_DIR)}/lib/cli/aigw.js serve …, ${load.kind === 'fixed' ? 'under the open-loop client' : load.kind === 'wrk' ? 'under wrk' : `${SETTINGS.reloadSwaps} swaps of ..data`} (${SETTINGS.profileS} s)`;
    }
  }
}

// ---------------------------------------------------------------- goals

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function evaluateGoals(r: Results): Goal[] {
  const goals: Goal[] = [];
  for (const workload of ['chat', 'stream'] as const) {
    const rows = r.throughput[workload];
    const get = (k: ContenderKey) => rows.find((x) => x.contender === k)?.result.rps;
    const a = get('aigw');
    const p = get('portkey');
    const n = get('nginx');
    const label = workload === 'chat' ? 'non-streaming' : 'streaming';
    if (a !== undefined && p !== undefined) {
      goals.push({ name: `Throughput vs Portkey (${label})`, target: `≥ ${GOALS.throughputVsPortkey}× Portkey`, measured: `${fmt(a)} vs ${fmt(p)} req/s`, ratio: `${(a / p).toFixed(2)}×`, pass: a >= GOALS.throughputVsPortkey * p });
    }
    if (a !== undefined && n !== undefined) {
      goals.push({ name: `Throughput vs nginx (${label})`, target: `≥ ${GOALS.throughputVsNginx}× nginx`, measured: `${fmt(a)} vs ${fmt(n)} req/s`, ratio: `${(a / n).toFixed(2)}×`, pass: a >= GOALS.throughputVsNginx * n });
    }
  }
  const lat = (k: ContenderKey) => r.latency.find((x) => x.contender === k)?.result;
  const la = lat('aigw');
  const ld = lat('direct');
  const oa = r.latency.find((x) => x.contender === 'aigw')?.openLoop;
  const od = r.latency.find((x) => x.contender === 'direct')?.openLoop;
  if (la && ld) {
    const overhead = la.latencyMs.p99 - ld.latencyMs.p99;
    goals.push({
      name: `p99 overhead at ${fmt(r.settings.rate)} req/s (non-streaming)`,
      target: `≤ ${GOALS.p99OverheadMs} ms`,
      measured:
        `hey: aigw p99 ${la.latencyMs.p99.toFixed(1)} ms − direct p99 ${ld.latencyMs.p99.toFixed(1)} ms = ${overhead.toFixed(1)} ms${la.errors ? `, ${la.errors} errors` : ''}` +
        (oa && od ? `; open-loop cross-check: ${oa.totalMs.p99.toFixed(1)} − ${od.totalMs.p99.toFixed(1)} = ${(oa.totalMs.p99 - od.totalMs.p99).toFixed(1)} ms` : ''),
      ratio: `${(overhead / GOALS.p99OverheadMs).toFixed(1)}× the budget`,
      pass: overhead <= GOALS.p99OverheadMs && la.errors === 0,
    });
  }
  if (r.idle) {
    const i = r.idle;
    const mb = (i.rssAt20kMiB * 2 ** 20) / 1e6;
    const extrapolated = i.held < GOALS.idleConnections;
    goals.push({
      name: `${fmt(GOALS.idleConnections)} idle keep-alive connections in one process`,
      target: `≤ ${GOALS.idleRssMB} MB RSS`,
      measured: extrapolated
        ? `held ${fmt(i.held)} (file limit ${fmt(i.nofile)}): ${((i.rssHeldMiB * 2 ** 20) / 1e6).toFixed(0)} MB right after opening${i.rssSettledMiB !== undefined ? `, ${((i.rssSettledMiB * 2 ** 20) / 1e6).toFixed(0)} MB settled` : ''}; at 20,000 (extrapolated, ${i.perConnectionKiB.toFixed(2)} KiB each): ${mb.toFixed(0)} MB`
        : `held ${fmt(i.held)}: ${mb.toFixed(0)} MB`,
      ratio: `${(mb / GOALS.idleRssMB).toFixed(2)}× the budget`,
      pass: mb <= GOALS.idleRssMB && i.closedEarly === 0 && i.failed === 0,
    });
  }
  const mean = (routes: number) => {
    const runs = r.routeRuns.filter((x) => x.routes === routes);
    return runs.length ? runs.reduce((n, x) => n + x.result.rps, 0) / runs.length : undefined;
  };
  const spread = routeSpread(r);
  const small = mean(10);
  const large = mean(r.settings.routes);
  if (small !== undefined && large !== undefined) {
    const delta = (large - small) / small;
    goals.push({
      name: `Throughput with ${fmt(r.settings.routes)} routes vs 10`,
      target: `within ${GOALS.routeCountTolerance * 100}%`,
      measured: `${fmt(large)} vs ${fmt(small)} req/s (mean of ${r.settings.routeRounds} runs each; runs of the same config differed by up to ${(spread * 100).toFixed(1)}%)`,
      ratio: `${(delta * 100).toFixed(1)}%`,
      pass: Math.abs(delta) <= GOALS.routeCountTolerance,
    });
  }
  if (r.reload) {
    const rl = r.reload;
    const maxSwap = rl.swaps.length ? Math.max(...rl.swaps.map((s) => s.swapMs)) : Number.NaN;
    const failed = rl.load.statusErrors + rl.load.socketErrors;
    const failedInLog = Object.values(rl.failedAccess).reduce((a, b) => a + b, 0);
    goals.push({
      name: `Reload of a ${fmt(rl.routes)}-route config under load`,
      target: `swap ≤ ${GOALS.reloadSwapMs} ms, 0 failed requests`,
      measured: `${rl.swaps.length} swaps, slowest ${maxSwap.toFixed(1)} ms; ${failed} failed of ${fmt(rl.load.requests)} (wrk), ${failedInLog} non-200 in aigw's access log during the load`,
      ratio: `${(maxSwap / GOALS.reloadSwapMs).toFixed(2)}× the budget`,
      pass: rl.swaps.length === r.settings.reloadSwaps && maxSwap <= GOALS.reloadSwapMs && failed === 0 && failedInLog === 0,
    });
  }
  const tt = (k: ContenderKey) => r.ttft.find((x) => x.contender === k)?.result;
  const ta = tt('aigw');
  const td = tt('direct');
  if (ta && td) {
    const overhead = ta.firstMs.p99 - td.firstMs.p99;
    goals.push({
      name: `Streaming TTFT p99 overhead at ${fmt(r.settings.ttftRate)} streams/s`,
      target: `≤ ${GOALS.ttftOverheadMs} ms`,
      measured: `aigw ${ta.firstMs.p99.toFixed(1)} ms − direct ${td.firstMs.p99.toFixed(1)} ms = ${overhead.toFixed(1)} ms${ta.skipped ? `; ${fmt(ta.skipped)} requests skipped (aigw fell behind the rate)` : ''}${ta.errors ? `, ${ta.errors} errors` : ''}`,
      ratio: `${(overhead / GOALS.ttftOverheadMs).toFixed(1)}× the budget`,
      pass: overhead <= GOALS.ttftOverheadMs && ta.errors === 0 && ta.skipped === 0,
    });
  }
  for (const workload of ['chat', 'stream'] as const) {
    const a = r.throughput[workload].find((x) => x.contender === 'aigw')?.result.rps;
    if (a === undefined) continue;
    goals.push({
      name: `POD_CAPACITY.qps (${fmt(POD_CAPACITY.qps)}) ≤ measured QPS of one process on one core (${workload === 'chat' ? 'non-streaming' : 'streaming'})`,
      target: `≥ ${fmt(POD_CAPACITY.qps)} req/s`,
      measured: `${fmt(a)} req/s`,
      ratio: `margin ${(((a - POD_CAPACITY.qps) / POD_CAPACITY.qps) * 100).toFixed(0)}%`,
      pass: a >= POD_CAPACITY.qps,
    });
  }
  if (r.capacity) {
    const c = r.capacity.result;
    goals.push({
      name: `Fixed ${fmt(r.capacity.rate)} req/s (POD_CAPACITY.qps) on the Serverless config as synthesized (open-loop)`,
      target: `sustained: every request sent on time, 0 errors`,
      measured: `${fmt(c.achievedRps)} req/s, ${fmt(c.ok)} ok, ${fmt(c.skipped)} skipped, ${fmt(c.errors)} errors, p99 ${c.totalMs.p99.toFixed(1)} ms`,
      ratio: `${(c.achievedRps / r.capacity.rate).toFixed(2)}× the rate`,
      pass: c.errors === 0 && c.skipped === 0 && c.achievedRps >= 0.98 * r.capacity.rate,
    });
  }
  if (r.idle) {
    goals.push({
      name: `POD_CAPACITY.clientConnections (${fmt(POD_CAPACITY.clientConnections)}) ≤ connections one process holds`,
      target: `≥ ${fmt(POD_CAPACITY.clientConnections)}`,
      measured: `${fmt(r.idle.held)} held${r.idle.held < POD_CAPACITY.clientConnections ? ` (capped by the container's file limit ${fmt(r.idle.nofile)})` : ''}`,
      ratio: `margin ${(((r.idle.held - POD_CAPACITY.clientConnections) / POD_CAPACITY.clientConnections) * 100).toFixed(1)}%`,
      pass: r.idle.held >= POD_CAPACITY.clientConnections,
    });
  }
  goals.push(...evaluateCpuGoals(r, GOALS));
  return goals;
}

// ---------------------------------------------------------------- main

function writeBenchmarksMd(markdown: string): void {
  writeMarkedSection({ file: BENCHMARKS_MD, start: MARK_START, end: MARK_END }, markdown);
}

async function main(): Promise<void> {
  stopProcessesOnExit(log);
  if (process.env.BENCH_RENDER === '1') {
    // Re-render BENCHMARKS.md from the last full run's raw results: nothing is measured or started.
    const results = JSON.parse(readFileSync(join(OUT_DIR, 'results.json'), 'utf8')) as Results;
    results.goals = evaluateGoals(results);
    const markdown = renderSection(results, { goals: GOALS, labels: CONTENDER_LABELS, hey: heyRate });
    writeFileSync(join(OUT_DIR, 'section.md'), markdown);
    writeBenchmarksMd(markdown);
    log(`re-rendered the "## Data plane" section of BENCHMARKS.md from bench/out/dataplane/results.json (run of ${results.startedAt})`);
    return;
  }
  requireCompiledLib(REPO_ROOT);
  const bench = new Bench();
  await bench.run();
  const markdown = renderSection(bench.results, { goals: GOALS, labels: CONTENDER_LABELS, hey: heyRate });
  writeFileSync(join(OUT_DIR, SETTINGS.only.length ? 'section.partial.md' : 'section.md'), markdown);
  if (SETTINGS.only.length === 0) {
    writeBenchmarksMd(markdown);
    log(`wrote the "## Data plane" section of BENCHMARKS.md (${bench.results.durationS?.toFixed(0)} s)`);
  } else {
    log(`BENCH_ONLY set: BENCHMARKS.md left alone; see bench/out/dataplane/section.partial.md`);
  }
  process.stdout.write(`${markdown}\n`);
  if (bench.results.errors.length > 0) {
    log(`sections that failed: ${bench.results.errors.join(' | ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) runDriver(main, log);
