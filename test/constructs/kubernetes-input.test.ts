import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { appSynth, appSynthError, bigApp, configOf, fleetStack, openAi, resourcesOf, synth, synthError, type TerraformJson } from './fixtures';
import { AiGatewayFleet, Backend } from '../../src';
import { parseGatewayConfig } from '../../src/specs';

const model = () => ({ name: 'gpt-4o', targets: [{ backend: openAi() }] });
const untyped = (x: unknown): any => x;

/** What the API server checks of names, label values and annotation keys (k8s.io/apimachinery validation). */
const K8S = {
  dnsLabel: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  dns1035Label: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
  dnsSubdomain: /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  labelValue: /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/,
  qualifiedKey: /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/,
};

/** Every metadata name, label and annotation key the synthesized objects carry that Kubernetes would refuse. */
function invalidMetadata(tf: TerraformJson): string[] {
  const bad: string[] = [];
  for (const [type, byName] of Object.entries(tf.resource)) {
    for (const [id, r] of Object.entries(byName)) {
      const metas = [r.metadata, r.spec?.template?.metadata].filter(Boolean);
      for (const m of metas) {
        const nameRule = { kubernetes_service_v1: K8S.dns1035Label, kubernetes_namespace_v1: K8S.dnsLabel }[type] ?? K8S.dnsSubdomain;
        if (typeof m.name === 'string' && !m.name.startsWith('${') && !nameRule.test(m.name)) bad.push(`${type}.${id} name '${m.name}'`);
        for (const [k, v] of Object.entries<string>(m.labels ?? {})) {
          if (!K8S.qualifiedKey.test(k) || !K8S.labelValue.test(v)) bad.push(`${type}.${id} label ${k}=${v}`);
        }
        for (const k of Object.keys(m.annotations ?? {})) if (!K8S.qualifiedKey.test(k)) bad.push(`${type}.${id} annotation key '${k}'`);
      }
    }
  }
  return bad;
}

