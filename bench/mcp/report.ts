/** Renders the MCP bench's results as the "## MCP" section of BENCHMARKS.md. */
import type { Comparison, McpResults, SideFigures } from './mcp-bench';
import { int, ms, signed, spread } from '../shared/report-format';
import { busyMachineLines, failedSectionLines, gatewayVsDirectLines, overheads, runCells, runFactLines, verificationLines } from '../shared/report-lines';
import { median } from '../shared/stats';

/** Issue #12 §5's goal: the gateway adds at most this much to a tools/call at p99. */
export const P99_OVERHEAD_GOAL_MS = 1;

function row(c: Comparison, side: 'gateway' | 'direct', f: SideFigures): string {
  const overhead = side === 'gateway' ? `${signed(c.gateway.latency.p50 - c.direct.latency.p50)} / ${signed(c.gateway.latency.p99 - c.direct.latency.p99)}` : '';
  const op = side === 'gateway' ? c.gatewayOp : c.directOp;
  const cells = runCells(f.runs, f.errors);
  const perRoundPerS = spread(
    f.runs.map((r) => r.perS),
    int,
  );
  return `| ${side === 'gateway' ? `**${c.title}**<br>aigw` : 'direct'} | ${op} | ${int(f.perS)} | ${ms(f.latency.p50)} | ${ms(f.latency.p99)} | ${overhead} | ${f.perCoreS !== undefined ? int(f.perCoreS) : ''} | ${int(f.upstreamPerCoreS)} | ${cells.perRoundP99} | ${perRoundPerS} | ${cells.errors} | ${cells.otherLoad} | ${cells.busy} |`;
}

