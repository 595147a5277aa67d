import type { IConstruct } from 'constructs';
import * as fc from 'fast-check';
import { fleetStack, synth, synthError } from './fixtures';
import { type AiGateway, type AiGatewayProps, Backend, CAPACITY_SPEC_NAMES, type ModelRoute } from '../../src';

interface Blueprint {
  readonly props: AiGatewayProps;
  readonly routes: { readonly models: number; readonly fallback: boolean }[];
  readonly consumers: number[][];
  readonly mcpServers: number;
}

const gatewayProps: fc.Arbitrary<AiGatewayProps> = fc.oneof(
  fc.record({ edition: fc.constant('serverless' as const), bandwidthMbps: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }) }),
  fc.record({
    edition: fc.constant('dedicated' as const),
    spec: fc.constantFrom(...CAPACITY_SPEC_NAMES),
    bandwidthMbps: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
    hardwareAcceleration: fc.option(fc.record({ tls: fc.boolean(), compression: fc.boolean() }), { nil: undefined }),
  }),
);

const blueprint: fc.Arbitrary<Blueprint> = fc.record({
  props: gatewayProps,
  routes: fc.array(fc.record({ models: fc.integer({ min: 1, max: 3 }), fallback: fc.boolean() }), { minLength: 1, maxLength: 6 }),
  consumers: fc.array(fc.array(fc.nat(5), { maxLength: 4 }), { maxLength: 4 }),
  mcpServers: fc.nat(3),
});

function build(bp: Blueprint) {
  const { stack, fleet } = fleetStack();
  const gateway = fleet.addGateway('gw', bp.props) as AiGateway;
  const backend = Backend.openAi({ apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const routes = bp.routes.map((r, i) =>
    gateway.addModelRoute(`r${i}`, {
      pathPrefix: `/r${i}`,
      // A fallback always points to the next model, never back: no loops.
      models: Array.from({ length: r.models }, (_, m) => ({ name: `m${m}`, targets: [{ backend }], fallbacks: r.fallback && m + 1 < r.models ? [`m${m + 1}`] : [] })),
    }),
  );
  const servers = Array.from({ length: bp.mcpServers }, (_, i) => gateway.addMcpServer(`mcp${i}`, { kind: 'proxy', url: `https://mcp${i}.example.com/mcp` }));
  bp.consumers.forEach((grants, i) =>
    gateway.addConsumer(`c${i}`, {
      apiKey: { secretName: 'consumer-keys', key: `c${i}` },
      grants: { routes: grants.map((g) => routes[g % routes.length]), mcpServers: servers.filter((_, s) => grants.includes(s)) },
    }),
  );
  return { stack, gateway, routes };
}

/** One way to break a valid gateway, and the construct the error must name. */
const MUTATIONS: ((g: AiGateway, routes: ModelRoute[]) => IConstruct)[] = [
  (g) => g.addModelRoute('no-models', { pathPrefix: '/none' }),
  (_g, routes) => routes[0].addModel({ name: 'loop', targets: [{ backend: Backend.openAi() }], fallbacks: ['loop'] }),
  (g, routes) => g.addModelRoute('dup', { host: routes[0].host, pathPrefix: routes[0].pathPrefix, models: [{ name: 'x', targets: [{ backend: Backend.openAi() }] }] }),
  (g) => g.addAgentRoute('agent', { kind: 'dify', pathPrefix: '/agent' }),
  (g) => g.addMcpServer('bad-openapi', { kind: 'http-to-mcp', baseUrl: 'https://x.example.com', openApiFile: '/nonexistent.json' }),
  // A second gateway of the fleet with a bandwidth its edition does not allow (props are read once, by the constructor).
  (g) => g.fleet.addGateway('bw', g.edition === 'serverless' ? { edition: 'serverless', bandwidthMbps: 401 } : { edition: 'dedicated', spec: 'aigw.small.x1', bandwidthMbps: -1 }),
];

describe('properties', () => {
  test('valid props always synthesize', () => {
    fc.assert(
      fc.property(blueprint, (bp) => {
        const { stack } = build(bp);
        expect(() => synth(stack)).not.toThrow();
      }),
      { numRuns: 60 },
    );
  });

  test('invalid props always fail, naming the construct', () => {
    fc.assert(
      fc.property(blueprint, fc.integer({ min: 0, max: MUTATIONS.length - 1 }), (bp, m) => {
        const { stack, gateway, routes } = build(bp);
        const culprit = MUTATIONS[m](gateway, routes);
        expect(synthError(stack)).toContain(`(${culprit.node.path})`);
      }),
      { numRuns: 60 },
    );
  });
});
