/**
 * Agents-as-models benchmark (issue #13 §4): `aigw serve` with a Dify chat app exposed as a model
 * (`asModel`), called with `/v1/chat/completions`, against the same request sent to the Dify simulator
 * directly (`POST /v1/chat-messages`), non-streamed and streamed, in one run, in alternating rounds
 * (gateway, direct, gateway, direct …) so that the machine's noise hits both. NOT a test: it measures
 * and reports (issue #13's goal, ≤ 1 ms p99 overhead, is reported as measured, never asserted).
 *
 *   BENCH_ONLY=agents bash bench/run.sh   (installs, compiles, runs this on CPU 0, cleans up)
 *   npm run bench                         (the data-plane bench, the MCP bench, then this)
 *
 * Processes: the bundled upstream simulator (bench/dataplane/simulator.ts, compiled code from lib/)
 * on CPU 0 with this driver, which is the load generator (raw undici POSTs, bench/agents/load.ts);
 * `aigw serve` alone on CPU 1. Rewrites the "## Agents as models" section of BENCHMARKS.md (between
 * the agents-bench markers, placed after the MCP section); raw figures in bench/out/agents/results.json.
 *
 * Settings (environment):
 *   BENCH_AGENTS_CONNECTIONS=50   concurrent clients (one closed loop and one keep-alive connection each)
 *   BENCH_AGENTS_ROUNDS=3         rounds of each paced comparison
 *   BENCH_AGENTS_ROUND_S=4        each contender's run in a paced round, seconds
 *   BENCH_AGENTS_SHORT_ROUNDS=2   rounds of each closed-loop comparison (3 s each)
 *   BENCH_AGENTS_RATE=auto        paced runs' total rate, calls/s; auto: 30% of the lower closed-loop throughput
 *   BENCH_AGENTS_WARMUP_S=2       an unrecorded run of each contender before each comparison
 *   BENCH_AGENTS_STREAM_CHUNKS=10 answer pieces per streamed answer (the simulator's message events)
 *   BENCH_AGENTS_AIGW_NODE_FLAGS= node flags for aigw, space-separated (e.g. --trace-gc: its output lands in aigw's log)
 *   BENCH_AGENTS_KEEP_LOGS=0      1: keep aigw's and the simulator's logs in bench/out/agents/logs (else removed with the run's temp dir)
 *   BENCH_QUIET_WAIT_S=5          before each round, wait up to this long (30 s in all) for other load to drop below 0.5 core
 */
import { spawnSync } from 'child_process';
import { cpSync, existsSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import { join, relative, resolve } from 'path';
import { setTimeout as sleep } from 'timers/promises';
import { AGENT_KEY, AGENT_KEY_ENV, AGENT_MODEL, buildAgentsBenchConfig, DIFY_USER } from './config';
import { closedLoop, type LoadResult, type Sample, type TimedAnswer, TimedHttp } from './load';
import { renderAgentsSection } from './report';
import { CONSUMER_KEY, KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type RunningAigw } from '../dataplane/contenders';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import { freePort, killAllNow, machineBusySeconds, start, type StartedProc, stopAll, treeCpuSeconds, waitFor } from '../dataplane/procs';
import { summarize, type Summary } from '../mcp/stats';

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' || raw === 'auto' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return n;
};