export function renderMcpSection(r: McpResults): string {
  const lines: string[] = [];
  const s = r.settings;
  lines.push('## MCP (issue #12)');
  lines.push('');
  lines.push(...runFactLines(r, 'the per-round columns show'));
  lines.push(`- Versions: node ${r.versions.node}, @modelcontextprotocol/sdk ${r.versions.mcpSdk}, undici ${r.versions.undici}, aigw ${r.versions.aigw} at ${r.versions.gitHead} (${r.versions.gitDirty})`);
  lines.push(
    `- Command: \`${r.commands.env ? `${r.commands.env} ` : ''}BENCH_ONLY=mcp bash bench/run.sh\`` +
      ' (also part of `npm run bench`: compiles, then `taskset -c 0 node -r ts-node/register/transpile-only bench/mcp/mcp-bench.ts`, and stops every process it started). Settings: `BENCH_MCP_*` variables (head of `bench/mcp/mcp-bench.ts`); raw figures in `bench/out/mcp/results.json`; `BENCH_RENDER=1` re-renders this section from them.',
  );
  lines.push(`- Pinning: ${r.commands.pinning ?? 'n/a'}. aigw: \`${r.commands.aigw ?? 'n/a'}\`; upstream: \`${r.commands.upstream ?? 'n/a'}\`.`);
  lines.push(
    `- Upstream: one process with an MCP server built with the official SDK (\`McpServer\` + a stateful \`StreamableHTTPServerTransport\` per session, tool \`echo\`), answering POSTs in JSON (\`enableJsonResponse\`) at one path and in SSE at another, and a REST service (node http, \`GET /items/<id>\` → JSON). The gateway's config is built from the constructs (two \`kind: 'proxy'\` servers, one \`kind: 'http-to-mcp'\` server with one GET tool, a consumer granted all, \`mcpSessionKey\` set); changed after synthesis: ${r.configChanges.join('; ') || 'nothing'}.`,
  );
  lines.push(
    `- Load: ${s.sessions} concurrent sessions, each a closed loop with one request in flight, as raw JSON-RPC POSTs over undici keep-alive connections (one per session), never the SDK client per call (its own cost would dominate). Sessions are opened with a real initialize + notifications/initialized (raw POSTs) and carry \`Mcp-Session-Id\` and \`Mcp-Protocol-Version\` as the spec says; every answer is checked (HTTP 200 and the echoed text). A closed loop goes as fast as the slower side allows (on this 2-core machine often CPU 0, where the upstream and the load generator run: see the busy column), and its latency is mostly queueing (${s.sessions} in flight), so the overhead goal is read on the paced runs, where the same ${s.sessions} sessions together send a fixed rate (30% of the lower closed-loop throughput unless \`BENCH_MCP_RATE\`), below either side's saturation.`,
  );
  lines.push(
    `- Rounds: gateway and direct alternate (gateway, direct, gateway, direct …) in the same run, ${s.rounds} rounds of ${s.roundS} s each for tools/call with JSON answers, ${s.shortRounds} rounds of ${s.shortRoundS} s for SSE answers and HTTP-to-MCP, ${s.rounds} rounds of ${s.shortRoundS} s for session creation; each comparison starts with an unrecorded ${s.warmupS} s warm-up of each side; before each round the bench waited up to ${s.quietWaitS} s for other load to drop below 0.5 core (${(r.quietWaitedS ?? 0).toFixed(0)} s in all, at most 30). Latencies are pooled over the rounds; overhead = aigw's percentile − direct's percentile (a difference of percentiles, not a percentile of differences). "per gateway core" = operations ÷ CPU seconds of the aigw process over its runs (from /proc); "per upstream core" likewise for the upstream process, for scale. "CPU 0 / CPU 1 busy": mean share of each core that was busy during the runs (CPU 0: upstream + load generator + other load; CPU 1: aigw + other load); at 100% on CPU 0 the load side, not aigw, is the limit. The direct path never touches CPU 1, so CPU 1's busy share in direct runs is other load alone: other load on CPU 1 delays aigw and not the direct path, which inflates aigw's latency (p99 first) on a shared machine.`,
  );
  lines.push(...busyMachineLines(r.comparisons, '2'));
  lines.push(...verificationLines(r.verification));
  lines.push(
    ...gatewayVsDirectLines(
      '| Comparison | Operation | ops/s | p50 (ms) | p99 (ms) | Overhead p50 / p99 (ms) | ops/s per gateway core | ops/s per upstream core | Per-round p99 (ms) | Per-round ops/s | Errors | Other load (cores, max) | CPU 0 / CPU 1 busy |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      r.comparisons,
      row,
    ),
  );
  lines.push('');
  lines.push('### Goals (issue #12 §5; reported as measured, not enforced)');
  lines.push('');
  for (const key of ['tools-call-json-paced', 'tools-call-sse-paced', 'http-to-mcp-paced']) {
    const c = r.comparisons.find((x) => x.key === key);
    if (!c) continue;
    const { pooled: overhead, rounds, pass } = overheads(c, (f) => f.latency.p99, P99_OVERHEAD_GOAL_MS);
    lines.push(
      `- ${c.title}: p99 overhead ≤ ${P99_OVERHEAD_GOAL_MS} ms, pooled and in every round: **${pass ? 'PASS' : 'MISS'}** (${signed(overhead)} ms pooled; per round ${rounds.map(signed).join(', ')} ms)`,
    );
  }
  const cpuPerOp = r.comparisons
    .filter((c) => !c.rate && c.gateway.perCoreS)
    .map((c) => `${c.key}${c.key === 'session-creation' ? ' (its 3 requests: initialize, notifications/initialized, DELETE)' : ''} ${Math.round(1e6 / c.gateway.perCoreS!)} µs`);
  if (cpuPerOp.length > 0) {
    lines.push(
      `- aigw's CPU per operation (closed loops; 1 ÷ ops per gateway core): ${cpuPerOp.join(', ')}. This is the least noise-sensitive figure here, and the floor of what aigw adds to a call's latency on an idle core (plus one loopback hop).`,
    );
  }
  const json = r.comparisons.find((x) => x.key === 'tools-call-json');
  if (json?.gateway.perCoreS !== undefined) {
    lines.push(`- tools/call calls/s per gateway core (closed loop, JSON answers): ${int(json.gateway.perCoreS)} (aigw's own CPU; the load generator and the upstream share the other core, see "CPU 0 busy" in results.json)`);
  }
  const sessions = r.comparisons.find((x) => x.key === 'session-creation');
  if (sessions) {
    lines.push(
      `- Session creation (initialize + notifications/initialized): aigw p50 ${ms(sessions.gateway.latency.p50)} ms / p99 ${ms(sessions.gateway.latency.p99)} ms vs direct ${ms(sessions.direct.latency.p50)} / ${ms(sessions.direct.latency.p99)} ms; ${int(sessions.gateway.perS)} vs ${int(sessions.direct.perS)} sessions/s (each loop also DELETEs its session, untimed, so the upstream does not pile sessions up: sessions/s includes that DELETE).`,
    );
  }
  if (r.sealer) {
    const z = r.sealer;
    lines.push(
      `- The gateway's own cost of a session token (\`SessionSealer\`, AES-256-GCM, the compiled code aigw ran, in the driver's process): seal ${median(z.sealUs).toFixed(2)} µs (batches ${spread(z.sealUs, (n) => n.toFixed(2))}), open ${median(z.openUs).toFixed(2)} µs (${spread(z.openUs, (n) => n.toFixed(2))}), median of ${z.batches} batches of ${int(z.opsPerBatch)}; token ${z.tokenChars} characters.`,
    );
  }
  if (r.profile) {
    const sm = r.profile.summary;
    const pct = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1));
    lines.push('');
    lines.push(`### CPU profile of aigw under closed-loop tools/call, JSON answers (\`BENCH_MCP_PROFILE=1\`; a separate aigw with \`node --cpu-prof\`, samples inside the load only)`);
    lines.push('');
    lines.push(`- \`${sm.file}\`; ${r.profile.calls.toLocaleString('en-US')} calls in ${r.profile.seconds.toFixed(1)} s; ${Math.round(sm.sampledMs)} ms sampled, idle ${pct(sm.idlePercent)}%, GC ${pct(sm.gcPercent)}% of busy time.`);
    lines.push(`- Busy time by area: ${sm.byArea.map((a) => `${a.area} ${pct(a.percent)}%`).join('; ')}.`);
    lines.push('');
    lines.push('| Self % of busy | Function | Location | Hottest line | Reached from (nearest src/ frame) |');
    lines.push('|---:|---|---|---|---|');
    for (const h of sm.top) lines.push(`| ${pct(h.selfPercent)} | \`${h.function}\` | ${h.location} | ${h.hotLine ?? '-'} | ${h.calledFrom?.length ? h.calledFrom.join('; ') : '-'} |`);
    lines.push('');
    lines.push("This repo's functions by inclusive time (self + callees):");
    lines.push('');
    lines.push('| Total % of busy | Function | Location |');
    lines.push('|---:|---|---|');
    for (const f of r.profile.inclusive) lines.push(`| ${pct(f.totalPercent)} | \`${f.function}\` | ${f.location} |`);
  }
  lines.push(...failedSectionLines(r.errors));
  return `${lines.join('\n')}\n`;
}
