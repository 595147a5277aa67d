/**
 * What the WAF bench compares: the same chat completions (`gpt-4o` on an OpenAI backend, the same consumer and key,
 * the same request shapes), each scenario on its own `aigw serve` (the WAF is declared on the gateway), so the only
 * difference between two scenarios' figures is what their gateways' WAF does per request.
 */
import type { WafProps } from '../../src';

export const SCENARIO_KEYS = ['off', 'on', 'on-messages'] as const;
export type ScenarioKey = (typeof SCENARIO_KEYS)[number];

/** The yardstick: every other scenario's figures are read against its figures of the same round. */
export const YARDSTICK: ScenarioKey = 'off';

/** The default rule set, written out as issue #16 states it (src/specs/waf.ts): every family but prompt injection. */
const DEFAULT_RULES: NonNullable<WafProps['rules']> = { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false };

export interface Scenario {
  readonly key: ScenarioKey;
  /** How the report names it. */
  readonly title: string;
  /** What the gateway runs, as the report says it. */
  readonly declared: string;
  /** The gateway's `waf`, declared as a user would; undefined: none. */
  readonly waf?: WafProps;
  /** What the verification's attack (a SQL injection in `user`) gets: 403 where the WAF blocks it. */
  readonly attackStatus: 200 | 403;
  /**
   * Whether the scenario is read against a goal (or is the yardstick): the paced rate is set from these scenarios'
   * throughput, so that one much slower scenario, read for information only, does not pace the judged ones down to
   * where idle wake-ups outweigh the work measured.
   */
  readonly judged: boolean;
}

export const SCENARIOS: Record<ScenarioKey, Scenario> = {
  'off': {
    key: 'off',
    title: 'No WAF (the yardstick)',
    declared: 'no `waf` on the gateway',
    attackStatus: 200,
    judged: true,
  },
  'on': {
    key: 'on',
    title: 'WAF on, default rules',
    declared: "`waf: { mode: 'block', rules: { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false }, customRules: [] }` (protocol anomalies on, as by default; message text not read by the SQLi/XSS/traversal/command rules)",
    waf: { mode: 'block', rules: DEFAULT_RULES, customRules: [] },
    attackStatus: 403,
    judged: true,
  },
  'on-messages': {
    key: 'on-messages',
    title: 'WAF on, message text inspected',
    // Detect, not block: with message text read, the 64 KiB code review matches rules (SQL, HTML and shell are what
    // it is about), and a 403 would skip the upstream, so the figures would no longer compare like with like.
    declared:
      "`waf: { mode: 'detect', rules: <the default rules>, customRules: [], inspectMessages: true }`: the SQLi, XSS, traversal and command rules also read message text. Detect rather than block, so that a request that matches still reaches the upstream and the figures compare like with like: each matching request also costs a warn log line and the match counters",
    waf: { mode: 'detect', rules: DEFAULT_RULES, customRules: [], inspectMessages: true },
    attackStatus: 200,
    judged: false,
  },
};

/** BENCH_WAF_SCENARIOS: a comma-separated subset (the yardstick always runs: every figure is read against it). */
export function selectedScenarios(setting: string | undefined): Scenario[] {
  if (setting === undefined || setting.trim() === '' || setting.trim() === 'all') return SCENARIO_KEYS.map((k) => SCENARIOS[k]);
  const asked = setting
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = asked.filter((s) => !(SCENARIO_KEYS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_WAF_SCENARIOS: unknown ${unknown.join(', ')}; known: ${SCENARIO_KEYS.join(', ')} (or all)`);
  return SCENARIO_KEYS.filter((k) => k === YARDSTICK || asked.includes(k)).map((k) => SCENARIOS[k]);
}
