import { AnnotationMetadataEntryType, type TerraformStack } from 'cdktf';
import { fleetStack, openAi, synth, synthError } from './fixtures';
import { Rules } from '../../src';

/** Props as a plain-JS caller could pass them: TypeScript is not there to stop them. */
const untyped = (props: unknown): any => props;
const model = () => ({ name: 'gpt-4o', targets: [{ backend: openAi() }] });

function warningsOf(stack: TerraformStack, rule: string): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN && String(m.data).startsWith(`[${rule}] `)).map((m) => String(m.data)));
}

function gatewayWithWaf(waf: object) {
  const { stack, fleet } = fleetStack();
  const g = fleet.addGateway('d', untyped({ edition: 'dedicated', spec: 'aigw.small.x1', waf }));
  g.addModelRoute('r', { models: [model()] });
  return { stack, g };
}

describe("gateway-props: the gateway's waf, as the data plane will load it", () => {
  test('a custom pattern RE2 refuses fails synth, though JavaScript accepts it (lookahead, back-reference)', () => {
    const { stack, g } = gatewayWithWaf({ customRules: [{ name: 'admin', target: 'path', pattern: '^/(?!public)' }, { name: 'twice', target: 'body', pattern: '(a)\\1' }] });
    expect(() => new RegExp('^/(?!public)')).not.toThrow();
    const message = synthError(stack);
    expect(message).toContain(
      `[gateway-props] Gateway 'd' (${g.node.path}): waf.customRules.0.pattern is not a regular expression RE2 accepts (error parsing regexp: invalid or unsupported Perl syntax: \`(?!\`). WAF patterns use RE2 syntax, which matches in linear time: no back-references (\\1), lookahead or lookbehind`,
    );
    expect(message).toContain(', found "^/(?!public)". Fix \'waf.customRules.0.pattern\'.');
    expect(message).toContain(`Gateway 'd' (${g.node.path}): waf.customRules.1.pattern is not a regular expression RE2 accepts`);
  });

  test('a pattern over 1024 characters fails, the value cut short in the message', () => {
    const { stack, g } = gatewayWithWaf({ customRules: [{ name: 'long', target: 'body', pattern: 'x'.repeat(1025) }] });
    const message = synthError(stack);
    expect(message).toContain(`Gateway 'd' (${g.node.path}): waf.customRules.0.pattern is 1025 characters, more than the limit of 1024: split it into several rules, found "${'x'.repeat(116)}.... Fix 'waf.customRules.0.pattern'.`);
  });

  test('ipDenyList and trustedProxies entries must be CIDR blocks or addresses', () => {
    const { stack, g } = gatewayWithWaf({ ipDenyList: ['10.0.0.300', '10.0.0.0/33', '2001:db8::/129'], trustedProxies: ['proxy.internal'] });
    const message = synthError(stack);
    const at = `Gateway 'd' (${g.node.path})`;
    expect(message).toContain(`${at}: waf.ipDenyList.0 is not an IPv4 or IPv6 address (write e.g. "10.0.0.0/8", "2001:db8::/32" or "203.0.113.7"), found "10.0.0.300". Fix 'waf.ipDenyList.0'.`);
    expect(message).toContain(`${at}: waf.ipDenyList.1 has a prefix length that is not a whole number from 0 to 32, found "10.0.0.0/33". Fix 'waf.ipDenyList.1'.`);
    expect(message).toContain(`${at}: waf.ipDenyList.2 has a prefix length that is not a whole number from 0 to 128, found "2001:db8::/129".`);
    expect(message).toContain(`${at}: waf.trustedProxies.0 is not an IPv4 or IPv6 address`);
  });

  test.each([0, 1001, 2.5])('anomalyThreshold %p fails: a whole number from 1 to 1000', (anomalyThreshold) => {
    const { stack, g } = gatewayWithWaf({ anomalyThreshold });
    expect(synthError(stack)).toContain(
      `Gateway 'd' (${g.node.path}): waf.anomalyThreshold must be a whole number from 1 to 1000 (the anomaly score at which a request is blocked; a critical rule scores 5), found ${anomalyThreshold}. Fix 'waf.anomalyThreshold'.`,
    );
  });

  test('the limits and the new props themselves pass', () => {
    const { stack } = gatewayWithWaf({
      rules: { protocol: false },
      customRules: [{ name: 'admin', target: 'path', pattern: '(?i)^/(admin|internal)/' }],
      ipDenyList: ['0.0.0.0/0', '::/0', '203.0.113.7'],
      trustedProxies: ['10.0.0.0/8'],
      anomalyThreshold: 1000,
      inspectMessages: true,
    });
    expect(() => synth(stack)).not.toThrow();
    expect(() => synth(gatewayWithWaf({ anomalyThreshold: 1 }).stack)).not.toThrow();
  });
});

