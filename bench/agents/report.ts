/** Renders the agents bench's results as the "## Agents as models (issue #13)" section of BENCHMARKS.md. */
import type { AgentsResults, Comparison, SideFigures } from './agents-bench';
import { int, ms, signed } from '../shared/report-format';
import { busyMachineLines, failedSectionLines, gatewayVsDirectLines, overheads, runCells, runFactLines, verificationLines } from '../shared/report-lines';

/** Issue #13 §4's goal, as for models: an agent called as a model costs at most this much more at p99 than calling it directly. */
export const P99_OVERHEAD_GOAL_MS = 1;

function row(c: Comparison, side: 'gateway' | 'direct', f: SideFigures): string {
  const g = c.gateway;
  const d = c.direct;
  const overhead = side === 'gateway' ? `${signed(g.latency.p50 - d.latency.p50)} / ${signed(g.latency.p99 - d.latency.p99)}` : '';
  const first = f.firstContent ? `${ms(f.firstContent.p50)} / ${ms(f.firstContent.p99)}` : '';
  const firstOverhead = side === 'gateway' && g.firstContent && d.firstContent ? `${signed(g.firstContent.p50 - d.firstContent.p50)} / ${signed(g.firstContent.p99 - d.firstContent.p99)}` : '';
  const cells = runCells(f.runs, f.errors);
  return [
    side === 'gateway' ? `**${c.title}**<br>aigw` : 'direct',
    side === 'gateway' ? c.gatewayOp : c.directOp,
    int(f.perS),
    ms(f.latency.p50),
    ms(f.latency.p99),
    overhead,
    first,
    firstOverhead,
    side === 'gateway' ? int(f.gatewayCpuUsPerCall) : '',
    int(f.upstreamCpuUsPerCall),
    cells.perRoundP99,
    cells.errors,
    cells.otherLoad,
    cells.busy,
  ]
    .join(' | ')
    .replace(/^/, '| ')
    .concat(' |');
}

