import { compileWafs } from '../../../src/dataplane/waf/compile';
import type { RouteWafConfig, WafConfig } from '../../../src/specs';

const GATEWAY: WafConfig = {
  mode: 'block',
  rules: { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false },
  customRules: [{ name: 'no-debug', target: 'query', pattern: '^debug$', action: 'block' }],
};

const head = (rawPath: string, remoteAddress = '192.0.2.1', headers: Record<string, string> = {}) => ({ method: 'POST', rawPath, headers, remoteAddress });
const rulesOf = (waf: ReturnType<ReturnType<typeof compileWafs>['forRoute']>, rawPath: string, body?: unknown) =>
  waf!.engine.inspectHead(head(rawPath)).body(body, waf!.routeKind).result().matches.map((m) => m.rule);

describe("each route's WAF: the gateway's settings with the route's over them", () => {
  test('a route without an override gets the gateway mode, rules and custom rules', () => {
    const waf = compileWafs(GATEWAY, []).forRoute('model', 'chat', undefined);
    expect(waf).toMatchObject({ mode: 'block', routeKind: 'model', label: 'chat' });
    expect(rulesOf(waf, "/v1/chat/completions?id=1'%20or%201=1--")).toContain('sqli-3');
    expect(rulesOf(waf, '/v1/chat/completions?x=debug')).toEqual(['custom:no-debug']);
  });

  test("a route's mode and rule switches replace the gateway's; what it leaves out stays the gateway's", () => {
    const override: RouteWafConfig = { mode: 'detect', rules: { sqlInjection: false } };
    const waf = compileWafs(GATEWAY, []).forRoute('agent', 'support', override);
    expect(waf).toMatchObject({ mode: 'detect', routeKind: 'agent' });
    expect(rulesOf(waf, "/x?id=1'%20or%201=1--").filter((r) => r.startsWith('sqli'))).toEqual([]);
    expect(rulesOf(waf, '/x?q=%3Cscript%3Ealert(1)%3C/script%3E').some((r) => r.startsWith('xss'))).toBe(true);
  });

  test('inspectMessages and anomalyThreshold per route', () => {
    const chat = { model: 'm', messages: [{ role: 'user', content: "' OR 1=1 --" }] };
    const wafs = compileWafs(GATEWAY, []);
    expect(rulesOf(wafs.forRoute('model', 'a', undefined), '/v1/chat/completions', chat)).toEqual([]);
    expect(rulesOf(wafs.forRoute('model', 'b', { inspectMessages: true }), '/v1/chat/completions', chat).length).toBeGreaterThan(0);
    const lenient = wafs.forRoute('model', 'c', { anomalyThreshold: 100 })!;
    expect(lenient.engine.inspectHead(head("/v1?id=1'%20or%201=1--")).result()).toMatchObject({ block: false });
  });

  test("mode 'off': nothing inspected, no engine at all; with an IP deny list, only it", () => {
    expect(compileWafs(GATEWAY, []).forRoute('mcp', 'tools', { mode: 'off' })).toBeUndefined();
    const denying = compileWafs({ ...GATEWAY, ipDenyList: ['192.0.2.0/24'] }, []).forRoute('mcp', 'tools', { mode: 'off' })!;
    expect(denying.mode).toBe('block');
    expect(denying.engine.inspectHead(head("/mcp?id=1'%20or%201=1--&x=debug", '192.0.2.7')).result().matches.map((m) => m.rule)).toEqual(['ip-deny']);
    expect(denying.engine.inspectHead(head("/mcp?id=1'%20or%201=1--", '198.51.100.1')).result().matches).toEqual([]);
  });

  test('routes with the same settings share one engine', () => {
    const wafs = compileWafs(GATEWAY, []);
    expect(wafs.forRoute('model', 'a', undefined)!.engine).toBe(wafs.forRoute('agent', 'b', {})!.engine);
    expect(wafs.forRoute('model', 'a', undefined)!.engine).not.toBe(wafs.forRoute('model', 'c', { inspectMessages: true })!.engine);
  });

  test("a path no route matches is inspected on the gateway's settings", () => {
    expect(compileWafs(GATEWAY, []).unrouted).toMatchObject({ mode: 'block', label: '' });
  });

  test("a route's waf on a gateway without one is a load problem naming the route, not ignored", () => {
    const problems: string[] = [];
    const wafs = compileWafs(undefined, problems);
    expect(wafs.forRoute('model', 'chat', { mode: 'detect' })).toBeUndefined();
    expect(wafs.forRoute('agent', 'quiet', undefined)).toBeUndefined();
    expect(problems).toEqual([
      "modelRoutes 'chat'.waf: the gateway has no waf, so the route would never be inspected; set waf on the gateway (Dedicated only), or remove the route's waf",
    ]);
    expect(wafs.unrouted).toBeUndefined();
  });
});
