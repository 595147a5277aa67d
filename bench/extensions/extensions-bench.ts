/**
 * Extensions benchmark (issue #15 §5): what the extension mechanism costs aigw per call, as added µs of CPU and
 * added p99 against the same gateway with no extension, side by side in one run: no extension (the yardstick), one
 * trivial custom extension, key-auth alone (doing the key auth), the system set, and no auth at all (the reference
 * of key-auth's whole cost). Chat completions on `gpt-4o` (OpenAI backend, the bundled simulator), non-streamed and
 * streamed. Each scenario is its own `aigw serve` (extensions are gateway-wide); every round runs every scenario in
 * turn, starting one further along each round, so the machine's noise hits all of them and a round's figures
 * compare like with like. NOT a test: it measures and reports (the ~20 µs goal is reported per round, never asserted).
 *
 *   BENCH_ONLY=extensions bash bench/run.sh   (installs, compiles, runs this on CPU 0, cleans up)
 *   npm run bench                             (the other benches, then this)
 *
 * Processes: the bundled upstream simulator (bench/dataplane/simulator.ts, compiled code from lib/) on CPU 0 with
 * this driver, which is the load generator (raw undici POSTs, bench/shared/http-pool.ts); the scenarios' aigw
 * processes on CPU 1 (one at a time under load, the others idle). Rewrites the "## Extensions" section of
 * BENCHMARKS.md (between the extensions-bench markers, at the end of the file the first time); raw figures in
 * bench/out/extensions/results.json.
 *
 * Settings (environment):
 *   BENCH_EXTENSIONS_SCENARIOS=all       a comma-separated subset of none, trivial, key-auth, system-set, no-auth (none always runs)
 *   BENCH_EXTENSIONS_CONNECTIONS=50      concurrent clients (one closed loop and one keep-alive connection each, per scenario)
 *   BENCH_EXTENSIONS_ROUNDS=8            rounds of the paced comparisons
 *   BENCH_EXTENSIONS_ROUND_S=3           each scenario's run in a paced round, seconds
 *   BENCH_EXTENSIONS_SHORT_ROUNDS=1      rounds of the closed-loop comparisons (0: none; the paced rate is then BENCH_EXTENSIONS_RATE, else 200)
 *   BENCH_EXTENSIONS_SHORT_ROUND_S=3     each scenario's run in a closed-loop round, seconds
 *   BENCH_EXTENSIONS_RATE=auto           paced runs' rate, calls/s, the same for every scenario; auto: 30% of the lowest closed-loop throughput
 *   BENCH_EXTENSIONS_WARMUP_S=2          an unrecorded run of each scenario before the non-streamed and before the streamed comparisons
 *   BENCH_EXTENSIONS_STREAM_CHUNKS=10    text pieces per streamed answer (the simulator's deltas)
 *   BENCH_EXTENSIONS_AIGW_NODE_FLAGS=    node flags for aigw, space-separated
 *   BENCH_EXTENSIONS_KEEP_LOGS=0         1: keep aigw's and the simulator's logs in bench/out/extensions/logs
 *   BENCH_QUIET_WAIT_S=5                 before each round, wait up to this long (30 s in all) for other load to drop below 0.5 core
 */
import { cpSync, rmSync } from 'fs';
import { join } from 'path';
import { buildExtensionsBenchConfig, MODEL } from './config';
import { renderExtensionsSection } from './report';
import { type Scenario, type ScenarioKey, selectedScenarios, YARDSTICK } from './scenarios';
import { schedCpuSeconds } from './thread-cpu';
import { type Sample, splitSamples } from '../agents/load';
import { CONSUMER_KEY, KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type RunningAigw } from '../dataplane/contenders';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import type { StartedProc } from '../dataplane/procs';
import { answerText, checkAnswer, FIRST_CONTENT } from '../responses/wire';
import { closedLoops } from '../shared/closed-loop';
import { ComparisonBench } from '../shared/comparison-bench';
import { pacedRate, runFigures, type RunFigures as SharedRunFigures, type SideTotals, sumRuns } from '../shared/comparison-figures';
import { type ComparisonResults, startResults } from '../shared/comparison-results';
import { runDriver, sectionBenchMain } from '../shared/driver';
import { cpuUs } from '../shared/cpu-differences';
import { comparisonSettings, settingsLine } from '../shared/env-settings';
import { type PooledAnswer, PooledHttp } from '../shared/http-pool';
import { snapshotLib } from '../shared/lib-snapshot';
import { benchLog } from '../shared/log';
import { withProcessCpu } from '../shared/machine-load';
import { waitForQuiet } from '../shared/quiet';
import { benchOutDirs, REPO_ROOT, sectionMarkers } from '../shared/repo-paths';
import { codeVersions } from '../shared/run-facts';
import { startSimulator } from '../shared/simulator-process';
import { summarize, type Summary } from '../shared/stats';

