import { fleetStack, openAi } from './fixtures';
import { Backend } from '../../src';
import { GATEWAY_CONFIG_DEFAULTS } from '../../src/specs';

describe('constructs resolve their props into readonly fields, defaults filled in', () => {
  test('a gateway, its routes, servers, extensions and backends state their defaults', () => {
    const { fleet } = fleetStack();
    const d = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', waf: { rules: { xss: false } } });
    const s = fleet.addGateway('s', { edition: 'serverless' });
    const route = d.addModelRoute('chat', { models: [{ name: 'm', targets: [{ backend: openAi() }] }] });
    const agent = d.addAgentRoute('agent', { kind: 'model-studio', appId: 'a', timeouts: { totalMs: 5 } });
    const tools = d.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    const ext = d.addExtension('ext', { name: 'header-transform', source: 'system' });
    const backend = Backend.openAi({ retries: { attempts: 4 } });

    expect([route.host, route.pathPrefix, route.routeName]).toEqual(['*', '/', 'chat']);
    expect(route.policies).toMatchObject({ keyAuth: true, rateLimits: [], onRedisUnavailable: 'failOpen' });
    expect(agent.timeouts).toEqual({ ...GATEWAY_CONFIG_DEFAULTS.timeouts, totalMs: 5 });
    expect(agent.baseUrl).toMatch(/^https:\/\//); // Model Studio's public endpoint
    expect([tools.path, tools.transport, tools.allowTools]).toEqual(['/mcp/tools', 'streamable-http', []]);
    // A system extension's phase and priority are its catalog entry's (header-transform: default, 500).
    expect([ext.phase, ext.priority, ext.failPolicy, ext.enabled, ext.config]).toEqual(['default', 500, 'closed', true, {}]);
    expect(backend.retries).toEqual({ ...GATEWAY_CONFIG_DEFAULTS.retries, attempts: 4 });
    expect(backend.circuitBreaker).toEqual(GATEWAY_CONFIG_DEFAULTS.circuitBreaker);
    expect(backend.baseUrl).toBe('https://api.openai.com/v1');
    expect([d.bandwidthMbps, s.bandwidthMbps]).toEqual([4000, 400]);
    expect(d.waf).toEqual({
      mode: 'block',
      rules: { sqlInjection: true, xss: false, pathTraversal: true, commandInjection: true, promptInjection: false, protocol: true },
      customRules: [],
      ipDenyList: [],
      trustedProxies: [],
      anomalyThreshold: 5,
      inspectMessages: false,
    });
    expect([route.waf, agent.waf, tools.waf]).toEqual([undefined, undefined, undefined]);
    expect(s.waf).toBeUndefined();
    expect(fleet.serverless).toEqual({ minReplicas: 2, maxReplicas: 20, targetCpuUtilizationPercent: 70, imageChannel: 'stable' });
    expect(fleet.redisAclSecretName).toBe('aigw-redis-acl');
  });
});
