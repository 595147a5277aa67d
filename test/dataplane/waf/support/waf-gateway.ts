import type { GatewayConfig, RouteWafConfig, WafConfig } from '../../../../src/specs';
import type { TestGateway } from '../../../../src/testing';
import { eventually } from '../../../support/eventually';

/**
 * What the WAF end-to-end tests share: configs written straight into the gateway's config (the constructs' WAF
 * props are being built elsewhere, so these tests do not depend on them), and the checks every blocked answer must
 * pass whatever its endpoint.
 */

/** The gateway WAF the issue calls default: block, every family on but prompt injection. */
export const BLOCK_ALL: WafConfig = {
  mode: 'block',
  rules: { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false },
  customRules: [],
};

/** Route overrides by route or MCP server name, whichever list it is in. */
export type RouteWafs = Record<string, RouteWafConfig>;

/** A transform for `start`: the gateway's `waf`, and each named route's or MCP server's own. */
export function withWaf(waf: WafConfig, routes: RouteWafs = {}): (c: GatewayConfig) => GatewayConfig {
  const own = <T extends { name: string }>(r: T): T => (routes[r.name] ? { ...r, waf: routes[r.name] } : r);
  return (c) => ({ ...c, waf, modelRoutes: c.modelRoutes.map(own), agentRoutes: c.agentRoutes.map(own), mcpServers: c.mcpServers.map(own) });
}

/** The request id a WAF 403's message names ("request id <uuid>"). */
export function requestIdIn(text: string): string | undefined {
  return /request id ([0-9a-f-]{36})/.exec(text)?.[1];
}

/** The rule ids a WAF 403's message names ("rule sqli-1" or "rules sqli-1, xss-2"). */
export function rulesIn(text: string): string[] {
  const list = /\(rules? ([^;]+); request id/.exec(text)?.[1];
  return list ? list.split(', ') : [];
}

export interface Answer {
  readonly status: number;
  /** Header names lower-case. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A fetch Response as an Answer. */
export async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: await res.text() };
}

/**
 * The contract of a WAF refusal: exactly 403, `x-request-id` equal to the id the body names, the rules named, and
 * nothing of what matched (`secrets`: the payload, keys) in the body or the headers. Returns the id and the rules.
 */
export function expectWafRefusal(answer: Answer, secrets: readonly string[] = []): { requestId: string; rules: string[] } {
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 403, body: expect.stringContaining('web application firewall') });
  const requestId = requestIdIn(answer.body);
  expect(requestId).toBeDefined();
  expect(answer.headers['x-request-id']).toBe(requestId);
  const rules = rulesIn(answer.body);
  expect(rules.length).toBeGreaterThan(0);
  const seen = `${answer.body}\n${JSON.stringify(answer.headers)}`;
  for (const s of secrets) expect(seen).not.toContain(s);
  return { requestId: requestId!, rules };
}

/** Forms of a payload that must never be echoed: as sent and as JSON would escape it. Very short payloads (`'`) could occur by chance. */
export function echoForms(payload: string): string[] {
  if (payload.length < 6) return [];
  return [...new Set([payload, JSON.stringify(payload).slice(1, -1)])];
}

export async function metricsText(gw: TestGateway): Promise<string> {
  return (await fetch(`${gw.adminUrl}/metrics`)).text();
}

/** The value of one series of a Prometheus text exposition; 0 when absent. Labels in any order. */
export function seriesValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('}');
    const have = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) return Number(line.slice(close + 1).trim());
  }
  return 0;
}

/** Every label set of a metric, as `k="v",…` strings. */
export function labelSets(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => l.slice(name.length + 1, l.lastIndexOf('}')));
}

/** The access line of a request (written when its response closes), found by a field's value. */
export async function accessLineWhere(gw: TestGateway, field: string, value: unknown, from = 0): Promise<Record<string, unknown>> {
  const find = () => gw.logs.slice(from).find((l) => l.msg === 'access' && l[field] === value);
  await eventually(() => find() !== undefined, 15_000, { describe: () => JSON.stringify(gw.logs.slice(from).filter((l) => l.msg === 'access').slice(-3)) });
  return find()!;
}

/** The WAF's log lines (`waf: request blocked|matched`) from `from` on. */
export function wafLines(gw: TestGateway, from = 0): Record<string, unknown>[] {
  return gw.logs.slice(from).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('waf: '));
}
