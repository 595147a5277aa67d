import { join } from 'path';
import type { TerraformStack } from 'cdktf';
import { fleetStack, synth, type TerraformJson } from './fixtures';
import { type AiGateway, AiGatewayFleet, Backend, CAPACITY_SPEC_NAMES } from '../../src';
import { kubernetesObjectsOf, type KubernetesObject, NAME_RULES, problemsOf } from '../support/kubernetes-validate';

const WEATHER_OPENAPI = join(__dirname, '..', '..', 'examples', 'fleet', 'weather-api.yaml');
const MINE_EXTENSION = join(__dirname, 'fixtures', 'mine-extension.js');
const tls = (secretName: string) => ({ certificate: { secretName, key: 'tls.crt' }, privateKey: { secretName, key: 'tls.key' } });

/** Routes, MCP servers, extensions, consumers, services and a domain: what any gateway may carry. */
function addChildren(g: AiGateway, host: string, dedicated: boolean): void {
  const openai = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const vllm = Backend.vllm({ baseUrl: 'http://vllm.models.svc:8000/v1' });
  const local = g.addServiceSource('local', { kind: 'in-cluster' });
  const remote = g.addServiceSource('remote', { kind: 'kubeconfig', kubeconfig: { secretName: 'remote-cluster', key: 'kubeconfig' } });
  const onCluster = g.addUpstreamService('on-cluster', { kind: 'kubernetes', source: local, name: 'llm', namespace: 'models', port: 8000 });
  g.addUpstreamService('far', { kind: 'kubernetes', source: remote, name: 'llm', namespace: 'models', port: 8000 });
  g.addUpstreamService('pair', { kind: 'static', addresses: ['10.0.0.1:8000', '10.0.0.2:8000'] });
  const dns = g.addUpstreamService('dify', { kind: 'dns', host: 'dify.internal', port: 80 });
  const chat = g.addModelRoute('chat', {
    host,
    pathPrefix: '/v1',
    models: [
      { name: 'gpt-4o', aliases: ['default'], targets: [{ backend: openai, weight: 3 }, { backend: vllm, model: 'qwen' }], fallbacks: ['local'] },
      { name: 'local', targets: [{ backend: Backend.openAiCompatible({ service: onCluster }) }] },
    ],
    policies: { rateLimits: [{ kind: 'tokens', limit: 100_000, window: 'minute', scope: 'consumer' }, { limit: 60, window: 'minute' }] },
  });
  const agent = g.addAgentRoute('support', { kind: 'dify', host, pathPrefix: '/agents/support', service: dns, apiKey: { secretName: 'agent-keys', key: 'dify' } });
  g.addAgentRoute('studio', { kind: 'model-studio', host, pathPrefix: '/studio', appId: 'app-123', apiKey: { secretName: 'agent-keys', key: 'studio' } });
  const proxy = g.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp', auth: { secretName: 'mcp-tokens', key: 'search' }, allowTools: ['search'] });
  const weather = g.addMcpServer('weather', { kind: 'http-to-mcp', baseUrl: 'https://weather.example.com', openApiFile: WEATHER_OPENAPI, auth: { secret: { secretName: 'mcp-tokens', key: 'weather' } } });
  g.addExtension('headers', { name: 'header-transform', source: 'system', config: { response: { set: { 'x-served-by': 'aigw' } } } });
  if (dedicated) {
    (g as AiGateway<'dedicated'>).addExtension('audit', { name: 'audit-log', source: 'marketplace', version: '1.0.0', phase: 'stats', failPolicy: 'open' });
    (g as AiGateway<'dedicated'>).addExtension('mine', { name: 'mine', source: 'custom', modulePath: MINE_EXTENSION, config: { level: 2 } });
  }
  g.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: `${g.gatewayName}-alice` }, grants: { routes: [chat, agent], mcpServers: [proxy] } });
  g.addConsumer('admin', { apiKey: { secretName: 'consumer-keys', key: `${g.gatewayName}-admin` }, grants: 'all' });
  g.addConsumer('bob', { apiKey: { secretName: 'consumer-keys', key: `${g.gatewayName}-bob` }, grants: { mcpTools: [{ server: weather, tools: ['getForecast'] }, { server: proxy, tools: ['search'] }] } });
  g.addDomain('api', { hostname: host, tls: tls(`${g.gatewayName}-tls`) });
}

/**
 * Every edition, every capacity spec and every optional prop: a fleet with all fleet props, one
 * Dedicated gateway per spec (the first with every Dedicated prop), two Serverless gateways; a
 * fleet with no optional props at all (the defaults' branches); a fleet whose gateways have no routes.
 */
