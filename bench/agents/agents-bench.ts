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
 * on CPU 0 with this driver, which is the load generator (raw undici POSTs, bench/shared/http-pool.ts);
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
import { cpSync, rmSync } from 'fs';
import { join } from 'path';
import { AGENT_KEY, AGENT_KEY_ENV, AGENT_MODEL, buildAgentsBenchConfig, DIFY_USER } from './config';
import { type Sample, splitSamples } from './load';
import { renderAgentsSection } from './report';
import { CONSUMER_KEY, KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type RunningAigw } from '../dataplane/contenders';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import type { StartedProc } from '../dataplane/procs';
import { alternatingRounds, type Side, type SideLoad } from '../shared/alternating-rounds';
import { ComparisonBench } from '../shared/comparison-bench';
import { type ComparisonOf, pacedRate, runFigures, type RunFigures as SharedRunFigures, type SideTotals, sumRuns } from '../shared/comparison-figures';
import { type ComparisonResults, startResults } from '../shared/comparison-results';
import { runDriver, sectionBenchMain } from '../shared/driver';
import { comparisonSettings, settingsLine } from '../shared/env-settings';
import { type PooledAnswer, PooledHttp } from '../shared/http-pool';
import { snapshotLib } from '../shared/lib-snapshot';
import { benchLog } from '../shared/log';
import { waitForQuiet } from '../shared/quiet';
import { benchOutDirs, REPO_ROOT, sectionMarkers } from '../shared/repo-paths';
import { codeVersions } from '../shared/run-facts';
import { summarize, type Summary } from '../shared/stats';
import { startSimulator } from '../shared/simulator-process';

export const SETTINGS = comparisonSettings('BENCH_AGENTS', { rounds: 3, roundS: 4, shortRounds: 2 });

/** BUILD_DIR: the snapshot of lib/ the processes run; removed at the end. */
const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('agents');
export const { start: MARK_START, end: MARK_END } = sectionMarkers('agents-bench');
/** The section goes right after the MCP section (its end marker), or at the end when there is none. */
const MCP_MARK_END = sectionMarkers('mcp-bench').end;
const log = benchLog('agents-bench');

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

export interface RunFigures extends SharedRunFigures {
  /** Streamed runs: time to the first content byte. */
  readonly firstContent?: Summary;
}

export interface SideFigures extends SideTotals<RunFigures> {
  /** Streamed: every run's times to the first content byte pooled (`latency`: to the last byte). */
  readonly firstContent?: Summary;
  /** Gateway side: aigw's CPU per call, µs (its CPU seconds over its runs ÷ calls). */
  readonly gatewayCpuUsPerCall?: number;
  /** The simulator's CPU per call, µs, for scale. */
  readonly upstreamCpuUsPerCall: number;
}

export interface Comparison extends ComparisonOf<SideFigures> {
  readonly streamed: boolean;
}

export type AgentsResults = ComparisonResults<typeof SETTINGS, Comparison>;

// ---------------------------------------------------------------- helpers

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

class AgentsBench extends ComparisonBench<AgentsResults> {
  private simulator!: StartedProc;
  private gateway!: RunningAigw;
  private http!: Record<Side, PooledHttp>;

  public constructor() {
    super(startResults(SETTINGS, codeVersions(REPO_ROOT), settingsLine('BENCH_AGENTS_', ['BENCH_QUIET_WAIT_S', 'BENCH_ALLOW_TSC_ERRORS'])), 'aigw-agents-bench-', OUT_DIR, log);
  }

  protected async measure(): Promise<void> {
    await this.setUp();
    await this.attempt('verify', () => this.verify());
    for (const stream of [false, true]) {
      const what = stream ? 'streamed' : 'non-streamed';
      const closed = await this.attempt(`${what} (closed loop)`, () => this.compare(stream, SETTINGS.shortRounds, SETTINGS.shortRoundS));
      const rate = pacedRate(SETTINGS.rate, closed);
      await this.attempt(`${what} (paced)`, () => this.compare(stream, SETTINGS.rounds, SETTINGS.roundS, rate));
    }
  }

  protected async closeClients(): Promise<void> {
    await Promise.all(Object.values(this.http ?? {}).map((h) => h.close().catch(() => undefined)));
  }

  protected cleanUp(): void {
    if (SETTINGS.keepLogs) cpSync(this.logDir, join(OUT_DIR, 'logs'), { recursive: true });
    super.cleanUp();
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }

  private async setUp(): Promise<void> {
    const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);

