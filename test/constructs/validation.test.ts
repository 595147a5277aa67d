import { writeFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdktf';
import { configOf, fleetStack, openAi, synth, synthError } from './fixtures';
import { type AiGateway, AiGatewayFleet, Backend, Extension, McpServer, ModelRoute } from '../../src';
import { tempDirs } from '../support/temp-dirs';

const tempDir = tempDirs();

const model = (name = 'gpt-4o') => ({ name, targets: [{ backend: openAi() }] });
/** Props as a plain-JS caller could pass them: TypeScript is not there to stop them. */
const untyped = (props: object): any => props;

describe('feature matrix (plain-JS callers, checked with zod)', () => {
  test.each([
    ['spec', { spec: 'aigw.small.x1' }, 'Capacity'],
    ['waf', { waf: {} }, 'WAF integration'],
    ['hardwareAcceleration', { hardwareAcceleration: { tls: true } }, 'TLS hardware acceleration'],
    ['endpoint', { endpoint: { fixedIp: '203.0.113.1' } }, 'Fixed EIP'],
    ['observability', { observability: { customLabels: {} } }, 'Monitoring and alerting'],
    ['version', { version: '1.0.0' }, 'Version updates'],
  ])('a Serverless gateway with %s fails; without it, it passes', (key, extra, feature) => {
    const bad = fleetStack();
    const g = bad.fleet.addGateway('sl', untyped({ edition: 'serverless', ...extra }));
    g.addModelRoute('r', { models: [model()] });
    expect(synthError(bad.stack)).toContain(
      `Gateway 'sl' (${g.node.path}): '${key}' (${feature}) is not available on the Serverless edition (catalog: `,
    );
    const good = fleetStack();
    good.fleet.addGateway('sl', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(() => synth(good.stack)).not.toThrow();
  });

  test('the same props are accepted on a Dedicated gateway', () => {
    const { stack, fleet } = fleetStack();
    fleet
      .addGateway('d', {
        edition: 'dedicated',
        spec: 'aigw.small.x1',
        waf: {},
        hardwareAcceleration: { tls: true },
        endpoint: { fixedIp: '203.0.113.1' },
        observability: { customLabels: { team: 'ai' } },
        version: '1.0.0',
      })
      .addModelRoute('r', { models: [model()] });
    expect(() => synth(stack)).not.toThrow();
  });

  test('a Dedicated gateway without a spec, or with one outside the catalog, fails', () => {
    const { stack, fleet } = fleetStack();
    const a = fleet.addGateway('a', untyped({ edition: 'dedicated' }));
    const b = fleet.addGateway('b', untyped({ edition: 'dedicated', spec: 'aigw.small.x3' }));
    const message = synthError(stack);
    expect(message).toContain(`Gateway 'a' (${a.node.path}): spec must be one of aigw.small.x1`);
    expect(message).toContain(`Gateway 'b' (${b.node.path}): spec must be one of aigw.small.x1`);
    expect(message).toContain('found "aigw.small.x3"');
  });

  test('Serverless bandwidth: 400 Mbps passes, 401 fails; Dedicated may exceed 4000', () => {
    const ok = fleetStack();
    ok.fleet.addGateway('sl', { edition: 'serverless', bandwidthMbps: 400 }).addModelRoute('r', { models: [model()] });
    ok.fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', bandwidthMbps: 10000 }).addModelRoute('r', { models: [model()] });
    expect(() => synth(ok.stack)).not.toThrow();
    const bad = fleetStack();
    const g = bad.fleet.addGateway('sl', { edition: 'serverless', bandwidthMbps: 401 });
    expect(synthError(bad.stack)).toContain(`Gateway 'sl' (${g.node.path}): Serverless bandwidth is at most 400 Mbps, found 401. Lower bandwidthMbps, or use edition 'dedicated'`);
  });

  test.each([
    ['marketplace', 'pii-redaction'],
    ['custom', 'cache'],
  ] as const)('a %s Extension on a Serverless gateway fails; on Dedicated it passes', (source, name) => {
    const dir = tempDir('aigw-ext-');
    writeFileSync(join(dir, 'ext.js'), `module.exports = { name: '${name}' };\n`);
    const bad = fleetStack();
    const sl = bad.fleet.addGateway('sl', { edition: 'serverless' });
    sl.addModelRoute('r', { models: [model()] });
    const ext = new Extension(bad.stack, 'ext', { gateway: sl as unknown as AiGateway<'dedicated'>, name, source, modulePath: join(dir, 'ext.js') });
    expect(synthError(bad.stack)).toMatch(new RegExp(`Extension '${name}' \\(${ext.node.path}\\): (Extension marketplace|Custom extensions) are not available on the Serverless edition`));

    const good = fleetStack();
    const d = good.fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
    d.addModelRoute('r', { models: [model()] });
    d.addExtension('ext', { name, source, ...(source === 'custom' && { modulePath: join(dir, 'ext.js') }) });
    sl.addExtension('sys', { name: 'header-transform', source: 'system' });
    expect(() => synth(good.stack)).not.toThrow();
  });

  test("a prop the extension's source does not use is refused, not ignored: version on system and custom, modulePath on the others", () => {
    const { stack, fleet } = fleetStack();
    const d = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const dir = tempDir('aigw-ext-');
    writeFileSync(join(dir, 'mine.js'), "module.exports = { name: 'mine' };\n");
    const sys = d.addExtension('sys', { name: 'ai-cache', source: 'system', version: '1.0.0' });
    const custom = d.addExtension('own', { name: 'mine', source: 'custom', modulePath: join(dir, 'mine.js'), version: '2.0.0' });
    const mkt = d.addExtension('mkt', { name: 'audit-log', source: 'marketplace', modulePath: join(dir, 'mine.js') });
    const message = synthError(stack);
    expect(message).toContain(`[extensions] Extension 'ai-cache' (${sys.node.path}): version is for marketplace extensions`);
    expect(message).toContain(`[extensions] Extension 'mine' (${custom.node.path}): version is for marketplace extensions`);
    expect(message).toContain(`[extensions] Extension 'audit-log' (${mkt.node.path}): modulePath and allowedModules are for custom extensions`);
  });

  test('a custom Extension needs a module that exists', () => {
    const { stack, fleet } = fleetStack();
    const d = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
    d.addExtension('a', { name: 'a', source: 'custom' });
    d.addExtension('b', { name: 'b', source: 'custom', modulePath: '/nonexistent/ext.js' });
    const message = synthError(stack);
    expect(message).toContain("Extension 'a' (stack0/fleet/d/a): a custom extension needs modulePath");
    expect(message).toContain("Extension 'b' (stack0/fleet/d/b): modulePath '/nonexistent/ext.js' does not exist");
  });
});

describe('references and routing', () => {
  test('two routes with the same host and path fail', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    g.addModelRoute('a', { host: 'api.example.com', pathPrefix: '/v1', models: [model()] });
    const b = g.addModelRoute('b', { host: 'api.example.com', pathPrefix: '/v1', models: [model()] });
    g.addModelRoute('c', { host: 'api.example.com', pathPrefix: '/v2', models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`Route 'b' (${b.node.path}): host 'api.example.com' and path '/v1' are already routed by stack0/fleet/g/a`);
    expect(message).not.toContain("Route 'c'");
  });

  test('two Serverless gateways of a fleet cannot claim the same host on the shared endpoint', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('a', { edition: 'serverless' }).addModelRoute('r', { host: 'x.example.com', models: [model()] });
    const b = fleet.addGateway('b', { edition: 'serverless' });
    b.addDomain('d', { hostname: 'x.example.com' });
    b.addModelRoute('r', { host: 'x.example.com', models: [model()] });
    expect(synthError(stack)).toContain(`Gateway 'b' (${b.node.path}): host 'x.example.com' on the fleet's shared endpoint is already served by Gateway 'a'`);
  });

  test("a grant to another gateway's route or MCP server fails", () => {
    const { stack, fleet } = fleetStack();
    const a = fleet.addGateway('a', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const b = fleet.addGateway('b', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const own = a.addModelRoute('own', { models: [model()] });
    const theirs = b.addModelRoute('theirs', { models: [model()] });
    const mcp = b.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    const alice = a.addConsumer('alice', { apiKey: { secretName: 'keys', key: 'alice' }, grants: { routes: [own, theirs], mcpServers: [mcp] } });
    const message = synthError(stack);
    expect(message).toContain(`Consumer 'alice' (${alice.node.path}): refers to a grant to route 'theirs' (${theirs.node.path}) of Gateway 'b'`);
    expect(message).toContain("refers to a grant to MCP server 'tools'");
    expect(message).not.toContain("route 'own'");
  });

  test('a route with no backend fails; each kind names its fix', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const empty = new ModelRoute(stack, 'empty', { gateway: g, pathPrefix: '/empty' });
    g.addModelRoute('notargets', { pathPrefix: '/nt', models: [{ name: 'm', targets: [] }] });
    g.addModelRoute('nourl', { pathPrefix: '/nu', models: [{ name: 'm', targets: [{ backend: Backend.vllm({}) }] }] });
    g.addAgentRoute('dify', { kind: 'dify', pathPrefix: '/dify' });
    g.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio' });
    new McpServer(stack, 'h2m', { gateway: g, kind: 'http-to-mcp', baseUrl: 'https://api.example.com' });
    const message = synthError(stack);
    expect(message).toContain(`ModelRoute 'empty' (${empty.node.path}): has no models, so no backend.`);
    expect(message).toContain("model 'm' has no targets, so no backend");
    expect(message).toContain('goes to a vllm backend with no baseUrl. Set baseUrl or service');
    expect(message).toContain("a 'dify' agent route has no baseUrl or service");
    expect(message).toContain("a 'model-studio' agent route needs the application's appId");
    expect(message).toContain('an HTTP-to-MCP server has no tools');
  });

  test('a fallback loop fails, and so does a fallback to an unknown model', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const loop = g.addModelRoute('loop', {
      pathPrefix: '/loop',
      models: [
        { ...model('a'), fallbacks: ['b'] },
        { ...model('b'), fallbacks: ['c'] },
        { ...model('c'), fallbacks: ['a', 'ghost'] },
      ],
    });
    g.addModelRoute('chain', { pathPrefix: '/chain', models: [{ ...model('a'), fallbacks: ['b'] }, model('b')] });
    const message = synthError(stack);
    expect(message).toContain(`ModelRoute 'loop' (${loop.node.path}): fallback loop a → b → c → a. Remove one of these fallbacks.`);
    expect(message).toContain("model 'c' falls back to 'ghost', which the route does not define");
    expect(message.match(/fallback loop/g)).toHaveLength(1);
    expect(message).not.toContain("'chain'");
  });

  test('an OpenAPI file that cannot be read fails, naming the server and the file', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const server = g.addMcpServer('petstore', { kind: 'http-to-mcp', baseUrl: 'https://petstore.example.com', openApiFile: '/nonexistent/petstore.json' });
    expect(synthError(stack)).toContain(`McpServer 'petstore' (${server.node.path}): cannot read OpenAPI file "/nonexistent/petstore.json"`);
  });

  test('an OpenAPI file is converted at synth to one tool per operation', () => {
    const dir = tempDir('aigw-oas-');
    const file = join(dir, 'weather.json');
    writeFileSync(
      file,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'weather', version: '1' },
        paths: {
          '/forecast/{city}': {
            get: { operationId: 'getForecast', parameters: [{ name: 'city', in: 'path', required: true, schema: { type: 'string' } }, { name: 'days', in: 'query', schema: { type: 'integer' } }] },
          },
          '/alerts': { post: { operationId: 'createAlert', requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } } },
        },
      }),
    );
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    g.addMcpServer('weather', { kind: 'http-to-mcp', baseUrl: 'https://weather.example.com', openApiFile: file });
    const config = configOf(synth(stack), 'g');
    const server = config.mcpServers[0];
    const tools = server.kind === 'http-to-mcp' ? server.tools : [];
    expect(tools.map((t: any) => t.name)).toEqual(['getForecast', 'createAlert']);
    expect(tools[0].request).toMatchObject({ method: 'GET', path: '/forecast/{{args.city}}', query: { days: '{{args.days}}' } });
    expect(tools[1].request.bodyArg).toBe('body');
  });
});

