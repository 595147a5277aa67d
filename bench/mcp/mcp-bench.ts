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
import { randomUUID } from 'crypto';
import { mkdirSync, readdirSync, rmSync } from 'fs';
import { join, relative } from 'path';
import { buildMcpBenchConfig, PATHS, SESSION_KEY, SESSION_KEY_ENV } from './config';
import { callTool, closeSession, type McpOp, openSession, type RawSession, timed } from './load';
import { renderMcpSection } from './report';
import type * as SessionModule from '../../src/dataplane/mcp/session';
import { CONSUMER_KEY, KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type Env, type RunningAigw } from '../dataplane/contenders';
import { type ProfileSummary, repoInclusive, setBuildRoot, summarizeProfile } from '../dataplane/cpuprofile';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import { freePort, type StartedProc } from '../dataplane/procs';
import { alternatingRounds, type Side, SIDES, type SideLoad } from '../shared/alternating-rounds';
import { closedLoops, type LoopResult } from '../shared/closed-loop';
import { ComparisonBench } from '../shared/comparison-bench';
import { type ComparisonOf, pacedRate, runFigures, type RunFigures, type SideTotals, sumRuns } from '../shared/comparison-figures';
import { type ComparisonResults, startResults } from '../shared/comparison-results';
import { runDriver, sectionBenchMain } from '../shared/driver';
import { envNumber, settingsLine } from '../shared/env-settings';
import { PooledHttp } from '../shared/http-pool';
import { snapshotLib } from '../shared/lib-snapshot';
import { benchLog } from '../shared/log';
import { waitForQuiet } from '../shared/quiet';
import { benchOutDirs, REPO_ROOT, sectionMarkers } from '../shared/repo-paths';
import { codeVersions, packageVersion } from '../shared/run-facts';
import { median, summarize } from '../shared/stats';
import { startTsScript } from '../shared/ts-process';

export const SETTINGS = {
  sessions: envNumber('BENCH_MCP_SESSIONS', 50),
  rounds: envNumber('BENCH_MCP_ROUNDS', 3),
  roundS: envNumber('BENCH_MCP_ROUND_S', 4),
  shortRounds: envNumber('BENCH_MCP_SHORT_ROUNDS', 2),
  shortRoundS: 3,
  /** 0: derived from the closed-loop throughput. */
  rate: envNumber('BENCH_MCP_RATE', 0),
  warmupS: envNumber('BENCH_MCP_WARMUP_S', 2),
  quietWaitS: envNumber('BENCH_QUIET_WAIT_S', 5),
  profile: process.env.BENCH_MCP_PROFILE === '1',
};
const PROFILE_S = 4;

const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('mcp');
const UPSTREAM_SCRIPT = join(REPO_ROOT, 'bench', 'mcp', 'upstream.ts');
export const { start: MARK_START, end: MARK_END } = sectionMarkers('mcp-bench');
const AUTH = { authorization: `Bearer ${CONSUMER_KEY}` };
const log = benchLog('mcp-bench');

// ---------------------------------------------------------------- results

export interface SideFigures extends SideTotals {
  /** Gateway side: operations per CPU second of the gateway process. */
  readonly perCoreS?: number;
  /** Operations per CPU second of the upstream process. */
  readonly upstreamPerCoreS: number;
}

export type Comparison = ComparisonOf<SideFigures>;

export interface SealerFigures {
  readonly tokenChars: number;
  readonly batches: number;
  readonly opsPerBatch: number;
  /** Microseconds per operation in each batch. */
  readonly sealUs: number[];
  readonly openUs: number[];
}

export interface McpResults extends ComparisonResults<typeof SETTINGS, Comparison> {
  sealer?: SealerFigures;
  /** BENCH_MCP_PROFILE=1: where aigw's CPU goes under closed-loop tools/call (JSON answers). */
  profile?: { summary: ProfileSummary; inclusive: { function: string; location: string; totalPercent: number }[]; calls: number; seconds: number };
}

function sideFigures(runs: RunFigures[], latencies: number[], gatewaySide: boolean): SideFigures {
  const sum = sumRuns(runs);
  return {
    runs,
    latency: summarize(latencies),
    ok: sum.ok,
    errors: sum.errors,
    perS: sum.perS,
    perCoreS: gatewaySide && sum.gatewayCpuS > 0 ? sum.ok / sum.gatewayCpuS : undefined,
    upstreamPerCoreS: sum.upstreamCpuS > 0 ? sum.ok / sum.upstreamCpuS : 0,
  };
}

// ---------------------------------------------------------------- the bench

interface SideSpec {
  /** Opens what each worker needs (its session), once per comparison. */
  prepare(workers: number): Promise<void>;
  op: McpOp;
  finish(): Promise<void>;
}

class McpBench extends ComparisonBench<McpResults> {
  private upstream!: StartedProc;
  private upstreamUrl = '';
  private gateway!: RunningAigw;
  private gatewayHttp!: PooledHttp;
  private upstreamHttp!: PooledHttp;
  private env!: Env;
  private configDir = '';