    const simulator = await startSimulator({ libDir, logDir: this.logDir, chunks: SETTINGS.streamChunks, timeoutMs: 30_000 });
    const upstream = simulator.upstream;
    this.simulator = simulator.proc;
    this.results.commands.simulator = simulator.command;

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
    this.http = { gateway: new PooledHttp(this.gateway.target.baseUrl, SETTINGS.connections), direct: new PooledHttp(upstream, SETTINGS.connections) };
  }

  private path(side: Side): string {
    return side === 'gateway' ? GATEWAY_PATH : DIRECT_PATH;
  }

  private send(side: Side, stream: boolean): Promise<PooledAnswer> {
    return this.http[side].send('POST', this.path(side), side === 'gateway' ? GATEWAY_HEADERS : DIRECT_HEADERS, side === 'gateway' ? gatewayBody(stream) : directBody(stream), stream ? FIRST_CONTENT[side] : undefined);
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
    const model = await this.http.gateway.send('POST', GATEWAY_PATH, GATEWAY_HEADERS, JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: QUERY }] }));
    if (model.status !== 200) throw new Error(`gateway, gpt-4o (the model route): HTTP ${model.status}, ${model.text.slice(0, 300)}`);
    v.push('gateway, gpt-4o (the model route beside the agent): 200');
    const anonymous = await this.http.gateway.send('POST', GATEWAY_PATH, { 'content-type': 'application/json' }, gatewayBody(false));
    if (anonymous.status !== 401) throw new Error(`gateway without a key: HTTP ${anonymous.status}, expected 401`);
    v.push('gateway without a key: 401');
  }

  private async op(side: Side, stream: boolean): Promise<Sample | string> {
    const a = await this.send(side, stream);
    return checkAnswer(side, stream, a.status, a.text) ?? { totalMs: a.totalMs, firstContentMs: a.firstContentMs };
  }

  private async compare(stream: boolean, rounds: number, roundS: number, rate?: number): Promise<Comparison> {
    const key = `${stream ? 'streamed' : 'non-streamed'}${rate ? '-paced' : ''}`;
    const t0 = performance.now();
    const load = (side: Side): SideLoad<Sample> => ({ op: () => this.op(side, stream) });
    const measured = await alternatingRounds({
      rounds,
      roundS,
      workers: SETTINGS.connections,
      warmupS: SETTINGS.warmupS,
      rate,
      sides: { gateway: load('gateway'), direct: load('direct') },
      pids: { gateway: this.gateway.pid, upstream: this.simulator.pid },
      beforeRound: () => waitForQuiet(this.results, SETTINGS.quietWaitS),
      record: (side, round, m): RunFigures => {
        const { totals, firsts } = splitSamples(m.value.samples);
        const run = runFigures(side, round, m, summarize(totals), { firstContent: stream ? summarize(firsts) : undefined });
        log(
          `${key} round ${round} ${side}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms${run.firstContent ? `, first content p99 ${run.firstContent.p99.toFixed(3)} ms` : ''}, ${run.errors} errors, other load ${run.foreignCores.toFixed(2)} cores`,
        );
        return run;
      },
    });
    const figures = (side: Side): SideFigures => {
      const { totals, firsts } = splitSamples(measured[side].samples);
      return sideFigures(measured[side].runs, totals, firsts, stream, side === 'gateway');
    };
    const comparison: Comparison = {
      key,
      title: `${stream ? 'Streamed' : 'Non-streamed'}, ${rate ? `paced at ${rate} calls/s in all` : `closed loop, ${SETTINGS.connections} in flight`}`,
      streamed: stream,
      gatewayOp: `POST ${GATEWAY_PATH} {model: "${AGENT_MODEL}"${stream ? ', stream: true' : ''}} → aigw → POST /v1/chat-messages (${stream ? 'streaming' : 'blocking'})`,
      directOp: `POST ${DIRECT_PATH} {response_mode: "${stream ? 'streaming' : 'blocking'}"} → the simulator`,
      rate,
      seconds: (performance.now() - t0) / 1000,
      gateway: figures('gateway'),
      direct: figures('direct'),
    };
    this.results.comparisons.push(comparison);
    return comparison;
  }
}

function sideFigures(runs: RunFigures[], totals: number[], firsts: number[], stream: boolean, gatewaySide: boolean): SideFigures {
  const sum = sumRuns(runs);
  return {
    runs,
    latency: summarize(totals),
    firstContent: stream ? summarize(firsts) : undefined,
    ok: sum.ok,
    errors: sum.errors,
    perS: sum.perS,
    gatewayCpuUsPerCall: gatewaySide && sum.ok > 0 ? (sum.gatewayCpuS * 1e6) / sum.ok : undefined,
    upstreamCpuUsPerCall: sum.ok > 0 ? (sum.upstreamCpuS * 1e6) / sum.ok : Number.NaN,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  await sectionBenchMain<AgentsResults>({
    log,
    outDir: OUT_DIR,
    title: '"## Agents as models"',
    markers: { start: MARK_START, end: MARK_END, after: MCP_MARK_END },
    renderRewritesSectionMd: true,
    render: renderAgentsSection,
    measure: () => new AgentsBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
