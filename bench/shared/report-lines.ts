/** The parts of the MCP and agents sections of BENCHMARKS.md that read the same: the run's facts, the verification, the table's common cells, the goal, the failures. */
import type { RunFigures } from './comparison-figures';
import type { ComparisonResults } from './comparison-results';
import { mean, ms, spread } from './report-format';

type AnyResults = ComparisonResults<unknown, unknown>;

/** `perRound`: how the section's per-round figures are named, e.g. 'the per-round columns show'. */
export function runFactLines(r: AnyResults, perRound: string): string[] {
  return [
    `- Date: ${r.startedAt} (run took ${r.durationS?.toFixed(0) ?? '?'} s)`,
    `- Machine: nproc ${r.machine.nproc}, CPU "${r.machine.cpuModel}", ${r.machine.kernel}; load average at start ${r.machine.loadAverageStart}, at end ${r.machine.loadAverageEnd ?? '?'}. The machine is shared and noisy: "other load" is CPU used during each run by processes that are not this bench, in cores, and ${perRound} how far rounds of the same run spread.`,
  ];
}

interface Sides {
  readonly gateway: { readonly runs: readonly RunFigures[] };
  readonly direct: { readonly runs: readonly RunFigures[] };
}

/** The warning of a run taken on a busy machine, if it was; `cores`: how many the machine has, as the line says it. */
export function busyMachineLines(comparisons: readonly Sides[], cores: string): string[] {
  const noisiest = Math.max(0, ...comparisons.flatMap((c) => [...c.gateway.runs, ...c.direct.runs].map((x) => x.foreignCores)));
  if (noisiest <= 0.5) return [];
  return [
    `- **This run was taken on a busy machine** (other load up to ${noisiest.toFixed(2)} of its ${cores} cores): aigw shares CPU 1 with that load and the direct path does not use CPU 1 at all, so aigw's latency (p99 first) and the overheads below carry the other load, not only aigw's cost. Rerun in a quiet period before reading the overhead against the goal.`,
  ];
}

export function verificationLines(verification: readonly string[]): string[] {
  return ['', '### Verification (before any load)', '', ...verification.map((v) => `- ${v}`)];
}

/** The "Gateway vs direct" table: `head` and `align` its first two lines, then each comparison's gateway row and direct row. */
export function gatewayVsDirectLines<C extends { readonly gateway: F; readonly direct: F }, F>(head: string, align: string, comparisons: readonly C[], row: (c: C, side: 'gateway' | 'direct', f: F) => string): string[] {
  return ['', '### Gateway vs direct', '', head, align, ...comparisons.flatMap((c) => [row(c, 'gateway', c.gateway), row(c, 'direct', c.direct)])];
}

/** The cells every gateway-vs-direct row ends with, from one side's runs. */
export function runCells(runs: readonly RunFigures[], errors: number): { perRoundP99: string; errors: string; otherLoad: string; busy: string } {
  const firstError = runs.find((r) => r.firstError)?.firstError;
  return {
    perRoundP99: spread(
      runs.map((r) => r.latency.p99),
      ms,
    ),
    errors: `${errors}${firstError ? ` (${firstError})` : ''}`,
    otherLoad: Math.max(0, ...runs.map((r) => r.foreignCores)).toFixed(2),
    busy: `${mean(runs.map((r) => r.cpu0Busy))} / ${mean(runs.map((r) => r.cpu1Busy))}`,
  };
}

/**
 * aigw's figure minus direct's, pooled and per round; the goal holds when both are within `goalMs`
 * (one round where the direct side stalled makes the pooled difference negative, which is no pass).
 */
export function overheads<F, R>(c: { readonly gateway: F & { readonly runs: readonly R[] }; readonly direct: F & { readonly runs: readonly R[] } }, pick: (f: F | R) => number | undefined, goalMs: number): { pooled: number; rounds: number[]; pass: boolean } {
  const at = (f: F | R | undefined): number => (f === undefined ? Number.NaN : (pick(f) ?? Number.NaN));
  const pooled = at(c.gateway) - at(c.direct);
  const rounds = c.gateway.runs.map((g, i) => at(g) - at(c.direct.runs[i]));
  return { pooled, rounds, pass: pooled <= goalMs && rounds.every((o) => o <= goalMs) };
}

export function failedSectionLines(errors: readonly string[]): string[] {
  return errors.length > 0 ? ['', '### Sections that failed', '', ...errors.map((e) => `- ${e}`)] : [];
}