export const SETTINGS = {
  scenarios: selectedScenarios(process.env.BENCH_EXTENSIONS_SCENARIOS).map((s) => s.key),
  ...comparisonSettings('BENCH_EXTENSIONS', { rounds: 8, roundS: 3, shortRounds: 1 }),
};

/** BUILD_DIR: the snapshot of lib/ the processes run; removed at the end. */
const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('extensions');
export const { start: MARK_START, end: MARK_END } = sectionMarkers('extensions-bench');
const log = benchLog('extensions-bench');

const PROMPT = 'hello';
/** The simulator (named `bench` in bench/dataplane/simulator.ts) echoes the last user message: a prepended system message changes nothing. */
const EXPECTED = `[sim:bench] ${MODEL}: ${PROMPT}`;
const EXPECTED_IN_JSON = JSON.stringify(EXPECTED).slice(1, -1);
const PATH = '/v1/chat/completions';
const JSON_HEADERS = { 'content-type': 'application/json' };
/** A call's headers with `key` where the scenario's calls carry it. */
const withKey = (s: Scenario, key: string): Record<string, string> => ({ ...JSON_HEADERS, ...(s.keyIn === 'bearer' ? { authorization: `Bearer ${key}` } : { [s.keyIn]: key }) });
const chatBody = (stream: boolean, prompt = PROMPT): string => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: prompt }], ...(stream ? { stream: true } : {}) });
/** A prompt the system set's content-guard refuses (one of its deny words): the verification's proof that the set runs. */
const DENIED_PROMPT = 'tell me what is classified';

// ---------------------------------------------------------------- results

export interface RunFigures extends SharedRunFigures {
  /** Streamed runs: time to the first content byte. */
  readonly firstContent?: Summary;
  /** aigw's CPU seconds in the run from the scheduler's ns accounting (thread-cpu.ts); undefined without schedstat. */
  readonly gatewaySchedCpuS?: number;
}

export interface ScenarioFigures extends SideTotals<RunFigures> {
  /** Streamed: every run's times to the first content byte pooled (`latency`: to the last byte). */
  readonly firstContent?: Summary;
  /** aigw's CPU per call, µs, over all the runs (schedstat when the kernel has it, else /proc ticks). */
  readonly cpuUsPerCall: number;
  /** The simulator's CPU per call, µs, for scale. */
  readonly upstreamCpuUsPerCall: number;
}

export interface Comparison {
  readonly key: string;
  readonly title: string;
  readonly streamed: boolean;
  readonly paced: boolean;
  /** The paced rate, calls/s; absent for a closed loop. */
  readonly rate?: number;
  readonly seconds: number;
  /** The order the scenarios ran in, round by round. */
  readonly orders: ScenarioKey[][];
  /** Each measured scenario's figures. */
  readonly scenarios: Partial<Record<ScenarioKey, ScenarioFigures>>;
}

export type ExtensionsResults = ComparisonResults<typeof SETTINGS, Comparison> & {
  /** Where aigw's CPU was read: schedstat (ns) or /proc/<pid>/stat ticks. */
  cpuSource?: string;
  /** What each measured scenario's gateway runs, by scenario. */
  declared?: Partial<Record<ScenarioKey, { title: string; declared: string }>>;
};

// ---------------------------------------------------------------- the bench

interface Gateway {
  readonly scenario: Scenario;
  readonly aigw: RunningAigw;
  readonly http: PooledHttp;
  /** Every loaded call's headers: the consumer's key where the scenario's calls carry it. */
  readonly headers: Readonly<Record<string, string>>;
}

class ExtensionsBench extends ComparisonBench<ExtensionsResults> {
  private simulator!: StartedProc;
  /** The scenarios' gateways that passed verification, in SCENARIO_KEYS order: only these are loaded. */
  private gateways: Gateway[] = [];
  private readonly started: Gateway[] = [];

