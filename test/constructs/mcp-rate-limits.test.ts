import { join } from 'path';
import { configOf, fleetStack, synth, synthError } from './fixtures';
import { type McpRateLimitProps, Rules } from '../../src';

const WEATHER_OPENAPI = join(__dirname, '..', '..', 'examples', 'fleet', 'weather-api.yaml');
const SESSION_KEY = { secretName: 'aigw-mcp', key: 'session-key' };

/** A Dedicated gateway with a proxy (allowTools), a proxy without, an inline HTTP-to-MCP server and the example's OpenAPI one, all under `limits`. */
function mcpGateway(limits: Partial<Record<'search' | 'open' | 'inline' | 'weather', McpRateLimitProps[]>> = {}) {
  const { stack, fleet } = fleetStack();
  const prod = fleet.addGateway('prod', { edition: 'dedicated', spec: 'aigw.small.x1', mcpSessionKey: SESSION_KEY });
  const search = prod.addMcpServer('search', { kind: 'proxy', url: 'https://mcp.example.com/mcp', allowTools: ['search', 'fetch'], rateLimits: limits.search });
  const open = prod.addMcpServer('open', { kind: 'proxy', url: 'https://open.example.com/mcp', rateLimits: limits.open });
  const inline = prod.addMcpServer('inline', {
    kind: 'http-to-mcp',
    baseUrl: 'https://api.example.com',
    tools: [{ name: 'lookup', request: { method: 'GET', path: '/lookup/{{args.id}}' } }],
    rateLimits: limits.inline,
  });
  const weather = prod.addMcpServer('weather', { kind: 'http-to-mcp', baseUrl: 'https://weather.example.com', openApiFile: WEATHER_OPENAPI, rateLimits: limits.weather });
  return { stack, fleet, prod, search, open, inline, weather };
}

const serversOf = (stack: Parameters<typeof synth>[0]) => Object.fromEntries(configOf(synth(stack), 'prod').mcpServers.map((s) => [s.name, s]));

describe('MCP server rate limits', () => {
  test('rateLimits and onRedisUnavailable are emitted with their defaults; a server without limits emits neither', () => {
    const { stack, search, open } = mcpGateway({
      search: [{ limit: 60, window: 'minute' }, { name: 'fetches', limit: 5, window: 'hour', scope: 'server', tool: 'fetch' }],
    });
    expect(search.rateLimits).toEqual([
      { name: 'requests-per-minute-0', limit: 60, window: 'minute', scope: 'consumer' },
      { name: 'fetches', limit: 5, window: 'hour', scope: 'server', tool: 'fetch' },
    ]);
    expect([search.onRedisUnavailable, open.onRedisUnavailable, open.rateLimits]).toEqual(['failOpen', 'failOpen', []]);
    const servers = serversOf(stack);
    expect(servers.search).toMatchObject({ rateLimits: search.rateLimits, onRedisUnavailable: 'failOpen' });
    expect(servers.open).not.toHaveProperty('rateLimits');
    expect(servers.open).not.toHaveProperty('onRedisUnavailable');
  });

  test('onRedisUnavailable failClosed is emitted', () => {
    const { stack, prod } = mcpGateway();
    prod.addMcpServer('strict', { kind: 'proxy', url: 'https://strict.example.com/mcp', rateLimits: [{ limit: 1, window: 'second' }], onRedisUnavailable: 'failClosed' });
    expect(serversOf(stack).strict).toMatchObject({ onRedisUnavailable: 'failClosed', rateLimits: [{ name: 'requests-per-second-0', limit: 1, window: 'second', scope: 'consumer' }] });
  });

  test('a tool limit naming a tool the server does not declare fails synth, naming the server, the limit, the tool and the fix', () => {
    const { stack, search, inline, weather } = mcpGateway({
      search: [{ name: 'deletes', limit: 1, window: 'minute', tool: 'delete' }, { limit: 1, window: 'minute', tool: 'search' }],
      inline: [{ limit: 1, window: 'minute', tool: 'lookupp' }],
      weather: [{ limit: 1, window: 'day', tool: 'getForecast' }, { limit: 1, window: 'day', tool: 'forecast' }],
    });
    const message = synthError(stack);
    expect(message).toContain(
      `[mcp-rate-limits] McpServer 'search' (${search.node.path}): rateLimits[0] ('deletes') limits tool "delete", which the server does not declare; its tools: 'search', 'fetch'. Name one of these in its tool, or add 'delete' to the server's allowTools.`,
    );
    expect(message).toContain(`McpServer 'inline' (${inline.node.path}): rateLimits[0] ('requests-per-minute-0') limits tool "lookupp", which the server does not declare; its tools: 'lookup'.`);
    // The OpenAPI file's operations are the tools of the example's weather server.
    expect(message).toContain(`McpServer 'weather' (${weather.node.path}): rateLimits[1] ('requests-per-day-1') limits tool "forecast", which the server does not declare; its tools: 'getForecast', 'subscribeAlerts'. Name one of these in its tool, or add 'forecast' to the server's tools or its OpenAPI file.`);
    expect(message.match(/\[mcp-rate-limits\]/g)).toHaveLength(3);
  });

  test('the error cannot be suppressed', () => {
    const { stack, search } = mcpGateway({ search: [{ limit: 1, window: 'minute', tool: 'delete' }] });
    Rules.suppress(search, 'mcp-rate-limits', 'we know');
    expect(synthError(stack)).toContain('[mcp-rate-limits]');
  });

  test('a proxy without allowTools exposes whatever its upstream has: any tool may be limited', () => {
    const { stack } = mcpGateway({ open: [{ limit: 3, window: 'minute', tool: 'anything' }] });
    expect(serversOf(stack).open!.rateLimits).toEqual([{ name: 'requests-per-minute-0', limit: 3, window: 'minute', scope: 'consumer', tool: 'anything' }]);
  });

  test('a bad value is reported by the config schema at the server, not a crash', () => {
    const { stack } = mcpGateway({ search: [{ limit: 0, window: 'minute' }] });
    expect(synthError(stack)).toMatch(/\[config-schema\][^\n]*McpServer 'search'[^\n]*rateLimits/);
    const plain = mcpGateway({ search: 'many' as unknown as McpRateLimitProps[] });
    expect(synthError(plain.stack)).toMatch(/\[config-schema\][^\n]*McpServer 'search'[^\n]*rateLimits/);
  });
});
