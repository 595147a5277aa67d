/**
 * The load generators, the same for every contender, pinned to the load-generator core:
 * wrk (throughput, Lua POST script), hey (fixed rate), and the bench's own open-loop client (Node + undici: TTFT, fixed rate).
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { run, treeCpuSeconds } from './procs';

export const LOADGEN_CPU = '0';

/** Access-log lines this close to the end of a wrk run belong to wrk closing its connections mid-request. */
export const END_OF_RUN_MS = 500;

export interface Target {
  /** `http://127.0.0.1:PORT` */
  readonly baseUrl: string;
  /** Request paths; wrk cycles through them, hey and the TTFT client use the first. */
  readonly paths: readonly string[];
  /** Extra request headers (auth, Portkey's routing headers). */
  readonly headers: Record<string, string>;
}

export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly durationS: number;
  /** Non-2xx/3xx responses. */
  readonly statusErrors: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** CPU used by the contender (process tree) during the run, in cores (1.0 = one core busy). */
  contenderCores?: number;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

let fileSeq = 0;

/** Writes the request description files the Lua script reads. */
function requestFiles(workDir: string, target: Target, body: string): Record<string, string> {
  const id = fileSeq++;
  const paths = join(workDir, `wrk-${id}.paths`);
  const bodyFile = join(workDir, `wrk-${id}.body`);
  const headers = join(workDir, `wrk-${id}.headers`);
  writeFileSync(paths, `${target.paths.join('\n')}\n`);
  writeFileSync(bodyFile, body);
  writeFileSync(headers, Object.entries(target.headers).map(([k, v]) => `${k}: ${v}\n`).join(''));
  return { BENCH_PATHS_FILE: paths, BENCH_BODY_FILE: bodyFile, BENCH_HEADERS_FILE: headers };
}

export interface WrkOptions {
  readonly connections: number;
  readonly durationS: number;
  readonly body: string;
  readonly workDir: string;
  readonly luaScript: string;
  /** The contender's root pid, to measure its CPU during the run. */
  readonly contenderPid?: number;
}

/** `wrk -t1 -c N -d Ss --latency -s post.lua URL`, pinned to the load-generator core. */
export async function wrk(target: Target, options: WrkOptions): Promise<WrkResult> {
  const env = { ...process.env, ...requestFiles(options.workDir, target, options.body) };
  const cpuBefore = options.contenderPid ? treeCpuSeconds(options.contenderPid) : 0;
  const wallBefore = performance.now();
  const out = await run('wrk', 'wrk', ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--timeout', '5s', '-s', options.luaScript, target.baseUrl], {
    cpu: LOADGEN_CPU,
    env,
    timeoutMs: (options.durationS + 30) * 1000,
  });
  const wallS = (performance.now() - wallBefore) / 1000;
  const line = out.split('\n').find((l) => l.startsWith('@@wrk@@ '));
  if (!line) throw new Error(`wrk printed no result line:\n${out}`);
  const j = JSON.parse(line.slice('@@wrk@@ '.length)) as WrkJson;
  const ms = (us: number) => us / 1000;
  const result: WrkResult = {
    rps: j.requests / (j.durationUs / 1e6),
    requests: j.requests,
    durationS: j.durationUs / 1e6,
    statusErrors: j.statusErrors,
    socketErrors: j.connectErrors + j.readErrors + j.writeErrors + j.timeouts,
    latencyMs: {
      p50: ms(j.latencyUs.p50),
      p90: ms(j.latencyUs.p90),
      p99: ms(j.latencyUs.p99),
      p999: ms(j.latencyUs.p999),
      max: ms(j.latencyUs.max),
      mean: ms(j.latencyUs.mean),
    },
  };
  if (options.contenderPid) result.contenderCores = (treeCpuSeconds(options.contenderPid) - cpuBefore) / wallS;
  return result;
}

export interface HeyResult {
  readonly rps: number;
  readonly responses: number;
  readonly ok: number;
  /** Non-2xx responses by status, and transport errors. */
  readonly errors: number;
  readonly errorDetail: string;
  readonly latencyMs: { p50: number; p90: number; p95: number; p99: number; max: number; mean: number };
}

export interface HeyOptions {
  /** Total rate = workers × ratePerWorker (hey's -q is per worker). */
  readonly workers: number;
  readonly ratePerWorker: number;
  readonly durationS: number;
  readonly bodyFile: string;
  /** hey -n instead of -z: a fixed number of requests, all completed (warm-ups). */
  readonly requests?: number;
}

