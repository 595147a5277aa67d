/**
 * HTTPS benchmark (issue #17 §5, TLS): aigw terminating TLS against nginx terminating TLS, side by side in one run on
 * one rig, with the same self-signed P-256 certificate, in front of the same simulator: requests over kept-alive
 * HTTP/1.1 (wrk) and over HTTP/2 (h2load), a new connection per request (wrk, `Connection: close`), and bare TLS 1.3
 * handshakes, full and resumed (bench/tls/handshake-client.ts). Each product is one process serving a plain port and a
 * TLS port, so the plain figures of the same run give TLS's cost. NOT a test: it measures and reports (the goal,
 * aigw ≥ 0.5× nginx-TLS requests/s on one core, is reported, never asserted).
 *
 *   BENCH_ONLY=tls bash bench/run.sh   (installs nginx-light, wrk and nghttp2-client when missing, compiles, runs this on CPU 0, cleans up)
 *
 * Processes: nginx (the data-plane bench's contender, one worker, its server repeated on a TLS port:
 * bench/tls/nginx-tls.ts) and `aigw serve` (a Dedicated gateway with a TLS Domain: bench/tls/config.ts), each on
 * CPU 1, idle while the other is loaded; the simulator, the load generators and this driver on CPU 0. CPU per
 * operation is the contender's process-tree CPU time (/proc) over the operations that succeeded. Every round waits
 * for quiet, then runs every selected load against each of its sides in turn (the order rotates each round).
 * Rewrites the "## HTTPS (issue #17)" section of BENCHMARKS.md (between the tls-bench markers, at the end of the file
 * the first time); raw figures in bench/out/tls/results.json.
 *
 * Settings (environment):
 *   BENCH_TLS_LOADS=all            a comma-separated subset of keepalive, h2, close, full, resumed
 *   BENCH_TLS_ROUNDS=2             rounds
 *   BENCH_TLS_RUN_S=6              each side's run of each load in a round, seconds
 *   BENCH_TLS_CONNECTIONS=50       wrk's kept-alive connections (keepalive)
 *   BENCH_TLS_H2_CLIENTS=16        h2load's connections (h2)
 *   BENCH_TLS_H2_STREAMS=10        h2load's concurrent streams per connection (h2)
 *   BENCH_TLS_NEW_CONNECTIONS=16   connections at once in the new-connection loads (close, full, resumed)
 *   BENCH_TLS_WARMUP_S=2           an unrecorded run of each side before the rounds (keep-alive, and HTTP/2 on TLS sides); 0: none
 *   BENCH_TLS_KEEP_LOGS=0          1: keep nginx's, aigw's and the simulator's logs in bench/out/tls/logs
 *   BENCH_QUIET_WAIT_S=5           before each round, wait up to this long (30 s in all) for other load to drop below 0.5 core
 * With the defaults: 2 rounds × 14 runs × 6 s, about 4 minutes in all.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { buildTlsBenchConfig, TLS_HOST, tlsSecretEnv } from './config';
import { type LoadFigures, SIDE_KEYS, type SideKey, sideFigures, type TlsRun } from './figures';
import { type Load, LOADS, type Side } from './loads';
import { addTlsServer } from './nginx-tls';
import { renderTlsSection } from './report';
import { SETTINGS } from './settings';
import { toolVersions } from './tool-versions';
import { acceptsTls, verifyTls } from './verify-tls';
import { selfSignedCertificate } from '../../test/support/tls-certificates';
import { KubeletConfigDir, shardFiles } from '../dataplane/configs';
import { aigw, CONTENDER_CPU, type Env, nginx, type Running, verify } from '../dataplane/contenders';
import { LOADGEN_CPU } from '../dataplane/loadgen';
import { freePort, type StartedProc, waitFor } from '../dataplane/procs';
import { ComparisonBench } from '../shared/comparison-bench';
import { runFigures } from '../shared/comparison-figures';
import { type ComparisonResults, startResults } from '../shared/comparison-results';
import { cpuUs } from '../shared/cpu-differences';
import { runDriver, sectionBenchMain } from '../shared/driver';
import { settingsLine } from '../shared/env-settings';
import { snapshotLib } from '../shared/lib-snapshot';
import { benchLog } from '../shared/log';
import { withProcessCpu } from '../shared/machine-load';
import { waitForQuiet } from '../shared/quiet';
import { benchOutDirs, REPO_ROOT, sectionMarkers } from '../shared/repo-paths';
import { codeVersions } from '../shared/run-facts';
import { startSimulator } from '../shared/simulator-process';

/** BUILD_DIR: the snapshot of lib/ the processes run; removed at the end. */
const { outDir: OUT_DIR, buildDir: BUILD_DIR } = benchOutDirs('tls');
export const { start: MARK_START, end: MARK_END } = sectionMarkers('tls-bench');
const log = benchLog('tls-bench');
const CHAT_PATH = '/v1/chat/completions';

