import { RouteTable } from '../../../src/dataplane/compile/route-table';

/** MCP servers are matched by path on any host, beside the host/path routes: the longer prefix wins, an MCP path on a tie. */

const r = (name: string, host: string, pathPrefix: string) => ({ name, match: { host, pathPrefix } });

const table = new RouteTable(
  [r('root-on-host', 'ai.example.com', '/'), r('wild-root', '*.example.com', '/'), r('any-root', '*', '/'), r('agent-under-mcp', 'ai.example.com', '/mcp/files/agent')],
  [r('mcp-files', '*', '/mcp/files'), r('mcp-tools', '*', '/tools')],
);
const match = (host: string, path: string) => table.match(host, path)?.name;

test("a '/' route on any host, a wildcard host or the exact host never shadows an MCP path, whatever the Host header", () => {
  for (const host of ['ai.example.com', 'x.example.com', 'other.org', '127.0.0.1']) {
    expect(match(host, '/mcp/files')).toBe('mcp-files');
    expect(match(host, '/mcp/files/')).toBe('mcp-files');
    expect(match(host, '/mcp/files/sse')).toBe('mcp-files');
    expect(match(host, '/tools')).toBe('mcp-tools');
  }
});

test('a route with a longer prefix under an MCP path keeps its paths; other paths go to the host routes', () => {
  expect(match('ai.example.com', '/mcp/files/agent/run')).toBe('agent-under-mcp');
  expect(match('other.org', '/mcp/files/agent/run')).toBe('mcp-files');
  expect(match('ai.example.com', '/mcp/filesystem')).toBe('root-on-host');
  expect(match('ai.example.com', '/v1/chat/completions')).toBe('root-on-host');
  expect(match('other.org', '/toolsx')).toBe('any-root');
});

test('without path-only routes the table is as before', () => {
  expect(new RouteTable([r('a', '*', '/')]).match('h', '/mcp/files')?.name).toBe('a');
});