describe("route-waf: a route's or MCP server's waf", () => {
  test('on a Serverless gateway: refused, naming the route, its waf, the gateway and the fix', () => {
    const { stack, fleet } = fleetStack();
    const lab = fleet.addGateway('lab', { edition: 'serverless' });
    const chat = lab.addModelRoute('chat', { host: 'lab.example.com', models: [model()], waf: { mode: 'detect' } });
    expect(synthError(stack)).toContain(
      `[route-waf] ModelRoute 'chat' (${chat.node.path}): declares waf {"mode":"detect"}, but Gateway 'lab' (${lab.node.path}) is Serverless, which has no WAF (Dedicated only): its requests would never be inspected. Remove its waf, or serve it from a Dedicated gateway with waf.`,
    );
  });

  test('on a Dedicated gateway without waf: refused on model routes, agent routes and MCP servers alike', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
    prod.addModelRoute('chat', { pathPrefix: '/v1', models: [model()], waf: { mode: 'off' } });
    const bot = prod.addAgentRoute('bot', { kind: 'dify', pathPrefix: '/bot', baseUrl: 'https://dify.internal/v1', waf: { rules: { promptInjection: true } } });
    const tools = prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', waf: { anomalyThreshold: 10 } });
    const message = synthError(stack);
    const noWaf = `but Gateway 'prod' (${prod.node.path}) has no WAF: its requests would never be inspected. Add waf to the gateway, or remove its waf.`;
    expect(message).toContain(`ModelRoute 'chat' (${prod.node.path}/chat): declares waf {"mode":"off"}, ${noWaf}`);
    expect(message).toContain(`AgentRoute 'bot' (${bot.node.path}): declares waf {"rules":{"promptInjection":true}}, ${noWaf}`);
    expect(message).toContain(`McpServer 'tools' (${tools.node.path}): declares waf {"anomalyThreshold":10}, ${noWaf}`);
  });

  test('its errors cannot be suppressed', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const chat = prod.addModelRoute('chat', { models: [model()], waf: { mode: 'detect' } });
    Rules.suppress(chat, 'route-waf', 'testing');
    expect(synthError(stack)).toContain("cannot silence this error: a route's waf on a gateway without a WAF is never applied");
  });

  test('values the data plane would refuse (plain-JS callers): each named at its prop', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', waf: {} });
    const chat = prod.addModelRoute('chat', { models: [model()], waf: untyped({ mode: 'of', anomalyThreshold: 2000, rules: { sqli: false, xss: 'no' } }) });
    const tools = prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', waf: untyped('block') });
    const message = synthError(stack);
    const at = `[route-waf] ModelRoute 'chat' (${chat.node.path})`;
    expect(message).toContain(`${at}: waf.mode Invalid option: expected one of "off"|"detect"|"block", found "of". Fix 'waf.mode'.`);
    expect(message).toContain(`${at}: waf.anomalyThreshold must be a whole number from 1 to 1000 (the anomaly score at which a request is blocked; a critical rule scores 5), found 2000. Fix 'waf.anomalyThreshold'.`);
    expect(message).toContain(`${at}: unknown prop 'waf.rules.sqli'. Remove it.`);
    expect(message).toContain(`${at}: waf.rules.xss Invalid input: expected boolean, received string, found "no". Fix 'waf.rules.xss'.`);
    expect(message).toContain(`[route-waf] McpServer 'tools' (${tools.node.path}): waf Invalid input: expected object, received string, found "block". Fix 'waf'.`);
  });

  test('inspectMessages or promptInjection on an MCP server: a warning (it has no message text); on a route, nothing', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', waf: {} });
    prod.addModelRoute('chat', { models: [model()], waf: { inspectMessages: true, rules: { promptInjection: true } } });
    const tools = prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', waf: { inspectMessages: true, rules: { promptInjection: true } } });
    prod.addMcpServer('quiet', { kind: 'proxy', url: 'https://mcp.example.com/quiet', waf: { inspectMessages: false, rules: { promptInjection: false, xss: false } } });
    synth(stack);
    const at = `[route-waf] McpServer 'tools' (${tools.node.path})`;
    expect(warningsOf(stack, 'route-waf')).toEqual([
      `${at}: waf.inspectMessages has no effect on an MCP server: it has no message text, and every string of its JSON-RPC body is inspected already. Remove waf.inspectMessages.`,
      `${at}: waf.rules.promptInjection has no effect on an MCP server: the prompt-injection rules read the user messages of model and agent routes only. Remove waf.rules.promptInjection.`,
    ]);
  });

  test('every override on a gateway with a WAF passes, without a warning', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', waf: { mode: 'block' } });
    prod.addModelRoute('chat', { pathPrefix: '/v1', models: [model()], waf: { mode: 'off' } });
    prod.addAgentRoute('bot', { kind: 'dify', pathPrefix: '/bot', baseUrl: 'https://dify.internal/v1', waf: { mode: 'detect', rules: { promptInjection: true }, anomalyThreshold: 1, inspectMessages: true } });
    prod.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', waf: { rules: { commandInjection: false, protocol: false }, anomalyThreshold: 1000 } });
    synth(stack);
    expect(warningsOf(stack, 'route-waf')).toEqual([]);
  });
});
