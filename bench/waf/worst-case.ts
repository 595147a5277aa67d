/**
 * The WAF's worst case (issue #16: no input makes one request cost more than 10 ms of inspection). Every adversarial
 * request of adversarial-requests.ts is inspected under three settings (the defaults of a model route, every family
 * on, every family on with message text inspected): once each to find the slowest candidates, then those again,
 * several times each, reporting the median. Prints a Markdown table for BENCHMARKS.md (progress goes to stderr).
 *
 *   node -r ts-node/register/transpile-only bench/waf/worst-case.ts
 *
 * Settings: BENCH_WAF_WORST_TOP (candidates re-timed per slot and setting, default 3), BENCH_WAF_WORST_RUNS (runs of each,
 * default 9), BENCH_WAF_WORST_SLOTS (slot names separated by `;`, default all).
 */
import { compileWaf, type WafEngine, type WafEngineOptions } from '../../src/dataplane/waf/engine';
import { type AdversarialCase, adversarialCases, adversarialRequest, SLOT_NAMES } from './adversarial-requests';

const TOP = Number(process.env.BENCH_WAF_WORST_TOP ?? 3);
const RUNS = Number(process.env.BENCH_WAF_WORST_RUNS ?? 9);
const SLOTS = process.env.BENCH_WAF_WORST_SLOTS?.split(';').map((s) => s.trim());
const GOAL_MS = 10;

const EVERY_FAMILY = { 'sqli': true, 'xss': true, 'traversal': true, 'cmdi': true, 'protocol': true, 'prompt-injection': true } as const;
// Without the memo of clean values: each request is timed more than once, and would otherwise meet its own values again.
const SETTINGS: ReadonlyArray<{ readonly name: string; readonly options: WafEngineOptions }> = [
  { name: 'defaults (model route)', options: { memoizeCleanValues: false } },
  { name: 'every family on', options: { families: EVERY_FAMILY, memoizeCleanValues: false } },
  { name: 'every family on + inspectMessages', options: { families: EVERY_FAMILY, inspectMessages: true, memoizeCleanValues: false } },
];

interface Timed {
  readonly c: AdversarialCase;
  readonly ms: number;
}

