/**
 * Responses API benchmark (issue #14 §6): `aigw serve` with model routes on an OpenAI backend (the Responses
 * API passed through), a DeepSeek backend (translated onto chat completions) and an Anthropic backend
 * (translated onto Messages), plus chat completions on the OpenAI backend as the CPU yardstick; each
 * against the call aigw makes upstream sent to the simulator directly, non-streamed and streamed, in one
 * run. Every round runs every scenario's gateway side and direct side in turn (bench/shared/alternating-rounds.ts),
 * so the machine's noise hits all of them and a round's CPU figures compare like with like. NOT a test: it
 * measures and reports (the goal, translated within 1.5× the CPU of native chat, is reported per round, never asserted).
 *
 *   BENCH_ONLY=responses bash bench/run.sh   (installs, compiles, runs this on CPU 0, cleans up)
 *   npm run bench                            (the other benches, then this)
 *
 * Processes: the bundled upstream simulator (bench/dataplane/simulator.ts, compiled code from lib/) on CPU 0
 * with this driver, which is the load generator (raw undici POSTs, bench/shared/http-pool.ts); `aigw serve`
 * alone on CPU 1. Rewrites the "## Responses API" section of BENCHMARKS.md (between the responses-bench
 * markers, placed after the agents section); raw figures in bench/out/responses/results.json.
 *
 * Settings (environment):
 *   BENCH_RESPONSES_SCENARIOS=all       a comma-separated subset of chat, responses-native, responses-chat, responses-anthropic (chat always runs)
 *   BENCH_RESPONSES_CONNECTIONS=50      concurrent clients (one closed loop and one keep-alive connection each, per side)
 *   BENCH_RESPONSES_ROUNDS=3            rounds of the paced comparisons
 *   BENCH_RESPONSES_ROUND_S=4           each side's run of each scenario in a paced round, seconds
 *   BENCH_RESPONSES_SHORT_ROUNDS=1      rounds of the closed-loop comparisons (0: none; the paced rate is then BENCH_RESPONSES_RATE, else 200)
 *   BENCH_RESPONSES_SHORT_ROUND_S=3     each side's run of each scenario in a closed-loop round, seconds
 *   BENCH_RESPONSES_RATE=auto           paced runs' total rate, calls/s, the same for every scenario; auto: 30% of the lowest closed-loop throughput
 *   BENCH_RESPONSES_WARMUP_S=2          an unrecorded run of each side of each scenario before the first round of each comparison
 *   BENCH_RESPONSES_STREAM_CHUNKS=10    text pieces per streamed answer (the simulator's deltas)
 *   BENCH_RESPONSES_AIGW_NODE_FLAGS=    node flags for aigw, space-separated
 *   BENCH_RESPONSES_KEEP_LOGS=0         1: keep aigw's and the simulator's logs in bench/out/responses/logs
 *   BENCH_QUIET_WAIT_S=5                before each round, wait up to this long (30 s in all) for other load to drop below 0.5 core
 */
import { cpSync, rmSync } from 'fs';
import { join } from 'path';
import { buildResponsesBenchConfig } from './config';
import { cpuUs, renderResponsesSection } from './report';
import { expectedAnswer, type Scenario, type ScenarioKey, selectedScenarios } from './scenarios';
import { answerText, checkAnswer, FIRST_CONTENT, streamEndOf } from './wire';
import { type Sample, splitSamples } from '../agents/load';
import { KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type RunningAigw } from '../dataplane/contenders';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import type { StartedProc } from '../dataplane/procs';
import { alternatingRounds, type Side, SIDES } from '../shared/alternating-rounds';
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

export const SETTINGS = {
  scenarios: selectedScenarios(process.env.BENCH_RESPONSES_SCENARIOS).map((s) => s.key),
  ...comparisonSettings('BENCH_RESPONSES', { rounds: 3, roundS: 4, shortRounds: 1 }),
};

/** BUILD_DIR: the snapshot of lib/ the processes run; removed at the end. */
const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('responses');
export const { start: MARK_START, end: MARK_END } = sectionMarkers('responses-bench');
/** The section goes right after the agents section (its end marker), or at the end when there is none. */
const AGENTS_MARK_END = sectionMarkers('agents-bench').end;
const log = benchLog('responses-bench');

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
  readonly scenario: ScenarioKey;
  readonly translated: boolean;
  readonly streamed: boolean;
  readonly paced: boolean;
}

export type ResponsesResults = ComparisonResults<typeof SETTINGS, Comparison>;

