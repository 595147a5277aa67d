import { writeFileSync } from 'fs';
import { join, resolve } from 'path';
import fc from 'fast-check';
import { minimalConfig } from './fixtures';
import { readSynthesizedGateways, synthesizeApp } from '../../src/cli/dev-synth';
import { RouteTable } from '../../src/dataplane/compile/route-table';
import type { GatewayConfig } from '../../src/specs/config';
import { matchLoopback } from '../../src/specs/loopback-routes';
import { tempDirs } from '../support/temp-dirs';

const root = resolve(__dirname, '..', '..');
const tempDir = tempDirs();

type Where = readonly [name: string, host: string, pathPrefix: string];

/** minimalConfig with these model routes, agent routes and MCP server paths (only names and matches differ). */
function configWith(models: readonly Where[], agents: readonly Where[] = [], mcpPaths: readonly string[] = []): GatewayConfig {
  const base = minimalConfig();
  const [model] = base.modelRoutes;
  const [agent] = base.agentRoutes;
  const [mcp] = base.mcpServers;
  return {
    ...base,
    modelRoutes: models.map(([name, host, pathPrefix]) => ({ ...model, name, match: { host, pathPrefix } })),
    agentRoutes: agents.map(([name, host, pathPrefix]) => ({ ...agent, name, match: { host, pathPrefix } })),
    mcpServers: mcpPaths.map((path, i) => ({ ...mcp, name: `mcp-${i}`, path })),
  };
}

/** Each route's host after matchLoopback, by name. */
function hostsOf(config: GatewayConfig): Record<string, string> {
  return Object.fromEntries([...config.modelRoutes, ...config.agentRoutes].map((r) => [r.name, r.match.host]));
}

/** The route (or MCP server) name the data plane's own route table picks for a host and path. */
function router(config: GatewayConfig): (host: string, path: string) => string | undefined {
  const table = new RouteTable(
    [...config.modelRoutes, ...config.agentRoutes],
    config.mcpServers.map((m) => ({ name: m.name, match: { host: '*', pathPrefix: m.path } })),
  );
  return (host, path) => table.match(host, path)?.name;
}

