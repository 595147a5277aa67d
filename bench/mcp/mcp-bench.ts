/**
 * MCP benchmark (issue #12 §5): `aigw serve` in front of an MCP server built with the official SDK,
 * against the same server called directly, in one run, in alternating rounds (gateway, direct,
 * gateway, direct …) so that the machine's noise hits both. NOT a test: it measures and reports.
 *
 *   BENCH_ONLY=mcp bash bench/run.sh      (installs, compiles, runs this on CPU 0, cleans up)
 *   npm run bench                         (the data-plane bench, then this)
 *
 * Processes: the upstream (bench/mcp/upstream.ts: the SDK's McpServer with a stateful
 * StreamableHTTPServerTransport per session, tool `echo`; and a tiny REST service) on CPU 0 with this
 * driver, which is the load generator (raw undici POSTs, bench/mcp/load.ts); `aigw serve` alone on
 * CPU 1. Rewrites the "## MCP" section of BENCHMARKS.md (between the mcp-bench markers); raw figures
 * in bench/out/mcp/results.json.
 *
 * Settings (environment):
 *   BENCH_MCP_SESSIONS=50    concurrent sessions (one closed loop each)
 *   BENCH_MCP_ROUNDS=3       rounds of the main comparison (tools/call, JSON answers) and of session creation
 *   BENCH_MCP_ROUND_S=4      each contender's run in a round, seconds
 *   BENCH_MCP_SHORT_ROUNDS=2 rounds of the SSE and HTTP-to-MCP comparisons (3 s each)
 *   BENCH_MCP_RATE=auto      paced runs' total rate, calls/s; auto: 30% of the lower closed-loop throughput
 *   BENCH_MCP_WARMUP_S=2     an unrecorded closed-loop run of each contender before each comparison
 *   BENCH_MCP_PROFILE=0      1: at the end, a CPU profile (`node --cpu-prof`) of a separate aigw under the closed-loop JSON tools/call load (4 s)
 *   BENCH_QUIET_WAIT_S=5     before each round, wait up to this long (30 s in all) for other load on the machine to drop below 0.5 core
 */
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import { setTimeout as sleep } from 'timers/promises';
import { join, relative, resolve } from 'path';
import { buildMcpBenchConfig, PATHS, SESSION_KEY, SESSION_KEY_ENV } from './config';
import { callTool, closedLoop, closeSession, Http, type LoadResult, openSession, type RawSession } from './load';
import { renderMcpSection } from './report';
import { median, summarize, type Summary } from './stats';
import type * as SessionModule from '../../src/dataplane/mcp/session';
import { CONSUMER_KEY, KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type Env, type RunningAigw } from '../dataplane/contenders';
import { type ProfileSummary, repoInclusive, setBuildRoot, summarizeProfile } from '../dataplane/cpuprofile';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import { freePort, killAllNow, machineBusySeconds, start, type StartedProc, stopAll, treeCpuSeconds, waitFor } from '../dataplane/procs';

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' || raw === 'auto' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return n;
};

export const SETTINGS = {
  sessions: num('BENCH_MCP_SESSIONS', 50),
  rounds: num('BENCH_MCP_ROUNDS', 3),
  roundS: num('BENCH_MCP_ROUND_S', 4),
  shortRounds: num('BENCH_MCP_SHORT_ROUNDS', 2),
  shortRoundS: 3,
  /** 0: derived from the closed-loop throughput. */
  rate: num('BENCH_MCP_RATE', 0),
  warmupS: num('BENCH_MCP_WARMUP_S', 2),
  quietWaitS: num('BENCH_QUIET_WAIT_S', 5),
  profile: process.env.BENCH_MCP_PROFILE === '1',
};
const PROFILE_S = 4;
const QUIET_WAIT_TOTAL_S = 30;
/** Other load (cores) below which the machine counts as quiet enough to start a round. */
const QUIET_CORES = 0.5;