describe('the App is validated as a whole', () => {
  test('two bad gateways in two stacks produce one error naming both', () => {
    const app = Testing.app();
    const one = fleetStack({}, app);
    const two = fleetStack({ region: 'cn-beijing' }, app);
    const a = one.fleet.addGateway('a', { edition: 'serverless', bandwidthMbps: 500 });
    const b = two.fleet.addGateway('b', untyped({ edition: 'serverless', waf: {} }));
    const message = synthError(one.stack);
    // Each under its own stack's path, not the path of the stack that happened to synthesize first.
    expect(message).toContain(`[${one.stack.node.path}] [gateway-props] Gateway 'a' (${a.node.path})`);
    expect(message).toContain(`[${two.stack.node.path}] [gateway-props] Gateway 'b' (${b.node.path})`);
    // And the same single report from the other stack.
    expect(synthError(two.stack)).toBe(message);
  });

  test('100 gateways in a region pass; 101 across two fleets fail, naming both fleets', () => {
    const build = (n: number) => {
      const app = Testing.app();
      const { stack, fleet } = fleetStack({}, app);
      const other = new AiGatewayFleet(stack, 'other', { region: 'cn-hangzhou', namespace: 'other' });
      for (let i = 0; i < n; i++) {
        const f = i % 2 === 0 ? fleet : other;
        f.addGateway(`g${i}`, { edition: 'serverless' }).addModelRoute('r', { host: `g${i}.example.com`, models: [model()] });
      }
      return stack;
    };
    expect(() => synth(build(100))).not.toThrow();
    expect(synthError(build(101))).toContain(
      "Region 'cn-hangzhou': at most 100 gateways per region, found 101 in stack0/fleet (51), stack0/other (50). Remove 1, or move them to a fleet in another region.",
    );
  });

  test('the region limit counts only its own region', () => {
    const app = Testing.app();
    const { stack, fleet } = fleetStack({}, app);
    const west = new AiGatewayFleet(stack, 'west', { region: 'us-west-1', namespace: 'west' });
    for (let i = 0; i < 100; i++) fleet.addGateway(`g${i}`, { edition: 'serverless' }).addModelRoute('r', { host: `g${i}.a.example.com`, models: [model()] });
    for (let i = 0; i < 5; i++) west.addGateway(`g${i}`, { edition: 'serverless' }).addModelRoute('r', { host: `g${i}.b.example.com`, models: [model()] });
    expect(() => synth(stack)).not.toThrow();
  });

  test('duplicate names and over-long gateway names fail', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('a', { edition: 'serverless', gatewayName: 'same' }).addModelRoute('r', { host: 'a.example.com', models: [model()] });
    fleet.addGateway('b', { edition: 'serverless', gatewayName: 'same' }).addModelRoute('r', { host: 'b.example.com', models: [model()] });
    fleet.addGateway('c', { edition: 'dedicated', spec: 'aigw.small.x1', gatewayName: 'x'.repeat(60) });
    const message = synthError(stack);
    expect(message).toContain("Gateway 'same' (stack0/fleet/b): the name is already used by stack0/fleet/a");
    expect(message).toContain(`found '${'x'.repeat(60)}' (60 characters)`);
    expect(message).toContain('Set a gatewayName of at most 52 characters, or a shorter fleet namespace.');
  });

  test('more than 32 distinct Secrets on a gateway fail with the fix', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const r = g.addModelRoute('r', { models: [model()] });
    for (let i = 0; i < 32; i++) g.addConsumer(`c${i}`, { apiKey: { secretName: `key-${i}`, key: 'k' }, grants: { routes: [r] } });
    // llm-keys (the backend) + 32 consumer Secrets = 33.
    expect(synthError(stack)).toContain(`Gateway 'g' (${g.node.path}): references 33 distinct Secrets, at most 32 can be mounted. Put many keys in one Secret`);
  });

  test('fleet props are checked', () => {
    const { stack, fleet } = fleetStack({ region: '', namespace: 'Bad_NS', serverless: { minReplicas: 5, maxReplicas: 2 } });
    const message = synthError(stack);
    expect(message).toContain(`Fleet 'fleet' (${fleet.node.path}): region must be a non-empty string`);
    expect(message).toContain("namespace must be a DNS label of at most 63 characters, found 'Bad_NS'");
    expect(message).toContain('serverless.minReplicas (5) exceeds maxReplicas (2)');
  });

  test('bad values the other rules do not name are caught by the config schema, at the construct and prop', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const r = g.addModelRoute('r', { host: 'Not A Host', models: [{ name: 'm', targets: [{ backend: Backend.openAiCompatible({ baseUrl: 'https://llm.example.com/v1' }) }] }] });
    const message = synthError(stack);
    expect(message).toContain(`[config-schema] ModelRoute 'r' (${r.node.path}): host: must be a lowercase hostname, "*.domain" or "*", found "Not A Host". Fix host.`);
  });

  test('a malformed URL is named by the upstream-urls rule at its route, with the value', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const r = g.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.openAiCompatible({ baseUrl: 'ftp://x' }) }] }] });
    expect(synthError(stack)).toContain(`[upstream-urls] ModelRoute 'r' (${r.node.path}): model 'm' goes to a backend whose baseUrl "ftp://x" has scheme 'ftp', not http or https.`);
  });
});

