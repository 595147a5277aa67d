/** Renders the Responses bench's results as the "## Responses API (issue #14)" section of BENCHMARKS.md. */
import type { Comparison, ResponsesResults, RunFigures, SideFigures } from './responses-bench';
import { int, ms, signed } from '../shared/report-format';
import { busyMachineLines, failedSectionLines, gatewayVsDirectLines, overheads, runCells, runFactLines, verificationLines } from '../shared/report-lines';

/** Issue #14 §6's goal: a translated Responses call costs aigw at most this many times the CPU of a native chat call. */
export const CPU_RATIO_GOAL = 1.5;

/** One run's aigw CPU per call, µs (gateway side). */
export const cpuUs = (r: RunFigures): number => (r.ok > 0 && r.gatewayCpuS !== undefined ? (r.gatewayCpuS * 1e6) / r.ok : Number.NaN);
const ratio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const verdict = (n: number): string => (Number.isFinite(n) && n <= CPU_RATIO_GOAL ? 'PASS' : 'MISS');

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
    side === 'gateway' ? f.runs.map((x) => int(cpuUs(x))).join(', ') : '',
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

/** The CPU goal for one streaming mode: each translated scenario's aigw CPU per call over native chat's, pooled and per round. */
function cpuGoalLines(r: ResponsesResults, streamed: boolean, paced: boolean): string[] {
  const of = (scenario: string) => r.comparisons.find((c) => c.scenario === scenario && c.streamed === streamed && c.paced === paced);
  const chat = of('chat');
  const mode = `${streamed ? 'streamed' : 'non-streamed'}, ${paced ? 'paced' : 'closed loop'}`;
  if (!chat) return [`- ${mode}: not measured (see "Sections that failed")`];
  const lines = [`- ${mode}: native chat costs aigw ${int(chat.gateway.gatewayCpuUsPerCall)} µs per call (per round ${chat.gateway.runs.map((x) => int(cpuUs(x))).join(', ')} µs).`];
  for (const scenario of ['responses-chat', 'responses-anthropic', 'responses-native', 'responses-native-stored']) {
    const c = of(scenario);
    if (!c) {
      lines.push(`  - ${scenario}: not measured (not selected, or failed verification: see "Sections that failed")`);
      continue;
    }
    const pooled = (c.gateway.gatewayCpuUsPerCall ?? Number.NaN) / (chat.gateway.gatewayCpuUsPerCall ?? Number.NaN);
    const rounds = c.gateway.runs.map((run, i) => cpuUs(run) / cpuUs(chat.gateway.runs[i] ?? run));
    const perRound = rounds.map((x, i) => `round ${i + 1} ${ratio(x)} ${verdict(x)}`).join(', ');
    if (c.translated && paced) {
      const pass = verdict(pooled) === 'PASS' && rounds.every((x) => verdict(x) === 'PASS');
      lines.push(`  - ${c.title.split(',')[0]}: ${int(c.gateway.gatewayCpuUsPerCall)} µs per call, ${ratio(pooled)} native chat pooled: **${pass ? 'PASS' : 'MISS'}** (${perRound})`);
    } else {
      const why = c.translated ? 'a closed loop, not the goal\'s figure' : 'native, not the goal\'s subject';
      lines.push(`  - ${c.title.split(',')[0]}, for reading (${why}): ${int(c.gateway.gatewayCpuUsPerCall)} µs per call, ${ratio(pooled)} native chat (per round ${rounds.map(ratio).join(', ')})`);
    }
  }
  return lines;
}

/** p99 overhead over direct of each paced comparison, pooled and per round (reported as measured; issue #14 sets no latency goal). */
function overheadLines(r: ResponsesResults): string[] {
  return r.comparisons
    .filter((c) => c.paced)
    .map((c) => {
      const last = overheads(c, (f) => f.latency.p99, Number.POSITIVE_INFINITY);
      const first = c.streamed ? overheads(c, (f) => f.firstContent?.p99, Number.POSITIVE_INFINITY) : undefined;
      return (
        `- ${c.title}: p99 overhead ${signed(last.pooled)} ms pooled (per round ${last.rounds.map(signed).join(', ')} ms)` +
        (first ? `; to the first content byte ${signed(first.pooled)} ms (per round ${first.rounds.map(signed).join(', ')} ms)` : '')
      );
    });
}

