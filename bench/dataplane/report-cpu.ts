/**
 * The parts of the "## Data plane" section for issue #18's measures: CPU per request, bytes allocated
 * per request, the capacity search and the node runtimes (called from report.ts, in its style).
 */
import { type CpuRow, type Kind, SATURATED_CORES } from './cpu-types';
import { POD_CAPACITY } from '../../src/specs';
import type { ContenderKey, Results } from '../dataplane-bench';

/** The GC profiler's own work per GC, measured in isolation (an allocation-heavy loop on one core, with and without the probe). */
const PROBE_US_PER_GC = 60;
const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number | undefined): string => fmt(n, n !== undefined && Math.abs(n) < 10 ? 2 : 1);
const signed = (n: number): string => `${n >= 0 ? '+' : ''}${ms(n)}`;
const noise = (x: { foreignCores: number; cpu0Busy?: number }): string => `${fmt(x.foreignCores, 2)} / ${x.cpu0Busy === undefined ? 'n/a' : `${fmt(x.cpu0Busy * 100)}%`}`;
const kindLabel = (kind: Kind) => (kind === 'chat' ? 'Non-streaming' : 'Streaming (10 chunks)');
/** The latency a kind is judged by: to the last byte, or to the first SSE frame (TTFT). */
const latencyOf = (row: CpuRow) => (row.kind === 'chat' ? row.result.totalMs : row.result.firstMs);
const bytes = (row: CpuRow) => (row.allocation ? fmt(row.allocation.bytesPerRequest) : '-');
const errors = (row: CpuRow) => `${fmt(row.result.errors)}${row.result.errorDetail ? ` (${row.result.errorDetail.slice(0, 120)})` : ''}`;

/** "### CPU per proxied request": every contender at each fixed rate, both kinds. */
export function renderCpu(r: Results, labels: Record<ContenderKey, string>): string[] {
  const rows = r.cpu ?? [];
  if (rows.length === 0) return [];
  const s = r.settings;
  const L: string[] = [];
  L.push(`### CPU per proxied request (open-loop client, fixed rates ${(s.cpuRates ?? []).map((x) => fmt(x)).join(' and ')} req/s, ${s.cpuS} s each after 1 s not recorded)`, '');
  L.push(
    '| Kind | Rate (req/s) | Contender | Achieved req/s | **CPU per request (µs)** | Contender CPU (cores) | Bytes allocated per request | p50 / p99 (ms) | Errors | Skipped | Other load / CPU 0 busy |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    const l = latencyOf(row);
    L.push(
      `| ${kindLabel(row.kind)} | ${fmt(row.rate)} | ${labels[row.contender as ContenderKey] ?? row.contender} | ${fmt(row.result.achievedRps)} | **${fmt(row.usPerRequest)}**${row.saturated ? ' (saturated)' : ''} | ${fmt(row.cores, 2)} | ${bytes(row)} | ${ms(l.p50)} / ${ms(l.p99)} | ${errors(row)} | ${fmt(row.result.skipped)} | ${noise(row)} |`,
    );
  }
  L.push(
    '',
    "- CPU per request: the contender's own CPU time (utime + stime of its process tree from /proc: nginx master + worker; Direct is the simulator) over exactly the measured interval (from the first recorded send to the end of the last recorded response; the rate client reads /proc itself at those two instants), divided by the HTTP 200 answers completed in it (at overload, including those sent in the unrecorded first second that complete inside it). It does not depend on how fast the load side is, as req/s at saturation does.",
    `- "saturated": the contender used ≥ ${fmt(SATURATED_CORES * 100)}% of its one core and could not keep the rate (see Achieved and Skipped); its figure is still CPU per completed request. p50 / p99: to the last byte (non-streaming) or to the first SSE frame, TTFT (streaming).`,
    '- Bytes allocated per request (aigw only): V8 heap bytes, from a probe preloaded into the aigw process (`node -r`, `bench/dataplane/alloc-probe.ts`): Σ over GCs (heap used before this GC − after the previous one) + growth since the last GC (`v8.GCProfiler`, GC callbacks only: no per-request work; its loop-delay histogram is off in these runs), read by SIGUSR2 at the same two instants. Buffer contents outside the V8 heap are not counted.',
  );
  const loadBound = rows.filter((x) => x.contender === 'direct' && x.result.skipped > 0);
  if (loadBound.length > 0) {
    L.push(
      `- ${loadBound.map((x) => `${kindLabel(x.kind)} at ${fmt(x.rate)} req/s`).join('; ')}: Direct itself could not keep the rate (the rate client and the simulator share CPU 0), so no contender could; those rows still give CPU per completed request, at the rate that got through.`,
    );
  }
  const check = r.cpuProbeCheck;
  const withProbe = rows.find((x) => x.contender === 'aigw' && x.kind === check?.kind && x.rate === check?.rate);
  if (check && withProbe) {
    const a = withProbe.allocation;
    const completed = withProbe.result.completedInInterval ?? withProbe.result.ok;
    L.push(
      `- The probe's own cost (aigw, ${kindLabel(check.kind).toLowerCase()}, ${fmt(check.rate)} req/s, one run each): ${fmt(withProbe.usPerRequest)} µs per request with it, ${fmt(check.usPerRequest)} µs without (${signed(((withProbe.usPerRequest - check.usPerRequest) / check.usPerRequest) * 100)}%; other load ${fmt(withProbe.foreignCores, 2)} / ${fmt(check.foreignCores, 2)} cores: one pair of runs resolves only what other load leaves).` +
        (a
          ? ` Expected from its mechanism: ~${PROBE_US_PER_GC} µs of work per GC (measured in isolation, see alloc-probe.ts) × ${fmt(a.gcCount)} GCs / ${fmt(completed)} requests = ${fmt((PROBE_US_PER_GC * a.gcCount) / completed, 2)} µs per request.`
          : ''),
    );
  }
  L.push('');
  return L;
}

