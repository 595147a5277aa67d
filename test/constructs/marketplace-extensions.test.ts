import { AnnotationMetadataEntryType, type TerraformStack } from 'cdktf';
import { configOf, fleetStack, openAi, synth, synthError } from './fixtures';
import { type AiGateway, Extension, Rules } from '../../src';
import { MARKETPLACE, marketplaceNames } from '../../src/extensions/marketplace';
import { SYSTEM_EXTENSIONS } from '../../src/extensions/system';

// A system extension with a config schema, and a marketplace manifest for Serverless only, whatever the shipped sets hold.
jest.mock('../../src/extensions/system', () => {
  const actual = jest.requireActual('../../src/extensions/system');
  const greeter = {
    description: 'test',
    phase: 'default',
    priority: 100,
    failPolicy: 'closed',
    definition: {
      name: 'test-greeter',
      parseConfig: (config: { greeting?: unknown }) => {
        if (typeof config.greeting !== 'string') throw new Error(`greeting: expected string, found ${typeof config.greeting}`);
        return config;
      },
    },
  };
  return { SYSTEM_EXTENSIONS: { ...actual.SYSTEM_EXTENSIONS, 'test-greeter': greeter } };
});
jest.mock('../../src/extensions/marketplace', () => {
  const actual = jest.requireActual('../../src/extensions/marketplace');
  const serverlessOnly = { ...actual.findMarketplaceExtension('audit-log'), name: 'test-serverless-only', editions: ['serverless'] };
  return {
    ...actual,
    marketplaceVersions: (name: string) => (name === serverlessOnly.name ? ['1.0.0'] : actual.marketplaceVersions(name)),
    findMarketplaceExtension: (name: string, version?: string) =>
      (name === serverlessOnly.name ? serverlessOnly : actual.findMarketplaceExtension(name, version)),
  };
});

const SECRET = 's'.repeat(32);

function dedicated() {
  const { stack, fleet } = fleetStack();
  const d = fleet.addGateway('d', { edition: 'dedicated', spec: 'aigw.small.x1' });
  d.addModelRoute('r', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
  return { stack, fleet, d };
}

const marketplaceErrors = (message: string) => message.split('\n').filter((line) => line.includes('[marketplace-extensions]'));

/** The messages of this rule's warning annotations, with the path of the construct that carries each. */
function marketplaceWarnings(stack: TerraformStack): { path: string; message: string }[] {
  const warnings = stack.node.findAll().flatMap((c) =>
    c.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => ({ path: c.node.path, message: String(m.data) })),
  );
  return warnings.filter((w) => w.message.includes('[marketplace-extensions]'));
}