export function renderAgentsSection(r: AgentsResults): string {
  const lines: string[] = [];
  const s = r.settings;
  lines.push('## Agents as models (issue #13)');
  lines.push('');
  lines.push(...runFactLines(r, 'the per-round column shows'));
  lines.push(`- Versions: node ${r.versions.node}, undici ${r.versions.undici}, aigw ${r.versions.aigw} at ${r.versions.gitHead} (${r.versions.gitDirty})`);
  lines.push(
    `- Command: \`${r.commands.env ? `${r.commands.env} ` : ''}BENCH_ONLY=agents bash bench/run.sh\`` +
      ' (also part of `npm run bench`: compiles, then `taskset -c 0 node -r ts-node/register/transpile-only bench/agents/agents-bench.ts`, and stops every process it started). Settings: `BENCH_AGENTS_*` variables (head of `bench/agents/agents-bench.ts`); raw figures in `bench/out/agents/results.json`; `BENCH_RENDER=1` re-renders this section from them.',
  );
  lines.push(`- Pinning: ${r.commands.pinning ?? 'n/a'}. aigw: \`${r.commands.aigw ?? 'n/a'}\`; simulator: \`${r.commands.simulator ?? 'n/a'}\`.`);
  lines.push(
    `- Upstream: the bundled upstream simulator (src/simulator, compiled; its Dify chat app at \`/v1/chat-messages\`, ${s.streamChunks} \`message\` events per streamed answer after Dify's \`ping\`, then \`message_end\`). The gateway's config is built from the constructs: a model route (gpt-4o on the simulator) and an AgentRoute \`{ kind: 'dify', baseUrl: '<sim>/v1', apiKey, asModel: 'support-bot' }\`, one consumer granted all; changed after synthesis: ${r.configChanges.join('; ') || 'nothing'}.`,
  );
  lines.push(
    `- The two calls: aigw gets \`POST /v1/chat/completions\` \`{model: "support-bot", messages: [{role: "user", content: "hello"}]}\` (+ \`stream: true\`) and maps it to Dify's \`POST /v1/chat-messages\` (blocking or streaming), then maps the answer back to OpenAI's shape (a chat.completion, or chat.completion.chunk events ending in \`[DONE]\`). Direct sends the equivalent Dify request itself, \`{inputs: {}, query: "hello", response_mode, user: "aigw:consumer:bench"}\` (the user aigw sends for this consumer), so both get the same answer text, ${JSON.stringify('Dify heard "hello" (turn 1 of conversation, user aigw:consumer:bench)')}. Each call starts a new conversation (no conversation id), on both sides.`,
  );
  lines.push(
    `- Load: ${s.connections} concurrent clients, each a closed loop with one request in flight over its own undici keep-alive connection (raw POSTs, no SDK per call: its own cost would dominate). Every answer is checked (HTTP 200; non-streamed: the answer text; streamed: aigw's ends in \`data: [DONE]\`, Dify's has \`message_end\`); the verification below reassembles whole answers on both sides. A closed loop goes as fast as the slower side allows and its latency is mostly queueing, so the goal is read on the paced runs, where the same ${s.connections} clients together send a fixed rate (30% of the lower closed-loop throughput unless \`BENCH_AGENTS_RATE\`), below either side's saturation. Streamed calls are timed to the last byte (the goal's figure) and to the first content byte (aigw: the first chunk with a non-empty \`delta.content\`; Dify: the first non-empty \`answer\`).`,
  );
  lines.push(
    `- Rounds: gateway and direct alternate (gateway, direct, gateway, direct …) in the same run: ${s.shortRounds} rounds of ${s.shortRoundS} s for each closed loop, ${s.rounds} rounds of ${s.roundS} s for each paced comparison; each comparison starts with an unrecorded ${s.warmupS} s warm-up of each side; before each round the bench waited up to ${s.quietWaitS} s for other load to drop below 0.5 core (${(r.quietWaitedS ?? 0).toFixed(0)} s in all, at most 30). Latencies are pooled over the rounds; overhead = aigw's percentile − direct's percentile (a difference of percentiles, not a percentile of differences). "aigw CPU per call" = CPU seconds of the aigw process over its runs (from /proc) ÷ calls; "simulator CPU per call" likewise for the simulator, for scale. "CPU 0 / CPU 1 busy": mean share of each core busy during the runs (CPU 0: simulator + load generator + other load; CPU 1: aigw + other load). The direct path never touches CPU 1, so other load on CPU 1 delays aigw and not the direct path, which inflates aigw's latency (p99 first) on a shared machine.`,
  );
  lines.push(...busyMachineLines(r.comparisons, r.machine.nproc));
  lines.push(...verificationLines(r.verification));
  lines.push(
    ...gatewayVsDirectLines(
      '| Comparison | Operation | calls/s | p50 (ms) | p99 (ms) | Overhead p50 / p99 (ms) | First content p50 / p99 (ms) | First-content overhead p50 / p99 (ms) | aigw CPU per call (µs) | Simulator CPU per call (µs) | Per-round p99 (ms) | Errors | Other load (cores, max) | CPU 0 / CPU 1 busy |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      r.comparisons,
      row,
    ),
  );
  lines.push('');
  lines.push('### Goal (issue #13 §4: ≤ 1 ms p99 overhead, as for models; reported as measured, not enforced)');
  lines.push('');
  for (const key of ['non-streamed-paced', 'streamed-paced']) {
    const c = r.comparisons.find((x) => x.key === key);
    if (!c) {
      lines.push(`- ${key}: not measured (see "Sections that failed")`);
      continue;
    }
    const last = overheads(c, (f) => f.latency.p99, P99_OVERHEAD_GOAL_MS);
    lines.push(
      `- ${c.title}, ${c.streamed ? 'time to the last byte' : 'time to the answer'}: p99 overhead ≤ ${P99_OVERHEAD_GOAL_MS} ms, pooled and in every round: **${last.pass ? 'PASS' : 'MISS'}** (${signed(last.pooled)} ms pooled; per round ${last.rounds.map(signed).join(', ')} ms)`,
    );
    if (c.streamed) {
      const first = overheads(c, (f) => f.firstContent?.p99, P99_OVERHEAD_GOAL_MS);
      lines.push(`  - time to the first content byte, for reading (not the goal's figure): p99 overhead ${signed(first.pooled)} ms pooled; per round ${first.rounds.map(signed).join(', ')} ms`);
    }
  }
  const cpu = r.comparisons.filter((c) => c.gateway.gatewayCpuUsPerCall !== undefined).map((c) => `${c.key} ${int(c.gateway.gatewayCpuUsPerCall)} µs`);
  if (cpu.length > 0) {
    lines.push(
      `- aigw's CPU per call (its CPU seconds ÷ calls, from /proc): ${cpu.join(', ')}. This is the least noise-sensitive figure here, and the floor of what aigw adds to a call's latency on an idle core (plus one loopback hop); closed loops batch work per event-loop turn, so their figure is lower than a paced run's.`,
    );
  }
  lines.push(...failedSectionLines(r.errors));
  return `${lines.join('\n')}\n`;
}
