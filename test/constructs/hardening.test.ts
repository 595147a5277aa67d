import { mkdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { appSynthError, fleetStack, openAi, resourcesOf, synth, synthError } from './fixtures';
import { AiGateway, AiGatewayFleet, Backend, LOCK_FILE_CONTEXT_KEY, ModelRoute } from '../../src';
import { locateLockFile } from '../../src/constructs/lock-file';
import { tempDirs } from '../support/temp-dirs';

const tempDir = tempDirs();

const model = () => ({ name: 'gpt-4o', targets: [{ backend: openAi() }] });
const untyped = (x: unknown): any => x;

describe('names and namespaces', () => {
  test("a gateway may not take a name reserved for the fleet's shared resources", () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('redis', { edition: 'serverless' });
    expect(synthError(stack)).toContain(`Gateway 'redis' (${g.node.path}): 'redis' is reserved for the fleet's shared resources`);
  });

  test('two fleets, or a fleet and a Dedicated gateway, cannot share a namespace', () => {
    const { stack, fleet } = fleetStack({ namespace: 'ai' });
    const other = new AiGatewayFleet(stack, 'other', { region: 'x', namespace: 'ai' });
    const third = new AiGatewayFleet(stack, 'third', { region: 'x', namespace: 'ai-prod' });
    fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1' }).addModelRoute('r', { models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`Fleet 'other' (${other.node.path}): namespace 'ai' is already used by ${fleet.node.path}`);
    expect(message).toContain(`namespace 'ai-prod' is already used by ${third.node.path}`);
  });
});

describe('credentials stay out of config', () => {
  test('a credential header set inline fails, pointing at the SecretRef to use', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const leaky = Backend.openAiCompatible({ baseUrl: 'https://llm.example.com/v1', headers: { 'Authorization': 'Bearer sk-inline', 'x-team': 'a' } });
    const r = g.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: leaky }] }] });
    const m = g.addMcpServer('tools', { kind: 'proxy', url: 'https://mcp.example.com/mcp', headers: { 'x-api-key': 'k' } });
    const message = synthError(stack);
    expect(message).toContain(`ModelRoute 'r' (${r.node.path}): the backend of model 'm' sets the credential header 'Authorization' in plain config. Use the Backend's apiKey`);
    expect(message).toContain(`McpServer 'tools' (${m.node.path}): headers sets the credential header 'x-api-key'`);
    expect(message).not.toContain("'x-team'");
  });

  test('the output has no Secret resources and no value of any kind: only references', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const r = g.addModelRoute('r', { models: [model()] });
    g.addConsumer('c', { apiKey: { secretName: 'consumer-keys', key: 'c' }, grants: { routes: [r] } });
    const tf = synth(stack);
    expect(Object.keys(tf.resource).filter((t) => t.includes('secret'))).toEqual([]);
    const deployment = resourcesOf(tf, 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-g');
    expect(JSON.stringify(deployment.spec.template.spec.container[0].env ?? [])).toBe('[]');
  });
});

describe('Serverless TLS at the shared endpoint', () => {
  test('a Domain with a kubernetes.io/tls Secret becomes an Ingress tls entry', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('lab', { edition: 'serverless' });
    g.addDomain('d', { hostname: 'lab.example.com', tls: { certificate: { secretName: 'lab-tls', key: 'tls.crt' }, privateKey: { secretName: 'lab-tls', key: 'tls.key' } } });
    g.addModelRoute('r', { host: 'lab.example.com', models: [model()] });
    const [ingress] = resourcesOf(synth(stack), 'kubernetes_ingress_v1');
    expect(ingress.spec.tls).toEqual([{ hosts: ['lab.example.com'], secret_name: 'lab-tls' }]);
  });

  test('certificate and key in different Secrets fail for a Serverless gateway', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('lab', { edition: 'serverless' });
    const d = g.addDomain('d', { hostname: 'lab.example.com', tls: { certificate: { secretName: 'crt', key: 'tls.crt' }, privateKey: { secretName: 'key', key: 'tls.key' } } });
    expect(synthError(stack)).toContain(`Domain 'lab.example.com' (${d.node.path}): certificate (crt) and privateKey (key) are in different Secrets`);
  });
});