export type TlsResults = ComparisonResults<typeof SETTINGS, LoadFigures> & {
  /** The certificate both contenders serve. */
  certificate?: string;
  /** The sides that passed verification and were loaded. */
  sides?: SideKey[];
};

class TlsBench extends ComparisonBench<TlsResults> {
  private simulator!: StartedProc;
  private readonly sides = new Map<SideKey, Side>();

  public constructor() {
    const versions = codeVersions(REPO_ROOT, toolVersions());
    super(startResults(SETTINGS, versions, settingsLine('BENCH_TLS_', ['BENCH_QUIET_WAIT_S', 'BENCH_ALLOW_TSC_ERRORS'])), 'aigw-tls-bench-', OUT_DIR, log);
  }

  protected async measure(): Promise<void> {
    const libDir = snapshotLib(REPO_ROOT, BUILD_DIR);
    const pem = selfSignedCertificate(TLS_HOST);
    this.results.certificate = `self-signed, P-256 (ECDSA), subjectAltName DNS:${TLS_HOST}, IP:127.0.0.1, made with the openssl CLI (test/support/tls-certificates.ts)`;
    const tlsDir = join(this.workDir, 'tls');
    mkdirSync(tlsDir);
    const files = { certFile: join(tlsDir, 'tls.crt'), keyFile: join(tlsDir, 'tls.key') };
    writeFileSync(files.certFile, pem.cert);
    writeFileSync(files.keyFile, pem.key, { mode: 0o600 });

    const simulator = await startSimulator({ libDir, logDir: this.logDir, chunks: 10, timeoutMs: 30_000 });
    this.simulator = simulator.proc;
    this.results.commands.simulator = simulator.command;
    this.results.commands.pinning = `nginx and aigw on CPU ${CONTENDER_CPU} (one loaded at a time, the other idle); the simulator, the load generators and this driver on CPU ${LOADGEN_CPU}`;
    const env: Env = { repoRoot: REPO_ROOT, workDir: this.workDir, logDir: this.logDir, upstream: simulator.upstream, simulatorPid: simulator.proc.pid, libDir };

    await this.attempt('start nginx', async () => {
      const running = await nginx(env);
      const tlsUrl = await addTlsServer(running, files, await freePort());
      this.results.commands.nginx = `${running.command.split(this.workDir).join('<tmp>')} (the data-plane bench's nginx.conf, its server repeated as \`listen 127.0.0.1:PORT ssl http2;\` with the certificate; reloaded)`;
      await this.addSides(running, tlsUrl, 'nginx-plain', 'nginx-tls', pem.cert);
    });
    await this.attempt('start aigw', async () => {
      const tlsPort = await freePort();
      const built = buildTlsBenchConfig(simulator.upstream, tlsPort);
      this.results.configChanges = built.changes;
      const configDir = join(this.workDir, 'config');
      new KubeletConfigDir(configDir, shardFiles(built.config));
      // aigw() hands its process this environment: the certificate and key, as the Secret's keys.
      const secretEnv = tlsSecretEnv(pem);
      Object.assign(process.env, secretEnv);
      const running = await aigw(env, { name: 'aigw', configDir, paths: [CHAT_PATH], logFile: join(this.logDir, 'aigw.log') });
      const tlsUrl = `https://127.0.0.1:${tlsPort}`;
      await waitFor('aigw to answer TLS handshakes', () => acceptsTls(tlsPort), 10_000, running.proc);
      this.results.commands.aigw = `${running.command.split(this.workDir).join('<tmp>')} (the certificate and key as ${Object.keys(secretEnv)
        .map((k) => `$${k}`)
        .join(' and ')}; listeners.tlsPort ${tlsPort})`;
      await this.addSides(running, tlsUrl, 'aigw-plain', 'aigw-tls', pem.cert);
    });
    this.results.sides = SIDE_KEYS.filter((k) => this.sides.has(k));
    if (this.sides.size === 0) return;

    const loads = SETTINGS.loads.map((k) => LOADS[k]);
    for (const load of loads) this.results.commands[load.key] = load.command;
    if (SETTINGS.warmupS > 0) await this.attempt('warm-up', () => this.warmUp());
    const runs = new Map<Load, Map<SideKey, TlsRun[]>>(loads.map((l) => [l, new Map()]));
    const negotiated = new Map<Load, LoadFigures['negotiated']>(loads.map((l) => [l, {}]));
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      await waitForQuiet(this.results, SETTINGS.quietWaitS);
      for (const load of loads) {
        const sides = this.loadSides(load);
        const shift = (round - 1) % Math.max(1, sides.length);
        for (const side of [...sides.slice(shift), ...sides.slice(0, shift)]) {
          await this.attempt(`round ${round} ${load.key} ${side.key}`, async () => {
            const run = await this.measureRun(load, side, round);
            if (run.negotiated) negotiated.get(load)![side.key] ??= run.negotiated;
            const into = runs.get(load)!;
            into.set(side.key, [...(into.get(side.key) ?? []), run.figures]);
          });
        }
      }
    }
    for (const load of loads) {
      const bySide = runs.get(load)!;
      const sides = Object.fromEntries(SIDE_KEYS.filter((k) => bySide.has(k)).map((k) => [k, sideFigures(bySide.get(k)!)]));
      const seconds = [...bySide.values()].flat().reduce((a, r) => a + r.seconds, 0);
      this.results.comparisons.push({ key: load.key, title: load.title, command: load.command, seconds, negotiated: negotiated.get(load)!, sides });
    }
  }

  protected async closeClients(): Promise<void> {
    // The load generators are processes that have ended; the verification's clients closed their connections.
  }

  protected cleanUp(): void {
    if (SETTINGS.keepLogs) cpSync(this.logDir, join(OUT_DIR, 'logs'), { recursive: true });
    super.cleanUp();
    rmSync(BUILD_DIR, { recursive: true, force: true });
  }

  /** Verifies a contender's plain port (verify(): plain and streamed chat) and its TLS port (HTTP/1.1 and HTTP/2); adds the sides that pass. */
  private async addSides(running: Running, tlsUrl: string, plainKey: SideKey, tlsKey: SideKey, ca: string): Promise<void> {
    const plain = await verify(running);
    if (!plain.ok) throw new Error(`${plainKey}: ${plain.detail}`);
    this.results.verification.push(`${plainKey}: ${plain.detail}`);
    this.sides.set(plainKey, { key: plainKey, pid: running.pid, target: running.target });
    const tlsTarget = { ...running.target, baseUrl: tlsUrl };
    this.results.verification.push(await verifyTls(tlsKey, tlsTarget, ca));
    this.sides.set(tlsKey, { key: tlsKey, pid: running.pid, target: tlsTarget });
  }

  private loadSides(load: Load): Side[] {
    return load.sides.flatMap((k) => this.sides.get(k) ?? []);
  }

  /** An unrecorded run of each side: kept-alive HTTP/1.1, and HTTP/2 on the TLS sides (JIT, pools, the simulator's connections). */
  private async warmUp(): Promise<void> {
    for (const load of [LOADS.keepalive, LOADS.h2]) {
      for (const side of this.loadSides(load)) await load.run(side, this.workDir, SETTINGS.warmupS);
    }
  }

  /** One side's run of one load: the tool's figures, the contender's and the simulator's CPU, the machine's load. */
  private async measureRun(load: Load, side: Side, round: number): Promise<{ figures: TlsRun; negotiated?: string }> {
    const m = await withProcessCpu({ gateway: side.pid, upstream: this.simulator.pid }, () => load.run(side, this.workDir, SETTINGS.runS));
    const { loop, latency, resumed, negotiated } = m.value;
    const figures: TlsRun = runFigures('gateway', round, { ...m, value: loop }, latency, resumed === undefined ? {} : { resumed });
    log(
      `round ${round} ${load.key} ${side.key}: ${figures.perS.toFixed(0)}/s, p50 ${latency.p50.toFixed(3)} ms, p99 ${latency.p99.toFixed(3)} ms, ` +
        `${cpuUs(figures).toFixed(1)} µs CPU each, ${figures.errors} errors${figures.firstError ? ` (${figures.firstError})` : ''}` +
        `${resumed === undefined ? '' : `, ${resumed} resumed`}, CPU 0/1 busy ${(100 * figures.cpu0Busy).toFixed(0)}%/${(100 * figures.cpu1Busy).toFixed(0)}%, other load ${figures.foreignCores.toFixed(2)} cores`,
    );
    return { figures, negotiated };
  }
}

async function main(): Promise<void> {
  await sectionBenchMain<TlsResults>({
    log,
    outDir: OUT_DIR,
    title: '"## HTTPS (issue #17)"',
    // The first time, at the end of the file.
    markers: { start: MARK_START, end: MARK_END },
    renderRewritesSectionMd: true,
    render: renderTlsSection,
    measure: () => new TlsBench().run(),
  });
}

if (require.main === module) runDriver(main, log);
