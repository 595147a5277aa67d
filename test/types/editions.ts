/**
 * Compile-time tests of the edition rules. Type-checked by `tsc --noEmit -p test/tsconfig.json`,
 * never run (jest ignores test/types). Each `// @ts-expect-error` sits directly above the line TS
 * reports; an unused directive is itself an error, so a rule that stops being enforced fails tsc.
 * Every negative case has a positive control next to it that must compile.
 */
import { App, TerraformStack } from 'cdktf';
import { AiGateway, AiGatewayFleet, type CapacitySpec, Extension } from 'cdktf-ai-gateway';

const app = new App();
const stack = new TerraformStack(app, 'types');
const fleet = new AiGatewayFleet(stack, 'fleet', { region: 'cn-hangzhou' });

// ---------------------------------------------------------------------------------------------
// Serverless gateways cannot have spec, waf, hardwareAcceleration or a fixed endpoint.
// ---------------------------------------------------------------------------------------------

// Positive controls: a plain Serverless gateway, both ways.
export const serverlessGw: AiGateway<'serverless'> = new AiGateway(fleet, 'sl', { edition: 'serverless' });
export const serverlessGw2: AiGateway<'serverless'> = fleet.addGateway('sl2', { edition: 'serverless', bandwidthMbps: 400 });

// spec
new AiGateway(fleet, 'sl-spec', {
  edition: 'serverless',
  // @ts-expect-error spec is Dedicated only
  spec: 'aigw.small.x1',
});
fleet.addGateway('sl-spec2', {
  edition: 'serverless',
  // @ts-expect-error spec is Dedicated only
  spec: 'aigw.small.x1',
});
// Positive control: the same spec on a Dedicated gateway.
new AiGateway(fleet, 'dd-spec', { edition: 'dedicated', spec: 'aigw.small.x1' });
fleet.addGateway('dd-spec2', { edition: 'dedicated', spec: 'aigw.small.x1' });

// waf
new AiGateway(fleet, 'sl-waf', {
  edition: 'serverless',
  // @ts-expect-error WAF is Dedicated only
  waf: { mode: 'block' },
});
fleet.addGateway('sl-waf2', {
  edition: 'serverless',
  // @ts-expect-error WAF is Dedicated only
  waf: { mode: 'block' },
});
// Positive control.
new AiGateway(fleet, 'dd-waf', { edition: 'dedicated', spec: 'aigw.small.x1', waf: { mode: 'block' } });
fleet.addGateway('dd-waf2', { edition: 'dedicated', spec: 'aigw.small.x1', waf: { mode: 'block' } });

// hardwareAcceleration
new AiGateway(fleet, 'sl-hw', {
  edition: 'serverless',
  // @ts-expect-error hardware acceleration is Dedicated only
  hardwareAcceleration: { tls: true },
});
fleet.addGateway('sl-hw2', {
  edition: 'serverless',
  // @ts-expect-error hardware acceleration is Dedicated only
  hardwareAcceleration: { tls: true },
});
// Positive control.
new AiGateway(fleet, 'dd-hw', { edition: 'dedicated', spec: 'aigw.small.x1', hardwareAcceleration: { tls: true } });
fleet.addGateway('dd-hw2', { edition: 'dedicated', spec: 'aigw.small.x1', hardwareAcceleration: { tls: true } });

// endpoint (fixed EIP)
new AiGateway(fleet, 'sl-eip', {
  edition: 'serverless',
  // @ts-expect-error a fixed EIP is Dedicated only
  endpoint: { fixedIp: '1.2.3.4' },
});
fleet.addGateway('sl-eip2', {
  edition: 'serverless',
  // @ts-expect-error a fixed EIP is Dedicated only
  endpoint: { fixedIp: '1.2.3.4' },
});
// Positive control.
new AiGateway(fleet, 'dd-eip', { edition: 'dedicated', spec: 'aigw.small.x1', endpoint: { fixedIp: '1.2.3.4' } });
fleet.addGateway('dd-eip2', { edition: 'dedicated', spec: 'aigw.small.x1', endpoint: { fixedIp: '1.2.3.4' } });

