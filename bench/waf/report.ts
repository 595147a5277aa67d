/** Renders the WAF bench's results as the "## WAF (issue #16)" section of BENCHMARKS.md. */
import { ENGINE_TIMING_METHOD } from './engine-timing';
import { type Comparison, type ScenarioFigures } from './figures';
import { SHAPE_KEYS, type ShapeKey } from './requests';
import { SCENARIO_KEYS, type ScenarioKey, YARDSTICK } from './scenarios';
import type { WafResults } from './waf-bench';
import { cpuDifference, cpuUs, type Difference, p99Difference } from '../shared/cpu-differences';
import { int, mean, ms, signed } from '../shared/report-format';
import { failedSectionLines, runFactLines, verificationLines } from '../shared/report-lines';

/** Issue #16 §2's goals: added aigw CPU per request with the default rules, µs. */
export const GOAL_US: Record<ShapeKey, number> = { typical: 50, large: 1000 };

const us = (n: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(1)}` : 'n/a');

function row(c: Comparison, key: ScenarioKey, f: ScenarioFigures, title: string): string {
  const base = c.scenarios[YARDSTICK];
  const isBase = key === YARDSTICK || !base;
  const cpu = isBase ? undefined : cpuDifference(f, base);
  const p99 = isBase ? undefined : p99Difference(f, base);
  const firstError = f.runs.find((r) => r.firstError)?.firstError;
  return [
    title,
    int(f.perS),
    ms(f.latency.p50),
    ms(f.latency.p99),
    p99 ? signed(p99.pooled) : '',
    p99 ? p99.rounds.map(signed).join(', ') : '',
    f.cpuUsPerCall.toFixed(1),
    f.runs.map((r) => cpuUs(r).toFixed(0)).join(', '),
    cpu ? us(cpu.pooled) : '',
    cpu ? `${us(cpu.median)} (${cpu.rounds.map((x) => us(x)).join(', ')})` : '',
    int(f.upstreamCpuUsPerCall),
    `${f.errors}${firstError ? ` (${firstError})` : ''}`,
    Math.max(0, ...f.runs.map((r) => r.foreignCores)).toFixed(2),
    `${mean(f.runs.map((r) => r.cpu0Busy))} / ${mean(f.runs.map((r) => r.cpu1Busy))}`,
  ]
    .join(' | ')
    .replace(/^/, '| ')
    .concat(' |');
}

function tableLines(r: WafResults): string[] {
  const lines = [
    '',
    '### Each scenario against no WAF',
    '',
    '| Comparison, scenario | requests/s | p50 (ms) | p99 (ms) | p99 added (ms) | p99 added, per round (ms) | aigw CPU per request (µs) | aigw CPU per request, per round (µs) | CPU added per request (µs) | CPU added, median of rounds (each round) (µs) | Simulator CPU per request (µs) | Errors | Other load (cores, max) | CPU 0 / CPU 1 busy |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.comparisons) {
    let first = true;
    for (const key of SCENARIO_KEYS) {
      const f = c.scenarios[key];
      if (!f) continue;
      const name = r.declared?.[key]?.title ?? key;
      lines.push(row(c, key, f, first ? `**${c.title}**<br>${name}` : name));
      first = false;
    }
  }
  return lines;
}

function engineLines(r: WafResults): string[] {
  const timings = r.engineTimings ?? {};
  const keys = SCENARIO_KEYS.filter((k) => timings[k] !== undefined);
  if (keys.length === 0) return [];
  const lines = [
    '',
    '### The engine alone',
    '',
    `The time \`inspect\` takes on each request in the driver's process, with the engine the gateway compiles from the scenario's config: ${ENGINE_TIMING_METHOD}. It is the inspection itself (headers, request line, the parsed body), without what the gateway does around it; the gateway parses the body whether or not it has a WAF.`,
    '',
    '| Scenario, request | µs per request (median batch) | fastest – slowest batch (µs) | Rules matched |',
    '|---|---:|---:|---|',
  ];
  for (const key of keys) {
    for (const shape of SHAPE_KEYS) {
      const t = timings[key]?.[shape];
      if (!t) continue;
      lines.push(`| ${r.declared?.[key]?.title ?? key}, ${r.shapes?.[shape]?.title ?? shape} | ${t.usPerRequest.toFixed(1)} | ${t.minUs.toFixed(1)} – ${t.maxUs.toFixed(1)} | ${t.matched.join(', ') || 'none'} |`);
    }
  }
  return lines;
}

const verdict = (d: Difference, goal: number): string => (d.pooled <= goal && d.median <= goal ? 'PASS' : 'MISS');

