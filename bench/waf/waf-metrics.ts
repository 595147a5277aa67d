/**
 * The WAF's match counters as aigw exposes them (`aigw_waf_matches_total{route,rule,action}` on the admin listener's
 * `/metrics`): how the verification tells which rules a request matched when the WAF let it through (detect mode).
 */

export interface WafMatchCount {
  readonly rule: string;
  readonly action: string;
  readonly count: number;
}

const METRIC = 'aigw_waf_matches_total';

/** Every `aigw_waf_matches_total` series of the gateway, by rule and action (routes added up). */
export async function readWafMatches(adminUrl: string): Promise<WafMatchCount[]> {
  const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`${adminUrl}/metrics: HTTP ${res.status}`);
  const counts = new Map<string, WafMatchCount>();
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const rule = /[{,]rule="([^"]*)"/.exec(line)?.[1];
    const action = /[{,]action="([^"]*)"/.exec(line)?.[1];
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (rule === undefined || action === undefined || !Number.isFinite(count)) continue;
    const key = `${rule} ${action}`;
    counts.set(key, { rule, action, count: (counts.get(key)?.count ?? 0) + count });
  }
  return [...counts.values()];
}

/** The rules whose counters grew from `before` to `after`, as `rule (action)`, sorted. */
export function wafMatchesAdded(before: readonly WafMatchCount[], after: readonly WafMatchCount[]): string[] {
  const was = new Map(before.map((m) => [`${m.rule} ${m.action}`, m.count]));
  return after
    .filter((m) => m.count > (was.get(`${m.rule} ${m.action}`) ?? 0))
    .map((m) => `${m.rule} (${m.action})`)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