export const SETTINGS = {
  connections: Math.max(1, num('BENCH_AGENTS_CONNECTIONS', 50)),
  rounds: num('BENCH_AGENTS_ROUNDS', 3),
  roundS: num('BENCH_AGENTS_ROUND_S', 4),
  shortRounds: num('BENCH_AGENTS_SHORT_ROUNDS', 2),
  shortRoundS: 3,
  /** 0: derived from the closed-loop throughput. */
  rate: num('BENCH_AGENTS_RATE', 0),
  warmupS: num('BENCH_AGENTS_WARMUP_S', 2),
  streamChunks: Math.max(1, num('BENCH_AGENTS_STREAM_CHUNKS', 10)),
  quietWaitS: num('BENCH_QUIET_WAIT_S', 5),
  aigwNodeFlags: (process.env.BENCH_AGENTS_AIGW_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  keepLogs: process.env.BENCH_AGENTS_KEEP_LOGS === '1',
};
const QUIET_WAIT_TOTAL_S = 30;
/** Other load (cores) below which the machine counts as quiet enough to start a round. */
const QUIET_CORES = 0.5;

const REPO_ROOT = resolve(__dirname, '..', '..');
const OUT_DIR = join(REPO_ROOT, 'bench', 'out', 'agents');
/** The snapshot of lib/ the processes run: inside the repo, so that it resolves the repo's node_modules; removed at the end. */
const BUILD_DIR = join(OUT_DIR, 'build');
const SIMULATOR_SCRIPT = join(REPO_ROOT, 'bench', 'dataplane', 'simulator.ts');
const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md');
export const MARK_START = '<!-- agents-bench:start -->';
export const MARK_END = '<!-- agents-bench:end -->';
/** The section goes right after the MCP section (its end marker), or at the end when there is none. */
const MCP_MARK_END = '<!-- mcp-bench:end -->';
const log = (line: string): void => void process.stderr.write(`[agents-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

// ---------------------------------------------------------------- the two requests

const GATEWAY_PATH = '/v1/chat/completions';
const DIRECT_PATH = '/v1/chat-messages';
const QUERY = 'hello';
/** What the Dify simulator answers to QUERY for DIFY_USER in a new conversation: the same text on both sides. */
export const EXPECTED_ANSWER = `Dify heard "${QUERY}" (turn 1 of conversation, user ${DIFY_USER})`;
/** The answer as it appears inside a JSON string (its quotes escaped). */
const EXPECTED_IN_JSON = JSON.stringify(EXPECTED_ANSWER).slice(1, -1);
const GATEWAY_HEADERS = { 'content-type': 'application/json', 'authorization': `Bearer ${CONSUMER_KEY}` };
const DIRECT_HEADERS = { 'content-type': 'application/json', 'authorization': `Bearer ${AGENT_KEY}` };
const gatewayBody = (stream: boolean): string => JSON.stringify({ model: AGENT_MODEL, messages: [{ role: 'user', content: QUERY }], ...(stream && { stream: true }) });
const directBody = (stream: boolean): string => JSON.stringify({ inputs: {}, query: QUERY, response_mode: stream ? 'streaming' : 'blocking', user: DIFY_USER });
/** The first content byte: OpenAI's first non-empty delta content; Dify's first non-empty answer. */
const FIRST_CONTENT: Record<Side, RegExp> = { gateway: /"content":"[^"]/, direct: /"answer":\s*"[^"]/ };

// ---------------------------------------------------------------- results

export type Side = 'gateway' | 'direct';

export interface RunFigures {
  readonly round: number;
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly perS: number;
  /** Time to the last byte. */
  readonly latency: Summary;
  /** Streamed runs: time to the first content byte. */
  readonly firstContent?: Summary;
  /** CPU seconds of the gateway process in the run (gateway side only). */
  readonly gatewayCpuS?: number;
  /** CPU seconds of the simulator process in the run. */
  readonly upstreamCpuS: number;
  /** Busy CPU of processes that are not this bench, in cores. */
  readonly foreignCores: number;
  readonly cpu0Busy: number;
  readonly cpu1Busy: number;
}

export interface SideFigures {
  readonly runs: RunFigures[];
  /** Every run's latencies (to the last byte) pooled. */
  readonly latency: Summary;
  /** Streamed: every run's times to the first content byte pooled. */
  readonly firstContent?: Summary;
  readonly ok: number;
  readonly errors: number;
  readonly perS: number;
  /** Gateway side: aigw's CPU per call, µs (its CPU seconds over its runs ÷ calls). */
  readonly gatewayCpuUsPerCall?: number;
  /** The simulator's CPU per call, µs, for scale. */
  readonly upstreamCpuUsPerCall: number;
}

export interface Comparison {
  readonly key: string;
  readonly title: string;
  readonly streamed: boolean;
  readonly gatewayOp: string;
  readonly directOp: string;
  /** Total rate of a paced comparison (calls/s), absent for a closed loop (as fast as it goes). */
  readonly rate?: number;
  readonly seconds: number;
  readonly gateway: SideFigures;
  readonly direct: SideFigures;
}

export interface AgentsResults {
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
  /** Seconds spent waiting for other load to drop before rounds. */
  quietWaitedS: number;
  errors: string[];
}

// ---------------------------------------------------------------- helpers

/** One run's load result and what the processes and cores did meanwhile. */
interface Measured {
  readonly result: LoadResult;
  readonly gatewayCpuS: number;
  readonly upstreamCpuS: number;
  readonly foreignCores: number;
  readonly cpu0Busy: number;
  readonly cpu1Busy: number;
}

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

/** The data lines of an SSE body, parsed (frames without data, such as Dify's `event: ping`, are skipped). */
function sseData(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data:') && l.slice(5).trim() !== '[DONE]')
    .map((l) => JSON.parse(l.slice(5).trim()) as unknown);
}

interface OpenAiChunk {
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
}
interface DifyFrame {
  event?: string;
  answer?: string;
}

/** Checks of one answer in the loop: cheap (no JSON parsing of streams), the full reassembly is in verify(). */
function checkAnswer(side: Side, stream: boolean, status: number, text: string): string | undefined {
  if (status !== 200) return `HTTP ${status}: ${text.slice(0, 150)}`;
  if (!stream) return text.includes(EXPECTED_IN_JSON) ? undefined : `not the expected answer: ${text.slice(0, 150)}`;
  if (side === 'gateway') return text.trimEnd().endsWith('data: [DONE]') ? undefined : `stream without [DONE]: …${text.slice(-150)}`;
  return /"event":\s*"message_end"/.test(text) ? undefined : `stream without message_end: …${text.slice(-150)}`;
}

// ---------------------------------------------------------------- the bench

class AgentsBench {
  public readonly results: AgentsResults;
  private readonly workDir: string;
  private readonly logDir: string;
  private simulator!: StartedProc;
  private gateway!: RunningAigw;
  private http!: Record<Side, TimedHttp>;

  public constructor() {
    this.workDir = mkdtempSync(join(tmpdir(), 'aigw-agents-bench-'));
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
        undici: pkgVersion(join(REPO_ROOT, 'node_modules', 'undici', 'package.json')),
        aigw: pkgVersion(join(REPO_ROOT, 'package.json')),
        gitHead: sh('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']),
        gitDirty: sh('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length > 0 ? 'src/ has uncommitted changes' : 'clean',
      },
      commands: {
        env: Object.entries(process.env)
          .filter(([k]) => k.startsWith('BENCH_AGENTS_') || k === 'BENCH_QUIET_WAIT_S' || k === 'BENCH_ALLOW_TSC_ERRORS')
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
      for (const stream of [false, true]) {
        const what = stream ? 'streamed' : 'non-streamed';
        const closed = await this.attemptValue(`${what} (closed loop)`, () => this.compare(stream, SETTINGS.shortRounds, SETTINGS.shortRoundS));
        const rate = SETTINGS.rate || (closed ? Math.max(50, Math.round((0.3 * Math.min(closed.gateway.perS, closed.direct.perS)) / 50) * 50) : 200);
        await this.attempt(`${what} (paced)`, () => this.compare(stream, SETTINGS.rounds, SETTINGS.roundS, rate).then(() => undefined));
      }
    } finally {
      await Promise.all(Object.values(this.http ?? {}).map((h) => h.close().catch(() => undefined)));
      await stopAll();
      this.results.finishedAt = new Date().toISOString();
      this.results.durationS = (performance.now() - t0) / 1000;
      this.results.machine.loadAverageEnd = loadavg().map((n) => n.toFixed(2)).join(' / ');
      writeFileSync(join(OUT_DIR, 'results.json'), `${JSON.stringify(this.results, null, 2)}\n`);
      if (SETTINGS.keepLogs) cpSync(this.logDir, join(OUT_DIR, 'logs'), { recursive: true });
      rmSync(this.workDir, { recursive: true, force: true });
      rmSync(BUILD_DIR, { recursive: true, force: true });
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
    const simArgs = ['-r', 'ts-node/register/transpile-only', SIMULATOR_SCRIPT, String(port), String(SETTINGS.streamChunks), libDir];
    this.simulator = start('simulator', process.execPath, simArgs, { cpu: LOADGEN_CPU, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' }, logFile: join(this.logDir, 'simulator.log'), captureStdout: true });
    const upstream = `http://127.0.0.1:${port}`;
    await waitFor('the simulator', async () => this.simulator.stdout().includes(upstream), 30_000, this.simulator);
    this.results.commands.simulator = `taskset -c ${LOADGEN_CPU} node -r ts-node/register/transpile-only bench/dataplane/simulator.ts ${port} ${SETTINGS.streamChunks} ${relative(REPO_ROOT, libDir)}`;

    log('building the config from the constructs');
    const built = buildAgentsBenchConfig(upstream);
    this.results.configChanges = built.changes;
    const configDir = join(this.workDir, 'config');
    new KubeletConfigDir(configDir, shardFiles(built.config));
    // aigw reads Secrets from AIGW_SECRET_* variables; the shared starter passes this process's environment on.
    process.env[AGENT_KEY_ENV] = AGENT_KEY;
    const env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream, simulatorPid: this.simulator.pid, libDir };
    this.gateway = await aigw(env, { name: 'aigw', configDir, paths: [GATEWAY_PATH], logFile: join(this.logDir, 'aigw.log'), nodeFlags: SETTINGS.aigwNodeFlags });
    this.results.commands.aigw = `${AGENT_KEY_ENV}=… ${this.gateway.command.split(this.workDir).join('<tmp>')}`;
    this.results.commands.pinning = `aigw alone on CPU ${CONTENDER_CPU}; the simulator and this driver (the load generator) on CPU ${LOADGEN_CPU}`;
    this.http = { gateway: new TimedHttp(this.gateway.target.baseUrl, SETTINGS.connections), direct: new TimedHttp(upstream, SETTINGS.connections) };
  }

  private path(side: Side): string {
    return side === 'gateway' ? GATEWAY_PATH : DIRECT_PATH;
  }

  private send(side: Side, stream: boolean): Promise<TimedAnswer> {
    return this.http[side].post(this.path(side), side === 'gateway' ? GATEWAY_HEADERS : DIRECT_HEADERS, side === 'gateway' ? gatewayBody(stream) : directBody(stream), stream ? FIRST_CONTENT[side] : undefined);
  }

  /** Both sides answer the same text, whole, streamed and not; the model route still answers; no key, no answer. */
  private async verify(): Promise<void> {
    const v = this.results.verification;
    const plain = await this.send('gateway', false);
    const content = (JSON.parse(plain.text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content;
    if (plain.status !== 200 || content !== EXPECTED_ANSWER) throw new Error(`gateway, non-streamed: HTTP ${plain.status}, ${plain.text.slice(0, 300)}`);
    v.push(`gateway, non-streamed: 200, choices[0].message.content ${JSON.stringify(content)}`);
    const blocking = await this.send('direct', false);
    const answer = (JSON.parse(blocking.text) as { answer?: string }).answer;
    if (blocking.status !== 200 || answer !== EXPECTED_ANSWER) throw new Error(`direct, blocking: HTTP ${blocking.status}, ${blocking.text.slice(0, 300)}`);
    v.push(`direct, blocking: 200, answer ${JSON.stringify(answer)}`);
    const streamed = await this.send('gateway', true);
    const chunks = sseData(streamed.text) as OpenAiChunk[];
    const deltas = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
    if (streamed.status !== 200 || deltas !== EXPECTED_ANSWER || checkAnswer('gateway', true, streamed.status, streamed.text)) {
      throw new Error(`gateway, streamed: HTTP ${streamed.status}, deltas ${JSON.stringify(deltas)}, …${streamed.text.slice(-200)}`);
    }
    v.push(`gateway, streamed: 200, ${chunks.length} chunks whose deltas make the same text, then [DONE]; first content after ${streamed.firstContentMs?.toFixed(3)} ms`);
    const direct = await this.send('direct', true);
    const frames = sseData(direct.text) as DifyFrame[];
    const pieces = frames.filter((f) => f.event === 'message');
    if (direct.status !== 200 || pieces.map((f) => f.answer ?? '').join('') !== EXPECTED_ANSWER || checkAnswer('direct', true, direct.status, direct.text)) {
      throw new Error(`direct, streaming: HTTP ${direct.status}, …${direct.text.slice(-200)}`);
    }
    v.push(`direct, streaming: 200, ping + ${pieces.length} message events making the same text + message_end; first content after ${direct.firstContentMs?.toFixed(3)} ms`);
    const model = await this.http.gateway.post(GATEWAY_PATH, GATEWAY_HEADERS, JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: QUERY }] }));
    if (model.status !== 200) throw new Error(`gateway, gpt-4o (the model route): HTTP ${model.status}, ${model.text.slice(0, 300)}`);
    v.push('gateway, gpt-4o (the model route beside the agent): 200');
    const anonymous = await this.http.gateway.post(GATEWAY_PATH, { 'content-type': 'application/json' }, gatewayBody(false));
    if (anonymous.status !== 401) throw new Error(`gateway without a key: HTTP ${anonymous.status}, expected 401`);
    v.push('gateway without a key: 401');
  }

  private async measured(fn: () => Promise<LoadResult>): Promise<Measured> {
    const m0 = machineBusySeconds();
    const c0 = machineBusySeconds('cpu0');
    const c1 = machineBusySeconds('cpu1');
    const own0 = treeCpuSeconds(process.pid, true);
    const g0 = treeCpuSeconds(this.gateway.pid);
    const u0 = treeCpuSeconds(this.simulator.pid);
    const t0 = performance.now();
    const result = await fn();
    const wall = (performance.now() - t0) / 1000;
    return {
      result,
      gatewayCpuS: treeCpuSeconds(this.gateway.pid) - g0,
      upstreamCpuS: treeCpuSeconds(this.simulator.pid) - u0,
      // This driver's tree includes the simulator and aigw (its children): what is left is other load.
      foreignCores: Math.max(0, (machineBusySeconds() - m0 - (treeCpuSeconds(process.pid, true) - own0)) / wall),
      cpu0Busy: Math.min(1, (machineBusySeconds('cpu0') - c0) / wall),
      cpu1Busy: Math.min(1, (machineBusySeconds('cpu1') - c1) / wall),
    };
  }

  /** Waits (bounded: QUIET_WAIT_TOTAL_S over the run) until other processes use less than QUIET_CORES. */
  private async waitForQuiet(): Promise<void> {
    const budget = Math.min(SETTINGS.quietWaitS, QUIET_WAIT_TOTAL_S - this.results.quietWaitedS);
    if (budget <= 0) return;
    const t0 = performance.now();
    for (;;) {
      const idle = async (): Promise<LoadResult> => {
        await sleep(500);
        return { ok: 0, errors: 0, seconds: 0.5, totals: [], firsts: [] };
      };
      const { foreignCores } = await this.measured(idle);
      if (foreignCores < QUIET_CORES || performance.now() - t0 + 500 > budget * 1000) break;
    }
    this.results.quietWaitedS += (performance.now() - t0) / 1000;
  }

  private async op(side: Side, stream: boolean): Promise<Sample | string> {
    const a = await this.send(side, stream);
    return checkAnswer(side, stream, a.status, a.text) ?? { totalMs: a.totalMs, firstContentMs: a.firstContentMs };
  }

  private async compare(stream: boolean, rounds: number, roundS: number, rate?: number): Promise<Comparison> {
    const runs: Record<Side, RunFigures[]> = { gateway: [], direct: [] };
    const totals: Record<Side, number[]> = { gateway: [], direct: [] };
    const firsts: Record<Side, number[]> = { gateway: [], direct: [] };
    const key = `${stream ? 'streamed' : 'non-streamed'}${rate ? '-paced' : ''}`;
    const t0 = performance.now();
    // Warm-up, not recorded: JIT, connection pools.
    for (const side of ['gateway', 'direct'] as const) {
      if (SETTINGS.warmupS > 0) await closedLoop(SETTINGS.connections, SETTINGS.warmupS * 1000, () => this.op(side, stream), rate);
    }
    for (let round = 1; round <= rounds; round++) {
      await this.waitForQuiet();
      for (const side of ['gateway', 'direct'] as const) {
        const m = await this.measured(() => closedLoop(SETTINGS.connections, roundS * 1000, () => this.op(side, stream), rate));
        totals[side].push(...m.result.totals);
        firsts[side].push(...m.result.firsts);
        const run: RunFigures = {
          round,
          ok: m.result.ok,
          errors: m.result.errors,
          firstError: m.result.firstError,
          seconds: m.result.seconds,
          perS: m.result.ok / m.result.seconds,
          latency: summarize(m.result.totals),
          firstContent: stream ? summarize(m.result.firsts) : undefined,
          gatewayCpuS: side === 'gateway' ? m.gatewayCpuS : undefined,
          upstreamCpuS: m.upstreamCpuS,
          foreignCores: m.foreignCores,
          cpu0Busy: m.cpu0Busy,
          cpu1Busy: m.cpu1Busy,
        };
        runs[side].push(run);
        log(
          `${key} round ${round} ${side}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms${run.firstContent ? `, first content p99 ${run.firstContent.p99.toFixed(3)} ms` : ''}, ${run.errors} errors, other load ${run.foreignCores.toFixed(2)} cores`,
        );
      }
    }
    const comparison: Comparison = {
      key,
      title: `${stream ? 'Streamed' : 'Non-streamed'}, ${rate ? `paced at ${rate} calls/s in all` : `closed loop, ${SETTINGS.connections} in flight`}`,
      streamed: stream,
      gatewayOp: `POST ${GATEWAY_PATH} {model: "${AGENT_MODEL}"${stream ? ', stream: true' : ''}} → aigw → POST /v1/chat-messages (${stream ? 'streaming' : 'blocking'})`,
      directOp: `POST ${DIRECT_PATH} {response_mode: "${stream ? 'streaming' : 'blocking'}"} → the simulator`,
      rate,
      seconds: (performance.now() - t0) / 1000,
      gateway: sideFigures(runs.gateway, totals.gateway, firsts.gateway, stream, true),
      direct: sideFigures(runs.direct, totals.direct, firsts.direct, stream, false),
    };
    this.results.comparisons.push(comparison);
    return comparison;
  }
}

