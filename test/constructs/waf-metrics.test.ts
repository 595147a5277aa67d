import { fleetStack, openAi } from './fixtures';

function prodGateway() {
  const { fleet } = fleetStack();
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', waf: {} });
  const chat = prod.addModelRoute('chat', { pathPrefix: '/chat', models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
  const support = prod.addAgentRoute('support', { kind: 'dify', pathPrefix: '/agents/support', baseUrl: 'https://dify.internal/v1', routeName: 'support-bot' });
  const tools = prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', serverName: 'tool-box' });
  return { fleet, prod, chat, support, tools };
}

describe('metricWafMatches: aigw_waf_matches_total{route,rule,action} of a gateway, a route or an MCP server', () => {
  test('the gateway: every match, or one route, MCP server, rule and action', () => {
    const { prod, chat, tools } = prodGateway();
    expect(prod.metricWafMatches()).toEqual({
      metricName: 'aigw_waf_matches_total',
      labels: { gateway: 'prod' },
      promql: 'sum(rate(aigw_waf_matches_total{gateway="prod"}[5m]))',
    });
    expect(prod.metricWafMatches({ route: chat, rule: 'sqli-1', action: 'block', window: '1m' })).toEqual({
      metricName: 'aigw_waf_matches_total',
      labels: { gateway: 'prod', route: 'chat', rule: 'sqli-1', action: 'block' },
      promql: 'sum(rate(aigw_waf_matches_total{gateway="prod",route="chat",rule="sqli-1",action="block"}[1m]))',
    });
    // An MCP server's series carry its serverName as the route label.
    expect(prod.metricWafMatches({ route: tools, rule: 'ip-deny' }).labels).toEqual({ gateway: 'prod', route: 'tool-box', rule: 'ip-deny' });
  });

  test('a route and an MCP server: their own series, by their config names', () => {
    const { chat, support, tools } = prodGateway();
    expect(chat.metricWafMatches().promql).toBe('sum(rate(aigw_waf_matches_total{gateway="prod",route="chat"}[5m]))');
    expect(support.metricWafMatches({ action: 'log' }).labels).toEqual({ gateway: 'prod', route: 'support-bot', action: 'log' });
    expect(tools.metricWafMatches({ rule: 'custom:no-admin' })).toEqual({
      metricName: 'aigw_waf_matches_total',
      labels: { gateway: 'prod', route: 'tool-box', rule: 'custom:no-admin' },
      promql: 'sum(rate(aigw_waf_matches_total{gateway="prod",route="tool-box",rule="custom:no-admin"}[5m]))',
    });
  });

  test("a custom label named gateway replaces the gateway's name, as on every metric", () => {
    const { fleet } = fleetStack();
    const g = fleet.addGateway('edge', { edition: 'dedicated', spec: 'aigw.small.x1', waf: {}, observability: { customLabels: { gateway: 'edge-1' } } });
    expect(g.metricWafMatches().labels).toEqual({ gateway: 'edge-1' });
  });

  test("another gateway's route or MCP server, and values the label never takes, are refused", () => {
    const { fleet, prod } = prodGateway();
    const lab = fleet.addGateway('lab', { edition: 'dedicated', spec: 'aigw.small.x1', waf: {} });
    const theirs = lab.addMcpServer('theirs', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    const theirRoute = lab.addModelRoute('their-chat', { models: [] });
    expect(() => prod.metricWafMatches({ route: theirs })).toThrow(`MCP server 'theirs' (${theirs.node.path}) belongs to another gateway than 'prod'`);
    expect(() => prod.metricWafMatches({ route: theirRoute })).toThrow(`route 'their-chat' (${theirRoute.node.path}) belongs to another gateway than 'prod'`);
    expect(() => prod.metricWafMatches({ action: 'deny' as never })).toThrow('action must be \'block\' or \'log\', found "deny"');
    expect(() => prod.metricWafMatches({ rule: '' })).toThrow('rule must be a WAF rule id such as \'sqli-1\', \'custom:<name>\' or \'ip-deny\', found ""');
  });
});
