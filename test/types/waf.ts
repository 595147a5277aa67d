/**
 * Compile-time tests of the WAF props. Type-checked by `tsc --noEmit -p test/tsconfig.json`, never run. Each
 * `// @ts-expect-error` has a positive control next to it that must compile. (Routes are not generic over their
 * gateway's edition: a route's waf on a Serverless gateway is the `route-waf` rule's, at synth.)
 */
import { App, TerraformStack } from 'cdktf';
import { AiGatewayFleet, Backend, type PrometheusMetric, type RouteWafProps, type WafProps } from 'cdktf-ai-gateway';

const fleet = new AiGatewayFleet(new TerraformStack(new App(), 'types'), 'fleet', { region: 'cn-hangzhou' });
const models = [{ name: 'm', targets: [{ backend: Backend.openAi() }] }];

// Positive controls: every gateway prop, and every override on each kind of route.
export const gatewayWaf: WafProps = {
  mode: 'detect',
  rules: { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false, protocol: true },
  customRules: [{ name: 'admin', target: 'path', pattern: '^/admin', action: 'log' }],
  ipDenyList: ['198.51.100.0/24'],
  trustedProxies: ['10.0.0.0/8'],
  anomalyThreshold: 5,
  inspectMessages: false,
};
const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', waf: gatewayWaf });
export const override: RouteWafProps = { mode: 'off', rules: { protocol: false }, anomalyThreshold: 10, inspectMessages: true };
const chat = prod.addModelRoute('chat', { models, waf: override });
const bot = prod.addAgentRoute('bot', { kind: 'dify', baseUrl: 'https://dify.internal/v1', waf: { mode: 'detect' } });
const tools = prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', waf: { mode: 'block' } });
export const metrics: PrometheusMetric[] = [prod.metricWafMatches({ route: tools, rule: 'ip-deny', action: 'block' }), chat.metricWafMatches(), bot.metricWafMatches({ action: 'log' }), tools.metricWafMatches()];
export const recorded: (RouteWafProps | undefined)[] = [chat.waf, bot.waf, tools.waf];

// A gateway's mode is detect or block: `off` is a route's only.
// @ts-expect-error 'off' is not a gateway mode
fleet.addGateway('off', { edition: 'dedicated', spec: 'aigw.small.x1', waf: { mode: 'off' } });

// Custom rules, the deny list and trusted proxies are the gateway's: a route switches families, mode and threshold.
// @ts-expect-error no custom rules on a route
prod.addModelRoute('custom', { models, waf: { customRules: [] } });
// @ts-expect-error no deny list on an MCP server
prod.addMcpServer('deny', { kind: 'proxy', url: 'https://mcp.example.com/x', waf: { ipDenyList: [] } });

// A metric's action is one the data plane counts.
// @ts-expect-error 'deny' is not an action
chat.metricWafMatches({ action: 'deny' });