export function renderResponsesSection(r: ResponsesResults): string {
  const lines: string[] = [];
  const s = r.settings;
  lines.push('## Responses API (issue #14)');
  lines.push('');
  lines.push(...runFactLines(r, 'the per-round columns show'));
  lines.push(`- Versions: node ${r.versions.node}, undici ${r.versions.undici}, aigw ${r.versions.aigw} at ${r.versions.gitHead} (${r.versions.gitDirty})`);
  lines.push(
    `- Command: \`${r.commands.env ? `${r.commands.env} ` : ''}BENCH_ONLY=responses bash bench/run.sh\`` +
      ' (also part of `npm run bench`: compiles, then `taskset -c 0 node -r ts-node/register/transpile-only bench/responses/responses-bench.ts`, and stops every process it started). Settings: `BENCH_RESPONSES_*` variables (head of `bench/responses/responses-bench.ts`); raw figures in `bench/out/responses/results.json`; `BENCH_RENDER=1` re-renders this section from them.',
  );
  lines.push(`- Pinning: ${r.commands.pinning ?? 'n/a'}. aigw: \`${r.commands.aigw ?? 'n/a'}\`; simulator: \`${r.commands.simulator ?? 'n/a'}\`.`);
  lines.push(
    `- Upstream: the bundled upstream simulator (src/simulator, compiled; OpenAI chat completions and Responses, Anthropic Messages; ${s.streamChunks} text deltas per streamed answer). The gateway's config is built from the constructs: one model route with \`gpt-4o\` on \`Backend({ provider: 'openai' })\`, \`deepseek-chat\` on \`Backend({ provider: 'deepseek' })\` (chat completions only) and \`claude-sonnet-4-5\` on \`Backend({ provider: 'anthropic' })\`, each with base URL \`<sim>/v1\` and a key, one consumer granted all; changed after synthesis: ${r.configChanges.join('; ') || 'nothing'}.`,
  );
  lines.push(
    `- The scenarios (${s.scenarios.join(', ')}): each compares a call through aigw with the call aigw makes upstream, sent to the simulator by the bench itself, so the overhead is everything aigw adds (auth, routing, translation both ways, one more hop). Native chat (\`/v1/chat/completions\` on the OpenAI backend) is the yardstick; Responses on the OpenAI backend goes through as the client sent it; on DeepSeek aigw translates it to chat completions and the answer back to a Response (streamed: the typed \`response.*\` events); on Anthropic to Messages and back. Every side asks the same prompt, "hello", and gets the same text; Responses calls send \`store: false\`, except the stored native scenario, which leaves \`store\` to its default (true), so that aigw records whose each response is (in memory: the bench gateway has no Redis).`,
  );
  lines.push(
    `- Load: ${s.connections} concurrent clients per side, each a closed loop with one request in flight over its own undici keep-alive connection (raw POSTs, no SDK per call). Every answer is checked (HTTP 200; whole answers: the text; streams: their end, \`data: [DONE]\`, \`response.completed\` or \`message_stop\`); the verification below reassembles whole answers on every side. Closed loops find each side's throughput; the paced runs send one fixed total rate for every scenario (30% of the lowest closed-loop throughput unless \`BENCH_RESPONSES_RATE\`), below saturation, so that their latency is not queueing and their CPU per call is taken at the same load. Streamed calls are timed to the last byte and to the first content byte (the first non-empty text delta).`,
  );
  lines.push(
    `- Rounds: ${s.shortRounds} closed-loop round(s) of ${s.shortRoundS} s and ${s.rounds} paced rounds of ${s.roundS} s per side; each round runs every scenario's gateway side, then its direct side, in turn, so a round's figures of all scenarios are taken within a minute of each other; the first round of each comparison starts with an unrecorded ${s.warmupS} s warm-up of each side; before each round the bench waited up to ${s.quietWaitS} s for other load to drop below 0.5 core (${(r.quietWaitedS ?? 0).toFixed(0)} s in all, at most 30). Latencies are pooled over the rounds; overhead = aigw's percentile − direct's percentile. "aigw CPU per call" = CPU seconds of the aigw process over its runs (from /proc) ÷ calls; the simulator's likewise, for scale.`,
  );
  lines.push(...busyMachineLines(r.comparisons, r.machine.nproc));
  lines.push(...verificationLines(r.verification));
  lines.push(
    ...gatewayVsDirectLines(
      '| Comparison | Operation | calls/s | p50 (ms) | p99 (ms) | Overhead p50 / p99 (ms) | First content p50 / p99 (ms) | First-content overhead p50 / p99 (ms) | aigw CPU per call (µs) | aigw CPU per call, per round (µs) | Simulator CPU per call (µs) | Per-round p99 (ms) | Errors | Other load (cores, max) | CPU 0 / CPU 1 busy |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      r.comparisons,
      row,
    ),
  );
  lines.push('');
  lines.push(`### Goal (issue #14 §6: translated Responses within ${CPU_RATIO_GOAL}× the aigw CPU per call of native chat; reported as measured, not enforced)`);
  lines.push('');
  lines.push('Read on the paced runs, round by round (the same round of native chat is the divisor); a closed loop batches work per event-loop turn and runs each side at its own rate, so its figures are given for reading only.');
  lines.push('');
  for (const streamed of [false, true]) lines.push(...cpuGoalLines(r, streamed, true));
  for (const streamed of [false, true]) lines.push(...cpuGoalLines(r, streamed, false).map((l) => (l.startsWith('- ') ? `- for reading, ${l.slice(2)}` : l)));
  lines.push('');
  lines.push('### Overhead over direct (paced; reported as measured)');
  lines.push('');
  lines.push(...overheadLines(r));
  lines.push(...failedSectionLines(r.errors));
  return `${lines.join('\n')}\n`;
}