// ---------------------------------------------------------------- the bench

class ResponsesBench extends ComparisonBench<ResponsesResults> {
  private simulator!: StartedProc;
  private gateway!: RunningAigw;
  private http!: Record<Side, PooledHttp>;
  /** The scenarios that passed verification: only these are loaded. */
  private scenarios: Scenario[] = [];

  public constructor() {
    super(
      startResults(SETTINGS, codeVersions(REPO_ROOT), settingsLine('BENCH_RESPONSES_', ['BENCH_QUIET_WAIT_S', 'BENCH_ALLOW_TSC_ERRORS'])),
      'aigw-responses-bench-',
      OUT_DIR,
      log,
    );
  }

  protected async measure(): Promise<void> {
    await this.setUp();
    for (const scenario of selectedScenarios(process.env.BENCH_RESPONSES_SCENARIOS)) {
      if (await this.attempt(`verify ${scenario.key}`, () => this.verify(scenario))) this.scenarios.push(scenario);
    }
    if (!this.scenarios.some((s) => s.key === 'chat')) {
      this.results.errors.push('nothing measured: the chat yardstick failed verification, and every figure here is read against it');
      return;
    }
    for (const stream of [false, true]) {
      const what = stream ? 'streamed' : 'non-streamed';
      const closed = SETTINGS.shortRounds > 0 ? await this.attempt(`${what} (closed loop)`, () => this.compare(stream, SETTINGS.shortRounds, SETTINGS.shortRoundS)) : undefined;
      // One rate for every scenario, so that their CPU per call is measured at the same load.
      const lowest = closed && {
        gateway: { perS: Math.min(...closed.map((c) => c.gateway.perS)) },
        direct: { perS: Math.min(...closed.map((c) => c.direct.perS)) },
      };
      const rate = pacedRate(SETTINGS.rate, lowest);
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
    const built = buildResponsesBenchConfig(upstream);
    this.results.configChanges = built.changes;
    const configDir = join(this.workDir, 'config');
    new KubeletConfigDir(configDir, shardFiles(built.config));
    const env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream, simulatorPid: this.simulator.pid, libDir };
    this.gateway = await aigw(env, { name: 'aigw', configDir, paths: ['/v1/responses', '/v1/chat/completions'], logFile: join(this.logDir, 'aigw.log'), nodeFlags: SETTINGS.aigwNodeFlags });
    this.results.commands.aigw = this.gateway.command.split(this.workDir).join('<tmp>');
    this.results.commands.pinning = `aigw alone on CPU ${CONTENDER_CPU}; the simulator and this driver (the load generator) on CPU ${LOADGEN_CPU}`;
    this.http = { gateway: new PooledHttp(this.gateway.target.baseUrl, SETTINGS.connections), direct: new PooledHttp(upstream, SETTINGS.connections) };
  }

  private send(scenario: Scenario, side: Side, stream: boolean): Promise<PooledAnswer> {
    const call = scenario[side];
    return this.http[side].send('POST', call.path, { ...call.headers }, call.body(stream), stream ? FIRST_CONTENT[call.wire] : undefined);
  }

  /** Both sides answer the same text, whole, streamed and not; the gateway refuses a call without a key. */
  private async verify(scenario: Scenario): Promise<true> {
    const expected = expectedAnswer(scenario.model);
    const lines: string[] = [];
    for (const stream of [false, true]) {
      for (const side of SIDES) {
        const call = scenario[side];
        const a = await this.send(scenario, side, stream);
        const what = `${scenario.key}, ${side}, ${stream ? 'streamed' : 'non-streamed'}`;
        let text: string;
        try {
          text = answerText(call.wire, stream, a.text);
        } catch (e) {
          throw new Error(`${what}: HTTP ${a.status}, unreadable answer (${(e as Error).message}): ${a.text.slice(0, 300)}`);
        }
        const problem = checkAnswer(call.wire, stream, a.status, a.text, JSON.stringify(expected).slice(1, -1));
        if (a.status !== 200 || text !== expected || problem) throw new Error(`${what}: HTTP ${a.status}, text ${JSON.stringify(text)}${problem ? `, ${problem}` : ''}: ${a.text.slice(0, 300)}`);
        lines.push(`${side} ${stream ? `streamed (${streamEndOf(call.wire)}; first content after ${a.firstContentMs?.toFixed(3)} ms)` : 'whole'}`);
      }
    }
    const anonymous = await this.http.gateway.send('POST', scenario.gateway.path, { 'content-type': 'application/json' }, scenario.gateway.body(false));
    if (anonymous.status !== 401) throw new Error(`${scenario.key}, gateway without a key: HTTP ${anonymous.status}, expected 401`);
    this.results.verification.push(`${scenario.title}: 200 and ${JSON.stringify(expected)} reassembled on every side (${lines.join(', ')}); without a key: 401`);
    return true;
  }