// The same four through a props variable (not a fresh object literal). Excess-property checking
// does not apply here, so only the `?: never` members of ServerlessGatewayProps reject them.
const slProps = { edition: 'serverless', bandwidthMbps: 200 } as const;
const slSpec = { edition: 'serverless', spec: 'aigw.small.x1' } as const;
const slWaf = { edition: 'serverless', waf: { mode: 'block' } } as const;
const slHw = { edition: 'serverless', hardwareAcceleration: { tls: true } } as const;
const slEip = { edition: 'serverless', endpoint: { fixedIp: '1.2.3.4' } } as const;
const ddAll = {
  edition: 'dedicated',
  spec: 'aigw.small.x1',
  waf: { mode: 'block' },
  hardwareAcceleration: { tls: true },
  endpoint: { fixedIp: '1.2.3.4' },
} as const;
// Positive controls.
new AiGateway(fleet, 'var-sl', slProps);
fleet.addGateway('var-sl2', slProps);
new AiGateway(fleet, 'var-dd', ddAll);
fleet.addGateway('var-dd2', ddAll);
// @ts-expect-error spec is Dedicated only
new AiGateway(fleet, 'var-sl-spec', slSpec);
// @ts-expect-error spec is Dedicated only
fleet.addGateway('var-sl-spec2', slSpec);
// @ts-expect-error WAF is Dedicated only
new AiGateway(fleet, 'var-sl-waf', slWaf);
// @ts-expect-error WAF is Dedicated only
fleet.addGateway('var-sl-waf2', slWaf);
// @ts-expect-error hardware acceleration is Dedicated only
new AiGateway(fleet, 'var-sl-hw', slHw);
// @ts-expect-error hardware acceleration is Dedicated only
fleet.addGateway('var-sl-hw2', slHw);
// @ts-expect-error a fixed EIP is Dedicated only
new AiGateway(fleet, 'var-sl-eip', slEip);
// @ts-expect-error a fixed EIP is Dedicated only
fleet.addGateway('var-sl-eip2', slEip);

// ---------------------------------------------------------------------------------------------
// A Dedicated gateway needs a spec.
// ---------------------------------------------------------------------------------------------

// Positive controls.
export const dedicatedGw: AiGateway<'dedicated'> = new AiGateway(fleet, 'dd', { edition: 'dedicated', spec: 'aigw.medium.x1' });
export const dedicatedGw2: AiGateway<'dedicated'> = fleet.addGateway('dd2', { edition: 'dedicated', spec: 'aigw.large.x4' });

// @ts-expect-error spec is required on a Dedicated gateway
new AiGateway(fleet, 'dd-nospec', { edition: 'dedicated' });
// @ts-expect-error spec is required on a Dedicated gateway
fleet.addGateway('dd-nospec2', { edition: 'dedicated' });

// ---------------------------------------------------------------------------------------------
// Extensions: only 'system' on a Serverless gateway.
// ---------------------------------------------------------------------------------------------

// Positive controls: 'system' on Serverless.
new Extension(stack, 'ext-sl-system', { gateway: serverlessGw, name: 'header-transform', source: 'system' });
serverlessGw.addExtension('ext-sl-system2', { name: 'ai-cache', source: 'system', config: { ttlSeconds: 60 } });

new Extension(stack, 'ext-sl-mkt', {
  gateway: serverlessGw,
  name: 'ai-cache',
  // @ts-expect-error marketplace extensions need a Dedicated gateway
  source: 'marketplace',
});
new Extension(stack, 'ext-sl-custom', {
  gateway: serverlessGw,
  name: 'my-ext',
  // @ts-expect-error custom extensions need a Dedicated gateway
  source: 'custom',
  modulePath: './ext/my-ext.wasm',
});
serverlessGw.addExtension('ext-sl-mkt2', {
  name: 'ai-cache',
  // @ts-expect-error marketplace extensions need a Dedicated gateway
  source: 'marketplace',
});
serverlessGw.addExtension('ext-sl-custom2', {
  name: 'my-ext',
  // @ts-expect-error custom extensions need a Dedicated gateway
  source: 'custom',
  modulePath: './ext/my-ext.wasm',
});

// Positive controls: every source on Dedicated, both ways.
new Extension(stack, 'ext-dd-system', { gateway: dedicatedGw, name: 'header-transform', source: 'system' });
new Extension(stack, 'ext-dd-mkt', { gateway: dedicatedGw, name: 'ai-cache', source: 'marketplace' });
new Extension(stack, 'ext-dd-custom', { gateway: dedicatedGw, name: 'my-ext', source: 'custom', modulePath: './ext/my-ext.wasm' });
dedicatedGw.addExtension('ext-dd-system2', { name: 'ai-cache', source: 'system', config: { ttlSeconds: 60, scope: 'shared' } });