function everythingStack(): TerraformStack {
  const { stack, fleet } = fleetStack({
    namespace: 'ai-platform',
    serverless: { minReplicas: 3, maxReplicas: 30, targetCpuUtilizationPercent: 60, imageChannel: 'stable' },
    imageRepository: 'registry.example.com/platform/aigw',
    ingressClassName: 'nginx',
    redisAclSecretName: 'aigw-acl',
  });
  CAPACITY_SPEC_NAMES.forEach((spec, i) => {
    const name = `d-${spec.replace(/^aigw\./, '').replace('.', '-')}`;
    const g = i === 0
      ? fleet.addGateway(name, {
        edition: 'dedicated',
        spec,
        hardwareAcceleration: { tls: true, compression: true, fallback: 'fail' },
        waf: {
          mode: 'detect',
          rules: { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: false, promptInjection: true },
          customRules: [{ name: 'no-admin', target: 'path', pattern: '^/admin' }, { name: 'ua', target: 'header', header: 'user-agent', pattern: 'sqlmap', action: 'log' }],
        },
        endpoint: {
          fixedIp: '203.0.113.10',
          serviceAnnotations: { 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec': 'slb.s1.small', 'example.com/owner': 'platform' },
        },
        bandwidthMbps: 2000,
        observability: { systemResources: false, customLabels: { team: 'ai' } },
        version: '1.4.2',
        mcpSessionKey: { secretName: 'aigw-mcp', key: 'session-key' },
      })
      : fleet.addGateway(name, {
        edition: 'dedicated',
        spec,
        // Vary what varies the output: an IPv6 EIP, one accelerator, a prerelease version.
        ...(i === 1 && { endpoint: { fixedIp: '2001:db8::10' }, hardwareAcceleration: { compression: true } }),
        ...(i === 2 && { version: '2.0.0-rc.1' }),
      });
    addChildren(g, `${name}.ai.example.com`, true);
  });
  for (const name of ['lab', 'staging']) {
    const g = fleet.addGateway(name, { edition: 'serverless', bandwidthMbps: 200, ...(name === 'lab' && { mcpSessionKey: { secretName: 'aigw-mcp', key: 'lab-session-key' } }) });
    addChildren(g, `${name}.ai.example.com`, false);
  }

  // The defaults: no namespace, scaling, image repository, ingress class or ACL secret name.
  const plain = new AiGatewayFleet(stack, 'plain', { region: 'cn-beijing' });
  plain.addGateway('edge', { edition: 'dedicated', spec: 'aigw.small.x1' }).addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.openAi({}) }] }] });
  plain.addGateway('sandbox', { edition: 'serverless' }).addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: Backend.openAi({}) }] }] });
  // Serverless gateways with no routes yet: they claim no host on the shared endpoint.
  const idle = new AiGatewayFleet(stack, 'idle', { region: 'cn-shanghai' });
  idle.addGateway('first', { edition: 'serverless' });
  idle.addGateway('second', { edition: 'serverless' });
  return stack;
}

let objects: KubernetesObject[];
beforeAll(() => {
  objects = kubernetesObjectsOf(synth(everythingStack()) as TerraformJson);
});

describe('every synthesized object is one the Kubernetes API server accepts', () => {
  test('the fleet covers every kind the library emits, every spec and both editions', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    const editions = new Set(objects.filter((o) => o.kind === 'Deployment').map((o) => (o.metadata.labels as Record<string, string>)['aigw.dev/edition']));
    // undefined: the Redis Deployments, which belong to no edition.
    expect(editions).toEqual(new Set(['dedicated', 'serverless', undefined]));
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(CAPACITY_SPEC_NAMES.length + 1);
  });

  test('no object has a problem: OpenAPI schema, strict fields, names, labels, annotations', () => {
    expect(objects.flatMap(problemsOf)).toEqual([]);
  });
});