  public constructor() {
    super(
      startResults(SETTINGS, codeVersions(REPO_ROOT), settingsLine('BENCH_EXTENSIONS_', ['BENCH_QUIET_WAIT_S', 'BENCH_ALLOW_TSC_ERRORS'])),
      'aigw-extensions-bench-',
      OUT_DIR,
      log,
    );
  }

  protected async measure(): Promise<void> {
    const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);
    const simulator = await startSimulator({ libDir, logDir: this.logDir, chunks: SETTINGS.streamChunks, timeoutMs: 30_000 });
    this.simulator = simulator.proc;
    this.results.commands.simulator = simulator.command;
    this.results.commands.pinning = `every aigw on CPU ${CONTENDER_CPU} (one under load at a time, the others idle); the simulator and this driver (the load generator) on CPU ${LOADGEN_CPU}`;
    this.results.cpuSource = schedCpuSeconds(process.pid) === undefined ? '/proc/<pid>/stat (clock ticks: the kernel has no schedstat)' : '/proc/<pid>/task/*/schedstat (ns)';
    const declared: NonNullable<ExtensionsResults['declared']> = (this.results.declared = {});

    for (const scenario of selectedScenarios(process.env.BENCH_EXTENSIONS_SCENARIOS)) {
      const gateway = await this.attempt(`start ${scenario.key}`, () => this.startGateway(scenario, simulator.upstream, libDir));
      if (!gateway) continue;
      this.started.push(gateway);
      if (await this.attempt(`verify ${scenario.key}`, () => this.verify(gateway))) {
        this.gateways.push(gateway);
        declared[scenario.key] = { title: scenario.title, declared: scenario.declared };
      }
    }
    if (!this.gateways.some((g) => g.scenario.key === YARDSTICK)) {
      this.results.errors.push(`nothing measured: the yardstick (${YARDSTICK}) failed, and every figure here is read against it`);
      return;
    }
    for (const stream of [false, true]) {
      const what = stream ? 'streamed' : 'non-streamed';
      if (SETTINGS.warmupS > 0) await this.attempt(`${what} warm-up`, () => this.warmUp(stream));
      const closed = SETTINGS.shortRounds > 0 ? await this.attempt(`${what} (closed loop)`, () => this.compare(stream, SETTINGS.shortRounds, SETTINGS.shortRoundS)) : undefined;
      // One rate for every scenario, so that their CPU per call is measured at the same load.
      const lowest = closed && Math.min(...Object.values(closed.scenarios).map((f) => f.perS));
      const rate = pacedRate(SETTINGS.rate, lowest === undefined ? undefined : { gateway: { perS: lowest }, direct: { perS: lowest } });
      await this.attempt(`${what} (paced)`, () => this.compare(stream, SETTINGS.rounds, SETTINGS.roundS, rate));
    }
  }

  protected async closeClients(): Promise<void> {
    await Promise.all(this.started.map((g) => g.http.close().catch(() => undefined)));
  }

  protected cleanUp(): void {
    if (SETTINGS.keepLogs) cpSync(this.logDir, join(OUT_DIR, 'logs'), { recursive: true });
    super.cleanUp();
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }

  private async startGateway(scenario: Scenario, upstream: string, libDir: string): Promise<Gateway> {
    log(`${scenario.key}: building the config from the constructs`);
    const built = buildExtensionsBenchConfig(upstream, scenario);
    if (scenario.key === YARDSTICK) this.results.configChanges = built.changes;
    const configDir = join(this.workDir, `config-${scenario.key}`);
    new KubeletConfigDir(configDir, shardFiles(built.config));
    const env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream, simulatorPid: this.simulator.pid, libDir };
    const running = await aigw(env, { name: `aigw-${scenario.key}`, configDir, paths: [PATH], logFile: join(this.logDir, `aigw-${scenario.key}.log`), nodeFlags: SETTINGS.aigwNodeFlags });
    if (scenario.key === YARDSTICK) this.results.commands.aigw = running.command.split(this.workDir).join('<tmp>');
    return { scenario, aigw: running, http: new PooledHttp(running.target.baseUrl, SETTINGS.connections), headers: withKey(scenario, CONSUMER_KEY) };
  }

  private send(g: Gateway, stream: boolean, headers = g.headers, prompt = PROMPT): Promise<PooledAnswer> {
    return g.http.send('POST', PATH, { ...headers }, chatBody(stream, prompt), stream ? FIRST_CONTENT.chat : undefined);
  }

  /** What is wrong with one answer of the load, or undefined: HTTP 200, the text (or the stream's end), and the scenario's answer header. */
  private problem(g: Gateway, stream: boolean, a: PooledAnswer): string | undefined {
    const wrong = checkAnswer('chat', stream, a.status, a.text, EXPECTED_IN_JSON);
    if (wrong) return wrong;
    const h = g.scenario.answerHeader;
    if (h && a.headers[h.name] !== h.value) return `no ${h.name}: ${h.value} header (found ${JSON.stringify(a.headers[h.name])}): the extension's onResponse did not run`;
    return undefined;
  }

  /**
   * The answer whole and streamed is the simulator's text, with the scenario's answer header; a call without a key
   * (and, where keys are checked, with a wrong one) gets what the scenario's auth gives; the system set refuses a
   * prompt with one of its deny words.
   */
  private async verify(g: Gateway): Promise<true> {
    const s = g.scenario;
    const lines: string[] = [];
    for (const stream of [false, true]) {
      const a = await this.send(g, stream);
      const what = `${s.key}, ${stream ? 'streamed' : 'non-streamed'}`;
      let text: string;
      try {
        text = answerText('chat', stream, a.text);
      } catch (e) {
        throw new Error(`${what}: HTTP ${a.status}, unreadable answer (${(e as Error).message}): ${a.text.slice(0, 300)}`);
      }
      const problem = this.problem(g, stream, a);
      if (text !== EXPECTED || problem) throw new Error(`${what}: HTTP ${a.status}, text ${JSON.stringify(text)}${problem ? `, ${problem}` : ''}: ${a.text.slice(0, 300)}`);
      lines.push(stream ? `streamed (first content after ${a.firstContentMs?.toFixed(3)} ms)` : 'whole');
    }
    const header = s.answerHeader ? `, every answer with \`${s.answerHeader.name}: ${s.answerHeader.value}\`` : '';
    const anonymous = await this.send(g, false, JSON_HEADERS);
    if (anonymous.status !== s.anonymousStatus) throw new Error(`${s.key}, without a key: HTTP ${anonymous.status}, expected ${s.anonymousStatus}: ${anonymous.text.slice(0, 300)}`);
    let auth = `without a key: ${anonymous.status}`;
    if (s.anonymousStatus === 401) {
      const wrong = await this.send(g, false, withKey(s, `${CONSUMER_KEY}-wrong`));
      if (wrong.status !== 401) throw new Error(`${s.key}, with a wrong key: HTTP ${wrong.status}, expected 401: ${wrong.text.slice(0, 300)}`);
      auth += ', with a wrong key: 401';
    }
    let refused = '';
    if (s.key === 'system-set') {
      const denied = await this.send(g, false, g.headers, DENIED_PROMPT);
      if (denied.status !== 400 || !denied.text.includes('content_blocked')) throw new Error(`${s.key}, a prompt with a deny word: HTTP ${denied.status}, expected 400 content_blocked: ${denied.text.slice(0, 300)}`);
      refused = '; a prompt with a deny word: 400 content_blocked';
    }
    this.results.verification.push(`${s.title}: 200 and ${JSON.stringify(EXPECTED)} reassembled (${lines.join(', ')})${header}; ${auth}${refused}`);
    return true;
  }

  private async op(g: Gateway, stream: boolean): Promise<Sample | string> {
    const a = await this.send(g, stream);
    return this.problem(g, stream, a) ?? { totalMs: a.totalMs, firstContentMs: a.firstContentMs };
  }

  /** An unrecorded closed loop of each scenario (JIT, connection pools). */
  private async warmUp(stream: boolean): Promise<void> {
    for (const g of this.gateways) await closedLoops(SETTINGS.connections, SETTINGS.warmupS * 1000, () => this.op(g, stream));
  }

  /** One scenario's run in one round: its calls, aigw's CPU (schedstat and ticks), the simulator's, the machine's load. */
  private async measureRun(g: Gateway, stream: boolean, round: number, roundS: number, rate: number | undefined): Promise<{ run: RunFigures; samples: Sample[] }> {
    const sched0 = schedCpuSeconds(g.aigw.pid);
    const m = await withProcessCpu({ gateway: g.aigw.pid, upstream: this.simulator.pid }, () => closedLoops(SETTINGS.connections, roundS * 1000, () => this.op(g, stream), rate));
    const sched1 = schedCpuSeconds(g.aigw.pid);
    const { totals, firsts } = splitSamples(m.value.samples);
    const run = runFigures('gateway', round, m, summarize(totals), {
      firstContent: stream ? summarize(firsts) : undefined,
      gatewaySchedCpuS: sched0 !== undefined && sched1 !== undefined ? sched1 - sched0 : undefined,
    });
    return { run, samples: m.value.samples };
  }

  /**
   * Every verified scenario, `rounds` times: each round waits for quiet, then runs each scenario in turn, starting
   * one further along the list each round (so that no scenario always runs first after the wait, or right after the
   * same neighbour).
   */
  private async compare(stream: boolean, rounds: number, roundS: number, rate?: number): Promise<Comparison> {
    const mode = `${stream ? 'streamed' : 'non-streamed'}${rate ? '-paced' : ''}`;
    const t0 = performance.now();
    const acc = new Map<ScenarioKey, { runs: RunFigures[]; samples: Sample[] }>(this.gateways.map((g) => [g.scenario.key, { runs: [], samples: [] }]));
    const orders: ScenarioKey[][] = [];
    for (let round = 1; round <= rounds; round++) {
      await waitForQuiet(this.results, SETTINGS.quietWaitS);
      const shift = (round - 1) % this.gateways.length;
      const order = [...this.gateways.slice(shift), ...this.gateways.slice(0, shift)];
      orders.push(order.map((g) => g.scenario.key));
      for (const g of order) {
        const { run, samples } = await this.measureRun(g, stream, round, roundS, rate);
        acc.get(g.scenario.key)!.runs.push(run);
        acc.get(g.scenario.key)!.samples.push(...samples);
        log(
          `${mode} round ${round} ${g.scenario.key}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms, ` +
            `aigw ${cpuUs(run).toFixed(1)} µs CPU/call, ${run.errors} errors, other load ${run.foreignCores.toFixed(2)} cores`,
        );
      }
    }
    const scenarios: Partial<Record<ScenarioKey, ScenarioFigures>> = {};
    for (const [key, { runs, samples }] of acc) scenarios[key] = scenarioFigures(runs, samples, stream);
    const comparison: Comparison = {
      key: mode,
      title: `${stream ? 'Streamed' : 'Non-streamed'}, ${rate ? `paced at ${rate} calls/s` : `closed loop, ${SETTINGS.connections} in flight`}`,
      streamed: stream,
      paced: rate !== undefined,
      rate,
      seconds: (performance.now() - t0) / 1000,
      orders,
      scenarios,
    };
    this.results.comparisons.push(comparison);
    return comparison;
  }
}

function scenarioFigures(runs: RunFigures[], samples: Sample[], stream: boolean): ScenarioFigures {
  const { totals, firsts } = splitSamples(samples);
  const sum = sumRuns(runs);
  const schedS = runs.every((r) => r.gatewaySchedCpuS !== undefined) ? runs.reduce((a, r) => a + r.gatewaySchedCpuS!, 0) : undefined;
  return {
    runs,
    latency: summarize(totals),
    firstContent: stream ? summarize(firsts) : undefined,
    ok: sum.ok,
    errors: sum.errors,
    perS: sum.perS,
    cpuUsPerCall: sum.ok > 0 ? ((schedS ?? sum.gatewayCpuS) * 1e6) / sum.ok : Number.NaN,
    upstreamCpuUsPerCall: sum.ok > 0 ? (sum.upstreamCpuS * 1e6) / sum.ok : Number.NaN,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  await sectionBenchMain<ExtensionsResults>({
    log,
    outDir: OUT_DIR,
    title: '"## Extensions"',
    // The first time, at the end of the file: after the hand-written notes that follow the Responses section.
    markers: { start: MARK_START, end: MARK_END },
    renderRewritesSectionMd: true,
    render: renderExtensionsSection,
    measure: () => new ExtensionsBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