describe('marketplace-extensions rule', () => {
  test('every extension of the catalog, at each of its versions and at the latest, synthesizes with a config it accepts', () => {
    const { stack, fleet, d } = dedicated();
    const configs: Record<string, Record<string, unknown>> = { 'json-schema-guard': { schema: { type: 'object' } }, 'hmac-auth': { secret: SECRET } };
    // An extension's name is unique in its gateway: one gateway per version.
    MARKETPLACE.forEach((m, i) => {
      const g = fleet.addGateway(`g${i}`, { edition: 'dedicated', spec: 'aigw.small.x1' });
      g.addModelRoute('r', { models: [{ name: 'gpt-4o', targets: [{ backend: openAi() }] }] });
      g.addExtension('ext', { name: m.name, source: 'marketplace', version: m.version, config: configs[m.name] as never });
    });
    d.addExtension('latest', { name: 'pii-redaction', source: 'marketplace', config: { entities: ['email'], inspectAnswers: true } });
    // A system extension this test adds to the catalog (mocked above): the types know only the shipped ones.
    d.addExtension('greeter', { name: 'test-greeter', source: 'system', config: { greeting: 'hi' } } as never);
    expect(() => synth(stack)).not.toThrow();
  });

  test('a name the marketplace lacks fails, listing its extensions', () => {
    const { stack, d } = dedicated();
    const e = d.addExtension('x', { name: 'pii-redactor', source: 'marketplace' });
    expect(marketplaceErrors(synthError(stack))).toEqual([
      expect.stringContaining(
        `[marketplace-extensions] Extension 'pii-redactor' (${e.node.path}): the marketplace has no extension 'pii-redactor'; its extensions: ` +
          `${marketplaceNames().map((n) => `'${n}'`).join(', ')}. Fix name, or use source 'custom' for your own module.`,
      ),
    ]);
    expect(marketplaceNames()).toEqual(['audit-log', 'hmac-auth', 'json-schema-guard', 'pii-redaction']);
  });

  test("version '99.0.0' fails, naming the versions the catalog has", () => {
    const { stack, d } = dedicated();
    const pii = d.addExtension('pii', { name: 'pii-redaction', source: 'marketplace', version: '99.0.0' });
    const hmac = d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', version: '1.2', config: { secret: SECRET } });
    const message = synthError(stack);
    expect(message).toContain(
      `Extension 'pii-redaction' (${pii.node.path}): the marketplace has no version '99.0.0' of 'pii-redaction'; its versions: '1.0.0'. Set version to one of these, or leave it out for the latest ('1.0.0').`,
    );
    expect(message).toContain(`Extension 'hmac-auth' (${hmac.node.path}): the marketplace has no version '1.2' of 'hmac-auth'; its versions: '1.1.0', '1.0.0'. Set version to one of these, or leave it out for the latest ('1.1.0').`);
  });

  test("a config the manifest's schema refuses fails with the schema's words, for the version asked", () => {
    const { stack, d } = dedicated();
    const pii = d.addExtension('pii', { name: 'pii-redaction', source: 'marketplace', config: { entities: ['ssn'] } });
    const hmac = d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', version: '1.0.0', config: { secret: SECRET, rejectReplays: true } });
    const guard = d.addExtension('guard', { name: 'json-schema-guard', source: 'marketplace', config: { schema: { type: 'object', minProperties: 1 } } });
    const errors = marketplaceErrors(synthError(stack));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain(
      `Extension 'pii-redaction' (${pii.node.path}): config does not match the schema of 'pii-redaction' 1.0.0: entities[0]: Invalid option: expected one of "email"|"phone"|"card"|"national-id". Fix config (the manifest: Masks email addresses`,
    );
    expect(errors[1]).toContain(`Extension 'hmac-auth' (${hmac.node.path}): config does not match the schema of 'hmac-auth' 1.0.0: (config): Unrecognized key: "rejectReplays". Fix config`);
    expect(errors[2]).toContain('config does not match the schema of \'json-schema-guard\' 1.0.0: schema: schema at $: \'minProperties\' is not checked by json-schema-guard');
    expect(errors[2]).toContain(`(${guard.node.path})`);
  });

  test('a manifest that does not allow the edition fails, naming the editions', () => {
    const { stack, d } = dedicated();
    const e = d.addExtension('x', { name: 'test-serverless-only', source: 'marketplace' });
    expect(synthError(stack)).toContain(
      `[marketplace-extensions] Extension 'test-serverless-only' (${e.node.path}): 'test-serverless-only' 1.0.0 may be installed on serverless gateways only, and gateway 'd' is dedicated. Remove it from this gateway.`,
    );
  });

  test('on a Serverless gateway, only the extensions rule reports the marketplace (once)', () => {
    const { stack, fleet } = fleetStack();
    const sl = fleet.addGateway('sl', { edition: 'serverless' });
    new Extension(stack, 'ext', { gateway: sl as unknown as AiGateway<'dedicated'>, name: 'pii-redaction', source: 'marketplace' });
    const message = synthError(stack);
    expect(message).toContain('[extensions]');
    expect(marketplaceErrors(message)).toEqual([]);
  });

  test('a system extension the gateway lacks fails, listing the system extensions; its config is checked by its own schema', () => {
    const { stack, d } = dedicated();
    const unknown = d.addExtension('x', { name: 'no-such-extension', source: 'system' } as never);
    const greeter = d.addExtension('g', { name: 'test-greeter', source: 'system', config: { greeting: 3 } } as never);
    const message = synthError(stack);
    const names = Object.keys(SYSTEM_EXTENSIONS).sort().map((n) => `'${n}'`).join(', ');
    expect(names).toContain("'test-greeter'");
    expect(message).toContain(
      `Extension 'no-such-extension' (${unknown.node.path}): the gateway has no system extension 'no-such-extension'; its system extensions: ${names}. Fix name, or use source 'marketplace' or 'custom'.`,
    );
    expect(message).toContain(`Extension 'test-greeter' (${greeter.node.path}): config does not match system extension 'test-greeter': greeting: expected string, found number. Fix config.`);
  });

  test("key-auth's allow and routes name the gateway's consumers and routes: a misspelt one fails synth, listing those it has", () => {
    const { stack, d } = dedicated();
    d.addConsumer('alice', { apiKey: { secretName: 'keys', key: 'alice' }, grants: 'all' });
    const auth = d.addExtension('auth', { name: 'key-auth', source: 'system', config: { allow: ['alice', 'alcie'], routes: ['r', 'chat'] } });
    const message = synthError(stack);
    expect(message).toContain(`Extension 'key-auth' (${auth.node.path}): config.allow names 'alcie', no consumer of gateway 'd'; its consumers: 'alice'. Fix allow.`);
    expect(message).toContain(`Extension 'key-auth' (${auth.node.path}): config.routes names 'chat', no route or MCP server of gateway 'd'; its routes and MCP servers: 'r'. Fix routes.`);
  });

  test("token-quota's consumers name the gateway's consumers: a misspelt one fails synth", () => {
    const { stack, d } = dedicated();
    d.addConsumer('alice', { apiKey: { secretName: 'keys', key: 'alice' }, grants: 'all' });
    const quota = d.addExtension('quota', { name: 'token-quota', source: 'system', config: { daily: 1000, consumers: { alice: { daily: 10 }, bobb: { daily: 5 } } } });
    expect(synthError(stack)).toContain(`Extension 'token-quota' (${quota.node.path}): config.consumers names 'bobb', no consumer of gateway 'd'; its consumers: 'alice'. Fix consumers.`);
  });

  test('key-auth naming only what the gateway has synthesizes', () => {
    const { stack, d } = dedicated();
    d.addConsumer('alice', { apiKey: { secretName: 'keys', key: 'alice' }, grants: 'all' });
    d.addExtension('auth', { name: 'key-auth', source: 'system', config: { allow: ['alice'], routes: ['r'] } });
    expect(() => synth(stack)).not.toThrow();
  });

  test('a name that is not text, or a config that is not an object, is left to the config schema: no crash', () => {
    const { stack, d } = dedicated();
    d.addExtension('x', { name: 42 as unknown as string, source: 'marketplace' });
    d.addExtension('y', { name: 'audit-log', source: 'marketplace', config: 'on' as never });
    const message = synthError(stack);
    expect(message).toContain('[config-schema]');
    expect(message).not.toContain('could not check');
  });

  test("hmac-auth's secret given inline is a warning (not an error) naming where it ends up; other extensions have none", () => {
    const { stack, d } = dedicated();
    const hmac = d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', config: { secret: SECRET } });
    d.addExtension('audit', { name: 'audit-log', source: 'marketplace' });
    expect(() => synth(stack)).not.toThrow();
    expect(marketplaceWarnings(stack)).toEqual([
      {
        path: hmac.node.path,
        message: expect.stringContaining(
          `[marketplace-extensions] Extension 'hmac-auth' (${hmac.node.path}): config.secret is given inline: it is written into the gateway's ConfigMap and ` +
            "Terraform state. Give it as a Secret key instead: secrets: { secret: { secretName, key } } (and remove config.secret); until then keep the state and the ConfigMap's namespace access-controlled.",
        ),
      },
    ]);
    expect(marketplaceWarnings(stack)[0]!.message).not.toContain(SECRET);
  });

  test("hmac-auth's secret as a Secret key: no warning, checked with a stand-in at synth, mounted, and only the reference in the config", () => {
    const { stack, d } = dedicated();
    d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', secrets: { secret: { secretName: 'hmac', key: 'v1' } } });
    const tf = synth(stack);
    expect(marketplaceWarnings(stack)).toEqual([]);
    const hmac = configOf(tf, 'd').extensions.find((e) => e.name === 'hmac-auth')!;
    expect(hmac.config).toEqual({});
    expect(hmac.secrets).toEqual({ secret: { secretName: 'hmac', key: 'v1' } });
    expect(JSON.stringify(tf)).toContain('{"items":[{"key":"v1","path":"hmac/v1"}],"name":"hmac"}');
  });

  test('a field given both in config and in secrets fails synth', () => {
    const { stack, d } = dedicated();
    d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', config: { secret: SECRET }, secrets: { secret: { secretName: 'hmac', key: 'v1' } } });
    expect(synthError(stack)).toContain('secrets: a field is in both config and secrets: give its value one way (secrets, for a secret)');
  });

  test('the warning can be suppressed, with a reason', () => {
    const { stack, d } = dedicated();
    const hmac = d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', config: { secret: SECRET } });
    Rules.suppress(hmac, 'marketplace-extensions', 'the state bucket is encrypted and access-controlled');
    synth(stack);
    expect(marketplaceWarnings(stack)).toEqual([]);
  });

  test("a secret hmac-auth refuses is not quoted in synth's error", () => {
    const { stack, d } = dedicated();
    const short = 'hunter2-short-secret';
    d.addExtension('hmac', { name: 'hmac-auth', source: 'marketplace', config: { secret: short } });
    const n = 987654321987;
    d.addExtension('hmac2', { name: 'hmac-auth', source: 'marketplace', version: '1.0.0', config: { secret: n as never } });
    const message = synthError(stack);
    expect(marketplaceErrors(message)).toEqual([
      expect.stringContaining("config does not match the schema of 'hmac-auth' 1.1.0: secret: must be at least 32 characters"),
      expect.stringContaining("config does not match the schema of 'hmac-auth' 1.0.0: secret: must be a string"),
    ]);
    expect(message).not.toContain(short);
    expect(message).not.toContain(String(n));
  });

  test('its errors cannot be suppressed', () => {
    const { stack, d } = dedicated();
    const e = d.addExtension('pii', { name: 'pii-redaction', source: 'marketplace', version: '99.0.0' });
    Rules.suppress(e, 'marketplace-extensions', 'we know');
    expect(synthError(stack)).toContain('cannot silence this error: the data plane refuses a config naming an extension it does not ship, or a config the extension does not accept.');
  });
});