describe('names the render derives from the gateway name fit Kubernetes', () => {
  test('a Dedicated gateway name of 52 characters passes with valid objects; 53 fails, naming the Redis Service and the maximum', () => {
    const ok = fleetStack({ namespace: 'ai' });
    ok.fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', gatewayName: 'd'.repeat(52) }).addModelRoute('r', { models: [model()] });
    const tf = synth(ok.stack);
    expect(invalidMetadata(tf)).toEqual([]);
    expect(resourcesOf(tf, 'kubernetes_service_v1').map((s) => s.metadata.name)).toContain(`aigw-${'d'.repeat(52)}-redis`);

    for (const length of [53, 58]) {
      const bad = fleetStack({ namespace: 'ai' });
      const g = bad.fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', gatewayName: 'd'.repeat(length) });
      g.addModelRoute('r', { models: [model()] });
      const message = synthError(bad.stack);
      expect(message).toContain(`[kubernetes-names] Gateway '${'d'.repeat(length)}' (${g.node.path}): the gateway name must be a DNS label`);
      expect(message).toContain(`of at most 52 characters for a Dedicated gateway in fleet namespace 'ai', found '${'d'.repeat(length)}' (${length} characters)`);
      expect(message).toContain(`its Redis Service name 'aigw-${'d'.repeat(length)}-redis' has ${length + 11} characters (limit 63)`);
      expect(message).toContain('Set a gatewayName of at most 52 characters, or a shorter fleet namespace.');
    }
  });

  test("a Dedicated gateway's maximum follows the fleet namespace; a Serverless gateway's is 58", () => {
    const { stack, fleet } = fleetStack({ namespace: 'x'.repeat(20) });
    const d = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', gatewayName: 'd'.repeat(43) });
    const s = fleet.addGateway('s', { edition: 'serverless', gatewayName: 's'.repeat(59) });
    fleet.addGateway('ok', { edition: 'serverless', gatewayName: 'o'.repeat(58) }).addModelRoute('r', { models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`Gateway '${'d'.repeat(43)}' (${d.node.path}): the gateway name must be a DNS label ([a-z0-9-], starting and ending with a letter or digit) of at most 42 characters`);
    expect(message).toContain(`its namespace '${'x'.repeat(20)}-${'d'.repeat(43)}' has 64 characters (limit 63)`);
    expect(message).toContain(`Gateway '${'s'.repeat(59)}' (${s.node.path}): the gateway name must be a DNS label ([a-z0-9-], starting and ending with a letter or digit) of at most 58 characters for a Serverless gateway`);
    expect(message).not.toContain(`'${'o'.repeat(58)}'`);
  });

  test('a name that is not a DNS label says which characters are allowed', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('g', { edition: 'serverless', gatewayName: 'Prod_1' });
    expect(synthError(stack)).toContain(`Gateway 'Prod_1' (${g.node.path}): the gateway name must be a DNS label ([a-z0-9-], starting and ending with a letter or digit) of at most 58 characters for a Serverless gateway, found 'Prod_1' (6 characters). Set a gatewayName of lowercase letters, digits and '-', at most 58 characters.`);
  });

  test("a fleet id cut to 63 characters never ends in '-' (the app.kubernetes.io/part-of label)", () => {
    const { stack, fleet } = fleetStack({ namespace: 'ai' }, undefined);
    const long = new AiGatewayFleet(stack, `${'f'.repeat(62)}-tail`, { region: 'cn-hangzhou', namespace: 'long' });
    long.addGateway('g', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    fleet.addGateway('h', { edition: 'serverless' }).addModelRoute('r', { host: 'h.example.com', models: [model()] });
    expect(invalidMetadata(synth(stack))).toEqual([]);
  });
});

describe('image references', () => {
  test.each([
    ['1.0.0-', 'must start and end with a letter or digit'],
    ['_dev', 'must start and end with a letter or digit'],
    ['v'.repeat(100), 'at most 63 characters (found 100)'],
    ['1.0/beta', 'an image tag is [A-Za-z0-9_][A-Za-z0-9_.-]'],
  ])('a Dedicated version %j fails: %s', (version, why) => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', version });
    g.addModelRoute('r', { models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`[image-references] Gateway 'd' (${g.node.path}): version ${JSON.stringify(version)} is not a valid image version:`);
    expect(message).toContain(why);
    expect(message).toContain("Set version to a tag such as '1.4.2'");
  });

  test('versions that are tags and label values pass', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('a', { edition: 'dedicated', spec: 'aigw.small.x1', version: '1.4.2' }).addModelRoute('r', { models: [model()] });
    fleet.addGateway('b', { edition: 'dedicated', spec: 'aigw.small.x1', version: 'v2.0.0-rc.1_build5' }).addModelRoute('r', { models: [model()] });
    expect(invalidMetadata(synth(stack))).toEqual([]);
  });

  test('serverless.imageChannel must be a tag and a label value', () => {
    const { stack, fleet } = fleetStack({ serverless: { imageChannel: 'release/2025.06' } });
    fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(synthError(stack)).toContain(
      `[image-references] Fleet 'fleet' (${fleet.node.path}): serverless.imageChannel "release/2025.06" is not a valid image tag for its Serverless gateways: an image tag is [A-Za-z0-9_][A-Za-z0-9_.-] and at most 128 characters. Set a tag such as 'stable' or 'release-2025.06'.`,
    );
    const ok = fleetStack({ serverless: { imageChannel: 'release-2025.06' } });
    ok.fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(() => synth(ok.stack)).not.toThrow();
  });

  test.each(['ghcr.io/Acme/aigw', 'ghcr.io/acme/aigw:1.0', 'acme//aigw', 'https://ghcr.io/acme/aigw', ''])('imageRepository %j fails', (imageRepository) => {
    const { stack, fleet } = fleetStack({ imageRepository });
    fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(synthError(stack)).toContain(`[image-references] Fleet 'fleet' (${fleet.node.path}): imageRepository must be an image repository without tag or digest`);
  });

  test.each(['aigw', 'acme/aigw', 'registry.example.com:5000/team/ai-gw', 'localhost:5000/aigw', 'Registry.Example.com/team/my__image', '[::1]:5000/a.b/c'])(
    'imageRepository %j passes',
    (imageRepository) => {
      const { stack, fleet } = fleetStack({ imageRepository });
      fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
      expect(() => synth(stack)).not.toThrow();
    },
  );
});