function sideFigures(runs: RunFigures[], totals: number[], firsts: number[], stream: boolean, gatewaySide: boolean): SideFigures {
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const gatewayCpu = runs.reduce((a, r) => a + (r.gatewayCpuS ?? 0), 0);
  const upstreamCpu = runs.reduce((a, r) => a + r.upstreamCpuS, 0);
  return {
    runs,
    latency: summarize(totals),
    firstContent: stream ? summarize(firsts) : undefined,
    ok,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    perS: seconds > 0 ? ok / seconds : 0,
    gatewayCpuUsPerCall: gatewaySide && ok > 0 ? (gatewayCpu * 1e6) / ok : undefined,
    upstreamCpuUsPerCall: ok > 0 ? (upstreamCpu * 1e6) / ok : Number.NaN,
  };
}

// ---------------------------------------------------------------- main

/** Replaces the section between the agents-bench markers; the first time, inserts it after the MCP section. */
function writeBenchmarksMd(markdown: string): void {
  const block = `${MARK_START}\n${markdown.trimEnd()}\n${MARK_END}`;
  const current = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '# Benchmarks\n';
  const startAt = current.indexOf(MARK_START);
  const endAt = current.indexOf(MARK_END);
  const mcpEnd = current.indexOf(MCP_MARK_END);
  let next: string;
  if (startAt >= 0 && endAt > startAt) {next = `${current.slice(0, startAt)}${block}${current.slice(endAt + MARK_END.length)}`;} else if (mcpEnd >= 0) {
    const at = mcpEnd + MCP_MARK_END.length;
    next = `${current.slice(0, at)}\n\n${block}${current.slice(at)}`;
  } else {next = `${current.trimEnd()}\n\n${block}\n`;}
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
    const results = JSON.parse(readFileSync(join(OUT_DIR, 'results.json'), 'utf8')) as AgentsResults;
    const markdown = renderAgentsSection(results);
    writeFileSync(join(OUT_DIR, 'section.md'), markdown);
    writeBenchmarksMd(markdown);
    log('re-rendered the "## Agents as models" section of BENCHMARKS.md from bench/out/agents/results.json');
    return;
  }
  if (!existsSync(join(REPO_ROOT, 'lib', 'cli', 'aigw.js'))) throw new Error('lib/ is missing: compile first (npx tsc -p tsconfig.json), or run bash bench/run.sh');
  const bench = new AgentsBench();
  await bench.run();
  const markdown = renderAgentsSection(bench.results);
  writeFileSync(join(OUT_DIR, 'section.md'), markdown);
  writeBenchmarksMd(markdown);
  log(`wrote the "## Agents as models" section of BENCHMARKS.md (${bench.results.durationS?.toFixed(0)} s; ${relative(REPO_ROOT, OUT_DIR)}/results.json)`);
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
