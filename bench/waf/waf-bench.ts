/**
 * WAF benchmark (issue #16 §2): what the WAF costs aigw per request, as added µs of CPU and added p99 against the
 * same gateway without a WAF, side by side in one run: no WAF (the yardstick), the WAF with its default rules in
 * block mode, and the WAF reading message text too (`inspectMessages`, detect mode); on a typical chat request and on
 * a 64 KiB one (bench/waf/requests.ts), both as the OpenAI JS SDK sends them. Each scenario is its own `aigw serve`
 * (the WAF is declared on the gateway); every round runs every scenario in turn, starting one further along each
 * round, so the machine's noise hits all of them and a round's figures compare like with like. NOT a test: it
 * measures and reports (the goals, ≤ 50 µs per typical request and ≤ 1 ms per 64 KiB one, are reported, never
 * asserted). The worst case of the engine alone (no input over 10 ms) is bench/waf/worst-case.ts.
 *
 *   BENCH_ONLY=waf bash bench/run.sh   (installs, compiles, runs this on CPU 0, cleans up)
 *   npm run bench                      (the other benches, then this)
 *
 * Processes: the bundled upstream simulator (bench/dataplane/simulator.ts, compiled code from lib/) on CPU 0 with
 * this driver, which is the load generator (raw undici POSTs, bench/shared/http-pool.ts); the scenarios' aigw
 * processes on CPU 1 (one at a time under load, the others idle). Rewrites the "## WAF" section of BENCHMARKS.md
 * (between the waf-bench markers, at the end of the file the first time); raw figures in bench/out/waf/results.json.
 *
 * Settings (environment):
 *   BENCH_WAF_SCENARIOS=all       a comma-separated subset of off, on, on-messages (off always runs)
 *   BENCH_WAF_SHAPES=all          a comma-separated subset of typical, large
 *   BENCH_WAF_CONNECTIONS=50      concurrent clients (one closed loop and one keep-alive connection each, per scenario)
 *   BENCH_WAF_ROUNDS=8            rounds of the paced comparisons
 *   BENCH_WAF_ROUND_S=3           each scenario's run in a paced round, seconds
 *   BENCH_WAF_SHORT_ROUNDS=1      rounds of the closed-loop comparisons (0: none; the paced rate is then BENCH_WAF_RATE, else 200)
 *   BENCH_WAF_SHORT_ROUND_S=3     each scenario's run in a closed-loop round, seconds
 *   BENCH_WAF_RATE=auto           paced runs' rate, requests/s, the same for every scenario of a shape; auto: 30% of the lower closed-loop throughput of off and on
 *   BENCH_WAF_WARMUP_S=2          an unrecorded run of each scenario before each shape's comparisons
 *   BENCH_WAF_AIGW_NODE_FLAGS=    node flags for aigw, space-separated
 *   BENCH_WAF_KEEP_LOGS=0         1: keep aigw's and the simulator's logs in bench/out/waf/logs
 *   BENCH_QUIET_WAIT_S=5          before each round, wait up to this long (30 s in all) for other load to drop below 0.5 core
 */
import { cpSync, rmSync } from 'fs';
import { join } from 'path';
import { buildWafBenchConfig, ROUTE } from './config';
import { type EngineTiming, routeEngine, timeEngine } from './engine-timing';
import { type Comparison, type RunFigures, type ScenarioFigures, scenarioFigures } from './figures';
import { renderWafSection } from './report';
import { bodyBytes, bodyFor, PATH, type RequestShape, SDK_HEADERS, SHAPE_KEYS, SHAPES, type ShapeKey } from './requests';
import { type Scenario, type ScenarioKey, SCENARIOS, selectedScenarios, YARDSTICK } from './scenarios';
import { readWafMatches, wafMatchesAdded } from './waf-metrics';
import { CONSUMER_KEY, KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type RunningAigw } from '../dataplane/contenders';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import type { StartedProc } from '../dataplane/procs';
import { schedCpuSeconds } from '../extensions/thread-cpu';
import { answerText, checkAnswer } from '../responses/wire';
import { closedLoops } from '../shared/closed-loop';
import { ComparisonBench } from '../shared/comparison-bench';
import { pacedRate, runFigures } from '../shared/comparison-figures';
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
import { summarize } from '../shared/stats';

