import { RouteTable } from '../../src/dataplane/compile/route-table';

const r = (name: string, host: string, pathPrefix: string) => ({ name, match: { host, pathPrefix } });

describe('route table', () => {
  const table = new RouteTable([
    r('root', '*', '/'),
    r('v1', '*', '/v1'),
    r('team', '*', '/team/a'),
    r('api', 'api.example.com', '/'),
    r('api-v2', 'api.example.com', '/v2'),
    r('wild', '*.example.com', '/'),
    r('deep-wild', '*.eu.example.com', '/'),
  ]);
  const match = (host: string, path: string) => table.match(host, path)?.name;

  test('exact host first, then the longest wildcard suffix, then any host', () => {
    expect(match('api.example.com', '/v2/chat/completions')).toBe('api-v2');
    expect(match('api.example.com', '/v1/chat/completions')).toBe('api');
    expect(match('x.example.com', '/v1')).toBe('wild');
    expect(match('x.eu.example.com', '/v1')).toBe('deep-wild');
    expect(match('example.com', '/v1/models')).toBe('v1');
    expect(match('other.org', '/anything')).toBe('root');
  });

  test('longest prefix by whole segments', () => {
    expect(match('h', '/v1')).toBe('v1');
    expect(match('h', '/v1/')).toBe('v1');
    expect(match('h', '/v10/x')).toBe('root');
    expect(match('h', '/team/a/v1/chat/completions')).toBe('team');
    expect(match('h', '/team/ab')).toBe('root');
    expect(match('h', '/team')).toBe('root');
  });

  test('10,000 routes: each found by its own prefix', () => {
    const many = new RouteTable(Array.from({ length: 10_000 }, (_, i) => r(`r${i}`, '*', `/r${i}`)));
    for (const i of [0, 1, 9_999, 4_242]) expect(many.match('h', `/r${i}/v1/chat/completions`)?.name).toBe(`r${i}`);
    expect(many.match('h', '/nope')).toBeUndefined();
    expect(many.routesForHost('h')).toHaveLength(10_000);
  });
});

describe('path-only routes (MCP servers) beside host routes', () => {
  const table = new RouteTable(
    [r('root', '*', '/'), r('api', 'api.example.com', '/mcp/files/admin'), r('models', 'api.example.com', '/mcp')],
    [r('files', '*', '/mcp/files'), r('tools', '*', '/tools/')],
  );
  const match = (host: string, path: string) => table.match(host, path)?.name;

  test('the longer prefix wins, counted in segments whatever the slashes; on a tie the path-only route does', () => {
    expect(match('any.host', '/mcp/files')).toBe('files');
    expect(match('any.host', '/mcp/files/sse')).toBe('files');
    expect(match('api.example.com', '/mcp/files/admin/x')).toBe('api');
    expect(match('api.example.com', '/mcp/other')).toBe('models');
    expect(match('api.example.com', '/mcp/files')).toBe('files');
    expect(match('any.host', '/tools')).toBe('tools');
    expect(match('any.host', '/v1/chat/completions')).toBe('root');
  });
});