/**
 * The process's CPU time in ms (process.cpuUsage, user and system, µs resolution): on a busy machine a run's wall time
 * includes the time other processes had the core, its CPU time does not. It includes V8's helper threads (a parallel
 * collection of the request's garbage), which a request does cost.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function timeOnce(engine: WafEngine, request: Parameters<WafEngine['inspect']>[0]): number {
  const start = cpuMs();
  engine.inspect(request);
  return cpuMs() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  if (SLOTS) for (const s of SLOTS) if (!SLOT_NAMES.includes(s)) throw new Error(`BENCH_WAF_WORST_SLOTS names ${JSON.stringify(s)}, which is no slot: the slots are ${SLOT_NAMES.join(', ')}`);
  const engines = SETTINGS.map((s) => compileWaf(s.options));
  const cases = adversarialCases().filter((c) => !SLOTS || SLOTS.includes(c.slot));
  log(`${cases.length} requests × ${SETTINGS.length} settings; then the ${TOP} slowest per setting ${RUNS} times each`);

  // Every pattern runs a few times first, so the screening times compiled regular expressions, not their first run.
  for (const c of adversarialCases().filter((x) => x.slot === 'everything at its limit')) {
    const { request } = adversarialRequest(c);
    for (const engine of engines) engine.inspect(request);
  }

  // Screening: each request per setting, keeping per slot and setting the slowest few.
  const screened = new Map<string, Timed[][]>(SLOT_NAMES.map((slot) => [slot, SETTINGS.map(() => [])]));
  cases.forEach((c, i) => {
    const { request } = adversarialRequest(c);
    // The faster of two runs: a collection of the previous request's garbage lands in one run, rarely in both.
    engines.forEach((engine, s) => screened.get(c.slot)![s].push({ c, ms: Math.min(timeOnce(engine, request), timeOnce(engine, request)) }));
    if (i % 500 === 0) log(`screened ${i}/${cases.length}`);
  });

  // Re-timing: the TOP slowest of each slot and setting, median of RUNS runs each (a single run is noisy: GC, other processes).
  const worst = new Map<string, Timed[]>();
  for (const [slot, perSetting] of screened) {
    if (perSetting[0].length === 0) continue;
    worst.set(
      slot,
      perSetting.map((timed, s) => {
        const top = [...timed].sort((a, b) => b.ms - a.ms).slice(0, TOP);
        const retimed = top.map(({ c }) => {
          const { request } = adversarialRequest(c);
          return { c, ms: median(Array.from({ length: RUNS }, () => timeOnce(engines[s], request))) };
        });
        return retimed.sort((a, b) => b.ms - a.ms)[0];
      }),
    );
    log(`${slot}: ${worst.get(slot)!.map((t, s) => `${SETTINGS[s].name} ${t.ms.toFixed(2)} ms on ${JSON.stringify(t.c.fragment)}`).join('; ')}`);
  }

  const bounded = [...worst].filter(([slot]) => !BODY_SIZED_SLOTS.includes(slot));
  const lines = [
    `Slowest request found per setting: the CPU time inspecting it, median of ${RUNS} runs (${cases.length} adversarial requests screened per setting, the ${TOP} slowest of each slot re-timed; node ${process.version}):`,
    '',
    '| setting | slowest request (slot × fragment repeated) | ms | ≤ 10 ms |',
    '|---|---|---:|---|',
    ...SETTINGS.map((setting, s) => {
      const [slot, timed] = bounded.reduce((a, b) => (b[1][s].ms > a[1][s].ms ? b : a));
      return `| ${setting.name} | ${slot} × ${cell(JSON.stringify(timed[s].c.fragment))} | ${timed[s].ms.toFixed(2)} | ${timed[s].ms <= GOAL_MS ? 'yes' : '**no**'} |`;
    }),
    '',
    'Slowest request of each slot (CPU ms, median; the fragment in brackets):',
    '',
    `| slot | ${SETTINGS.map((s) => s.name).join(' | ')} |`,
    `|---|${SETTINGS.map(() => '---').join('|')}|`,
    ...[...worst].map(([slot, timed]) => `| ${slot}${BODY_SIZED_SLOTS.includes(slot) ? ' (*)' : ''} | ${timed.map((t) => `${t.ms.toFixed(2)} (${cell(JSON.stringify(t.c.fragment))})`).join(' | ')} |`),
    ...bodySizedNote(worst),
    '',
    'Command: `node -r ts-node/register/transpile-only bench/waf/worst-case.ts` (BENCH_WAF_WORST_TOP, BENCH_WAF_WORST_RUNS, BENCH_WAF_WORST_SLOTS).',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * (*) A slot whose cost grows with the body, not with the WAF's limits: listing the keys of a JSON object with many
 * of them costs V8 time in proportion to their number (it sorts them, whatever API lists them), before the WAF can
 * read the first. The note puts it beside what parsing that body (which the gateway does first) costs.
 */
const BODY_SIZED_SLOTS = ['body 100,000 entries'];

function bodySizedNote(worst: ReadonlyMap<string, Timed[]>): string[] {
  return BODY_SIZED_SLOTS.filter((slot) => worst.has(slot)).map((slot) => {
    const { request } = adversarialRequest(worst.get(slot)![0].c);
    const json = JSON.stringify(request.body);
    const parse = median(Array.from({ length: RUNS }, () => {
      const start = cpuMs();
      JSON.parse(json);
      return cpuMs() - start;
    }));
    return `\n(*) ${slot}: a ${(json.length / 1024 / 1024).toFixed(1)} MiB body, an object of 100,000 keys. The WAF stops reading at its budget but V8 lists all the keys of an object before the first can be read; parsing this body (JSON.parse, before the WAF) takes ${parse.toFixed(2)} ms.`;
  });
}

/** A request's name in a table cell: pipes and control characters would break the row. */
function cell(s: string): string {
  return s.replace(/[|`]/g, (c) => `\\${c}`);
}

function log(message: string): void {
  process.stderr.write(`[waf worst-case] ${message}\n`);
}

main();
