/** Renders the HTTPS bench's results as the "## HTTPS (issue #17)" section of BENCHMARKS.md. */
import { type LoadFigures, SIDE_TITLES, type SideFigures, type SideKey } from './figures';
import type { LoadKey } from './settings';
import type { TlsResults } from './tls-bench';
import { int, ms } from '../shared/report-format';
import { failedSectionLines, runCells, runFactLines, verificationLines } from '../shared/report-lines';

/** Issue #17 §5: aigw terminating TLS serves at least this share of nginx-TLS's requests/s on one core. */
export const GOAL_RATIO = 0.5;
/** A core this busy during a run was the limit: the other side's rate is then not its own ceiling. */
const SATURATED = 0.95;

const REQUEST_LOADS: readonly LoadKey[] = ['keepalive', 'h2'];
const CONNECTION_LOADS: readonly LoadKey[] = ['close', 'full', 'resumed'];

const us = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const signedUs = (n: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(1)}` : 'n/a');
const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const verdict = (n: number): string => (Number.isFinite(n) ? (n >= GOAL_RATIO ? '**PASS**' : '**FAIL**') : 'n/a');
/** What one core would serve at this CPU per operation, whoever the bottleneck was. */
const perCore = (f: SideFigures): number => 1e6 / f.cpuUsPerOp;
const busiest = (f: SideFigures, cpu: 'cpu0Busy' | 'cpu1Busy'): number => Math.min(...f.runs.map((r) => r[cpu]));

function tableLines(r: TlsResults, keys: readonly LoadKey[], unit: string, head: string): string[] {
  const loads = r.comparisons.filter((c) => keys.includes(c.key));
  if (loads.length === 0) return [];
  const resumedColumn = loads.some((c) => c.key === 'resumed');
  const lines = [
    '',
    head,
    '',
    `| Load, side | ${unit}/s | CPU per ${unit.replace(/s$/, '')} (µs) | ${unit}/s per core, from CPU | p50 (ms) | p99 (ms, median of rounds) | p99 per round (ms) |${resumedColumn ? ' Resumed |' : ''} Errors | Other load (cores, max) | CPU 0 / CPU 1 busy |`,
    `|---|---:|---:|---:|---:|---:|---:|${resumedColumn ? '---:|' : ''}---:|---:|---:|`,
  ];
  for (const c of loads) {
    let first = true;
    for (const [key, f] of Object.entries(c.sides) as [SideKey, SideFigures][]) {
      const cells = runCells(f.runs, f.errors);
      const resumed = f.runs.reduce((a, x) => a + (x.resumed ?? 0), 0);
      const name = first ? `**${c.title}**<br>${SIDE_TITLES[key]}` : SIDE_TITLES[key];
      first = false;
      const row = [name, int(f.perS), us(f.cpuUsPerOp), int(perCore(f)), ms(f.p50Ms), ms(f.p99Ms), cells.perRoundP99];
      if (resumedColumn) row.push(c.key === 'resumed' || c.key === 'full' ? `${int(resumed)} of ${int(f.ok)}` : '');
      row.push(cells.errors, cells.otherLoad, cells.busy);
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  return lines;
}

const load = (r: TlsResults, key: LoadKey): LoadFigures | undefined => r.comparisons.find((c) => c.key === key);

/** aigw-TLS against nginx-TLS on a request load: measured requests/s, and requests/s per core from CPU. */
function goalLines(r: TlsResults): string[] {
  const lines: string[] = [];
  for (const key of REQUEST_LOADS) {
    const c = load(r, key);
    const a = c?.sides['aigw-tls'];
    const n = c?.sides['nginx-tls'];
    if (!c || !a || !n) continue;
    const measured = a.perS / n.perS;
    const fromCpu = perCore(a) / perCore(n);
    const clientBound = busiest(n, 'cpu0Busy') >= SATURATED && busiest(n, 'cpu1Busy') < SATURATED;
    lines.push(
      `- Against the goal (aigw terminating TLS ≥ ${GOAL_RATIO}× nginx terminating TLS, requests/s on one core), ${c.title}: aigw ${int(a.perS)} requests/s against nginx's ${int(n.perS)}, ${ratio(measured)} ${verdict(measured)}; per core from CPU (${us(a.cpuUsPerOp)} against ${us(n.cpuUsPerOp)} µs per request) ${ratio(fromCpu)} ${verdict(fromCpu)}.` +
        (clientBound ? ` nginx's CPU 1 was not saturated while the load generators' CPU 0 was: its requests/s is the load generator's ceiling, and the per-core ratio is the one to read.` : ''),
    );
  }
  return lines;
}

