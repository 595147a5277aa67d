import { join } from 'path';
import { AnnotationMetadataEntryType, type TerraformStack } from 'cdktf';
import { configOf, fleetStack, resourcesOf, synth, synthError } from './fixtures';
import { Rules } from '../../src';

const key = (k: string) => ({ secretName: 'consumer-keys', key: k });
const WEATHER_OPENAPI = join(__dirname, '..', '..', 'examples', 'fleet', 'weather-api.yaml');
const SESSION_KEY = { secretName: 'aigw-mcp', key: 'session-key' };

/** A Dedicated gateway with a proxy (allowTools), a proxy without, an inline HTTP-to-MCP server and the example's OpenAPI one. */
function mcpGateway(gatewayProps: { mcpSessionKey?: { secretName: string; key: string } } = { mcpSessionKey: SESSION_KEY }) {
  const { stack, fleet } = fleetStack();
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', ...gatewayProps });
  const search = prod.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp', allowTools: ['search', 'fetch'] });
  const open = prod.addMcpServer('open', { kind: 'proxy', url: 'https://open.example.com/mcp' });
  const inline = prod.addMcpServer('inline', {
    kind: 'http-to-mcp',
    baseUrl: 'https://api.example.com',
    tools: [{ name: 'lookup', request: { method: 'GET', path: '/lookup/{{args.id}}' } }],
  });
  const weather = prod.addMcpServer('weather', { kind: 'http-to-mcp', baseUrl: 'https://weather.example.com', openApiFile: WEATHER_OPENAPI });
  const alice = prod.addConsumer('alice', { apiKey: key('alice') });
  const bob = prod.addConsumer('bob', { apiKey: key('bob') });
  return { stack, fleet, prod, search, open, inline, weather, alice, bob };
}

const grantsOf = (stack: TerraformStack, gateway = 'prod') => Object.fromEntries(configOf(synth(stack), gateway).consumers.map((c) => [c.name, c.grants]));

function warningsOf(stack: TerraformStack): { path: string; message: string }[] {
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => ({ path: c.node.path, message: String(m.data) })),
  );
}