/** One scenario read against no WAF in one comparison: its CPU and p99 added, pooled and per round; with the verdict when `goal` is given. */
function readingLine(c: Comparison, key: ScenarioKey, what: string, goal: number | undefined): string {
  const fa = c.scenarios[key];
  const fb = c.scenarios[YARDSTICK];
  if (!fa || !fb) return `  - ${what}: not measured (not selected, or failed: see "Sections that failed")`;
  const cpu = cpuDifference(fa, fb);
  const p99 = p99Difference(fa, fb);
  const head = `  - ${what}: ${us(cpu.pooled)} µs of aigw CPU per request (${fa.cpuUsPerCall.toFixed(1)} against ${fb.cpuUsPerCall.toFixed(1)}), median of rounds ${us(cpu.median)} µs (each round ${cpu.rounds.map((x) => us(x)).join(', ')})`;
  const tail = `; p99 ${signed(p99.pooled)} ms (each round ${p99.rounds.map(signed).join(', ')} ms)`;
  return goal === undefined ? `${head}${tail}` : `${head}: **${verdict(cpu, goal)}** (goal ≤ ${goal} µs)${tail}`;
}

function goalLines(r: WafResults): string[] {
  const lines: string[] = [];
  for (const paced of [true, false]) {
    for (const c of r.comparisons.filter((x) => x.paced === paced)) {
      lines.push(`- ${paced ? '' : "For reading (a closed loop, not the goal's figure): "}${c.title}:`);
      lines.push(readingLine(c, 'on', 'the WAF with its default rules against no WAF', paced ? GOAL_US[c.shape] : undefined));
      lines.push(readingLine(c, 'on-messages', 'the WAF reading message text too (detect) against no WAF, for reading: no goal', undefined));
    }
  }
  return lines;
}

/** The warning of a run taken on a busy machine, if it was. */
function busyLines(r: WafResults): string[] {
  const noisiest = Math.max(0, ...r.comparisons.flatMap((c) => Object.values(c.scenarios).flatMap((f) => f.runs.map((x) => x.foreignCores))));
  if (noisiest <= 0.5) return [];
  return [
    `- **This run was taken on a busy machine** (other load up to ${noisiest.toFixed(2)} of its ${r.machine.nproc} cores): other load on CPU 1 delays aigw and costs it cache and scheduler time, which shows in its latency (p99 first) and CPU per request; rounds run every scenario within seconds of each other, so a difference read in one round is less affected than a figure alone. Rerun in a quiet period before reading the differences against the goals.`,
  ];
}

function orderLine(r: WafResults): string {
  const c = r.comparisons.find((x) => x.paced) ?? r.comparisons[0];
  if (!c) return '';
  return ` (the first paced comparison's orders: ${c.orders.map((o) => o.join(' → ')).join('; ')})`;
}

function matchedLine(r: WafResults): string[] {
  const m = r.matchedRules?.['on-messages'];
  if (!m || Object.keys(m).length === 0) return [];
  const parts = SHAPE_KEYS.filter((k) => m[k]).map((k) => `the ${r.shapes?.[k]?.title ?? k} matches ${m[k]!.join(', ')}`);
  return [
    `- With message text read (\`inspectMessages\`), ${parts.join('; ')}: SQL, HTML and shell in a code review are what those rules look for, which is why message text is not read by default on model routes. In detect mode each such request is let through and costs a warn log line and the match counters, included in that scenario's figures.`,
  ];
}