/** TLS's cost to each product: CPU per operation, TLS side minus plain side, on the loads that have both. */
function costLines(r: TlsResults): string[] {
  const lines: string[] = [];
  for (const [key, what] of [
    ['keepalive', 'per request on a kept-alive connection (encryption only)'],
    ['close', 'per request on a new connection (the handshake, and the connection set up and torn down)'],
  ] as const) {
    const c = load(r, key);
    if (!c) continue;
    const parts = (['nginx', 'aigw'] as const).flatMap((p) => {
      const tls = c.sides[`${p}-tls`];
      const plain = c.sides[`${p}-plain`];
      return tls && plain ? [`${p} ${signedUs(tls.cpuUsPerOp - plain.cpuUsPerOp)} µs (${us(plain.cpuUsPerOp)} → ${us(tls.cpuUsPerOp)})`] : [];
    });
    if (parts.length > 0) lines.push(`- TLS's CPU ${what}: ${parts.join('; ')}.`);
  }
  for (const key of ['full', 'resumed'] as const) {
    const c = load(r, key);
    const a = c?.sides['aigw-tls'];
    const n = c?.sides['nginx-tls'];
    if (!c || !a || !n) continue;
    lines.push(`- ${c.title}: aigw ${us(a.cpuUsPerOp)} µs of CPU per handshake (${int(perCore(a))}/s per core), nginx ${us(n.cpuUsPerOp)} µs (${int(perCore(n))}/s per core): ${ratio(n.cpuUsPerOp / a.cpuUsPerOp)} nginx's rate per core.`);
  }
  return lines;
}

/** Where the load generators' core was the limit, the rates are the rig's, not the contenders'. */
function bottleneckLines(r: TlsResults): string[] {
  const runs = r.comparisons.flatMap((c) => Object.values(c.sides).flatMap((f) => f.runs));
  const saturated = runs.filter((x) => x.cpu0Busy >= SATURATED).length;
  if (saturated === 0) return [];
  return [
    `- The load generators' core (CPU 0, shared with the simulator) was ≥ ${Math.round(SATURATED * 100)}% busy in ${saturated} of ${runs.length} runs: there the requests/s and connections/s are the rig's ceiling as much as the contender's (a TLS client works about as hard as the server, and the handshake client is Node), and the CPU per operation and "per core, from CPU" columns are the ones to compare.`,
  ];
}

function shownLines(r: TlsResults): string[] {
  const lines = [...goalLines(r), ...costLines(r), ...bottleneckLines(r)];
  return lines.length === 0 ? [] : ['', '### What it shows', '', ...lines];
}

function negotiatedLines(r: TlsResults): string[] {
  const lines = r.comparisons.flatMap((c) => Object.entries(c.negotiated).map(([side, what]) => `- ${c.title}, ${SIDE_TITLES[side as SideKey]}: ${what}`));
  return lines.length === 0 ? [] : ['', '### What the load generators negotiated', '', ...lines];
}

export function renderTlsSection(r: TlsResults): string {
  return [
    '## HTTPS (issue #17)',
    '',
    `aigw terminating TLS (a Dedicated gateway whose Domain has \`tls\`: HTTP/2 and HTTP/1.1 by ALPN on its TLS port) against nginx terminating TLS (\`listen … ssl http2;\`, one worker, proxying to the simulator over kept-alive HTTP/1.1 as the data-plane bench's nginx does), side by side in one run, with the same certificate, the same TLS versions and TLS 1.2 suites, in front of the same simulator, each on one core. Non-streamed chat completions over kept-alive HTTP/1.1 (wrk) and HTTP/2 (h2load); a new connection per request (wrk, \`Connection: close\`: a full TLS 1.3 handshake each; wrk does not resume sessions); bare TLS 1.3 handshakes, full and resumed with a session ticket (the bench's handshake client, \`bench/tls/handshake-client.ts\`: Node's TLS client, which can offer a ticket, which \`openssl s_time -reuse\` does not do under TLS 1.3). Each product is one process serving a plain port and a TLS port: its plain figures, from the same run, give TLS's cost. CPU per operation is the contender's process-tree CPU time during the run (/proc, 10 ms ticks) over the operations that succeeded; "per core, from CPU" is 1,000,000 µs over that: what one busy core would serve, whichever side was the bottleneck (the load generators share CPU 0 with the simulator, and a TLS client works about as hard as the server).`,
    '',
    `- Command: \`BENCH_ONLY=tls bash bench/run.sh\`${r.commands.env ? ` with \`${r.commands.env}\`` : ''} (installs nginx-light, wrk and nghttp2-client when missing, compiles, runs \`bench/tls/tls-bench.ts\`)`,
    ...runFactLines(r, 'the "p99 per round" column shows'),
    `- Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- Pinning: ${r.commands.pinning ?? 'n/a'}`,
    `- Certificate: ${r.certificate ?? 'n/a'}`,
    `- nginx: \`${r.commands.nginx ?? 'not started'}\``,
    `- aigw: \`${r.commands.aigw ?? 'not started'}\`; config changed after synthesis: ${r.configChanges.join('; ') || 'nothing'}`,
    `- Simulator: \`${r.commands.simulator ?? 'n/a'}\``,
    ...r.comparisons.map((c) => `- ${c.title}: \`${c.command}\`, ${r.settings.rounds} round(s) of ${r.settings.runS} s per side`),
    `- Waited for quiet: ${r.quietWaitedS.toFixed(0)} s`,
    ...verificationLines(r.verification),
    ...tableLines(r, REQUEST_LOADS, 'requests', '### Requests'),
    ...tableLines(r, CONNECTION_LOADS, 'connections', '### New connections and handshakes'),
    ...shownLines(r),
    ...negotiatedLines(r),
    ...failedSectionLines(r.errors),
  ].join('\n');
}