/** BENCH_WAF_SHAPES: a comma-separated subset of the request shapes. */
function selectedShapes(setting: string | undefined): ShapeKey[] {
  if (setting === undefined || setting.trim() === '' || setting.trim() === 'all') return [...SHAPE_KEYS];
  const asked = setting
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = asked.filter((s) => !(SHAPE_KEYS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_WAF_SHAPES: unknown ${unknown.join(', ')}; known: ${SHAPE_KEYS.join(', ')} (or all)`);
  return SHAPE_KEYS.filter((k) => asked.includes(k));
}

export const SETTINGS = {
  scenarios: selectedScenarios(process.env.BENCH_WAF_SCENARIOS).map((s) => s.key),
  shapes: selectedShapes(process.env.BENCH_WAF_SHAPES),
  ...comparisonSettings('BENCH_WAF', { rounds: 8, roundS: 3, shortRounds: 1 }),
};

/** BUILD_DIR: the snapshot of lib/ the processes run; removed at the end. */
const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('waf');
export const { start: MARK_START, end: MARK_END } = sectionMarkers('waf-bench');
const log = benchLog('waf-bench');

/**
 * The verification's attack: the typical request with a classic SQL injection in `user`, a non-message field the
 * default rules read on model routes (issue #16's contract).
 */
const ATTACK_USER = "x' OR '1'='1' --";

export type WafResults = ComparisonResults<typeof SETTINGS, Comparison> & {
  /** Where aigw's CPU was read: schedstat (ns) or /proc/<pid>/stat ticks. */
  cpuSource?: string;
  /** What each measured scenario's gateway runs, by scenario. */
  declared?: Partial<Record<ScenarioKey, { title: string; declared: string }>>;
  /** Each shape as sent: what it is, and its body's size. */
  shapes?: Partial<Record<ShapeKey, { title: string; described: string; bodyBytes: number }>>;
  /** The rules each shape matched in a scenario that lets matches through (detect), by scenario and shape. */
  matchedRules?: Partial<Record<ScenarioKey, Partial<Record<ShapeKey, string[]>>>>;
  /** The engine alone on each shape (engine-timing.ts), by scenario and shape. */
  engineTimings?: Partial<Record<ScenarioKey, Partial<Record<ShapeKey, EngineTiming>>>>;
};

// ---------------------------------------------------------------- the bench

interface Gateway {
  readonly scenario: Scenario;
  readonly aigw: RunningAigw;
  readonly http: PooledHttp;
}

const HEADERS: Readonly<Record<string, string>> = { ...SDK_HEADERS, authorization: `Bearer ${CONSUMER_KEY}` };

class WafBench extends ComparisonBench<WafResults> {
  private simulator!: StartedProc;
  /** The scenarios' gateways that passed verification, in SCENARIO_KEYS order: only these are loaded. */
  private gateways: Gateway[] = [];
  private readonly started: Gateway[] = [];

  public constructor() {
    super(startResults(SETTINGS, codeVersions(REPO_ROOT), settingsLine('BENCH_WAF_', ['BENCH_QUIET_WAIT_S', 'BENCH_ALLOW_TSC_ERRORS'])), 'aigw-waf-bench-', OUT_DIR, log);
  }

  protected async measure(): Promise<void> {
    const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);
    const simulator = await startSimulator({ libDir, logDir: this.logDir, chunks: SETTINGS.streamChunks, timeoutMs: 30_000 });
    this.simulator = simulator.proc;
    this.results.commands.simulator = simulator.command;
    this.results.commands.pinning = `every aigw on CPU ${CONTENDER_CPU} (one under load at a time, the others idle); the simulator and this driver (the load generator) on CPU ${LOADGEN_CPU}`;
    this.results.cpuSource = schedCpuSeconds(process.pid) === undefined ? '/proc/<pid>/stat (clock ticks: the kernel has no schedstat)' : '/proc/<pid>/task/*/schedstat (ns)';
    this.results.shapes = Object.fromEntries(SETTINGS.shapes.map((k) => [k, { title: SHAPES[k].title, described: SHAPES[k].described, bodyBytes: bodyBytes(SHAPES[k]) }]));
    const declared: NonNullable<WafResults['declared']> = (this.results.declared = {});

    for (const scenario of selectedScenarios(process.env.BENCH_WAF_SCENARIOS)) {
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
    for (const key of SETTINGS.shapes) {
      const shape = SHAPES[key];
      if (SETTINGS.warmupS > 0) await this.attempt(`${key} warm-up`, () => this.warmUp(shape));
      const closed = SETTINGS.shortRounds > 0 ? await this.attempt(`${key} (closed loop)`, () => this.compare(shape, SETTINGS.shortRounds, SETTINGS.shortRoundS)) : undefined;
      // One rate for every scenario, so that their CPU per request is measured at the same load; set from the judged
      // scenarios (a slower one that cannot reach it runs as fast as it can, and its requests/s shows it).
      const judged = closed && Object.entries(closed.scenarios).filter(([k]) => SCENARIOS[k as ScenarioKey].judged);
      const lowest = judged && judged.length > 0 ? Math.min(...judged.map(([, f]) => f.perS)) : undefined;
      const rate = pacedRate(SETTINGS.rate, lowest === undefined ? undefined : { gateway: { perS: lowest }, direct: { perS: lowest } });
      await this.attempt(`${key} (paced)`, () => this.compare(shape, SETTINGS.rounds, SETTINGS.roundS, rate));
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
    const built = buildWafBenchConfig(upstream, scenario);
    if (scenario.key === YARDSTICK) this.results.configChanges = built.changes;
    const engine = routeEngine(built.config, ROUTE);
    if (engine) {
      const timings = ((this.results.engineTimings ??= {})[scenario.key] ??= {});
      for (const key of SETTINGS.shapes) timings[key] = timeEngine(engine, SHAPES[key], HEADERS.authorization);
    }
    const configDir = join(this.workDir, `config-${scenario.key}`);
    new KubeletConfigDir(configDir, shardFiles(built.config));
    const env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream, simulatorPid: this.simulator.pid, libDir };
    const running = await aigw(env, { name: `aigw-${scenario.key}`, configDir, paths: [PATH], logFile: join(this.logDir, `aigw-${scenario.key}.log`), nodeFlags: SETTINGS.aigwNodeFlags });
    if (scenario.key === YARDSTICK) this.results.commands.aigw = running.command.split(this.workDir).join('<tmp>');
    return { scenario, aigw: running, http: new PooledHttp(running.target.baseUrl, SETTINGS.connections) };
  }

  private send(g: Gateway, body: string): Promise<PooledAnswer> {
    return g.http.send('POST', PATH, { ...HEADERS }, body);
  }

  /**
   * Each shape is answered 200 with the simulator's text (a 403 is the WAF flagging a benign request: a false
   * positive); the attack gets 403 naming a SQL injection rule where the WAF blocks, and is counted as a match where
   * it detects; the WAF's match counters say which rules each shape matched (none, in block mode: it answered 200).
   */
  private async verify(g: Gateway): Promise<true> {
    const s = g.scenario;
    const parts: string[] = [];
    for (const key of SETTINGS.shapes) {
      const shape = SHAPES[key];
      const before = s.waf ? await readWafMatches(g.aigw.adminUrl) : undefined;
      const a = await this.send(g, shape.body);
      const what = `${s.key}, ${shape.title}`;
      if (a.status === 403) throw new Error(`${what}: HTTP 403, the WAF flagged the benign bench request (a false positive): ${a.text.slice(0, 400)}`);
      let text: string;
      try {
        text = answerText('chat', false, a.text);
      } catch (e) {
        throw new Error(`${what}: HTTP ${a.status}, unreadable answer (${(e as Error).message}): ${a.text.slice(0, 300)}`);
      }
      if (a.status !== 200 || text !== shape.expected) throw new Error(`${what}: HTTP ${a.status}, text ${JSON.stringify(text.slice(0, 200))}, expected ${JSON.stringify(shape.expected.slice(0, 200))}`);
      let matched = '';
      if (before) {
        const rules = wafMatchesAdded(before, await readWafMatches(g.aigw.adminUrl));
        if (rules.length > 0) ((this.results.matchedRules ??= {})[s.key] ??= {})[key] = rules;
        matched = rules.length === 0 ? ', no WAF rule matched' : `, WAF matches counted (log: let through) ${rules.join(', ')}`;
      }
      parts.push(`${shape.title} (${bodyBytes(shape)} bytes): 200 and the simulator's text${matched}`);
    }
    const attack = await this.send(g, JSON.stringify({ ...JSON.parse(SHAPES.typical.body), user: ATTACK_USER }));
    const attackWhat = `${s.key}, the typical request with \`user: ${JSON.stringify(ATTACK_USER)}\``;
    if (attack.status !== s.attackStatus) throw new Error(`${attackWhat}: HTTP ${attack.status}, expected ${s.attackStatus}: ${attack.text.slice(0, 300)}`);
    let attackLine = `${attack.status}`;
    if (attack.status === 403) {
      const rule = /rules? ([^;]*);/.exec(attack.text)?.[1];
      if (!rule?.includes('sqli-')) throw new Error(`${attackWhat}: 403 without a SQL injection rule named: ${attack.text.slice(0, 300)}`);
      attackLine += ` naming ${rule}`;
    } else if (s.waf) {
      const counted = (await readWafMatches(g.aigw.adminUrl)).filter((m) => m.rule.startsWith('sqli-') && m.action === 'log');
      if (counted.length === 0) throw new Error(`${attackWhat}: not counted as a SQL injection match in aigw_waf_matches_total: the WAF did not read \`user\``);
      attackLine += `, counted as ${counted.map((m) => `${m.rule} (log)`).join(', ')}`;
    }
    this.results.verification.push(`${s.title}: ${parts.join('; ')}; a SQL injection in \`user\` (\`${ATTACK_USER}\`): ${attackLine}`);
    return true;
  }

  /** Requests sent so far: each gets its own `user` and `metadata.session` (requests.ts, bodyFor). */
  private sent = 0;

  private async op(g: Gateway, shape: RequestShape): Promise<number | string> {
    const a = await this.send(g, bodyFor(shape, this.sent++));
    return checkAnswer('chat', false, a.status, a.text, shape.expectedInJson) ?? a.totalMs;
  }

  /** An unrecorded closed loop of each scenario (JIT, connection pools). */
  private async warmUp(shape: RequestShape): Promise<void> {
    for (const g of this.gateways) await closedLoops(SETTINGS.connections, SETTINGS.warmupS * 1000, () => this.op(g, shape));
  }

  /** One scenario's run in one round: its requests, aigw's CPU (schedstat and ticks), the simulator's, the machine's load. */
  private async measureRun(g: Gateway, shape: RequestShape, round: number, roundS: number, rate: number | undefined): Promise<{ run: RunFigures; latencies: number[] }> {
    const sched0 = schedCpuSeconds(g.aigw.pid);
    const m = await withProcessCpu({ gateway: g.aigw.pid, upstream: this.simulator.pid }, () => closedLoops(SETTINGS.connections, roundS * 1000, () => this.op(g, shape), rate));
    const sched1 = schedCpuSeconds(g.aigw.pid);
    const run = runFigures('gateway', round, m, summarize(m.value.samples), {
      gatewaySchedCpuS: sched0 !== undefined && sched1 !== undefined ? sched1 - sched0 : undefined,
    });
    return { run, latencies: m.value.samples };
  }

  /**
   * Every verified scenario, `rounds` times: each round waits for quiet, then runs each scenario in turn, starting
   * one further along the list each round (so that no scenario always runs first after the wait, or right after the
   * same neighbour).
   */
  private async compare(shape: RequestShape, rounds: number, roundS: number, rate?: number): Promise<Comparison> {
    const mode = `${shape.key}${rate ? '-paced' : ''}`;
    const t0 = performance.now();
    const acc = new Map<ScenarioKey, { runs: RunFigures[]; latencies: number[] }>(this.gateways.map((g) => [g.scenario.key, { runs: [], latencies: [] }]));
    const orders: ScenarioKey[][] = [];
    for (let round = 1; round <= rounds; round++) {
      await waitForQuiet(this.results, SETTINGS.quietWaitS);
      const shift = (round - 1) % this.gateways.length;
      const order = [...this.gateways.slice(shift), ...this.gateways.slice(0, shift)];
      orders.push(order.map((g) => g.scenario.key));
      for (const g of order) {
        const { run, latencies } = await this.measureRun(g, shape, round, roundS, rate);
        const into = acc.get(g.scenario.key)!;
        into.runs.push(run);
        for (const ms of latencies) into.latencies.push(ms);
        log(
          `${mode} round ${round} ${g.scenario.key}: ${run.perS.toFixed(0)}/s, p50 ${run.latency.p50.toFixed(3)} ms, p99 ${run.latency.p99.toFixed(3)} ms, ` +
            `aigw ${cpuUs(run).toFixed(1)} µs CPU/request, ${run.errors} errors${run.firstError ? ` (${run.firstError})` : ''}, other load ${run.foreignCores.toFixed(2)} cores`,
        );
      }
    }
    const scenarios: Partial<Record<ScenarioKey, ScenarioFigures>> = {};
    for (const [key, { runs, latencies }] of acc) scenarios[key] = scenarioFigures(runs, latencies);
    const comparison: Comparison = {
      key: mode,
      title: `${shape.title}, ${rate ? `paced at ${rate} requests/s` : `closed loop, ${SETTINGS.connections} in flight`}`,
      shape: shape.key,
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

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  await sectionBenchMain<WafResults>({
    log,
    outDir: OUT_DIR,
    title: '"## WAF"',
    // The first time, at the end of the file: after the extensions section.
    markers: { start: MARK_START, end: MARK_END },
    renderRewritesSectionMd: true,
    render: renderWafSection,
    measure: () => new WafBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