describe("the config schema's findings come with every other rule's, named by construct and prop", () => {
  test('one synth reports a bad rate limit and an unrelated rule error of the same gateway at once', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const loop = g.addModelRoute('loop', { pathPrefix: '/loop', models: [{ ...model('a'), fallbacks: ['a'] }] });
    const chat = g.addModelRoute('chat', { pathPrefix: '/chat', models: [model()], policies: untyped({ rateLimits: [{ limit: -5, window: 'fortnight' }] }) });
    const message = synthError(stack);
    expect(message).toContain(`[fallback-loops] ModelRoute 'loop' (${loop.node.path}): fallback loop a → a.`);
    expect(message).toContain(`[config-schema] ModelRoute 'chat' (${chat.node.path}): policies.rateLimits[0].limit: Too small: expected number to be >=1, found -5. Fix policies.rateLimits[0].limit.`);
    expect(message).toContain(`[config-schema] ModelRoute 'chat' (${chat.node.path}): policies.rateLimits[0].window: Invalid option: expected one of`);
    expect(message).toContain('found "fortnight". Fix policies.rateLimits[0].window.');
    // Named by construct and prop, not by the gateway and its config path.
    expect(message).not.toContain('modelRoutes[');
  });

  test("a gateway-props error and the schema's findings on the gateway's children come in one run", () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('sl', { edition: 'serverless', bandwidthMbps: 401 });
    const ext = g.addExtension('auth', { name: 'header-transform', source: 'system', priority: 5, phase: 'sometimes' as 'default', config: { response: { set: { 'x-a': 'b' } } } });
    const alice = g.addConsumer('alice', { apiKey: untyped({ secretName: 'Consumer Keys', key: 'alice' }) });
    const message = synthError(stack);
    expect(message).toContain(`[gateway-props] Gateway 'sl' (${g.node.path}): Serverless bandwidth is at most 400 Mbps, found 401.`);
    expect(message).toContain(`[config-schema] Extension 'header-transform' (${ext.node.path}): phase: Invalid option: expected one of`);
    expect(message).toContain(`[config-schema] Consumer 'alice' (${alice.node.path}): apiKey.secretName: must be a lowercase RFC 1123 name`);
  });

  test('a plain-JS null priority on an extension is reported, not replaced by the default', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const ext = g.addExtension('auth', untyped({ name: 'header-transform', source: 'system', priority: null }));
    expect(synthError(stack)).toContain(`[extensions] Extension 'header-transform' (${ext.node.path}): priority must be an integer from 0 to 1000, found null.`);
  });

  test("an extension's hook budgets: written to the config when set, refused outside their ranges", () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    g.addModelRoute('r', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
    g.addExtension('slow', { name: 'header-transform', source: 'system', syncBudgetMs: 20, asyncBudgetMs: 500, config: { response: { set: { 'x-a': 'b' } } } });
    g.addExtension('plain', { name: 'model-mapper', source: 'system', config: { mappings: { 'gpt-4': 'gpt-4o' } } });
    const extensions = configOf(synth(stack), 'g').extensions;
    expect(extensions.find((e) => e.name === 'header-transform')).toMatchObject({ syncBudgetMs: 20, asyncBudgetMs: 500 });
    expect(extensions.find((e) => e.name === 'model-mapper')).not.toHaveProperty('syncBudgetMs');
    expect(extensions.find((e) => e.name === 'model-mapper')).not.toHaveProperty('asyncBudgetMs');

    const bad = fleetStack();
    const h = bad.fleet.addGateway('h', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const ext = h.addExtension('slow', { name: 'header-transform', source: 'system', syncBudgetMs: 0, asyncBudgetMs: 120_000, config: { response: { set: { 'x-a': 'b' } } } });
    const message = synthError(bad.stack);
    expect(message).toContain(`[extensions] Extension 'header-transform' (${ext.node.path}): syncBudgetMs must be a number of milliseconds from 0.1 to 1000, found 0. Fix syncBudgetMs (default 5).`);
    expect(message).toContain(`[extensions] Extension 'header-transform' (${ext.node.path}): asyncBudgetMs must be a whole number of milliseconds from 1 to 60000, found 120000. Fix asyncBudgetMs (default 50).`);
  });

  test("a backend's bad value is reported at the first route that uses it, naming the backend and the prop", () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const shared = Backend.openAi({ retries: { attempts: 99 }, backendName: 'primary' });
    const first = g.addModelRoute('first', { pathPrefix: '/a', models: [{ name: 'm', targets: [{ backend: shared }] }] });
    g.addModelRoute('second', { pathPrefix: '/b', models: [{ name: 'm', targets: [{ backend: shared }] }] });
    const message = synthError(stack);
    expect(message).toContain(`[config-schema] ModelRoute 'first' (${first.node.path}): the backend 'primary' of model 'm': retries.attempts: Too big: expected number to be <=10, found 99. Fix retries.attempts.`);
    expect(message.match(/retries\.attempts/g)).toHaveLength(2); // once in the message, once in its fix: one finding
  });

  test('a value another rule already reports at its construct is not reported again by the schema', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    g.addAgentRoute('a', { kind: 'dify', baseUrl: 'ftp://agent.example.com' });
    const message = synthError(stack);
    expect(message).toContain("[upstream-urls] AgentRoute 'a'");
    expect(message).not.toContain('[config-schema]');
  });
});