describe('matchLoopback', () => {
  test("a gateway's routes on one host answer on any host; nothing else in the config changes", () => {
    const config = configWith([['chat', 'ai.example.com', '/v1']], [['support', 'ai.example.com', '/agents/support']], ['/mcp/weather']);
    const { config: local, kept } = matchLoopback(config);
    expect(hostsOf(local)).toEqual({ chat: '*', support: '*' });
    expect(kept).toEqual([]);
    expect({ ...local, modelRoutes: [], agentRoutes: [] }).toEqual({ ...config, modelRoutes: [], agentRoutes: [] });
    // The input is not touched: the cluster's config stays exact.
    expect(hostsOf(config)).toEqual({ chat: 'ai.example.com', support: 'ai.example.com' });
    const route = router(local);
    expect(route('127.0.0.1', '/v1/chat/completions')).toBe('chat');
    expect(route('127.0.0.1', '/agents/support/chat-messages')).toBe('support');
    expect(route('ai.example.com', '/v1/chat/completions')).toBe('chat');
  });

  test('two hosts with the same prefix keep their hosts, each naming the other', () => {
    const { config, kept } = matchLoopback(configWith([['a', 'a.example.com', '/v1'], ['b', 'b.example.com', '/v1/']]));
    expect(hostsOf(config)).toEqual({ a: 'a.example.com', b: 'b.example.com' });
    expect(kept).toEqual([
      { route: 'a', host: 'a.example.com', reason: "its path '/v1' overlaps model route 'b' (host 'b.example.com', path '/v1/'): on any host one would take the other's requests" },
      { route: 'b', host: 'b.example.com', reason: "its path '/v1/' overlaps model route 'a' (host 'a.example.com', path '/v1'): on any host one would take the other's requests" },
    ]);
  });

  test('nested prefixes on two hosts keep their hosts: on any host, /v1 would take b.example.com/v1/… from /', () => {
    const { config, kept } = matchLoopback(configWith([['a', 'a.example.com', '/v1'], ['b', 'b.example.com', '/']]));
    expect(hostsOf(config)).toEqual({ a: 'a.example.com', b: 'b.example.com' });
    expect(kept.map((k) => k.route)).toEqual(['a', 'b']);
  });

  test('a route overlapping one that already answers on any host keeps its host; disjoint prefixes of two hosts both move', () => {
    const { config, kept } = matchLoopback(
      configWith([['catch-all', '*', '/'], ['chat', 'ai.example.com', '/v1']], [['support', 'agents.example.com', '/agents/support']]),
    );
    // `/` nests with everything: chat and support both keep their hosts, and catch-all is not listed (it has none).
    expect(hostsOf(config)).toEqual({ 'catch-all': '*', 'chat': 'ai.example.com', 'support': 'agents.example.com' });
    expect(kept).toEqual([
      { route: 'chat', host: 'ai.example.com', reason: "its path '/v1' overlaps model route 'catch-all' (any host, path '/'): on any host it would take requests that route answers now" },
      { route: 'support', host: 'agents.example.com', reason: "its path '/agents/support' overlaps model route 'catch-all' (any host, path '/'): on any host it would take requests that route answers now" },
    ]);

    const disjoint = matchLoopback(configWith([['chat', 'ai.example.com', '/v1']], [['support', 'agents.example.com', '/agents/support']]));
    expect(hostsOf(disjoint.config)).toEqual({ chat: '*', support: '*' });
  });

  test('a route deeper than an MCP server path keeps its host, and so does its group; one at or above the path moves', () => {
    const deep = matchLoopback(configWith([['tools', 'ai.example.com', '/mcp/weather/extra'], ['root', 'ai.example.com', '/']], [], ['/mcp/weather']));
    expect(hostsOf(deep.config)).toEqual({ tools: 'ai.example.com', root: 'ai.example.com' });
    expect(deep.kept).toEqual([
      { route: 'tools', host: 'ai.example.com', reason: "its path '/mcp/weather/extra' lies under MCP server 'mcp-0' (path '/mcp/weather'): on any host it would take that server's requests" },
      {
        route: 'root',
        host: 'ai.example.com',
        reason: "its path '/' overlaps model route 'tools' (host 'ai.example.com', path '/mcp/weather/extra'), which keeps its host (it lies under MCP server 'mcp-0', path '/mcp/weather')",
      },
    ]);
    expect(hostsOf(matchLoopback(configWith([['root', 'ai.example.com', '/']], [], ['/mcp/weather'])).config)).toEqual({ root: '*' });
  });

  test('a transitive overlap keeps the whole group: /v1 and /agents do not nest, but both nest with / on another host', () => {
    const { config, kept } = matchLoopback(configWith([['v1', 'a.example.com', '/v1'], ['agents', 'a.example.com', '/agents'], ['root', 'b.example.com', '/']]));
    expect(hostsOf(config)).toEqual({ v1: 'a.example.com', agents: 'a.example.com', root: 'b.example.com' });
    expect(kept.find((k) => k.route === 'root')!.reason).toBe(
      "its path '/' overlaps model route 'v1' (host 'a.example.com', path '/v1'): on any host one would take the other's requests",
    );
  });

  test('a wildcard host moves like any other; a model and an agent route of the same name are told apart', () => {
    const { config } = matchLoopback(configWith([['x', '*.example.com', '/v1']], [['x', 'agents.example.com', '/agents']]));
    expect(config.modelRoutes[0].match.host).toBe('*');
    expect(config.agentRoutes[0].match.host).toBe('*');
  });

  test('no request that matched a route before matches another after, and every route that moved answers on 127.0.0.1', () => {
    const hosts = ['*', '*.example.com', 'a.example.com', 'b.example.com', 'x.example.com'];
    const prefixes = ['/', '/v1', '/v1/chat', '/v10', '/agents', '/agents/a', '/mcp', '/mcp/m', '/mcp/m/deep'];
    const route = fc.tuple(fc.constantFrom(...hosts), fc.constantFrom(...prefixes));
    const routes = fc.uniqueArray(route, { minLength: 1, maxLength: 6, selector: ([h, p]) => `${h} ${p.replace(/\/$/, '')}` });
    const mcp = fc.uniqueArray(fc.constantFrom('/mcp/m', '/agents', '/v1/chat'), { maxLength: 2 });
    const requestPaths = [...prefixes, '/v1/chat/completions', '/v10/x', '/agents/a/b', '/mcp/m/deep/x', '/other'];
    fc.assert(
      fc.property(routes, fc.integer({ min: 0, max: 6 }), mcp, (all, agentCount, mcpPaths) => {
        const named = all.map(([h, p], i): Where => [`r${i}`, h, p]);
        const config = configWith(named.slice(agentCount), named.slice(0, agentCount), mcpPaths);
        const { config: local, kept } = matchLoopback(config);
        const before = router(config);
        const after = router(local);
        for (const host of ['a.example.com', 'b.example.com', 'x.example.com', 'y.example.com', 'example.com', '127.0.0.1']) {
          for (const path of requestPaths) {
            const was = before(host, path);
            if (was !== undefined) expect([host, path, after(host, path)]).toEqual([host, path, was]);
          }
        }
        const keptNames = new Set(kept.map((k) => k.route));
        for (const r of [...local.modelRoutes, ...local.agentRoutes]) {
          const original = [...config.modelRoutes, ...config.agentRoutes].find((o) => o.name === r.name)!;
          // Moved, or listed in kept with the host it still needs: never both, never neither.
          if (original.match.host === '*') continue;
          expect(keptNames.has(r.name)).toBe(r.match.host !== '*');
          // On its own prefix it answers, unless an MCP server has that same path (path-only routes win ties).
          const tie = local.mcpServers.find((m) => m.path.replace(/\/$/, '') === r.match.pathPrefix.replace(/\/$/, ''));
          if (r.match.host === '*') expect(after('127.0.0.1', r.match.pathPrefix)).toBe(tie?.name ?? r.name);
          else expect(kept.find((k) => k.route === r.name)!.host).toBe(original.match.host);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('matchLoopback on the example fleet (examples/fleet/main.ts)', () => {
  test('every route of both gateways answers on any host', async () => {
    const app = tempDir('aigw-loopback-app-');
    // The example as written, its `cdktf-ai-gateway` import resolved to this repo's sources (no build needed).
    writeFileSync(
      join(app, 'main.js'),
      `
require(${JSON.stringify(join(root, 'node_modules', 'ts-node'))}).register({ transpileOnly: true, skipProject: true, compilerOptions: { module: 'commonjs', target: 'es2022' } });
const Module = require('module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === 'cdktf-ai-gateway' ? ${JSON.stringify(join(root, 'src', 'index.ts'))} : request, ...rest);
};
require(${JSON.stringify(join(root, 'examples', 'fleet', 'main.ts'))});
`,
    );
    writeFileSync(join(app, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node main.js', context: {} }));
    const out = join(app, 'cdktf.out');
    await synthesizeApp(app, out, new AbortController().signal);
    const gateways = readSynthesizedGateways(out)
      .map((g) => g.config)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    expect(gateways.map((g) => [g.metadata.name, hostsOf(g)])).toEqual([
      ['lab', { chat: 'lab.ai.example.com' }],
      ['prod', { chat: 'ai.example.com', support: 'ai.example.com' }],
    ]);
    for (const gateway of gateways) {
      const { config, kept } = matchLoopback(gateway);
      expect(kept).toEqual([]);
      expect(Object.values(hostsOf(config)).every((h) => h === '*')).toBe(true);
    }
    const prod = matchLoopback(gateways[1]).config;
    const route = router(prod);
    expect(route('127.0.0.1', '/v1/chat/completions')).toBe('chat');
    expect(route('127.0.0.1', '/agents/support/chat-messages')).toBe('support');
    expect(route('127.0.0.1', prod.mcpServers[0].path)).toBe('weather');
  }, 120_000);
});
