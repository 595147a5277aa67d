import { configOf, fleetStack, openAi, synth } from './fixtures';

const model = () => ({ name: 'gpt-4o', targets: [{ backend: openAi() }] });
const ALL_RULES_BUT_PROMPT_INJECTION = {
  sqlInjection: true,
  xss: true,
  pathTraversal: true,
  commandInjection: true,
  promptInjection: false,
  protocol: true,
};

function dedicated(waf: object = {}) {
  const { stack, fleet } = fleetStack();
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', waf });
  return { stack, prod };
}

describe("the gateway's waf config", () => {
  test('defaults: block, every rule set on but prompt injection (protocol stated), no custom rules; the optional fields left out', () => {
    const { stack, prod } = dedicated();
    prod.addModelRoute('chat', { models: [model()] });
    expect(configOf(synth(stack), 'prod').waf).toEqual({ mode: 'block', rules: ALL_RULES_BUT_PROMPT_INJECTION, customRules: [] });
  });

  test('every prop declared is rendered as given, custom rules with their action filled in', () => {
    const { stack, prod } = dedicated({
      mode: 'detect',
      rules: { protocol: false, promptInjection: true },
      customRules: [{ name: 'no-admin', target: 'path', pattern: '^/admin' }, { name: 'ua', target: 'header', header: 'user-agent', pattern: '(?i)sqlmap', action: 'log' }],
      ipDenyList: ['198.51.100.0/24', '2001:db8::/32', '203.0.113.7'],
      trustedProxies: ['10.0.0.0/8'],
      anomalyThreshold: 10,
      inspectMessages: true,
    });
    prod.addModelRoute('chat', { models: [model()] });
    expect(configOf(synth(stack), 'prod').waf).toEqual({
      mode: 'detect',
      rules: { ...ALL_RULES_BUT_PROMPT_INJECTION, protocol: false, promptInjection: true },
      customRules: [
        { name: 'no-admin', target: 'path', pattern: '^/admin', action: 'block' },
        { name: 'ua', target: 'header', header: 'user-agent', pattern: '(?i)sqlmap', action: 'log' },
      ],
      ipDenyList: ['198.51.100.0/24', '2001:db8::/32', '203.0.113.7'],
      trustedProxies: ['10.0.0.0/8'],
      anomalyThreshold: 10,
      inspectMessages: true,
    });
  });

  test('the resolved WAF states every default', () => {
    const { prod } = dedicated({ ipDenyList: ['203.0.113.7'] });
    expect(prod.waf).toEqual({
      mode: 'block',
      rules: ALL_RULES_BUT_PROMPT_INJECTION,
      customRules: [],
      ipDenyList: ['203.0.113.7'],
      trustedProxies: [],
      anomalyThreshold: 5,
      inspectMessages: false,
    });
  });
});

describe("a route's or MCP server's waf: rendered in its own config as given, left out when not set", () => {
  test('model route, agent route, MCP proxy and HTTP-to-MCP server', () => {
    const { stack, prod } = dedicated();
    const chat = prod.addModelRoute('chat', { pathPrefix: '/v1', models: [model()], waf: { inspectMessages: true, anomalyThreshold: 15 } });
    prod.addModelRoute('plain', { pathPrefix: '/plain', models: [model()] });
    const support = prod.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: 'https://dify.internal/v1', waf: { mode: 'detect', rules: { promptInjection: true } } });
    prod.addMcpServer('proxied', { kind: 'proxy', url: 'https://mcp.example.com/mcp', waf: { mode: 'off' } });
    prod.addMcpServer('api', { kind: 'http-to-mcp', baseUrl: 'https://api.example.com', tools: [{ name: 'get', request: { method: 'GET', path: '/x' } }], waf: { rules: { xss: false } } });
    prod.addMcpServer('bare', { kind: 'proxy', url: 'https://mcp.example.com/other' });

    const config = configOf(synth(stack), 'prod');
    const byName = <T extends { name: string }>(list: T[]) => Object.fromEntries(list.map((x) => [x.name, x]));
    const routes = byName(config.modelRoutes);
    expect(routes.chat.waf).toEqual({ inspectMessages: true, anomalyThreshold: 15 });
    expect('waf' in routes.plain).toBe(false);
    expect(byName(config.agentRoutes).support.waf).toEqual({ mode: 'detect', rules: { promptInjection: true } });
    const servers = byName(config.mcpServers);
    expect(servers.proxied.waf).toEqual({ mode: 'off' });
    expect(servers.api.waf).toEqual({ rules: { xss: false } });
    expect('waf' in servers.bare).toBe(false);
    // Each construct records its own, as given.
    expect([chat.waf, support.waf]).toEqual([{ inspectMessages: true, anomalyThreshold: 15 }, { mode: 'detect', rules: { promptInjection: true } }]);
  });

  test('the route keeps a copy: changing the props object afterwards changes nothing', () => {
    const { stack, prod } = dedicated();
    const waf = { mode: 'detect' as const, rules: { xss: false } };
    prod.addModelRoute('chat', { models: [model()], waf });
    (waf as { mode: string }).mode = 'off';
    waf.rules.xss = true;
    expect(configOf(synth(stack), 'prod').modelRoutes[0].waf).toEqual({ mode: 'detect', rules: { xss: false } });
  });
});