describe('hosts, IngressClass and annotations', () => {
  test('a Domain hostname that is an IP address fails, for either edition; a wildcard passes', () => {
    const { stack, fleet } = fleetStack();
    const s = fleet.addGateway('s', { edition: 'serverless' });
    s.addModelRoute('r', { models: [model()] });
    const d1 = s.addDomain('ip', { hostname: '203.0.113.10' });
    s.addDomain('wild', { hostname: '*.lab.example.com' });
    const d = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
    d.addModelRoute('r', { models: [model()] });
    const d2 = d.addDomain('ip6', { hostname: '2001:db8::1' });
    const message = synthError(stack);
    expect(message).toContain(`[published-hosts] Domain '203.0.113.10' (${d1.node.path}): hostname "203.0.113.10" cannot be published: it is an IP address, and a published host must be a DNS name. Set hostname to a DNS name`);
    expect(message).toContain(`Domain '2001:db8::1' (${d2.node.path}): hostname "2001:db8::1" cannot be published: it is an IP address`);
    expect(message).not.toContain('*.lab.example.com');
  });

  test('a Serverless route host is a host of the shared Ingress: an IP or an over-long label fails', () => {
    const { stack, fleet } = fleetStack();
    const s = fleet.addGateway('s', { edition: 'serverless' });
    const ip = s.addModelRoute('ip', { host: '10.0.0.1', models: [model()] });
    const long = s.addModelRoute('long', { host: `${'a'.repeat(64)}.example.com`, models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`Route 'ip' (${ip.node.path}): host "10.0.0.1" cannot be published: it is an IP address`);
    expect(message).toContain(`Route 'long' (${long.node.path}): host "${'a'.repeat(64)}.example.com" cannot be published: its label '${'a'.repeat(64)}' has 64 characters (limit 63)`);
  });

  test('ingressClassName must be a lowercase RFC 1123 subdomain', () => {
    const { stack, fleet } = fleetStack({ ingressClassName: 'Nginx' });
    fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(synthError(stack)).toContain(
      `[kubernetes-names] Fleet 'fleet' (${fleet.node.path}): ingressClassName must be the name of an IngressClass, a lowercase RFC 1123 subdomain ([a-z0-9-.], starting and ending with a letter or digit, at most 253 characters), found "Nginx". Set ingressClassName to the name as Kubernetes has it (e.g. 'nginx').`,
    );
    const ok = fleetStack({ ingressClassName: 'nginx' });
    ok.fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(resourcesOf(synth(ok.stack), 'kubernetes_ingress_v1')[0].spec.ingress_class_name).toBe('nginx');
  });

  test('redisAclSecretName must be a Secret name', () => {
    const { stack, fleet } = fleetStack({ redisAclSecretName: 'Redis ACL' });
    fleet.addGateway('s', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(synthError(stack)).toContain(`Fleet 'fleet' (${fleet.node.path}): redisAclSecretName must be the name of a Secret`);
  });

  test('endpoint.serviceAnnotations keys must be Kubernetes annotation keys, and all of them at most 256 KiB', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('d', {
      edition: 'dedicated',
      spec: 'aigw.small.x1',
      endpoint: { serviceAnnotations: { 'bad key!': 'x', [`${'p'.repeat(254)}/name`]: 'x', 'example.com/': 'x', 'service.beta.kubernetes.io/eip': 'ok', 'big': 'v'.repeat(256 * 1024) } },
    });
    g.addModelRoute('r', { models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`[service-annotations] Gateway 'd' (${g.node.path}): endpoint.serviceAnnotations key "bad key!" is not a Kubernetes annotation key`);
    expect(message).toContain(`key "${'p'.repeat(254)}/name" is not a Kubernetes annotation key`);
    expect(message).toContain('key "example.com/" is not a Kubernetes annotation key');
    expect(message).not.toContain('key "service.beta.kubernetes.io/eip"');
    expect(message).toMatch(/endpoint\.serviceAnnotations total \d+ bytes \(keys and values, with the gateway's own\), over the Kubernetes limit of 262144 bytes \(256 KiB\) per object/);
  });
});

describe('defaults that must hold', () => {
  test('a partial waf.rules passes, and the omitted rules are on (protocol included), but prompt injection, off unless set', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1', waf: { rules: { sqlInjection: false } } }).addModelRoute('r', { models: [model()] });
    const config = configOf(synth(stack), 'd');
    const rules = { sqlInjection: false, xss: true, pathTraversal: true, commandInjection: true, promptInjection: false, protocol: true };
    expect(config.waf?.rules).toEqual(rules);
  });

  test('an unknown waf rule is still refused', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('d', untyped({ edition: 'dedicated', spec: 'aigw.small.x1', waf: { rules: { sqlinjection: false } } }));
    expect(synthError(stack)).toContain(`Gateway 'd' (${g.node.path}): unknown prop 'waf.rules.sqlinjection'. Remove it.`);
  });

  test('two Serverless gateways with no routes yet claim no host: no conflict, and no Ingress without rules', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('a', { edition: 'serverless' });
    fleet.addGateway('b', { edition: 'serverless' });
    expect(resourcesOf(synth(stack), 'kubernetes_ingress_v1')).toEqual([]);
  });

  test('a Serverless gateway with routes but no host still claims any host, and conflicts with another such one', () => {
    const { stack, fleet } = fleetStack();
    fleet.addGateway('a', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    fleet.addGateway('empty', { edition: 'serverless' });
    const rules = resourcesOf(synth(stack), 'kubernetes_ingress_v1')[0].spec.rule;
    expect(rules).toHaveLength(1);
    const again = fleetStack();
    again.fleet.addGateway('a', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    again.fleet.addGateway('b', { edition: 'serverless' }).addMcpServer('m', { kind: 'proxy', url: 'https://mcp.example.com/mcp' });
    expect(synthError(again.stack)).toContain("host '* (any host)' on the fleet's shared endpoint is already served by");
  });
});

describe('namespaces are unique per cluster, not per App', () => {
  /** One stack per environment: the same ids in each, each with its own Kubernetes provider. */
  function perEnvironment(app = bigApp()) {
    const stacks = ['staging', 'prod'].map((env) => {
      const stack = new TerraformStack(app, env);
      new KubernetesProvider(stack, 'k8s', { configContext: env });
      const fleet = new AiGatewayFleet(stack, 'ai', { region: 'cn-hangzhou' });
      fleet.addGateway('main', { edition: 'dedicated', spec: 'aigw.small.x1' }).addModelRoute('r', { models: [model()] });
      return { stack, fleet };
    });
    return { app, stacks };
  }

  test('one stack per environment with the same ids synthesizes (real app.synth)', () => {
    const { app } = perEnvironment();
    const tf = appSynth(app, 'prod');
    expect(resourcesOf(tf, 'kubernetes_namespace_v1').map((n) => n.metadata.name).sort()).toEqual(['aigw-ai', 'aigw-ai-main']);
  });

  test('within one cluster the duplicate still fails, and each error names its own stack', () => {
    const { app, stacks } = perEnvironment();
    const dupes = stacks.map(({ stack }) => new AiGatewayFleet(stack, 'again', { region: 'cn-hangzhou', namespace: 'aigw-ai' }));
    const message = appSynthError(app);
    for (const [i, { stack, fleet }] of stacks.entries()) {
      expect(message).toContain(
        `[${stack.node.path}] [unique-names] Fleet 'again' (${dupes[i].node.path}): namespace 'aigw-ai' is already used by ${fleet.node.path} in the same cluster (provider ${stack.node.path}/k8s)`,
      );
    }
  });

  test('fleets with different providers in one stack are different clusters; the same provider, given or default, is one', () => {
    const app = Testing.app();
    const { stack, fleet } = fleetStack({ namespace: 'shared' }, app);
    const other = new KubernetesProvider(stack, 'other-cluster', { alias: 'other', configContext: 'other' });
    new AiGatewayFleet(stack, 'elsewhere', { region: 'cn-hangzhou', namespace: 'shared', provider: other });
    fleet.addGateway('g', { edition: 'serverless' }).addModelRoute('r', { models: [model()] });
    expect(() => synth(stack)).not.toThrow();

    const same = fleetStack({ namespace: 'shared' });
    const defaultProvider = same.stack.node.findChild('k8s') as KubernetesProvider;
    const explicit = new AiGatewayFleet(same.stack, 'explicit', { region: 'cn-hangzhou', namespace: 'shared', provider: defaultProvider });
    expect(synthError(same.stack)).toContain(`Fleet 'explicit' (${explicit.node.path}): namespace 'shared' is already used by ${same.fleet.node.path} in the same cluster`);
  });
});

describe('a malformed URL is a clear error with its path and value', () => {
  test('the config schema reports a URL that does not parse instead of throwing', () => {
    const parsed = parseGatewayConfig({ apiVersion: 'aigw.dev/v1', kind: 'GatewayConfig', backends: [{ baseUrl: 'not a url' }] });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.issues).toContain('backends[0].baseUrl: must be an http(s) URL');
  });

  test('bad URLs on backends, agent routes and MCP servers are each reported at their construct, with the value and the fix', () => {
    const { stack, fleet } = fleetStack();
    const g = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const r = g.addModelRoute('r', { models: [{ name: 'm', targets: [{ backend: Backend.openAiCompatible({ baseUrl: 'not a url' }) }] }] });
    const a = g.addAgentRoute('a', { kind: 'dify', pathPrefix: '/agent', baseUrl: 'ftp://agent.example.com' });
    const m = g.addMcpServer('m', { kind: 'proxy', url: 'mcp.example.com/mcp' });
    const h = g.addMcpServer('h', { kind: 'http-to-mcp', baseUrl: 'https://user:pw@api.example.com', tools: [{ name: 't', request: { method: 'GET', path: '/x' } }] });
    const message = synthError(stack);
    expect(message).not.toContain('could not check');
    expect(message).toContain(`[upstream-urls] ModelRoute 'r' (${r.node.path}): model 'm' goes to a backend whose baseUrl "not a url" is not an absolute URL. Set the Backend's baseUrl to an http(s) URL`);
    expect(message).toContain(`AgentRoute 'a' (${a.node.path}): baseUrl "ftp://agent.example.com" has scheme 'ftp', not http or https.`);
    expect(message).toContain(`McpServer 'm' (${m.node.path}): url "mcp.example.com/mcp" is not an absolute URL.`);
    expect(message).toContain(`McpServer 'h' (${h.node.path}): baseUrl "https://user:pw@api.example.com" carries credentials (user:password@); they would sit in plain config. Set baseUrl to an http(s) URL, e.g. 'https://api.example.com'. Put the credential in auth (a SecretRef) instead.`);
  });

  test('config-schema messages carry the value and the prop, and one gateway\'s bad value does not hide another\'s', () => {
    const { stack, fleet } = fleetStack();
    const a = fleet.addGateway('a', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const ra = a.addModelRoute('r', { host: 'Not A Host', models: [model()] });
    const b = fleet.addGateway('b', { edition: 'dedicated', spec: 'aigw.small.x1' });
    const rb = b.addModelRoute('r', { pathPrefix: 'no-slash', models: [model()] });
    const message = synthError(stack);
    expect(message).toContain(`[config-schema] ModelRoute 'r' (${ra.node.path}): host: must be a lowercase hostname, "*.domain" or "*", found "Not A Host". Fix host.`);
    expect(message).toContain(`[config-schema] ModelRoute 'r' (${rb.node.path}): pathPrefix: must be an absolute URL path starting with "/", found "no-slash". Fix pathPrefix.`);
  });
});
