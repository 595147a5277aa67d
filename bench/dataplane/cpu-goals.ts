/**
 * The Goals rows of issue #18's measures: CPU per request against Portkey and nginx (per rate and kind),
 * the longest event-loop stall of a reload, and POD_CAPACITY.qps against the measured capacity.
 */
import type { CpuRow } from './cpu-types';
import { POD_CAPACITY } from '../../src/specs';
import type { Goal, Results } from '../dataplane-bench';

export interface CpuGoals {
  readonly cpuVsPortkey: number;
  readonly cpuVsNginx: number;
  readonly reloadStallMs: number;
  readonly capacityHeadroom: number;
  readonly capacityOverheadMs: number;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const kindLabel = (kind: string) => (kind === 'chat' ? 'non-streaming' : 'streaming (10 chunks)');
const us = (row: CpuRow) => `${fmt(row.usPerRequest)} µs${row.saturated ? ' (saturated)' : ''}`;

export function evaluateCpuGoals(r: Results, g: CpuGoals): Goal[] {
  const goals: Goal[] = [];
  const cpu = r.cpu ?? [];
  for (const kind of ['chat', 'stream'] as const) {
    for (const rate of [...new Set(cpu.map((x) => x.rate))]) {
      const get = (k: string) => cpu.find((x) => x.contender === k && x.kind === kind && x.rate === rate);
      const a = get('aigw');
      if (!a) continue;
      const p = get('portkey');
      const n = get('nginx');
      const at = `${kindLabel(kind)}, ${fmt(rate)} req/s`;
      if (p) {
        goals.push({
          name: `CPU per request vs Portkey (${at})`,
          target: `≤ 1/${g.cpuVsPortkey} of Portkey's`,
          measured: `aigw ${us(a)} vs Portkey ${us(p)}`,
          ratio: `${(a.usPerRequest / p.usPerRequest).toFixed(3)}×`,
          pass: a.usPerRequest * g.cpuVsPortkey <= p.usPerRequest && a.result.errors === 0,
        });
      }
      if (n) {
        goals.push({
          name: `CPU per request vs nginx (${at})`,
          target: `≤ ${g.cpuVsNginx}× nginx's`,
          measured: `aigw ${us(a)} vs nginx ${us(n)}`,
          ratio: `${(a.usPerRequest / n.usPerRequest).toFixed(2)}×`,
          pass: a.usPerRequest <= g.cpuVsNginx * n.usPerRequest && a.result.errors === 0,
        });
      }
    }
  }
  const loaded = r.reload?.stalls ?? [];
  const idle = r.reload?.idleStalls ?? [];
  if (r.reload && loaded.length + idle.length > 0) {
    // Judged on the swaps with no load when there are any: under wrk the loop delay includes queueing
    // behind whole batches of requests, which the same load without a swap shows too.
    const judged = idle.length > 0 ? idle : loaded;
    const worst = Math.max(...judged.map((s) => s.stallMs));
    const list = (stalls: typeof loaded) => {
      const blocked = stalls.map((s) => s.blockedMs).filter((x): x is number => x !== undefined);
      return (
        `${stalls.map((s) => fmt(s.stallMs, 1)).join(', ')} ms (no swap: up to ${fmt(Math.max(...stalls.map((s) => s.baselineMs ?? 0)), 1)} ms)` +
        `${blocked.length ? `, blockedMs logged ${blocked.map((b) => fmt(b, 1)).join(', ')}` : ''}`
      );
    };
    goals.push({
      name: `Longest event-loop stall during a ${fmt(r.reload.routes)}-route reload${idle.length > 0 ? ' (no load; under load shown too)' : ' (under load)'}`,
      target: `≤ ${g.reloadStallMs} ms`,
      measured: [idle.length ? `no load: ${list(idle)}` : '', loaded.length ? `under wrk load: ${list(loaded)}` : ''].filter(Boolean).join('; '),
      ratio: `${(worst / g.reloadStallMs).toFixed(2)}× the budget`,
      pass: worst <= g.reloadStallMs,
    });
  }
  const searches = r.capacitySearch ?? [];
  if (searches.length > 0) {
    const lowest = searches.reduce((m, s) => (s.capacity < m.capacity ? s : m));
    const allowed = lowest.capacity / g.capacityHeadroom;
    goals.push({
      name: `POD_CAPACITY.qps (${fmt(POD_CAPACITY.qps)}) ≤ the lower measured capacity (p99 overhead ≤ ${g.capacityOverheadMs} ms) / ${g.capacityHeadroom}`,
      target: `margin ≥ ${fmt((g.capacityHeadroom - 1) * 100)}%`,
      measured: searches.map((s) => `${kindLabel(s.kind)} ${s.atLeast ? '≥ ' : ''}${fmt(s.capacity)} req/s`).join('; '),
      ratio: `margin ${fmt((lowest.capacity / POD_CAPACITY.qps - 1) * 100)}%${lowest.atLeast ? ' or more' : ''}`,
      pass: POD_CAPACITY.qps <= allowed,
    });
  }
  return goals;
}