/** `hey -z Ds -c C -q Q` (fixed rate, per worker), pinned to the load-generator core, one Go thread. */
export async function hey(target: Target, options: HeyOptions): Promise<HeyResult> {
  const args = [options.requests !== undefined ? ['-n', String(options.requests)] : ['-z', `${options.durationS}s`]].flat();
  args.push('-c', String(options.workers), '-m', 'POST', '-T', 'application/json', '-D', options.bodyFile, '-disable-compression', '-cpus', '1', '-t', '10');
  if (options.ratePerWorker > 0) args.push('-q', String(options.ratePerWorker));
  for (const [k, v] of Object.entries(target.headers)) args.push('-H', `${k}: ${v}`);
  args.push(`${target.baseUrl}${target.paths[0]}`);
  const out = await run('hey', 'hey', args, { cpu: LOADGEN_CPU, timeoutMs: ((options.durationS || 60) + 60) * 1000 });
  return parseHey(out);
}

/** Parses hey's summary: Requests/sec, the latency distribution (4 decimals of a second), status codes and errors. */
export function parseHey(out: string): HeyResult {
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    return m ? Number(m[1]) : Number.NaN;
  };
  const pct = (p: number) => num(new RegExp(`\\n\\s*${p}% in ([\\d.]+) secs`)) * 1000;
  let ok = 0;
  let bad = 0;
  const detail: string[] = [];
  const statusBlock = /Status code distribution:\n([\s\S]*?)(?:\n\n|$)/.exec(out)?.[1] ?? '';
  for (const m of statusBlock.matchAll(/\[(\d+)\]\s+(\d+) responses/g)) {
    const status = Number(m[1]);
    const n = Number(m[2]);
    if (status >= 200 && status < 300) ok += n;
    else {
      bad += n;
      detail.push(`${n}× HTTP ${status}`);
    }
  }
  const errorBlock = /Error distribution:\n([\s\S]*?)(?:\n\n|$)/.exec(out)?.[1] ?? '';
  for (const m of errorBlock.matchAll(/\[(\d+)\]\s+(.*)/g)) {
    bad += Number(m[1]);
    detail.push(`${m[1]}× ${m[2].slice(0, 120)}`);
  }
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    responses: ok + bad,
    ok,
    errors: bad,
    errorDetail: detail.join('; '),
    latencyMs: { p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), max: num(/Slowest:\s+([\d.]+) secs/) * 1000, mean: num(/Average:\s+([\d.]+) secs/) * 1000 },
  };
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface RateResult {
  readonly sent: number;
  /** Requests not sent because `maxInFlight` were still open (the contender fell behind the rate). */
  readonly skipped: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorDetail: string;
  readonly achievedRps: number;
  /** From dispatch to the first SSE `data:` frame (TTFT) with `sse`, else to the first body byte. */
  readonly firstMs: Percentiles;
  /** From dispatch to the end of the response. */
  readonly totalMs: Percentiles;
  /** With `cpuPid` or `signalPid`: the measured interval, from the first recorded send to the end of the last recorded response, s. */
  readonly measuredS?: number;
  /** With `cpuPid` or `signalPid`: HTTP 200 answers completed inside the measured interval, recorded or not (at overload, some were sent in the unrecorded first second). */
  readonly completedInInterval?: number;
  /** With `cpuPid`: that process tree's CPU seconds (utime + stime) over the measured interval. */
  readonly contenderCpuS?: number;
}

export interface RateOptions {
  readonly rate: number;
  readonly durationS: number;
  readonly body: string;
  readonly sse: boolean;
  readonly maxInFlight: number;
  readonly connections: number;
  readonly clientScript: string;
  /** Read this process tree's CPU time over the measured interval (the result's contenderCpuS). */
  readonly cpuPid?: number;
  /** Send this process SIGUSR2 when the measured interval starts and ends (the allocation probe). */
  readonly signalPid?: number;
}

/** The bench's open-loop client (bench/dataplane/rate-client.ts), a Node process on the load-generator core. */
export async function rateClient(target: Target, options: RateOptions): Promise<RateResult> {
  const { clientScript, ...rest } = options;
  const spec = { url: target.baseUrl, path: target.paths[0], headers: target.headers, ...rest };
  const out = await run('rate-client', process.execPath, ['-r', 'ts-node/register/transpile-only', clientScript, JSON.stringify(spec)], {
    cpu: LOADGEN_CPU,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    timeoutMs: (options.durationS + 60) * 1000,
  });
  const line = out.split('\n').find((l) => l.startsWith('@@rate@@ '));
  if (!line) throw new Error(`rate client printed no result:\n${out}`);
  return JSON.parse(line.slice('@@rate@@ '.length)) as RateResult;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