describe('the validator refuses what the API server would refuse (so the test above can fail)', () => {
  /** A valid object of each shape, from the synthesized fleet, to break one field at a time. */
  const pick = (kind: string, predicate: (o: KubernetesObject) => boolean = () => true): KubernetesObject =>
    structuredClone(objects.find((o) => o.kind === kind && predicate(o))!);
  const gatewayDeployment = () => pick('Deployment', (o) => (o.metadata.labels as Record<string, string>)['app.kubernetes.io/name'] === 'aigw');

  test.each<[string, () => KubernetesObject, RegExp]>([
    ['a schema type error', () => {
      const d = gatewayDeployment();
      (d.spec as { replicas: unknown }).replicas = 'two';
      return d;
    }, /schema: \/spec\/replicas must be integer/],
    ['a field Kubernetes does not know (a misspelled provider attribute)', () => {
      const s = pick('Service', (o) => (o.spec as { type?: string }).type === 'LoadBalancer');
      const spec = s.spec as Record<string, unknown>;
      spec.loadBalancerIp = spec.loadBalancerIP;
      delete spec.loadBalancerIP;
      return s;
    }, /unknown field \/spec\/loadBalancerIp/],
    ['a Service name of 64 characters', () => ({ ...pick('Service'), metadata: { ...pick('Service').metadata, name: `aigw-${'a'.repeat(53)}-redis` } }), /metadata.name "aigw-a+-redis" \(64 characters\) must be an RFC 1035 label/],
    ['a label value that ends with "-"', () => {
      const d = gatewayDeployment();
      (d.metadata.labels as Record<string, string>)['app.kubernetes.io/version'] = '1.0.0-';
      return d;
    }, /metadata.labels\["app.kubernetes.io\/version"\] "1.0.0-" .* must be a label value/],
    ['an annotation key with a space', () => {
      const s = pick('Service');
      (s.metadata as Record<string, unknown>).annotations = { 'bad key!': 'x' };
      return s;
    }, /metadata.annotations\["bad key!"\] key "bad key!" .* must be a qualified name/],
    ['an Ingress host that is an IP address', () => {
      const i = pick('Ingress');
      (i.spec as { rules: { host?: string }[] }).rules[0].host = '203.0.113.10';
      return i;
    }, /spec.rules\[0\].host "203.0.113.10" .* not an IP address/],
    ['an uppercase ingress class', () => {
      const i = pick('Ingress');
      (i.spec as { ingressClassName?: string }).ingressClassName = 'Nginx';
      return i;
    }, /spec.ingressClassName "Nginx" .* must be an RFC 1123 subdomain/],
    ['an image repository with uppercase letters', () => {
      const d = gatewayDeployment();
      (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image = 'registry.example.com/Platform/aigw:1.0.0';
      return d;
    }, /containers\[0\].image "registry.example.com\/Platform\/aigw:1.0.0" .* must be a pullable image reference/],
    ['an Ingress with neither rules nor a default backend', () => {
      const i = pick('Ingress');
      (i.spec as { rules?: unknown }).rules = [];
      return i;
    }, /either `defaultBackend` or `rules` must be specified/],
    ['a probe on a port the container does not have', () => {
      const d = gatewayDeployment();
      (d.spec as { template: { spec: { containers: { readinessProbe: { httpGet: { port: string } } }[] } } }).template.spec.containers[0].readinessProbe.httpGet.port = 'metrics';
      return d;
    }, /port name "metrics" is not a port of the container/],
  ])('%s', (_, broken, expected) => {
    expect(problemsOf(broken()).join('\n')).toMatch(expected);
  });

  test('a synthesized resource the converter cannot map fails loudly instead of being skipped', () => {
    expect(() => kubernetesObjectsOf({ resource: { kubernetes_cron_job_v1: { x: { metadata: { name: 'x' } } } } })).toThrow('No converter for Terraform type kubernetes_cron_job_v1');
    expect(() => kubernetesObjectsOf({ resource: { kubernetes_namespace_v1: { x: { metadata: { name: '${var.name}' } } } } })).toThrow('Unresolvable Terraform expression ${var.name}');
  });

  test('the name rules, on their edges', () => {
    expect(NAME_RULES.dns1035Label.test('a'.repeat(63))).toBe(true);
    expect(NAME_RULES.dns1035Label.test('a'.repeat(64))).toBe(false);
    expect(NAME_RULES.dns1035Label.test('1abc')).toBe(false);
    expect(NAME_RULES.labelValue.test('_dev')).toBe(false);
    expect(NAME_RULES.labelValue.test('release/2025.06')).toBe(false);
    expect(NAME_RULES.labelValue.test('2.0.0-rc.1')).toBe(true);
    expect(NAME_RULES.qualifiedName.test('app.kubernetes.io/name')).toBe(true);
    expect(NAME_RULES.qualifiedName.test('bad key!')).toBe(false);
    expect(NAME_RULES.ingressHost.test('*.ai.example.com')).toBe(true);
    expect(NAME_RULES.ingressHost.test('2001:db8::1')).toBe(false);
    expect(NAME_RULES.imageReference.test('ghcr.io/cdktf-ai-gateway/aigw:release/2025.06')).toBe(false);
    expect(NAME_RULES.imageReference.test('localhost:5000/aigw@sha256:' + 'a'.repeat(64))).toBe(true);
    expect(NAME_RULES.ianaSvcName.test('admin')).toBe(true);
    expect(NAME_RULES.ianaSvcName.test('a-very-long-port-name')).toBe(false);
  });
});