const REPO_ROOT = resolve(__dirname, '..', '..');
const OUT_DIR = join(REPO_ROOT, 'bench', 'out', 'mcp');
const BUILD_DIR = join(OUT_DIR, 'build');
const UPSTREAM_SCRIPT = join(REPO_ROOT, 'bench', 'mcp', 'upstream.ts');
const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md');
export const MARK_START = '<!-- mcp-bench:start -->';
export const MARK_END = '<!-- mcp-bench:end -->';
const AUTH = { authorization: `Bearer ${CONSUMER_KEY}` };
const log = (line: string): void => void process.stderr.write(`[mcp-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

// ---------------------------------------------------------------- results

export type Side = 'gateway' | 'direct';

export interface RunFigures {
  readonly round: number;
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly perS: number;
  readonly latency: Summary;
  /** CPU seconds of the gateway process in the run (gateway side only). */
  readonly gatewayCpuS?: number;
  /** CPU seconds of the upstream process in the run. */
  readonly upstreamCpuS: number;
  /** Busy CPU of processes that are not this bench, in cores. */
  readonly foreignCores: number;
  readonly cpu0Busy: number;
  readonly cpu1Busy: number;
}

export interface SideFigures {
  readonly runs: RunFigures[];
  /** Every run's latencies pooled. */
  readonly latency: Summary;
  readonly ok: number;
  readonly errors: number;
  readonly perS: number;
  /** Gateway side: operations per CPU second of the gateway process. */
  readonly perCoreS?: number;
  /** Operations per CPU second of the upstream process. */
  readonly upstreamPerCoreS: number;
}

export interface Comparison {
  readonly key: string;
  readonly title: string;
  /** What one operation is, on each side. */
  readonly gatewayOp: string;
  readonly directOp: string;
  /** Total rate of a paced comparison (calls/s), absent for a closed loop (as fast as it goes). */
  readonly rate?: number;
  readonly seconds: number;
  readonly gateway: SideFigures;
  readonly direct: SideFigures;
}

export interface SealerFigures {
  readonly tokenChars: number;
  readonly batches: number;
  readonly opsPerBatch: number;
  /** Microseconds per operation in each batch. */
  readonly sealUs: number[];
  readonly openUs: number[];
}

export interface McpResults {
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  settings: typeof SETTINGS;
  machine: Record<string, string>;
  versions: Record<string, string>;
  commands: Record<string, string>;
  configChanges: string[];
  verification: string[];
  comparisons: Comparison[];
  sealer?: SealerFigures;
  /** BENCH_MCP_PROFILE=1: where aigw's CPU goes under closed-loop tools/call (JSON answers). */
  profile?: { summary: ProfileSummary; inclusive: { function: string; location: string; totalPercent: number }[]; calls: number; seconds: number };
  /** Seconds spent waiting for other load to drop before rounds. */
  quietWaitedS: number;
  errors: string[];
}

// ---------------------------------------------------------------- helpers

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'n/a';
}

const pkgVersion = (path: string): string => {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'n/a';
  }
};

async function measured<T extends LoadResult>(gatewayPid: number, upstreamPid: number, fn: () => Promise<T>): Promise<{ result: T; gatewayCpuS: number; upstreamCpuS: number; foreignCores: number; cpu0Busy: number; cpu1Busy: number }> {
  const m0 = machineBusySeconds();
  const c0 = machineBusySeconds('cpu0');
  const c1 = machineBusySeconds('cpu1');
  const own0 = treeCpuSeconds(process.pid, true);
  const g0 = treeCpuSeconds(gatewayPid);
  const u0 = treeCpuSeconds(upstreamPid);
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  return {
    result,
    gatewayCpuS: treeCpuSeconds(gatewayPid) - g0,
    upstreamCpuS: treeCpuSeconds(upstreamPid) - u0,
    foreignCores: Math.max(0, (machineBusySeconds() - m0 - (treeCpuSeconds(process.pid, true) - own0)) / wall),
    cpu0Busy: Math.min(1, (machineBusySeconds('cpu0') - c0) / wall),
    cpu1Busy: Math.min(1, (machineBusySeconds('cpu1') - c1) / wall),
  };
}

function sideFigures(runs: RunFigures[], latencies: number[], gatewaySide: boolean): SideFigures {
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const gatewayCpu = runs.reduce((a, r) => a + (r.gatewayCpuS ?? 0), 0);
  const upstreamCpu = runs.reduce((a, r) => a + r.upstreamCpuS, 0);
  return {
    runs,
    latency: summarize(latencies),
    ok,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    perS: seconds > 0 ? ok / seconds : 0,
    perCoreS: gatewaySide && gatewayCpu > 0 ? ok / gatewayCpu : undefined,
    upstreamPerCoreS: upstreamCpu > 0 ? ok / upstreamCpu : 0,
  };
}

// ---------------------------------------------------------------- the bench

interface SideSpec {
  /** Opens what each worker needs (its session), once per comparison. */
  prepare(workers: number): Promise<void>;
  op(worker: number): Promise<boolean | number>;
  finish(): Promise<void>;
}

class McpBench {
  public readonly results: McpResults;
  private readonly workDir: string;
  private readonly logDir: string;
  private upstream!: StartedProc;
  private upstreamUrl = '';
  private gateway!: RunningAigw;
  private gatewayHttp!: Http;
  private upstreamHttp!: Http;
  private env!: Env;
  private configDir = '';

  public constructor() {
    this.workDir = mkdtempSync(join(tmpdir(), 'aigw-mcp-bench-'));
    this.logDir = join(this.workDir, 'logs');
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(OUT_DIR, { recursive: true });
    this.results = {
      startedAt: new Date().toISOString(),
      settings: SETTINGS,
      machine: {
        nproc: sh('nproc', ['--all']),
        cpuModel: readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))?.split(':')[1]?.trim() ?? 'unknown',
        kernel: sh('uname', ['-sr']),
        loadAverageStart: loadavg().map((n) => n.toFixed(2)).join(' / '),
      },
      versions: {
        node: process.version,
        mcpSdk: pkgVersion(join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json')),
        undici: pkgVersion(join(REPO_ROOT, 'node_modules', 'undici', 'package.json')),
        aigw: pkgVersion(join(REPO_ROOT, 'package.json')),
        gitHead: sh('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
        gitDirty: sh('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length > 0 ? 'src/ has uncommitted changes' : 'clean',
      },
      commands: {
        // The settings this run was given (the report's command line shows them).
        env: Object.entries(process.env)
          .filter(([k]) => k.startsWith('BENCH_MCP_') || k === 'BENCH_QUIET_WAIT_S')
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(' '),
      },
      configChanges: [],
      verification: [],
      comparisons: [],
      quietWaitedS: 0,
      errors: [],
    };
  }

  public async run(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.setUp();
      await this.attempt('verify', () => this.verify());
      const json = await this.attemptValue('tools/call, JSON answers (closed loop)', () => this.toolsCall('json', SETTINGS.rounds, SETTINGS.roundS));
      const rate = SETTINGS.rate || (json ? Math.max(50, Math.round((0.3 * Math.min(json.gateway.perS, json.direct.perS)) / 50) * 50) : 200);
      await this.attempt('tools/call, JSON answers (paced)', () => this.toolsCall('json', SETTINGS.rounds, SETTINGS.roundS, rate).then(() => undefined));
      await this.attempt('tools/call, SSE answers (closed loop)', () => this.toolsCall('sse', SETTINGS.shortRounds, SETTINGS.shortRoundS).then(() => undefined));
      await this.attempt('tools/call, SSE answers (paced)', () => this.toolsCall('sse', SETTINGS.shortRounds, SETTINGS.shortRoundS, rate).then(() => undefined));
      await this.attempt('session creation', () => this.sessionCreation().then(() => undefined));
      const rest = await this.attemptValue('HTTP-to-MCP (closed loop)', () => this.httpToMcp(SETTINGS.shortRounds, SETTINGS.shortRoundS));
      const restRate = SETTINGS.rate || (rest ? Math.max(50, Math.round((0.3 * Math.min(rest.gateway.perS, rest.direct.perS)) / 50) * 50) : 200);
      await this.attempt('HTTP-to-MCP (paced)', () => this.httpToMcp(SETTINGS.shortRounds, SETTINGS.shortRoundS, restRate).then(() => undefined));
      await this.attempt('session token seal/open', async () => this.sealer());
      if (SETTINGS.profile) await this.attempt('CPU profile of aigw', () => this.cpuProfile());
    } finally {
      await this.gatewayHttp?.close().catch(() => undefined);
      await this.upstreamHttp?.close().catch(() => undefined);
      await stopAll();
      this.results.finishedAt = new Date().toISOString();
      this.results.durationS = (performance.now() - t0) / 1000;
      this.results.machine.loadAverageEnd = loadavg().map((n) => n.toFixed(2)).join(' / ');
      writeFileSync(join(OUT_DIR, 'results.json'), `${JSON.stringify(this.results, null, 2)}\n`);
      rmSync(this.workDir, { recursive: true, force: true });
    }
  }

  private async attempt(name: string, fn: () => Promise<void>): Promise<void> {
    await this.attemptValue(name, fn);
  }

  private async attemptValue<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    log(`== ${name}`);
    try {
      return await fn();
    } catch (e) {
      const message = `${name}: ${(e as Error).message.slice(0, 1500)}`;
      log(`FAILED ${message}`);
      this.results.errors.push(message);
      return undefined;
    }
  }

  private async setUp(): Promise<void> {
    // A snapshot of lib/ (with package.json, which lib/specs/version.js reads): others may compile lib/ meanwhile.
    rmSync(BUILD_DIR, { recursive: true, force: true });
    mkdirSync(BUILD_DIR, { recursive: true });
    cpSync(join(REPO_ROOT, 'lib'), join(BUILD_DIR, 'lib'), { recursive: true });
    copyFileSync(join(REPO_ROOT, 'package.json'), join(BUILD_DIR, 'package.json'));
    const libDir = join(BUILD_DIR, 'lib');

    const port = await freePort();
    const upArgs = ['-r', 'ts-node/register/transpile-only', UPSTREAM_SCRIPT, String(port)];
    this.upstream = start('mcp-upstream', process.execPath, upArgs, { cpu: LOADGEN_CPU, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, logFile: join(this.logDir, 'upstream.log'), captureStdout: true });
    this.upstreamUrl = `http://127.0.0.1:${port}`;
    await waitFor('the MCP upstream', async () => this.upstream.stdout().includes('@@upstream@@'), 30_000, this.upstream);
    this.results.commands.upstream = `taskset -c ${LOADGEN_CPU} node -r ts-node/register/transpile-only bench/mcp/upstream.ts ${port}`;

    log('building the config from the constructs');
    const built = buildMcpBenchConfig(this.upstreamUrl);
    this.results.configChanges = built.changes;
    const configDir = join(this.workDir, 'config');
    new KubeletConfigDir(configDir, shardFiles(built.config));
    this.configDir = configDir;
    // aigw reads Secrets from AIGW_SECRET_* variables; the shared starter passes this process's environment on.
    process.env[SESSION_KEY_ENV] = SESSION_KEY;
    this.env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream: this.upstreamUrl, simulatorPid: this.upstream.pid, libDir };
    this.gateway = await aigw(this.env, { name: 'aigw', configDir, paths: [PATHS.json.gateway], logFile: join(this.logDir, 'aigw.log') });
    this.results.commands.aigw = `${SESSION_KEY_ENV}=… ${this.gateway.command}`;
    this.results.commands.pinning = `aigw alone on CPU ${CONTENDER_CPU}; the upstream process and this driver (the load generator) on CPU ${LOADGEN_CPU}`;
    this.results.commands.load = `in this driver (taskset -c ${LOADGEN_CPU} node -r ts-node/register/transpile-only bench/mcp/mcp-bench.ts): undici Pool, ${SETTINGS.sessions} connections per origin, raw JSON-RPC POSTs`;
    // One connection per session: a closed loop has one request in flight per session.
    this.gatewayHttp = new Http(this.gateway.target.baseUrl, SETTINGS.sessions);
    this.upstreamHttp = new Http(this.upstreamUrl, SETTINGS.sessions);
  }

  /** Waits (bounded: QUIET_WAIT_TOTAL_S over the run) until other processes use less than QUIET_CORES, so rounds are not measured under someone else's build. */
  private async waitForQuiet(): Promise<void> {
    const budget = Math.min(SETTINGS.quietWaitS, QUIET_WAIT_TOTAL_S - this.results.quietWaitedS);
    if (budget <= 0) return;
    const t0 = performance.now();
    for (;;) {
      const idle = async (): Promise<LoadResult> => {
        await sleep(500);
        return { ok: 0, errors: 0, seconds: 0.5, latencies: [] };
      };
      const { foreignCores } = await measured(this.gateway.pid, this.upstream.pid, idle);
      if (foreignCores < QUIET_CORES || performance.now() - t0 + 500 > budget * 1000) break;
    }
    this.results.quietWaitedS += (performance.now() - t0) / 1000;
  }

  /** Every path answers as expected, and the gateway refuses a caller without a key. */
  private async verify(): Promise<void> {
    const v = this.results.verification;
    for (const mode of ['json', 'sse'] as const) {
      for (const side of ['gateway', 'direct'] as const) {
        const s = await this.open(side, mode);
        if (!(await callTool(s, 'echo', { text: 'verify-echo' }, 'verify-echo'))) throw new Error(`echo (${mode}) through ${side} did not answer`);
        await closeSession(s);
        v.push(`${side}, ${mode}: initialize, notifications/initialized, tools/call echo, DELETE: ok`);
      }
    }
    const rest = await openSession(this.gatewayHttp, PATHS.rest.gateway, AUTH);
    if (!(await callTool(rest, 'get_item', { id: '42' }, 'item 42'))) throw new Error('get_item through the gateway did not answer');
    v.push('gateway, HTTP-to-MCP: tools/call get_item → GET /items/42: ok');
    const direct = await this.upstreamHttp.send('GET', '/items/42', {});
    if (direct.status !== 200 || !direct.text.includes('item 42')) throw new Error(`GET /items/42: HTTP ${direct.status}`);
    const anonymous = await this.gatewayHttp.send('POST', PATHS.json.gateway, { 'accept': 'application/json, text/event-stream', 'content-type': 'application/json' }, '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}');
    if (anonymous.status !== 401) throw new Error(`initialize without a key: HTTP ${anonymous.status}, expected 401`);
    v.push('gateway without a key: 401');
  }

  private open(side: Side, mode: 'json' | 'sse'): Promise<RawSession> {
    return side === 'gateway' ? openSession(this.gatewayHttp, PATHS[mode].gateway, AUTH) : openSession(this.upstreamHttp, PATHS[mode].upstream, {});
  }

  private async compare(c: Omit<Comparison, 'gateway' | 'direct' | 'seconds'>, rounds: number, roundS: number, sides: Record<Side, SideSpec>): Promise<Comparison> {
    const runs: Record<Side, RunFigures[]> = { gateway: [], direct: [] };
    const latencies: Record<Side, number[]> = { gateway: [], direct: [] };
    const t0 = performance.now();
    try {
      for (const side of ['gateway', 'direct'] as const) {
        await sides[side].prepare(SETTINGS.sessions);
        // Warm-up, not recorded: JIT, connection pools.
        if (SETTINGS.warmupS > 0) await closedLoop(SETTINGS.sessions, SETTINGS.warmupS * 1000, (w) => sides[side].op(w), c.rate);
      }
      for (let round = 1; round <= rounds; round++) {
        await this.waitForQuiet();
        for (const side of ['gateway', 'direct'] as const) {
          const m = await measured(this.gateway.pid, this.upstream.pid, () => closedLoop(SETTINGS.sessions, roundS * 1000, (w) => sides[side].op(w), c.rate));
          latencies[side].push(...m.result.latencies);
          const run: RunFigures = {
            round,
            ok: m.result.ok,
            errors: m.result.errors,
            firstError: m.result.firstError,
            seconds: m.result.seconds,
            perS: m.result.ok / m.result.seconds,
            latency: summarize(m.result.latencies),
            gatewayCpuS: side === 'gateway' ? m.gatewayCpuS : undefined,
            upstreamCpuS: m.upstreamCpuS,
            foreignCores: m.foreignCores,
            cpu0Busy: m.cpu0Busy,
            cpu1Busy: m.cpu1Busy,
          };
          runs[side].push(run);
          log(`${c.key} round ${round} ${side}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms, ${run.errors} errors, other load ${run.foreignCores.toFixed(2)} cores`);
        }
      }
    } finally {
      for (const side of ['gateway', 'direct'] as const) await sides[side].finish().catch(() => undefined);
    }
    const comparison: Comparison = {
      ...c,
      seconds: (performance.now() - t0) / 1000,
      gateway: sideFigures(runs.gateway, latencies.gateway, true),
      direct: sideFigures(runs.direct, latencies.direct, false),
    };
    this.results.comparisons.push(comparison);
    return comparison;
  }

  /** Sessions opened once per comparison, one per worker; each worker calls `call` in a loop. */
  private sessionSides(open: (side: Side) => Promise<RawSession>, call: (s: RawSession) => Promise<boolean>): Record<Side, SideSpec> {
    const make = (side: Side): SideSpec => {
      let sessions: RawSession[] = [];
      return {
        prepare: async (n) => {
          sessions = await Promise.all(Array.from({ length: n }, () => open(side)));
        },
        op: (w) => call(sessions[w]),
        finish: async () => {
          await Promise.all(sessions.map((s) => closeSession(s).catch(() => undefined)));
        },
      };
    };
    return { gateway: make('gateway'), direct: make('direct') };
  }

  private toolsCall(mode: 'json' | 'sse', rounds: number, roundS: number, rate?: number): Promise<Comparison> {
    const answers = mode === 'json' ? 'JSON answers' : 'SSE answers';
    let n = 0;
    return this.compare(
      {
        key: `tools-call-${mode}${rate ? '-paced' : ''}`,
        title: `tools/call echo, upstream ${answers}, ${rate ? `paced at ${rate} calls/s in all` : `closed loop, ${SETTINGS.sessions} in flight`}`,
        gatewayOp: `POST ${PATHS[mode].gateway} tools/call → aigw → the SDK server`,
        directOp: `POST ${PATHS[mode].upstream} tools/call → the SDK server`,
        rate,
      },
      rounds,
      roundS,
      this.sessionSides(
        (side) => this.open(side, mode),
        (s) => {
          const text = `bench-${n++}`;
          return callTool(s, 'echo', { text }, text);
        },
      ),
    );
  }

  /** initialize + notifications/initialized, timed; then DELETE (not timed), so the upstream does not pile up sessions. */
  private sessionCreation(): Promise<Comparison> {
    const make = (side: Side): SideSpec => ({
      prepare: async () => undefined,
      op: async () => {
        const t0 = performance.now();
        const s = await this.open(side, 'json');
        const ms = performance.now() - t0;
        await closeSession(s);
        return ms;
      },
      finish: async () => undefined,
    });
    return this.compare(
      {
        key: 'session-creation',
        title: 'Session creation: initialize + notifications/initialized (upstream JSON answers), closed loop',
        gatewayOp: `POST ${PATHS.json.gateway} initialize, then notifications/initialized (timed); then DELETE (not timed)`,
        directOp: `POST ${PATHS.json.upstream} the same`,
      },
      SETTINGS.rounds,
      SETTINGS.shortRoundS,
      { gateway: make('gateway'), direct: make('direct') },
    );
  }

  private httpToMcp(rounds: number, roundS: number, rate?: number): Promise<Comparison> {
    const sides = this.sessionSides(
      () => openSession(this.gatewayHttp, PATHS.rest.gateway, AUTH),
      (s) => callTool(s, 'get_item', { id: '42' }, 'item 42'),
    );
    sides.direct = {
      prepare: async () => undefined,
      op: async () => {
        const res = await this.upstreamHttp.send('GET', '/items/42', {});
        return res.status === 200 && res.text.includes('item 42');
      },
      finish: async () => undefined,
    };
    return this.compare(
      {
        key: `http-to-mcp${rate ? '-paced' : ''}`,
        title: `HTTP-to-MCP: tools/call get_item vs a direct GET, ${rate ? `paced at ${rate} calls/s in all` : `closed loop, ${SETTINGS.sessions} in flight`}`,
        gatewayOp: `POST ${PATHS.rest.gateway} tools/call get_item {id: "42"} → aigw → GET /items/42`,
        directOp: 'GET /items/42 to the REST service',
        rate,
      },
      rounds,
      roundS,
      sides,
    );
  }

  /**
   * A separate aigw with `--cpu-prof` (so the profiler's own cost touches no figure above) under the
   * closed-loop JSON tools/call load; only samples inside the load count.
   */
  private async cpuProfile(): Promise<void> {
    const dir = join(OUT_DIR, 'profile');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    setBuildRoot(BUILD_DIR);
    await this.gateway.stop();
    const nodeFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    const running = await aigw(this.env, { name: 'aigw-profile', configDir: this.configDir, paths: [PATHS.json.gateway], logFile: join(this.logDir, 'aigw-profile.log'), nodeFlags });
    const http = new Http(running.target.baseUrl, SETTINGS.sessions);
    let window = { fromUs: 0, toUs: 0 };
    let load: LoadResult | undefined;
    try {
      const sessions = await Promise.all(Array.from({ length: SETTINGS.sessions }, () => openSession(http, PATHS.json.gateway, AUTH)));
      let n = 0;
      const op = (w: number) => {
        const text = `profile-${n++}`;
        return callTool(sessions[w], 'echo', { text }, text);
      };
      await closedLoop(SETTINGS.sessions, 1000, op);
      await this.waitForQuiet();
      const from = Number(process.hrtime.bigint() / 1000n);
      load = await closedLoop(SETTINGS.sessions, PROFILE_S * 1000, op);
      window = { fromUs: from, toUs: Number(process.hrtime.bigint() / 1000n) };
      await Promise.all(sessions.map((s) => closeSession(s).catch(() => undefined)));
    } finally {
      await http.close();
      await running.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
    const path = join(dir, file);
    this.results.profile = { summary: summarizeProfile(path, REPO_ROOT, 15, window), inclusive: repoInclusive(path, REPO_ROOT, 12, window), calls: load.ok, seconds: load.seconds };
    this.results.commands.profile = `taskset -c ${CONTENDER_CPU} node --cpu-prof --cpu-prof-dir=${relative(REPO_ROOT, dir)} ${relative(REPO_ROOT, BUILD_DIR)}/lib/cli/aigw.js serve … (a separate aigw, started after the comparisons)`;
  }

  /** The gateway's own cost of a session token: SessionSealer.seal and .open of the compiled code the gateway ran. */
  private sealer(): void {
    const mod = require(join(BUILD_DIR, 'lib', 'dataplane', 'mcp', 'session.js')) as typeof SessionModule;
    const sealer = mod.SessionSealer.fromSecret(SESSION_KEY, 'gw');
    const session = { server: 'echo-json', consumer: 'bench', version: '2025-06-18', upstream: randomUUID(), issuedAt: Math.floor(Date.now() / 1000) };
    const batches = 7;
    const ops = 20_000;
    const sealUs: number[] = [];
    const openUs: number[] = [];
    let token = '';
    for (let b = 0; b < batches; b++) {
      let t0 = performance.now();
      for (let i = 0; i < ops; i++) token = sealer.seal(session);
      sealUs.push(((performance.now() - t0) * 1000) / ops);
      t0 = performance.now();
      for (let i = 0; i < ops; i++) if (!sealer.open(token)) throw new Error('a sealed token did not open');
      openUs.push(((performance.now() - t0) * 1000) / ops);
    }
    // The first batch warms the JIT up: not reported.
    this.results.sealer = { tokenChars: token.length, batches: batches - 1, opsPerBatch: ops, sealUs: sealUs.slice(1), openUs: openUs.slice(1) };
    log(`seal ${median(sealUs.slice(1)).toFixed(2)} µs, open ${median(openUs.slice(1)).toFixed(2)} µs, token ${token.length} chars`);
  }
}

