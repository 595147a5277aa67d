/**
 * Compression benchmark (issue #17 §5): what compressing answers costs aigw, per request, and what it does to the
 * time to first token, side by side in one `aigw serve`: the same requests sent with no Accept-Encoding (the
 * yardstick), with `Accept-Encoding: gzip` and with `br`; on a streamed chat answer (SSE, flushed per event) and on a
 * 64 KiB JSON answer (embeddings). Every round runs every encoding in turn, starting one further along each round,
 * paced at the same rate, so the machine's noise hits all of them. NOT a test: it measures and reports (the goal,
 * no TTFT added beyond noise on streams, is reported, never asserted).
 *
 *   BENCH_ONLY=compression bash bench/run.sh   (installs, compiles, runs this on CPU 0, cleans up)
 *
 * Processes: the bundled upstream simulator (bench/dataplane/simulator.ts) on CPU 0 with this driver, the load
 * generator (bench/compression/client.ts); aigw on CPU 1. Rewrites the "## Compression" section of BENCHMARKS.md
 * (between the compression-bench markers, after the HTTPS section the first time); raw figures in
 * bench/out/compression/results.json.
 *
 * Settings (environment):
 *   BENCH_COMPRESSION_CONNECTIONS=20   concurrent clients (closed loops, one keep-alive connection each)
 *   BENCH_COMPRESSION_ROUNDS=5         rounds
 *   BENCH_COMPRESSION_ROUND_S=3        each encoding's run in a round, seconds
 *   BENCH_COMPRESSION_STREAM_RATE=200  streamed answers per second (every encoding)
 *   BENCH_COMPRESSION_LARGE_RATE=100   64 KiB answers per second (every encoding)
 *   BENCH_COMPRESSION_STREAM_CHUNKS=20 content chunks per streamed answer
 *   BENCH_COMPRESSION_WARMUP_S=2       an unrecorded run of each encoding before each shape's rounds
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { type Answer, type Encoding, EncodingClient } from './client';
import { renderCompressionSection, type CompressionResults, type EncodingFigures } from './report';
import { buildBenchConfig, chatPath, CONSUMER_KEY, KubeletConfigDir, routePrefix } from '../dataplane/configs';
import { aigw, type RunningAigw, STREAM_BODY } from '../dataplane/contenders';
import type { StartedProc } from '../dataplane/procs';
import { stop } from '../dataplane/procs';
import { closedLoops } from '../shared/closed-loop';
import { runDriver, sectionBenchMain } from '../shared/driver';
import { envNumber, settingsLine } from '../shared/env-settings';
import { snapshotLib } from '../shared/lib-snapshot';
import { benchLog } from '../shared/log';
import { withProcessCpu } from '../shared/machine-load';
import { benchOutDirs, REPO_ROOT, sectionMarkers } from '../shared/repo-paths';
import { codeVersions } from '../shared/run-facts';
import { startSimulator } from '../shared/simulator-process';
import { median, summarize } from '../shared/stats';

const log = benchLog('compression');
const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('compression');
const MARKERS = { ...sectionMarkers('compression-bench'), after: '<!-- tls-bench:end -->' };

const SETTINGS = {
  connections: Math.max(1, envNumber('BENCH_COMPRESSION_CONNECTIONS', 20)),
  rounds: Math.max(1, envNumber('BENCH_COMPRESSION_ROUNDS', 5)),
  roundS: envNumber('BENCH_COMPRESSION_ROUND_S', 3),
  streamRate: envNumber('BENCH_COMPRESSION_STREAM_RATE', 200),
  largeRate: envNumber('BENCH_COMPRESSION_LARGE_RATE', 100),
  streamChunks: Math.max(1, envNumber('BENCH_COMPRESSION_STREAM_CHUNKS', 20)),
  warmupS: envNumber('BENCH_COMPRESSION_WARMUP_S', 2),
};
const ENCODINGS: readonly Encoding[] = ['identity', 'gzip', 'br'];
const AUTH = { 'authorization': `Bearer ${CONSUMER_KEY}`, 'content-type': 'application/json' };
/** The first content delta of a streamed chat answer (the role chunk before it carries no text). */
const FIRST_CONTENT = /"content":"[^"]+"/;
const LARGE_BYTES = 64 * 1024;

