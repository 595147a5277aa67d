/**
 * Open-loop fixed-rate client of the data-plane bench (its own process, on the load-generator core):
 * sends POSTs at `rate` per second, each on schedule whether or not earlier ones have returned, and
 * records per request the time from dispatch to the first response byte, or, with `sse`, to the
 * first SSE `data:` frame (TTFT), and to the end of the response.
 *
 *   node -r ts-node/register/transpile-only bench/dataplane/rate-client.ts '<json spec>'
 *
 * Bounded: it sends for `durationS` (the first `warmupS` not recorded), never has more than
 * `maxInFlight` requests open (a request due while that many are open is skipped and counted),
 * waits at most 15 s for the last ones, then prints one line `@@rate@@ {json}` and exits.
 *
 * With `cpuPid`, it also reads that process tree's CPU time (utime + stime) exactly over the measured
 * interval: from the first recorded send to the end of the last recorded response. With `signalPid`, it
 * sends that process SIGUSR2 at the same two instants (the allocation probe, alloc-probe.ts, then writes
 * a sample). It does both itself, on the instants it knows, rather than leaving them to the bench.
 */
import { readFileSync } from 'fs';
import { setTimeout as sleep } from 'timers/promises';
import { Pool } from 'undici';
import { processTree } from './procs';

interface Spec {
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  rate: number;
  durationS: number;
  warmupS?: number;
  maxInFlight: number;
  connections: number;
  /** Streaming: `first` is the first SSE data frame (TTFT); else the first body byte. */
  sse: boolean;
  /** Read this process tree's CPU seconds at the start and end of the measured interval. */
  cpuPid?: number;
  /** Send this process SIGUSR2 at the start and end of the measured interval. */
  signalPid?: number;
}

const CLOCK_TICKS = 100;

/** utime + stime of these processes, seconds (one stat file each: cheap enough to read inside the send loop). */
function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / CLOCK_TICKS;
}

/** The instant the measured interval starts or ends: the contender's CPU time, and the probe's signal. */
function mark(spec: Spec, pids: readonly number[]): { cpuS: number; at: number } {
  if (spec.signalPid) process.kill(spec.signalPid, 'SIGUSR2');
  return { cpuS: cpuSeconds(pids), at: performance.now() };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const summary = (sorted: readonly number[]) => ({
  p50: round(percentile(sorted, 50)),
  p90: round(percentile(sorted, 90)),
  p99: round(percentile(sorted, 99)),
  p999: round(percentile(sorted, 99.9)),
  max: round(sorted[sorted.length - 1] ?? Number.NaN),
});

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as Spec;
  const warmupS = spec.warmupS ?? 1;
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const firsts: number[] = [];
  const totals: number[] = [];
  const errors = new Map<string, number>();
  let sent = 0;
  let skipped = 0;
  let ok = 0;
  let inFlight = 0;
  // The measured interval's start (see mark), and every 200 answered inside it, recorded or not: at
  // overload, requests sent during the unrecorded first second complete inside it and cost CPU there.
  let markStart: { cpuS: number; at: number } | undefined;
  let completedInInterval = 0;
  const fail = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);

  // undici's dispatch API with a handler (no response stream objects): the client stays cheap, since
  // it shares its core with the simulator.
  const body = Buffer.from(spec.body);
  const one = (record: boolean): void => {
    inFlight++;
    const t0 = performance.now();
    let first = 0;
    let status = 0;
    const finish = (error?: Error) => {
      inFlight--;
      if (markStart && !error && status === 200) completedInInterval++;
      if (!record) return;
      if (error) fail(error.message.slice(0, 100));
      else if (status !== 200 || first === 0) fail(`HTTP ${status}${first === 0 ? (spec.sse ? ' without a data frame' : ' without a body') : ''}`);
      else {
        ok++;
        firsts.push(first - t0);
        totals.push(performance.now() - t0);
      }
    };
    pool.dispatch(
      { origin: spec.url, path: spec.path, method: 'POST', headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 },
      {
        onRequestStart: () => undefined,
        onResponseStart: (_controller, statusCode) => {
          status = statusCode;
        },
        onResponseData: (_controller, chunk) => {
          // With SSE, the first frame starts the body: "data: {...}".
          if (first === 0 && (!spec.sse || chunk.includes('data:'))) first = performance.now();
        },
        onResponseEnd: () => finish(),
        onResponseError: (_controller, error) => finish(error),
      },
    );
  };

  // The tree (nginx: master + worker) is found once, before the load, so that each mark reads a few files only.
  const cpuPids = spec.cpuPid ? processTree(spec.cpuPid) : [];
  const start = performance.now();
  const endAt = start + (warmupS + spec.durationS) * 1000;
  const recordFrom = start + warmupS * 1000;
  const interval = 1000 / spec.rate;
  let due = 0;
  let recordedStart = 0;
  for (let now = performance.now(); now < endAt; now = performance.now()) {
    while (start + due * interval <= now) {
      const at = start + due * interval;
      due++;
      const record = at >= recordFrom;
      if (record && recordedStart === 0) {
        recordedStart = at;
        markStart = mark(spec, cpuPids);
      }
      if (inFlight >= spec.maxInFlight) {
        if (record) skipped++;
        continue;
      }
      if (record) sent++;
      one(record);
    }
    await sleep(1);
  }
  const recordedS = (performance.now() - (recordedStart || recordFrom)) / 1000;
  const drainBy = performance.now() + 15_000;
  while (inFlight > 0 && performance.now() < drainBy) await sleep(5);
  if (inFlight > 0) fail(`${inFlight} still open after 15 s`);
  const markEnd = markStart ? mark(spec, cpuPids) : undefined;
  firsts.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  const result = {
    sent,
    skipped,
    ok,
    errors: [...errors.values()].reduce((a, b) => a + b, 0),
    errorDetail: [...errors].map(([k, v]) => `${v}× ${k}`).join('; '),
    achievedRps: round(ok / recordedS),
    firstMs: summary(firsts),
    totalMs: summary(totals),
    ...(markStart && markEnd
      ? { measuredS: round((markEnd.at - markStart.at) / 1000), completedInInterval, contenderCpuS: spec.cpuPid ? markEnd.cpuS - markStart.cpuS : undefined }
      : {}),
  };
  process.stdout.write(`@@rate@@ ${JSON.stringify(result)}\n`);
  await pool.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`rate-client: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