describe('never an empty plan, never a silent drop', () => {
  test('with validation skipped, a violation still aborts synth (error annotation), instead of synthesizing no gateway', () => {
    const app = new App({ outdir: tempDir('aigw-skip-'), skipValidation: true });
    const { fleet } = fleetStack({}, app);
    fleet.addGateway('sl', { edition: 'serverless', bandwidthMbps: 999 });
    expect(appSynthError(app)).toContain('Serverless bandwidth is at most 400 Mbps, found 999');
  });

  test('a child added after synth prepared the App is an error, not silently dropped', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' });
    g.addModelRoute('r', { models: [model()] });
    synth(stack);
    const late = new ModelRoute(stack, 'late', { gateway: g, pathPrefix: '/late', models: [model()] });
    expect(late.node.metadata.map((m) => m.data)).toContainEqual(expect.stringContaining('after synth prepared it; it is not rendered'));
  });

  test('constructors record missing props instead of crashing; synth names what is missing', () => {
    const { stack, fleet } = fleetStack();
    const g = new AiGateway(fleet, 'nothing', untyped(undefined));
    const orphan = new ModelRoute(stack, 'orphan', untyped({}));
    expect(orphan.node.metadata.map((m) => m.data)).toContainEqual(expect.stringContaining('props.gateway must be an AiGateway'));
    expect(synthError(stack)).toContain(`Gateway 'nothing' (${g.node.path}): edition must be 'serverless' or 'dedicated'`);
  });

  test('odd plain-JS values are reported, not crashed on', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', untyped({ edition: 'serverless', constructor: 1 }));
    g.addUpstreamService('s', untyped({ kind: 'static', addresses: '10.0.0.1:80' }));
    g.addMcpServer('m', untyped({ kind: 'http-to-mcp', baseUrl: 'https://x.example.com', openApiFile: 42 }));
    g.addModelRoute('r', untyped({ models: [{ name: 'm', targets: [{}] }] }));
    const message = synthError(stack);
    expect(message).toContain("unknown prop 'constructor'");
    expect(message).toContain('openApiFile must be a path, found 42');
    expect(message).toContain('has a target whose backend provider is undefined');
    expect(message).not.toContain('could not check the App');
  });

  test('a value a rule cannot handle is reported at its gateway, and the other gateways are still checked', () => {
    const { stack, fleet } = fleetStack();
    const odd = fleet.addGateway('odd', { edition: 'dedicated', spec: 'aigw.small.x1' });
    odd.addModelRoute('r', untyped({ models: [null] }));
    const other = fleet.addGateway('other', { edition: 'dedicated', spec: 'aigw.small.x1' });
    other.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.openAiCompatible({ baseUrl: 'not a url' }) }] }] });
    const message = synthError(stack);
    expect(message).toContain(`[route-backends] ${odd.node.path}: rule 'route-backends' could not check it (`);
    expect(message).toContain(`ModelRoute 'r' (${other.node.path}/r): model 'm' goes to a backend whose baseUrl "not a url" is not an absolute URL`);
    expect(message).not.toContain('could not check the App');
  });
});

describe('the lock file', () => {
  test('an entry the schema does not know (e.g. a mis-cased edition) fails instead of disabling the downgrade check', () => {
    const file = join(tempDir('aigw-lock-'), 'aigw.lock.json');
    writeFileSync(file, JSON.stringify({ gateways: { 'stack0/fleet/g': { edition: 'Dedicated', spec: 'aigw.small.x1', imageVersion: '1' } } }));
    const { stack, fleet } = fleetStack({}, Testing.app({ context: { [LOCK_FILE_CONTEXT_KEY]: file } }));
    fleet.addGateway('g', { edition: 'serverless' });
    expect(synthError(stack)).toContain(`Lock file ${file}: cannot be read (gateways.stack0/fleet/g.edition: Invalid option`);
  });

  test('a Testing app never finds the project lock; a real App walks up to cdktf.json', () => {
    const dir = tempDir('aigw-proj-');
    writeFileSync(join(dir, 'cdktf.json'), '{}');
    const nested = join(dir, 'src');
    mkdirSync(nested);
    expect(locateLockFile(Testing.app(), nested)).toBeUndefined();
    expect(locateLockFile(new App({ outdir: join(dir, 'out') }), nested)).toBe(join(dir, 'aigw.lock.json'));
    expect(locateLockFile(new App({ outdir: join(dir, 'out') }), tmpdir())).toBeUndefined();
  });
});

describe('the shared Redis', () => {
  test('each Serverless gateway user is confined to its key and channel prefix, with no key listing', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('a', { edition: 'serverless' }).addModelRoute('r', { host: 'a.example.com', models: [model()] });
    const redis = resourcesOf(synth(stack), 'kubernetes_deployment_v1').find((d) => d.metadata.name === 'aigw-redis');
    const script: string = redis.spec.template.spec.init_container[0].command[2];
    expect(script).toContain('user a on >$(cat /acl-secrets/a) resetkeys ~aigw:a:* resetchannels &aigw:a:* -@all');
    expect(script).toContain('-@dangerous -scan');
    expect(script).toContain('user default off');
    expect(redis.spec.template.spec.security_context.seccomp_profile.type).toBe('RuntimeDefault');
  });
});

test('the fleet passes its provider to every resource it renders', () => {
  const stack = new TerraformStack(Testing.app(), 'p');
  const k8s = new KubernetesProvider(stack, 'k8s', { alias: 'east' });
  const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'x', provider: k8s });
  fleet.addGateway('g', { edition: 'dedicated', spec: 'aigw.small.x1' }).addModelRoute('r', { models: [model()] });
  fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { host: 's.example.com', models: [model()] });
  const tf = synth(stack);
  const all = Object.values(tf.resource).flatMap((byName) => Object.values(byName));
  expect(all.length).toBeGreaterThan(10);
  for (const r of all) expect(r.provider).toBe('kubernetes.east');
});

test("a grant to 'all' counts once per route and MCP server it covers", () => {
  const build = (routes: number, servers: number) => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless' });
    for (let i = 0; i < routes; i++) g.addModelRoute(`r${i}`, { pathPrefix: `/r${i}`, models: [model()] });
    for (let i = 0; i < servers; i++) g.addMcpServer(`m${i}`, { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    g.addConsumer('admin', { apiKey: { secretName: 'keys', key: 'admin' }, grants: 'all' });
    return { stack, g };
  };
  expect(() => synth(build(450, 50).stack)).not.toThrow();
  const { stack, g } = build(450, 51);
  expect(synthError(stack)).toContain(`Gateway 'g' (${g.node.path}): the Serverless edition allows 500 consumer authorizations, found 501.`);
});