/** One line for the latency section: aigw's bytes allocated per request at BENCH_RATE. */
export function renderLatencyAllocation(r: Results): string[] {
  const a = r.latency.find((x) => x.contender === 'aigw')?.openLoop?.allocation;
  if (!a) return [];
  return [
    `- Bytes allocated per request, aigw, in the open-loop run at ${fmt(r.settings.rate)} req/s (V8 heap, allocation probe as in the CPU section): **${fmt(a.bytesPerRequest)}**; ${fmt(a.gcCount)} GCs, ${fmt(a.gcPauseMs, 1)} ms in GC over the run.`,
    '',
  ];
}

/** "### Capacity search": the steps, both capacities, POD_CAPACITY.qps and the margins. */
export function renderCapacitySearch(r: Results): string[] {
  const searches = r.capacitySearch ?? [];
  if (searches.length === 0) return [];
  const L: string[] = [];
  const budget = searches[0].budgetMs;
  L.push(
    `#### Capacity search: the highest rate one aigw process (one core, key auth + Redis limit) holds with p99 overhead over Direct ≤ ${fmt(budget)} ms (open-loop, ${r.settings.capacityStepS} s per step)`,
    '',
  );
  L.push('| Kind | Rate (req/s) | Direct p99 (ms) | aigw p99 (ms) | **Overhead (ms)** | aigw achieved req/s | aigw skipped | aigw errors | Direct skipped | Result | Other load / CPU 0 busy |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const s of searches) {
    const p99 = (x: { totalMs: { p99: number }; firstMs: { p99: number } }) => (s.kind === 'chat' ? x.totalMs.p99 : x.firstMs.p99);
    for (const st of s.steps) {
      L.push(
        `| ${kindLabel(s.kind)} | ${fmt(st.rate)}${st.bisect ? ' (bisection)' : ''} | ${ms(p99(st.direct))} | ${ms(p99(st.aigw))} | **${signed(st.overheadMs)}** | ${fmt(st.aigw.achievedRps)} | ${fmt(st.aigw.skipped)} | ${fmt(st.aigw.errors)} | ${fmt(st.direct.skipped)} | ${st.pass ? 'pass' : '**fail**'} | ${noise(st)} |`,
      );
    }
  }
  L.push('', '| Kind | Capacity (req/s) | POD_CAPACITY.qps | Margin (capacity / POD_CAPACITY.qps − 1) |', '|---|---:|---:|---:|');
  for (const s of searches) {
    L.push(`| ${kindLabel(s.kind)} | **${s.atLeast ? '≥ ' : ''}${fmt(s.capacity)}** | ${fmt(POD_CAPACITY.qps)} | **${fmt((s.capacity / POD_CAPACITY.qps - 1) * 100)}%**${s.atLeast ? ' or more' : ''} |`);
  }
  L.push(
    '',
    `- Each step runs Direct, then aigw, at the same rate with the same client (non-streaming: p99 to the last byte; streaming: p99 TTFT). A step passes when the overhead is ≤ ${fmt(budget)} ms and aigw skipped nothing and answered everything; the search stops at the first fail and bisects once between the last pass and it (to 50 req/s). One aigw process per kind, warmed up once, with the bench's \`primary\` config (its per-replica ceiling \`limits.maxQps\` raised, else the search would find the ceiling). Rates: \`BENCH_CAPACITY_RATES\`; step length: \`BENCH_CAPACITY_STEP_S\`.`,
    '',
  );
  return L;
}

/** "### Node runtimes": aigw's CPU and bytes per request under each node binary. */
export function renderRuntimes(r: Results): string[] {
  const rows = r.runtimes ?? [];
  if (rows.length === 0) return [];
  const L: string[] = [];
  L.push('### Node runtimes (aigw, key auth + Redis limit, as in the CPU section)', '');
  L.push(
    '| Node | Kind | Rate (req/s) | **CPU per request (µs)** | Bytes allocated per request | p99 (ms) | Achieved req/s | Errors | Skipped | Other load / CPU 0 busy |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of rows) {
    L.push(
      `| ${row.node ?? 'n/a'} | ${kindLabel(row.kind)} | ${fmt(row.rate)} | **${fmt(row.usPerRequest)}**${row.saturated ? ' (saturated)' : ''} | ${bytes(row)} | ${ms(latencyOf(row).p99)} | ${fmt(row.result.achievedRps)} | ${errors(row)} | ${fmt(row.result.skipped)} | ${noise(row)} |`,
    );
  }
  L.push(
    '',
    `- Binaries: ${r.versions.runtimes ?? 'n/a'}. The first is the run's own node (the one every other section uses); the others come from \`BENCH_NODE_BINARIES\`, or are installed by the bench with \`npm install --prefix bench/out/runtimes/node<major> node@<major>\` (the npm package \`node\` ships the official binary). Same compiled lib/, same config, same probe; p99: to the last byte (non-streaming) or TTFT (streaming).`,
    '',
  );
  return L;
}
