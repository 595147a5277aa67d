/**
 * What the HTTPS bench records: each contender side's run of a load in a round (the comparison benches' RunFigures),
 * and each side of each load added up over the rounds.
 */
import type { LoadKey } from './settings';
import { type RunFigures, sumRuns } from '../shared/comparison-figures';
import { median } from '../shared/cpu-differences';

/** One process per product serves both its plain port and its TLS port: each port is a side. */
export const SIDE_KEYS = ['nginx-plain', 'nginx-tls', 'aigw-plain', 'aigw-tls'] as const;
export type SideKey = (typeof SIDE_KEYS)[number];

export const SIDE_TITLES: Record<SideKey, string> = {
  'nginx-plain': 'nginx, plain HTTP',
  'nginx-tls': 'nginx, TLS',
  'aigw-plain': 'aigw, plain HTTP',
  'aigw-tls': 'aigw, TLS',
};

export interface TlsRun extends RunFigures {
  /** Handshake loads: how many of the handshakes resumed a session. */
  readonly resumed?: number;
}

export interface SideFigures {
  readonly runs: TlsRun[];
  readonly ok: number;
  readonly errors: number;
  /** Operations per second over all the rounds (requests, or handshakes). */
  readonly perS: number;
  /** The contender's CPU per operation, µs, over all the rounds (process tree, /proc ticks). */
  readonly cpuUsPerOp: number;
  /** The simulator's CPU per operation, µs (0 for handshakes, which never reach it). */
  readonly upstreamCpuUsPerOp: number;
  /** The median of the rounds' p50 and p99, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface LoadFigures {
  readonly key: LoadKey;
  readonly title: string;
  /** The load generator's command, as run (paths and the key elided). */
  readonly command: string;
  /** The load's runs, added up, seconds. */
  readonly seconds: number;
  /** What each side's connection negotiated, as the load generator saw it (h2load, the handshake client). */
  readonly negotiated: Partial<Record<SideKey, string>>;
  readonly sides: Partial<Record<SideKey, SideFigures>>;
}

export function sideFigures(runs: TlsRun[]): SideFigures {
  const sum = sumRuns(runs);
  const perOp = (seconds: number): number => (sum.ok > 0 ? (seconds * 1e6) / sum.ok : Number.NaN);
  return {
    runs,
    ok: sum.ok,
    errors: sum.errors,
    perS: sum.perS,
    cpuUsPerOp: perOp(sum.gatewayCpuS),
    upstreamCpuUsPerOp: perOp(sum.upstreamCpuS),
    p50Ms: median(runs.map((r) => r.latency.p50)),
    p99Ms: median(runs.map((r) => r.latency.p99)),
  };
}