export function renderWafSection(r: WafResults): string {
  const lines: string[] = [];
  const s = r.settings;
  lines.push('## WAF (issue #16)');
  lines.push('');
  lines.push(...runFactLines(r, 'the per-round columns show'));
  lines.push(`- Versions: node ${r.versions.node}, undici ${r.versions.undici}, aigw ${r.versions.aigw} at ${r.versions.gitHead} (${r.versions.gitDirty})`);
  lines.push(
    `- Command: \`${r.commands.env ? `${r.commands.env} ` : ''}BENCH_ONLY=waf bash bench/run.sh\`` +
      ' (also part of `npm run bench`: compiles, then `taskset -c 0 node -r ts-node/register/transpile-only bench/waf/waf-bench.ts`, and stops every process it started). Settings: `BENCH_WAF_*` variables (head of `bench/waf/waf-bench.ts`); raw figures in `bench/out/waf/results.json`; `BENCH_RENDER=1` re-renders this section from them.',
  );
  lines.push(`- Pinning: ${r.commands.pinning ?? 'n/a'}. aigw (no WAF; the others alike, each with its own config): \`${r.commands.aigw ?? 'n/a'}\`; simulator: \`${r.commands.simulator ?? 'n/a'}\`.`);
  lines.push(
    `- Upstream: the bundled upstream simulator (src/simulator, compiled). Each scenario's gateway is its own \`aigw serve\` (the WAF is declared on the gateway), its config built from the constructs: one model route with \`gpt-4o\` on \`Backend({ provider: 'openai' })\` at \`<sim>/v1\`, the built-in key auth, one consumer granted all, and the scenario's \`waf\`; changed after synthesis: ${r.configChanges.join('; ') || 'nothing'}.`,
  );
  lines.push('- The scenarios:');
  for (const key of SCENARIO_KEYS) {
    const d = r.declared?.[key];
    if (d) lines.push(`  - ${d.title}: ${d.declared}.`);
  }
  lines.push(
    "- The requests, each `POST /v1/chat/completions` (not streamed) as the OpenAI JS SDK sends it: `user-agent: OpenAI/JS 5.8.2`, the SDK's `x-stainless-*` headers, `accept` and `content-type: application/json`, the consumer's key as `Authorization: Bearer` (`bench/waf/requests.ts`); each request's `user` and `metadata.session` are its own (as an application's end users and sessions are), so that the WAF's memo of values it found clean serves only what repeats across requests (headers, keys, the model name, the other tags):",
  );
  for (const key of SHAPE_KEYS) {
    const shape = r.shapes?.[key];
    if (shape) lines.push(`  - ${shape.title} (${int(shape.bodyBytes)} bytes of JSON): ${shape.described}.`);
  }
  lines.push(...matchedLine(r));
  lines.push(
    "- Peers: no peer's WAF can run here: Higress's is Coraza (with the OWASP Core Rule Set) inside Envoy, and this machine has no Docker, no Go toolchain and no Go module proxy to build or run it; the figures are aigw against itself without a WAF.",
  );
  lines.push(
    `- Load: ${s.connections} concurrent clients, each a closed loop with one request in flight over its own undici keep-alive connection (raw POSTs, no SDK per call). Every answer is checked: HTTP 200 and the simulator's text (its echo of the user message), so a request the WAF refused (a false positive) counts as an error. Closed loops find each scenario's throughput; the paced runs send one fixed rate for every scenario of a request shape (30% of the lower closed-loop throughput of no WAF and the default rules, unless \`BENCH_WAF_RATE\`), below their saturation, so that latency is not queueing and CPU per request is taken at the same load; the WAF reading message text is not read against a goal and does not set the rate: where it cannot keep up, it runs as fast as it can (its requests/s falls short of the rate, and its latency is queueing).`,
  );
  lines.push(
    `- Rounds: ${s.shortRounds} closed-loop round(s) of ${s.shortRoundS} s and ${s.rounds} paced rounds of ${s.roundS} s per scenario, the typical request then the 64 KiB one, each after an unrecorded ${s.warmupS} s warm-up of every scenario; each round runs every scenario in turn, starting one further along each round${orderLine(r)}, so that a round's figures are taken within seconds of each other; before each round the bench waited up to ${s.quietWaitS} s for other load to drop below 0.5 core (${(r.quietWaitedS ?? 0).toFixed(0)} s in all, at most 30).`,
  );
  lines.push(
    `- Figures: "aigw CPU per request" = CPU time of the scenario's aigw process over its runs ÷ requests, read from ${r.cpuSource ?? 'n/a'}; the simulator's from /proc ticks, for scale. "Added" = a scenario's figure − no WAF's, pooled over the rounds and round by round (the same round of each); the median of the rounds is shown beside the pooled figure, so that one disturbed round cannot carry it. Latencies are pooled over the rounds; p99 added is a difference of percentiles, not a percentile of differences.`,
  );
  lines.push(...busyLines(r));
  lines.push(...verificationLines(r.verification));
  lines.push(...tableLines(r));
  lines.push(...engineLines(r));
  lines.push('');
  lines.push(`### Goals (issue #16 §2: ≤ ${GOAL_US.typical} µs of CPU added per typical chat request, ≤ ${GOAL_US.large / 1000} ms per 64 KiB one, with the default rules; reported as measured, not enforced)`);
  lines.push('');
  lines.push(
    'Read on the paced runs: **PASS** when the CPU added per request is at most the goal both pooled and as the median of the rounds. The WAF reading message text is given for reading. A closed loop batches work per event-loop turn and runs each scenario at its own rate, so its figures are for reading only. The worst case of the engine (no input over 10 ms) is measured by `bench/waf/worst-case.ts`.',
  );
  lines.push('');
  lines.push(...goalLines(r));
  lines.push(...failedSectionLines(r.errors));
  return `${lines.join('\n')}\n`;
}