// ---------------------------------------------------------------- main

function writeBenchmarksMd(markdown: string): void {
  const block = `${MARK_START}\n${markdown.trimEnd()}\n${MARK_END}`;
  const current = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '# Benchmarks\n';
  const startAt = current.indexOf(MARK_START);
  const endAt = current.indexOf(MARK_END);
  const next = startAt >= 0 && endAt > startAt ? `${current.slice(0, startAt)}${block}${current.slice(endAt + MARK_END.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCHMARKS_MD, next);
}

async function main(): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping every process this bench started`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', killAllNow);
  if (process.env.BENCH_RENDER === '1') {
    const results = JSON.parse(readFileSync(join(OUT_DIR, 'results.json'), 'utf8')) as McpResults;
    writeBenchmarksMd(renderMcpSection(results));
    log('re-rendered the "## MCP" section of BENCHMARKS.md from bench/out/mcp/results.json');
    return;
  }
  if (!existsSync(join(REPO_ROOT, 'lib', 'cli', 'aigw.js'))) throw new Error('lib/ is missing: compile first (npx tsc -p tsconfig.json), or run bash bench/run.sh');
  const bench = new McpBench();
  await bench.run();
  const markdown = renderMcpSection(bench.results);
  writeFileSync(join(OUT_DIR, 'section.md'), markdown);
  writeBenchmarksMd(markdown);
  log(`wrote the "## MCP" section of BENCHMARKS.md (${bench.results.durationS?.toFixed(0)} s; ${relative(REPO_ROOT, OUT_DIR)}/results.json)`);
  process.stdout.write(`${markdown}\n`);
  if (bench.results.errors.length > 0) {
    log(`sections that failed: ${bench.results.errors.join(' | ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((e) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  });
}