describe('per-tool grants', () => {
  test('server.grantTools and consumer.grantMcpTools are twins, emitted as grants.mcpTools by server name', () => {
    const { stack, search, weather, alice, bob } = mcpGateway();
    expect(search.grantTools(alice, ['search'])).toBe(search);
    expect(bob.grantMcpTools(weather, ['getForecast'])).toBe(bob);
    expect(alice.grantedMcpTools).toEqual([{ server: search, tools: ['search'] }]);
    expect(grantsOf(stack)).toEqual({
      alice: { all: false, routes: [], mcpServers: [], mcpTools: { search: ['search'] } },
      bob: { all: false, routes: [], mcpServers: [], mcpTools: { weather: ['getForecast'] } },
    });
  });

  test('several grants of one server merge, each tool named once; props, twins and methods add up', () => {
    const { stack, prod, search, weather, inline, alice } = mcpGateway();
    const carol = prod.addConsumer('carol', { apiKey: key('carol'), grants: { mcpServers: [inline], mcpTools: [{ server: search, tools: ['fetch', 'search'] }] } });
    search.grantTools(carol, ['search']).grantTools(carol, ['fetch']);
    carol.grantMcpTools(weather, ['subscribeAlerts', 'getForecast', 'subscribeAlerts']);
    alice.grantMcpServer(search);
    const grants = grantsOf(stack);
    expect(grants.carol).toEqual({ all: false, routes: [], mcpServers: ['inline'], mcpTools: { search: ['fetch', 'search'], weather: ['subscribeAlerts', 'getForecast'] } });
    // No tool grant: no mcpTools at all, so configs without them stay byte for byte as they were.
    expect(grants.alice).toEqual({ all: false, routes: [], mcpServers: ['search'] });
    expect(Object.keys(grants.bob)).toEqual(['all', 'routes', 'mcpServers']);
  });

  test('a list changed after the grant does not change it', () => {
    const { stack, search, alice } = mcpGateway();
    const tools = ['search'];
    search.grantTools(alice, tools);
    tools.push('fetch');
    expect(grantsOf(stack).alice.mcpTools).toEqual({ search: ['search'] });
  });

  test('a granted tool the server does not declare fails synth, naming the consumer, the server, the tool, its tools and the fix', () => {
    const { stack, search, inline, weather, alice, bob } = mcpGateway();
    search.grantTools(alice, ['search', 'delete']);
    inline.grantTools(alice, ['lookupp']);
    weather.grantTools(bob, ['getForecast', 'forecast']);
    const message = synthError(stack);
    expect(message).toContain(
      `[mcp-tool-grants] Consumer 'alice' (${alice.node.path}): is granted tool "delete" of McpServer 'search' (${search.node.path}), which declares no such tool; its tools: 'search', 'fetch'. Grant one of these (server.grantTools(consumer, [...])), or add 'delete' to the server's allowTools.`,
    );
    expect(message).toContain(`is granted tool "lookupp" of McpServer 'inline' (${inline.node.path}), which declares no such tool; its tools: 'lookup'.`);
    // The OpenAPI file's operations are the tools of the example's weather server.
    expect(message).toContain(`Consumer 'bob' (${bob.node.path}): is granted tool "forecast" of McpServer 'weather' (${weather.node.path}), which declares no such tool; its tools: 'getForecast', 'subscribeAlerts'.`);
    expect(message).toContain("add 'forecast' to the server's tools or its OpenAPI file.");
    expect(message.match(/\[mcp-tool-grants\]/g)).toHaveLength(3);
  });

  test('the error cannot be suppressed', () => {
    const { stack, search, alice } = mcpGateway();
    search.grantTools(alice, ['delete']);
    Rules.suppress(alice, 'mcp-tool-grants', 'we know');
    expect(synthError(stack)).toContain('[mcp-tool-grants]');
  });

  test('a proxy without allowTools exposes whatever its upstream has: any tool may be granted', () => {
    const { stack, open, alice } = mcpGateway();
    open.grantTools(alice, ['anything']);
    expect(grantsOf(stack).alice.mcpTools).toEqual({ open: ['anything'] });
  });

  test("a tool grant to another gateway's server fails synth (foreign-references)", () => {
    const { stack, fleet, search } = mcpGateway();
    const lab = fleet.addGateway('lab', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const carol = lab.addConsumer('carol', { apiKey: key('carol') });
    search.grantTools(carol, ['search']);
    expect(synthError(stack)).toContain(`[foreign-references] Consumer 'carol' (${carol.node.path}): refers to a grant of tools of MCP server 'search' (${search.node.path}) of Gateway 'prod'`);
  });

  test('a plain-JS tool list that is not a list is reported at the consumer, not a crash', () => {
    const { stack, search, alice } = mcpGateway();
    alice.grantMcpTools(search, 'search' as unknown as string[]);
    expect(synthError(stack)).toContain('the tools granted of MCP server \'search\' must be a list of tool names, found "search"');
  });
});

describe('the MCP session key', () => {
  test('mcpSessionKey is emitted as mcp.sessionKey and its Secret key is mounted', () => {
    const { stack } = mcpGateway();
    const tf = synth(stack);
    expect(configOf(tf, 'prod').mcp).toEqual({ sessionKey: SESSION_KEY });
    const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-prod');
    const sources = deployment.spec.template.spec.volume.find((v: any) => v.name === 'secrets').projected[0].sources[0].secret;
    expect(sources.find((s: any) => s.name === 'aigw-mcp')).toEqual({ name: 'aigw-mcp', items: [{ key: 'session-key', path: 'aigw-mcp/session-key' }] });
  });

  test('a Serverless gateway takes it too; without it the config has no mcp at all', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('lab', { edition: 'serverless', mcpSessionKey: SESSION_KEY }).addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    fleet.addGateway('plain', { edition: 'serverless' });
    const tf = synth(stack);
    expect(configOf(tf, 'lab').mcp).toEqual({ sessionKey: SESSION_KEY });
    expect('mcp' in configOf(tf, 'plain')).toBe(false);
  });

  test('a malformed key is reported at the gateway', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('lab', { edition: 'serverless', mcpSessionKey: { secretName: 'aigw-mcp' } as never });
    expect(synthError(stack)).toMatch(/\[gateway-props\] Gateway 'lab' \(\S+\): mcpSessionKey\.key .*Fix 'mcpSessionKey\.key'/);
  });

  test('MCP servers on replicas without a shared key: a warning naming the gateway, the effect and the fix', () => {
    const { stack, fleet } = fleetStack();
    const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' });
    prod.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    const lab = fleet.addGateway('lab', { edition: 'serverless' });
    lab.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    // With a key, or without MCP servers: nothing to say.
    fleet.addGateway('keyed', { edition: 'dedicated', spec: 'aigw.small.x1', mcpSessionKey: SESSION_KEY }).addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    fleet.addGateway('plain', { edition: 'serverless' });
    synth(stack);
    const warnings = warningsOf(stack).filter((w) => w.message.startsWith('[mcp-session-key]'));
    expect(warnings.map((w) => w.path)).toEqual([prod.node.path, lab.node.path]);
    expect(warnings[0].message).toBe(
      `[mcp-session-key] Gateway 'prod' (${prod.node.path}): has 1 MCP server(s) and runs 2 replicas, but no mcpSessionKey: each replica seals MCP session ids with a random key of its own, so a session breaks (the client must initialize again) whenever one of its requests lands on another replica. Set mcpSessionKey: { secretName, key } naming a Secret key that holds 32 random bytes (e.g. openssl rand -base64 32).`,
    );
    expect(warnings[1].message).toContain("Gateway 'lab'");
    expect(warnings[1].message).toContain('autoscales up to 20 replicas');
  });

  test('the warning can be suppressed', () => {
    const { stack, fleet } = fleetStack();
    const lab = fleet.addGateway('lab', { edition: 'serverless' });
    lab.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    Rules.suppress(lab, 'mcp-session-key', 'one replica in practice');
    synth(stack);
    expect(warningsOf(stack).filter((w) => w.message.startsWith('[mcp-session-key]'))).toEqual([]);
  });
});
