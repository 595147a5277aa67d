import { Testing } from 'cdktf';
import { configOf, fleetStack, namespaceOf, resourceCount, resourcesOf, synth } from './fixtures';
import { AgentRoute, Backend, Consumer, LIBRARY_VERSION, McpServer, ModelRoute } from '../../src';
import { GatewayConfigSchema, MOUNT_PATHS, PROBE_PATHS, serveArgv } from '../../src/specs';

function twoGateways() {
  const { stack, fleet } = fleetStack({ namespace: 'ai', serverless: { minReplicas: 3, maxReplicas: 12 } });
  const shared = fleet.addGateway('shared', { edition: 'serverless', bandwidthMbps: 200 });
  const prod = fleet.addGateway('prod', {
    edition: 'dedicated',
    spec: 'aigw.small.x4',
    hardwareAcceleration: { tls: true, compression: true },
    endpoint: { fixedIp: '203.0.113.7', serviceAnnotations: { 'service.beta.kubernetes.io/eip': 'eip-123' } },
    waf: { mode: 'block' },
    version: '1.4.2',
  });
  const openai = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const qwen = Backend.dashScope({ apiKey: { secretName: 'llm-keys', key: 'dashscope' } });
  return { stack, fleet, shared, prod, openai, qwen };
}

describe('what a gateway synthesizes', () => {
  test('children added after the constructors are rendered (late rendering)', () => {
    const { stack, prod, openai, qwen } = twoGateways();
    const route = new ModelRoute(stack, 'chat', { gateway: prod, pathPrefix: '/v1' });
    const alice = new Consumer(stack, 'alice', { gateway: prod, apiKey: { secretName: 'consumer-keys', key: 'alice' } });
    // All of these happen after the route and consumer exist.
    route.addModel({ name: 'gpt-4o', targets: [{ backend: openai, weight: 3 }, { backend: qwen, model: 'qwen-max' }], fallbacks: ['qwen-max'] });
    route.addModel({ name: 'qwen-max', targets: [{ backend: qwen }] });
    alice.grantRoute(route);
    const agent = new AgentRoute(stack, 'support', { gateway: prod, kind: 'dify', pathPrefix: '/agents/support', baseUrl: 'https://dify.internal/v1' });
    alice.grantRoute(agent);

    const config = configOf(synth(stack), 'prod');
    expect(config.modelRoutes[0].models.map((m) => m.name)).toEqual(['gpt-4o', 'qwen-max']);
    expect(config.modelRoutes[0].models[0].targets).toEqual([
      { backend: 'openai-1', model: 'gpt-4o', weight: 3 },
      { backend: 'dashscope-2', model: 'qwen-max', weight: 1 },
    ]);
    expect(config.backends.map((b) => b.name)).toEqual(['openai-1', 'dashscope-2']);
    expect(config.consumers).toEqual([{ name: 'alice', apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { all: false, routes: ['chat', 'support'], mcpServers: [] } }]);
    expect(config.agentRoutes[0]).toMatchObject({ name: 'support', kind: 'dify', upstream: { baseUrl: 'https://dify.internal/v1' } });
  });

  test('reassembled shards parse strictly with GatewayConfig, with per-replica shares of the spec', () => {
    const { stack, prod, shared, openai } = twoGateways();
    prod.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openai }] }] });
    shared.addModelRoute('chat', { host: 'shared.example.com', models: [{ name: 'gpt-4o', targets: [{ backend: openai }] }] });
    const tf = synth(stack);
    const prodConfig = configOf(tf, 'prod');
    expect(GatewayConfigSchema.parse(prodConfig)).toEqual(prodConfig);
    // aigw.small.x4: 6,000 QPS and 80,000 connections over 5 replicas (6,000 / POD_CAPACITY.qps 1,250).
    expect(prodConfig.limits).toMatchObject({ maxQps: 1200, maxClientConnections: 16000, bandwidthMbps: 4000 });
    expect(prodConfig.metadata).toMatchObject({ edition: 'dedicated', spec: 'aigw.small.x4', region: 'cn-hangzhou' });
    const sharedConfig = configOf(tf, 'shared');
    expect(sharedConfig.limits.bandwidthMbps).toBe(200);
    expect(sharedConfig.redis).toEqual({
      address: 'aigw-redis.ai.svc:6379',
      keyPrefix: 'aigw:shared:',
      user: 'shared',
      password: { secretName: 'aigw-redis-acl', key: 'shared' },
    });
    expect(prodConfig.redis).toEqual({ address: 'aigw-prod-redis.ai-prod.svc:6379', keyPrefix: 'aigw:prod:' });
  });

  test('a Dedicated gateway: own namespace and Redis, pinned image, replicas, PDB, zone spread, QAT, LoadBalancer with fixed IP', () => {
    const { stack, prod, openai } = twoGateways();
    prod.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openai }] }] });
    const tf = synth(stack);
    expect(resourcesOf(tf, 'kubernetes_namespace_v1').map((n) => n.metadata.name).sort()).toEqual(['ai', 'ai-prod']);
    const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-prod');
    expect(namespaceOf(tf, deployment)).toBe('ai-prod');
    expect(deployment.spec.replicas).toBe('5');
    const pod = deployment.spec.template.spec;
    const container = pod.container[0];
    expect(container.image).toBe('ghcr.io/cdktf-ai-gateway/aigw:1.4.2');
    expect(container.image_pull_policy).toBe('IfNotPresent');
    expect(container.command).toEqual(serveArgv({ tlsAcceleration: true, compressionAcceleration: true, accelerationFallback: 'software' }));
    expect(container.command).toEqual(expect.arrayContaining(['--tls-accel=qat', '--compress-accel=qat']));
    // fallback 'software' (the default): QAT nodes preferred, no device requested (test/constructs/acceleration.test.ts).
    expect(Object.keys(container.resources.requests)).not.toContain('qat.intel.com/cy');
    expect(pod.affinity.node_affinity.preferred_during_scheduling_ignored_during_execution[0].preference.match_expressions[0].key).toBe('intel.feature.node.kubernetes.io/qat');
    expect(container.security_context).toMatchObject({ run_as_non_root: true, read_only_root_filesystem: true, allow_privilege_escalation: false });
    expect(container.liveness_probe.http_get.path).toBe(PROBE_PATHS.liveness);
    expect(container.readiness_probe.http_get.path).toBe(PROBE_PATHS.readiness);
    expect(container.volume_mount.map((m: any) => m.mount_path)).toEqual([MOUNT_PATHS.config, MOUNT_PATHS.tmp, MOUNT_PATHS.secrets]);
    expect(pod.topology_spread_constraint[0].topology_key).toBe('topology.kubernetes.io/zone');
    expect(deployment.spec.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'aigw', 'app.kubernetes.io/instance': 'prod', 'app.kubernetes.io/part-of': 'fleet' });
    expect(deployment.spec.template.metadata.annotations['kubernetes.io/ingress-bandwidth']).toBe('800M'); // 4,000 Mbps over 5 replicas
    expect(resourcesOf(tf, 'kubernetes_pod_disruption_budget_v1').map((p) => p.metadata.name)).toEqual(['aigw-prod']);
    const lb = resourcesOf(tf, 'kubernetes_service_v1').find((s) => s.metadata.name === 'aigw-prod');
    expect(lb.spec.type).toBe('LoadBalancer');
    expect(lb.spec.load_balancer_ip).toBe('203.0.113.7');
    expect(lb.metadata.annotations['service.beta.kubernetes.io/eip']).toBe('eip-123');
    expect(resourcesOf(tf, 'kubernetes_service_v1').some((s) => s.metadata.name === 'aigw-prod-redis' && namespaceOf(tf, s) === 'ai-prod')).toBe(true);
    // Everything namespaced refers to its Namespace resource, so Terraform creates the namespace first.
    for (const type of ['kubernetes_deployment_v1', 'kubernetes_service_v1', 'kubernetes_config_map_v1', 'kubernetes_service_account_v1']) {
      for (const r of resourcesOf(tf, type)) expect(() => namespaceOf(tf, r)).not.toThrow();
    }
  });

  test('a Serverless gateway: fleet namespace, shared Redis with an ACL user, HPA and no replicas, floating image, shared Ingress', () => {
    const { stack, shared, openai } = twoGateways();
    shared.addModelRoute('chat', { host: 'shared.example.com', models: [{ name: 'gpt-4o', targets: [{ backend: openai }] }] });
    const tf = synth(stack);
    const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-shared');
    expect(namespaceOf(tf, deployment)).toBe('ai');
    expect(deployment.spec.replicas).toBeUndefined();
    const container = deployment.spec.template.spec.container[0];
    expect(container.image).toBe('ghcr.io/cdktf-ai-gateway/aigw:stable');
    expect(container.image_pull_policy).toBe('Always');
    expect(container.command).not.toContain('--tls-accel=qat');
    expect(container.resources.limits['qat.intel.com/cy']).toBeUndefined();
    const [hpa] = resourcesOf(tf, 'kubernetes_horizontal_pod_autoscaler_v2');
    expect(hpa.spec).toMatchObject({ min_replicas: 3, max_replicas: 12, scale_target_ref: { kind: 'Deployment', name: 'aigw-shared' } });
    const [ingress] = resourcesOf(tf, 'kubernetes_ingress_v1');
    expect(ingress.spec.rule).toEqual([
      { host: 'shared.example.com', http: { path: [{ path: '/', path_type: 'Prefix', backend: { service: { name: 'aigw-shared', port: { name: 'http' } } } }] } },
    ]);
    const redis = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-redis');
    expect(redis.spec.template.spec.init_container[0].command[2]).toContain('~aigw:shared:*');
    expect(resourcesOf(tf, 'kubernetes_service_v1').find((s) => s.metadata.name === 'aigw-shared').spec.type).toBe('ClusterIP');
  });

  test('the Dedicated image defaults to the library version', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' }).addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.openAi() }] }] });
    const deployment = resourcesOf(synth(stack), 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-prod');
    expect(deployment.spec.template.spec.container[0].image).toBe(`ghcr.io/cdktf-ai-gateway/aigw:${LIBRARY_VERSION}`);
  });

  test('the resource count does not grow with routes: 10 and 1,000 routes give the same count', () => {
    const count = (routes: number) => {
      const { stack, fleet } = fleetStack();
      const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
      const backend = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
      for (let i = 0; i < routes; i++) g.addModelRoute(`r${i}`, { pathPrefix: `/r${i}`, models: [{ name: `model-${i}`, targets: [{ backend }] }] });
      return resourceCount(synth(stack));
    };
    expect(count(1000)).toBe(count(10));
  });

  test('each distinct Secret is mounted once, with only the keys used', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const route = g.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] }] });
    for (let i = 0; i < 50; i++) g.addConsumer(`c${i}`, { apiKey: { secretName: 'consumer-keys', key: `c${i}` }, grants: { routes: [route] } });
    const deployment = resourcesOf(synth(stack), 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-g');
    const secretsVolume = deployment.spec.template.spec.volume.find((v: any) => v.name === 'secrets');
    const sources = secretsVolume.projected[0].sources[0].secret;
    expect(sources.map((s: any) => s.name)).toEqual(['consumer-keys', 'llm-keys']);
    expect(sources[0].items).toHaveLength(50);
    expect(sources[0].items[0]).toEqual({ key: 'c0', path: 'consumer-keys/c0' });
  });

  test('no secret value appears in the synthesized output', () => {
    process.env.OPENAI_API_KEY = 'sk-live-do-not-leak-0123456789';
    const { stack, prod, openai } = twoGateways();
    const mcp = new McpServer(stack, 'weather', { gateway: prod, kind: 'proxy', url: 'https://mcp.example.com/mcp', auth: { secretName: 'mcp-tokens', key: 'weather' } });
    const chat = prod.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: openai }] }] });
    prod.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat], mcpServers: [mcp] } });
    const out = Testing.synth(stack, true);
    delete process.env.OPENAI_API_KEY;
    expect(out).not.toContain('sk-live-do-not-leak');
    // References do appear, as Secret names and keys only.
    expect(out).toContain('consumer-keys');
  });
});