// A system extension's name is one the gateway ships, and its config is typed by that name.
// @ts-expect-error 'no-such-ext' is not a system extension: the names are the catalog's
dedicatedGw.addExtension('ext-dd-nosuch', { name: 'no-such-ext', source: 'system' });
// @ts-expect-error key-auth's keys is a list of names
dedicatedGw.addExtension('ext-dd-keys', { name: 'key-auth', source: 'system', config: { keys: 'x-api-key' } });
// @ts-expect-error token-quota's daily is a number of tokens
dedicatedGw.addExtension('ext-dd-quota', { name: 'token-quota', source: 'system', config: { daily: '1000' } });
// @ts-expect-error ai-cache's ttlSeconds is a number of seconds
dedicatedGw.addExtension('ext-dd-badcfg', { name: 'ai-cache', source: 'system', config: { ttlSeconds: '60' } });
// @ts-expect-error ai-cache has no denyPatterns (a content-guard field)
dedicatedGw.addExtension('ext-dd-wrongcfg', { name: 'ai-cache', source: 'system', config: { denyPatterns: ['x'] } });
dedicatedGw.addExtension('ext-dd-mkt2', { name: 'ai-cache', source: 'marketplace' });
dedicatedGw.addExtension('ext-dd-custom2', { name: 'my-ext', source: 'custom', modulePath: './ext/my-ext.wasm' });

// ---------------------------------------------------------------------------------------------
// Spec names: exactly the catalog's ten.
// ---------------------------------------------------------------------------------------------

// Positive controls.
export const smallX4: CapacitySpec = 'aigw.small.x4';
export const mediumX3: CapacitySpec = 'aigw.medium.x3';
export const largeX4: CapacitySpec = 'aigw.large.x4';

// @ts-expect-error not in the catalog
export const smallX3: CapacitySpec = 'aigw.small.x3';
// @ts-expect-error not in the catalog
export const mediumX4: CapacitySpec = 'aigw.medium.x4';
// @ts-expect-error not in the catalog
export const largeX5: CapacitySpec = 'aigw.large.x5';

new AiGateway(fleet, 'dd-bad-spec-1', {
  edition: 'dedicated',
  // @ts-expect-error not in the catalog
  spec: 'aigw.small.x3',
});
new AiGateway(fleet, 'dd-bad-spec-2', {
  edition: 'dedicated',
  // @ts-expect-error not in the catalog
  spec: 'aigw.medium.x4',
});
new AiGateway(fleet, 'dd-bad-spec-3', {
  edition: 'dedicated',
  // @ts-expect-error not in the catalog
  spec: 'aigw.large.x5',
});
fleet.addGateway('dd-bad-spec-4', {
  edition: 'dedicated',
  // @ts-expect-error not in the catalog
  spec: 'aigw.small.x3',
});
fleet.addGateway('dd-bad-spec-5', {
  edition: 'dedicated',
  // @ts-expect-error not in the catalog
  spec: 'aigw.medium.x4',
});
fleet.addGateway('dd-bad-spec-6', {
  edition: 'dedicated',
  // @ts-expect-error not in the catalog
  spec: 'aigw.large.x5',
});

// CapacitySpec is exactly the ten names: all ten are required (a missing key would fail), and an
// eleventh is an excess property.
export const allSpecs: Record<CapacitySpec, true> = {
  'aigw.small.x1': true,
  'aigw.small.x2': true,
  'aigw.small.x4': true,
  'aigw.medium.x1': true,
  'aigw.medium.x2': true,
  'aigw.medium.x3': true,
  'aigw.large.x1': true,
  'aigw.large.x2': true,
  'aigw.large.x3': true,
  'aigw.large.x4': true,
};
export const allSpecsPlusOne: Record<CapacitySpec, true> = {
  'aigw.small.x1': true,
  'aigw.small.x2': true,
  'aigw.small.x4': true,
  'aigw.medium.x1': true,
  'aigw.medium.x2': true,
  'aigw.medium.x3': true,
  'aigw.large.x1': true,
  'aigw.large.x2': true,
  'aigw.large.x3': true,
  'aigw.large.x4': true,
  // @ts-expect-error not in the catalog
  'aigw.small.x3': true,
};
// @ts-expect-error nine names are not enough: 'aigw.large.x4' is missing
export const allSpecsMinusOne: Record<CapacitySpec, true> = {
  'aigw.small.x1': true,
  'aigw.small.x2': true,
  'aigw.small.x4': true,
  'aigw.medium.x1': true,
  'aigw.medium.x2': true,
  'aigw.medium.x3': true,
  'aigw.large.x1': true,
  'aigw.large.x2': true,
  'aigw.large.x3': true,
};