interface Shape {
  readonly key: 'stream' | 'large';
  readonly title: string;
  readonly path: string;
  readonly body: string;
  readonly rate: number;
  /** What is wrong with an answer, or undefined. */
  readonly check: (a: Answer, encoding: Encoding) => string | undefined;
}

const encodingWrong = (a: Answer, encoding: Encoding): string | undefined =>
  (a.contentEncoding ?? 'identity') === encoding ? undefined : `asked ${encoding}, answered content-encoding ${a.contentEncoding ?? '(none)'}`;

class CompressionBench {
  private readonly workDir = join(OUT_DIR, 'work');
  private readonly logDir = join(OUT_DIR, 'logs');
  private simulator?: StartedProc;
  private gateway?: RunningAigw;
  private client?: EncodingClient;

  public async run(): Promise<CompressionResults> {
    const t0 = performance.now();
    rmSync(this.workDir, { recursive: true, force: true });
    mkdirSync(this.workDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    const results: CompressionResults = {
      date: new Date().toISOString(),
      settings: { ...SETTINGS },
      command: `${settingsLine('BENCH_COMPRESSION', ['BENCH_ONLY'])} bash bench/run.sh`.trim(),
      versions: codeVersions(REPO_ROOT),
      shapes: [],
      errors: [],
    };
    try {
      const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);
      const sim = await startSimulator({ libDir, logDir: this.logDir, chunks: SETTINGS.streamChunks, timeoutMs: 60_000 });
      this.simulator = sim.proc;
      const built = buildBenchConfig({ routes: 1, upstream: sim.upstream, edition: 'dedicated', maxQps: 1_000_000 });
      const configDir = join(this.workDir, 'config');
      new KubeletConfigDir(configDir, built.files);
      const env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream: sim.upstream, simulatorPid: sim.proc.pid, libDir };
      this.gateway = await aigw(env, { name: 'aigw', configDir, paths: [chatPath(0)], logFile: join(this.logDir, 'aigw.log') });
      this.client = new EncodingClient(this.gateway.target.baseUrl, SETTINGS.connections);
      for (const shape of [this.streamShape(), await this.largeShape()]) {
        try {
          results.shapes.push(await this.compare(shape));
        } catch (e) {
          results.errors.push(`${shape.title}: ${(e as Error).message}`);
          log(`${shape.title} failed: ${(e as Error).stack ?? String(e)}`);
        }
      }
    } finally {
      await this.client?.close();
      if (this.gateway) await this.gateway.stop();
      if (this.simulator) await stop(this.simulator);
      rmSync(this.workDir, { recursive: true, force: true });
      rmSync(BUILD_DIR, { recursive: true, force: true });
    }
    const done = { ...results, durationS: (performance.now() - t0) / 1000 };
    writeFileSync(join(OUT_DIR, 'results.json'), `${JSON.stringify(done, null, 2)}\n`);
    return done;
  }

  private streamShape(): Shape {
    return {
      key: 'stream',
      title: `a streamed chat answer (${SETTINGS.streamChunks} content events)`,
      path: chatPath(0),
      body: STREAM_BODY,
      rate: SETTINGS.streamRate,
      check: (a, encoding) => (a.status !== 200 ? `HTTP ${a.status}` : !a.text.includes('data: [DONE]') ? 'no [DONE]' : a.firstContentMs === undefined ? 'no content event' : encodingWrong(a, encoding)),
    };
  }

  /** Embeddings of enough inputs that the plain answer is about 64 KiB (the simulator's vectors are short). */
  private async largeShape(): Promise<Shape> {
    const path = `${routePrefix(0)}/v1/embeddings`;
    const body = (n: number) => JSON.stringify({ model: 'gpt-4o', input: Array.from({ length: n }, (_, i) => `input number ${i}`) });
    const probe = await this.client!.send(path, AUTH, body(100), 'identity');
    if (probe.status !== 200) throw new Error(`embeddings probe: HTTP ${probe.status}: ${probe.text.slice(0, 300)}`);
    const inputs = Math.max(1, Math.round((100 * LARGE_BYTES) / probe.wireBytes));
    const sized = await this.client!.send(path, AUTH, body(inputs), 'identity');
    return {
      key: 'large',
      title: `a ${(sized.wireBytes / 1024).toFixed(0)} KiB JSON answer (embeddings of ${inputs} inputs)`,
      path,
      body: body(inputs),
      rate: SETTINGS.largeRate,
      check: (a, encoding) => {
        if (a.status !== 200) return `HTTP ${a.status}`;
        const n = (JSON.parse(a.text) as { data?: unknown[] }).data?.length;
        return n !== inputs ? `${n} embeddings, expected ${inputs}` : encodingWrong(a, encoding);
      },
    };
  }

  private async op(shape: Shape, encoding: Encoding): Promise<Answer | string> {
    const a = await this.client!.send(shape.path, AUTH, shape.body, encoding, shape.key === 'stream' ? FIRST_CONTENT : undefined);
    return shape.check(a, encoding) ?? a;
  }

  private async compare(shape: Shape): Promise<CompressionResults['shapes'][number]> {
    for (const encoding of ENCODINGS) {
      const first = await this.op(shape, encoding);
      if (typeof first === 'string') throw new Error(`${encoding}: ${first}`);
      await closedLoops(SETTINGS.connections, SETTINGS.warmupS * 1000, () => this.op(shape, encoding), shape.rate);
    }
    const acc = new Map<Encoding, { cpuUs: number[]; ms: number[]; ttft: number[]; wire: number[]; errors: number; perS: number[] }>(
      ENCODINGS.map((e) => [e, { cpuUs: [], ms: [], ttft: [], wire: [], errors: 0, perS: [] }]),
    );
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const order = [...ENCODINGS.slice(round % ENCODINGS.length), ...ENCODINGS.slice(0, round % ENCODINGS.length)];
      for (const encoding of order) {
        const m = await withProcessCpu({ gateway: this.gateway!.pid, upstream: this.simulator!.pid }, () =>
          closedLoops<Answer>(SETTINGS.connections, SETTINGS.roundS * 1000, () => this.op(shape, encoding), shape.rate),
        );
        const into = acc.get(encoding)!;
        const answers = m.value.samples;
        into.cpuUs.push((1e6 * m.gatewayCpuS) / Math.max(1, answers.length));
        into.perS.push(answers.length / m.value.seconds);
        into.errors += m.value.errors;
        for (const a of answers) {
          into.ms.push(a.totalMs);
          into.wire.push(a.wireBytes);
          if (a.firstContentMs !== undefined) into.ttft.push(a.firstContentMs);
        }
        log(`${shape.key} round ${round + 1} ${encoding}: ${answers.length} answers, aigw ${into.cpuUs.at(-1)!.toFixed(1)} µs CPU/request, ${m.value.errors} errors${m.value.firstError ? ` (${m.value.firstError})` : ''}`);
      }
    }
    const encodings: Partial<Record<Encoding, EncodingFigures>> = {};
    for (const [encoding, a] of acc) {
      encodings[encoding] = {
        answers: a.ms.length,
        errors: a.errors,
        perS: median(a.perS),
        wireBytes: median(a.wire),
        gatewayCpuUs: median(a.cpuUs),
        gatewayCpuUsRounds: a.cpuUs,
        latencyMs: summarize(a.ms),
        ttftMs: a.ttft.length > 0 ? summarize(a.ttft) : undefined,
      };
    }
    return { key: shape.key, title: shape.title, rate: shape.rate, encodings };
  }
}

async function main(): Promise<void> {
  await sectionBenchMain<CompressionResults>({
    log,
    outDir: OUT_DIR,
    title: '"## Compression"',
    markers: MARKERS,
    renderRewritesSectionMd: true,
    render: renderCompressionSection,
    measure: () => new CompressionBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