  public constructor() {
    const mcpSdk = packageVersion(join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json'));
    super(startResults(SETTINGS, codeVersions(REPO_ROOT, { mcpSdk }), settingsLine('BENCH_MCP_', ['BENCH_QUIET_WAIT_S'])), 'aigw-mcp-bench-', OUT_DIR, log);
  }

  protected async measure(): Promise<void> {
    await this.setUp();
    await this.attempt('verify', () => this.verify());
    const json = await this.attempt('tools/call, JSON answers (closed loop)', () => this.toolsCall('json', SETTINGS.rounds, SETTINGS.roundS));
    const rate = pacedRate(SETTINGS.rate, json);
    await this.attempt('tools/call, JSON answers (paced)', () => this.toolsCall('json', SETTINGS.rounds, SETTINGS.roundS, rate));
    await this.attempt('tools/call, SSE answers (closed loop)', () => this.toolsCall('sse', SETTINGS.shortRounds, SETTINGS.shortRoundS));
    await this.attempt('tools/call, SSE answers (paced)', () => this.toolsCall('sse', SETTINGS.shortRounds, SETTINGS.shortRoundS, rate));
    await this.attempt('session creation', () => this.sessionCreation());
    const rest = await this.attempt('HTTP-to-MCP (closed loop)', () => this.httpToMcp(SETTINGS.shortRounds, SETTINGS.shortRoundS));
    const restRate = pacedRate(SETTINGS.rate, rest);
    await this.attempt('HTTP-to-MCP (paced)', () => this.httpToMcp(SETTINGS.shortRounds, SETTINGS.shortRoundS, restRate));
    await this.attempt('session token seal/open', async () => this.sealer());
    if (SETTINGS.profile) await this.attempt('CPU profile of aigw', () => this.cpuProfile());
  }

  protected async closeClients(): Promise<void> {
    await this.gatewayHttp?.close().catch(() => undefined);
    await this.upstreamHttp?.close().catch(() => undefined);
  }

  private async setUp(): Promise<void> {
    const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);

    const port = await freePort();
    this.upstreamUrl = `http://127.0.0.1:${port}`;
    const upstream = await startTsScript(REPO_ROOT, {
      name: 'mcp-upstream',
      what: 'the MCP upstream',
      script: UPSTREAM_SCRIPT,
      args: [String(port)],
      logFile: join(this.logDir, 'upstream.log'),
      ready: (stdout) => stdout.includes('@@upstream@@'),
      timeoutMs: 30_000,
    });
    this.upstream = upstream.proc;
    this.results.commands.upstream = upstream.command;

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
    this.gatewayHttp = new PooledHttp(this.gateway.target.baseUrl, SETTINGS.sessions);
    this.upstreamHttp = new PooledHttp(this.upstreamUrl, SETTINGS.sessions);
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
    const t0 = performance.now();
    const load = (side: Side): SideLoad<number> => ({ prepare: () => sides[side].prepare(SETTINGS.sessions), op: timed(sides[side].op) });
    let measured: Record<Side, { runs: RunFigures[]; samples: number[] }>;
    try {
      measured = await alternatingRounds({
        rounds,
        roundS,
        workers: SETTINGS.sessions,
        warmupS: SETTINGS.warmupS,
        rate: c.rate,
        sides: { gateway: load('gateway'), direct: load('direct') },
        pids: { gateway: this.gateway.pid, upstream: this.upstream.pid },
        beforeRound: () => waitForQuiet(this.results, SETTINGS.quietWaitS),
        record: (side, round, m) => {
          const run = runFigures(side, round, m, summarize(m.value.samples), {});
          log(`${c.key} round ${round} ${side}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms, ${run.errors} errors, other load ${run.foreignCores.toFixed(2)} cores`);
          return run;
        },
      });
    } finally {
      for (const side of SIDES) await sides[side].finish().catch(() => undefined);
    }
    const comparison: Comparison = {
      ...c,
      seconds: (performance.now() - t0) / 1000,
      gateway: sideFigures(measured.gateway.runs, measured.gateway.samples, true),
      direct: sideFigures(measured.direct.runs, measured.direct.samples, false),
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
    const http = new PooledHttp(running.target.baseUrl, SETTINGS.sessions);
    let window = { fromUs: 0, toUs: 0 };
    let load: LoopResult<number> | undefined;
    try {
      const sessions = await Promise.all(Array.from({ length: SETTINGS.sessions }, () => openSession(http, PATHS.json.gateway, AUTH)));
      let n = 0;
      const op = (w: number) => {
        const text = `profile-${n++}`;
        return callTool(sessions[w], 'echo', { text }, text);
      };
      await closedLoops(SETTINGS.sessions, 1000, timed(op));
      await waitForQuiet(this.results, SETTINGS.quietWaitS);
      const from = Number(process.hrtime.bigint() / 1000n);
      load = await closedLoops(SETTINGS.sessions, PROFILE_S * 1000, timed(op));
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

async function main(): Promise<void> {
  await sectionBenchMain<McpResults>({
    log,
    outDir: OUT_DIR,
    title: '"## MCP"',
    markers: { start: MARK_START, end: MARK_END },
    renderRewritesSectionMd: false,
    render: renderMcpSection,
    measure: () => new McpBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
