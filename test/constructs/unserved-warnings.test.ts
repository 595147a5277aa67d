import { join } from 'path';
import { AnnotationMetadataEntryType, type TerraformStack } from 'cdktf';
import { fleetStack, openAi, synth } from './fixtures';
import { Backend } from '../../src';

/** Every warning annotation in the stack, with the path of the construct that carries it. */
function warningsOf(stack: TerraformStack): { path: string; message: string }[] {
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => ({ path: c.node.path, message: String(m.data) })),
  );
}

/** The example fleet (examples/fleet/main.ts), plus one of each other unserved feature. */
function exampleLikeFleet() {
  const { stack, fleet } = fleetStack({ serverless: { minReplicas: 2, maxReplicas: 10 } });
  const qwen = Backend.dashScope({ apiKey: { secretName: 'llm-keys', key: 'dashscope' } });
  const prod = fleet.addGateway('prod', {
    edition: 'dedicated',
    spec: 'aigw.small.x2',
    endpoint: { fixedIp: '203.0.113.10' },
    waf: { mode: 'block' },
    hardwareAcceleration: { tls: true, fallback: 'software' },
    mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' },
  });
  const tls = { certificate: { secretName: 'ai-example-tls', key: 'tls.crt' }, privateKey: { secretName: 'ai-example-tls', key: 'tls.key' } };
  prod.addDomain('api', { hostname: 'ai.example.com', tls });
  const chat = prod.addModelRoute('chat', { host: 'ai.example.com', pathPrefix: '/v1', models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }], waf: { mode: 'detect', rules: { promptInjection: true } } });
  const weather = prod.addMcpServer('weather', {
    kind: 'http-to-mcp',
    baseUrl: 'https://weather.example.com',
    openApiFile: join(__dirname, '..', '..', 'examples', 'fleet', 'weather-api.yaml'),
    auth: { secret: { secretName: 'upstream-tokens', key: 'weather' } },
  });
  prod.addConsumer('checkout-team', { apiKey: { secretName: 'consumer-keys', key: 'checkout-team' }, grants: { routes: [chat], mcpServers: [weather] } });
  prod.addExtension('audit', { name: 'audit-log', source: 'marketplace' });
  prod.addExtension('off', { name: 'ai-cache', source: 'system', enabled: false });
  const remote = prod.addServiceSource('remote', { kind: 'kubeconfig', kubeconfig: { secretName: 'remote-cluster', key: 'kubeconfig' } });
  prod.addUpstreamService('remote-svc', { kind: 'kubernetes', source: remote, name: 'llm', namespace: 'models', port: 8000 });
  prod.addUpstreamService('pair', { kind: 'static', addresses: ['10.0.0.1:8000', '10.0.0.2:8000'] });

  const lab = fleet.addGateway('lab', { edition: 'serverless', bandwidthMbps: 200 });
  lab.addModelRoute('chat', { host: 'lab.ai.example.com', models: [{ name: 'qwen-*', targets: [{ backend: qwen }] }] });
  // Served: the fleet's shared Ingress terminates a Serverless domain's TLS.
  lab.addDomain('lab', { hostname: 'lab.ai.example.com', tls: { certificate: { secretName: 'lab-tls', key: 'tls.crt' }, privateKey: { secretName: 'lab-tls', key: 'tls.key' } } });
  return { stack, prod, lab };
}

describe('a construct that declares what the data plane does not serve yet gets a synth warning', () => {
  test('the example-like fleet: one warning per declaring construct, naming it, the effect and what to do', () => {
    const { stack } = exampleLikeFleet();
    synth(stack);
    const warnings = warningsOf(stack);
    const at = (suffix: string) => warnings.filter((w) => w.path.endsWith(suffix)).map((w) => w.message);

    // MCP servers are served whole: Streamable HTTP by every replica, the legacy transport through the gateway's Redis (always synthesized).
    expect(at('/fleet/prod/weather')).toEqual([]);
    // Extensions run: no warning, enabled or not.
    expect(at('/fleet/prod/audit')).toEqual([]);
    expect(at('/fleet/prod/off')).toEqual([]);
    // A Dedicated domain's TLS is terminated by the data plane (SNI, HTTP/2): no warning.
    expect(at('/fleet/prod/api')).toEqual([]);
    expect(at('/fleet/prod/remote')).toEqual([expect.stringContaining("[unserved:kubeconfigServiceSource] Service source 'remote'")]);
    expect(at('/fleet/prod/pair')).toEqual([expect.stringContaining("[unserved:staticServiceAddresses] Static service 'pair' with 2 addresses")]);
    // The WAF is served (the data plane inspects every route): no warning for it, nor for a route's own waf.
    // QAT is served (detected at start, with its fallback); but fallback 'software' requests no device, and the warning says the pods run in software.
    expect(at('/fleet/prod')).toEqual([expect.stringMatching(/^\[unserved:qatSoftwareFallback\] The QAT offload of TLS of gateway 'prod' \(fallback: 'software'\) .*request no QAT device.*run in software\. Set fallback: 'fail'/)]);
    expect(at('/fleet/prod/chat')).toEqual([]);
    // Bandwidth is shaped by the data plane (each replica its share): no warning.
    expect(at('/fleet/lab')).toEqual([]);
    // The Serverless domain's TLS is terminated by the shared Ingress: served, no warning.
    expect(at('/fleet/lab/lab')).toEqual([]);
    expect(warnings).toHaveLength(3);
  });

  test('an MCP proxy of a legacy HTTP+SSE upstream is served: no warning', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1', mcpSessionKey: { secretName: 'aigw-mcp', key: 'k' } });
    const old = g.addMcpServer('old', { kind: 'proxy', url: 'https://mcp.example.com/sse', transport: 'sse' });
    synth(stack);
    expect(warningsOf(stack).filter((w) => w.path === old.node.path)).toEqual([]);
  });

  test('synthesizing twice does not repeat a warning', () => {
    const { stack } = exampleLikeFleet();
    synth(stack);
    const first = warningsOf(stack).length;
    expect(first).toBeGreaterThan(0);
    synth(stack);
    expect(warningsOf(stack)).toHaveLength(first);
  });

  test('a gateway that declares none of them has no warning', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', endpoint: { fixedIp: '203.0.113.10' }, hardwareAcceleration: { fallback: 'fail' } });
    prod.addDomain('api', { hostname: 'ai.example.com' });
    prod.addModelRoute('chat', { host: 'ai.example.com', models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
    prod.addUpstreamService('one', { kind: 'static', addresses: ['10.0.0.1:8000'] });
    const lab = fleet.addGateway('lab', { edition: 'serverless' });
    lab.addModelRoute('chat', { host: 'lab.example.com', models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
    synth(stack);
    expect(warningsOf(stack)).toEqual([]);
  });
});