  private async op(scenario: Scenario, side: Side, stream: boolean): Promise<Sample | string> {
    const a = await this.send(scenario, side, stream);
    const expectedInJson = JSON.stringify(expectedAnswer(scenario.model)).slice(1, -1);
    return checkAnswer(scenario[side].wire, stream, a.status, a.text, expectedInJson) ?? { totalMs: a.totalMs, firstContentMs: a.firstContentMs };
  }

  /**
   * Every verified scenario, `rounds` times: each round waits for quiet, then runs each scenario's gateway
   * side and direct side in turn (a one-round alternatingRounds each, warmed up in the first round only).
   */
  private async compare(stream: boolean, rounds: number, roundS: number, rate?: number): Promise<Comparison[]> {
    const mode = `${stream ? 'streamed' : 'non-streamed'}${rate ? '-paced' : ''}`;
    const t0 = performance.now();
    const acc = new Map<ScenarioKey, Record<Side, { runs: RunFigures[]; samples: Sample[] }>>(
      this.scenarios.map((s) => [s.key, { gateway: { runs: [], samples: [] }, direct: { runs: [], samples: [] } }]),
    );
    for (let round = 1; round <= rounds; round++) {
      await waitForQuiet(this.results, SETTINGS.quietWaitS);
      for (const scenario of this.scenarios) {
        const measured = await alternatingRounds({
          rounds: 1,
          roundS,
          workers: SETTINGS.connections,
          warmupS: round === 1 ? SETTINGS.warmupS : 0,
          rate,
          sides: { gateway: { op: () => this.op(scenario, 'gateway', stream) }, direct: { op: () => this.op(scenario, 'direct', stream) } },
          pids: { gateway: this.gateway.pid, upstream: this.simulator.pid },
          beforeRound: async () => undefined,
          record: (side, _round, m): RunFigures => {
            const { totals, firsts } = splitSamples(m.value.samples);
            const run = runFigures(side, round, m, summarize(totals), { firstContent: stream ? summarize(firsts) : undefined });
            log(
              `${mode} round ${round} ${scenario.key} ${side}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms` +
                `${side === 'gateway' ? `, aigw ${cpuUs(run).toFixed(0)} µs CPU/call` : ''}, ${run.errors} errors, other load ${run.foreignCores.toFixed(2)} cores`,
            );
            return run;
          },
        });
        for (const side of SIDES) {
          acc.get(scenario.key)![side].runs.push(...measured[side].runs);
          acc.get(scenario.key)![side].samples.push(...measured[side].samples);
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const comparisons = this.scenarios.map((scenario): Comparison => {
      const sides = acc.get(scenario.key)!;
      const figures = (side: Side): SideFigures => sideFigures(sides[side].runs, sides[side].samples, stream, side === 'gateway');
      return {
        key: `${scenario.key}-${mode}`,
        title: `${scenario.title}, ${stream ? 'streamed' : 'non-streamed'}, ${rate ? `paced at ${rate} calls/s in all` : `closed loop, ${SETTINGS.connections} in flight`}`,
        scenario: scenario.key,
        translated: scenario.translated,
        streamed: stream,
        paced: rate !== undefined,
        gatewayOp: `${scenario.gateway.shown(stream)} → aigw → ${scenario.direct.shown(stream).split(' {')[0]}`,
        directOp: `${scenario.direct.shown(stream)} → the simulator`,
        rate,
        seconds,
        gateway: figures('gateway'),
        direct: figures('direct'),
      };
    });
    this.results.comparisons.push(...comparisons);
    return comparisons;
  }
}

function sideFigures(runs: RunFigures[], samples: Sample[], stream: boolean, gatewaySide: boolean): SideFigures {
  const { totals, firsts } = splitSamples(samples);
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
  await sectionBenchMain<ResponsesResults>({
    log,
    outDir: OUT_DIR,
    title: '"## Responses API"',
    markers: { start: MARK_START, end: MARK_END, after: AGENTS_MARK_END },
    renderRewritesSectionMd: true,
    render: renderResponsesSection,
    measure: () => new ResponsesBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
