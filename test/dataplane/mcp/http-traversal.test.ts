import { echo, restService, type RestService } from './http-rest-service';
import { httpServer, NEVER, textOf, tool } from './http-server-config';
import { createHttpToolBackend } from '../../../src/dataplane/mcp/http';
import type { McpToolBackend } from '../../../src/dataplane/mcp/tool-backend';

// No way out of the declared upstream: whatever an argument says, the REST service's record shows
// that only the declared path under the declared base was reached, on the declared host, or nothing at all.
let rest: RestService;
let backend: McpToolBackend;

beforeAll(async () => {
  rest = await restService((req, res) => {
    if (req.path === '/api/moved-away') {
      res.writeHead(302, { location: 'http://evil.example/x' });
      res.end('moved');
    } else if (req.path === '/api/moved-here') {
      res.writeHead(302, { location: '/admin' });
      res.end('moved');
    } else {
      echo(req, res);
    }
  });
  const stringArg = (name: string) => ({ type: 'object', properties: { [name]: { type: 'string' } }, required: [name] });
  backend = createHttpToolBackend(
    httpServer(`${rest.url}/api`, [
      tool('file', '/files/{{args.name}}', { inputSchema: stringArg('name') }),
      tool('search', '/search', { inputSchema: stringArg('q'), request: { query: { q: '{{args.q}}' } } }),
      tool('tagged', '/files', { inputSchema: stringArg('tag'), request: { headers: { 'X-Tag': '{{args.tag}}' } } }),
      tool('up_and_out', '/../admin'),
      tool('host_header', '/files', { inputSchema: stringArg('h'), request: { headers: { Host: '{{args.h}}' } } }),
      tool('away', '/moved-away'),
      tool('here', '/moved-here'),
    ]),
    undefined,
  );
});
afterAll(async () => {
  await backend.close();
  await rest.close();
});
beforeEach(() => {
  rest.seen.length = 0;
});

describe('a path argument is one segment or refused', () => {
  test.each([
    ['../admin', /contains "\/"/],
    ['..', /is the dot-segment ".."/],
    ['.', /is the dot-segment "."/],
    ['%2e%2e%2fadmin', /contains "\/" once percent-decoded/],
    ['%2E%2E', /is the dot-segment ".." once percent-decoded/],
    ['%252e%252e%252fadmin', /contains "\/" after 2 percent-decodings/],
    ['..%5cadmin', /contains "\.\."/],
    ['%2e%2e%5cadmin', /contains "\\" once percent-decoded/],
    ['..;', /contains ".."/],
    ['%c0%ae%c0%ae', /overlong UTF-8/],
    ['a/b', /contains "\/"/],
    ['a\\b', /contains "\\"/],
    ['http://evil.example/x', /contains "\/"/],
    ['//evil.example/x', /contains "\/"/],
    ['', /is empty/],
    ['%00', /contains NUL once percent-decoded/],
  ])('%j is refused and reaches nothing', async (name, why) => {
    const result = await backend.call('file', { name }, NEVER);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/path argument "name" is /);
    expect(textOf(result)).toMatch(why);
    expect(rest.seen).toHaveLength(0);
  });

  test.each([
    ['evil.example:8080@x', '/api/files/evil.example%3A8080%40x'],
    ['a?admin=1#frag', '/api/files/a%3Fadmin%3D1%23frag'],
    ['100%', '/api/files/100%25'],
    ['a b', '/api/files/a%20b'],
  ])('%j is encoded as one segment under the base path', async (name, path) => {
    const result = await backend.call('file', { name }, NEVER);
    expect(result.isError).toBeUndefined();
    expect(rest.seen.map((r) => r.target)).toEqual([path]);
  });
});

test('an absolute URL in a query argument is only a query value', async () => {
  await backend.call('search', { q: 'http://evil.example/x?y=1&z' }, NEVER);
  expect(rest.seen).toHaveLength(1);
  expect(rest.seen[0].path).toBe('/api/search');
  expect([...rest.seen[0].query]).toEqual([['q', 'http://evil.example/x?y=1&z']]);
  expect(rest.seen[0].headers.host).toBe(new URL(rest.url).host);
});

test.each([['\r\nX-Injected: 1'], ['ok\nX-Injected: 1'], ['nul\0'], ['caf\u00e9']])('a header argument %j that could break the header is refused', async (tag) => {
  const result = await backend.call('tagged', { tag }, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/argument "tag" is .* header "x-tag"/);
  expect(rest.seen).toHaveLength(0);
});

test.each([
  ['away', 'host "evil.example"'],
  ['here', 'the same host (127.0.0.1:'],
])('a redirect (%s) is not followed: a tool error naming the status and the host', async (name, where) => {
  const result = await backend.call(name, {}, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/answered HTTP 302, a redirect to/);
  expect(textOf(result)).toContain(where);
  expect(rest.seen.map((r) => r.path)).toEqual([name === 'away' ? '/api/moved-away' : '/api/moved-here']);
});

test('a tool whose own path would leave the base path is refused, not sent', async () => {
  const result = await backend.call('up_and_out', {}, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/would leave the declared upstream http:\/\/127\.0\.0\.1:\d+\/api/);
  expect(rest.seen).toHaveLength(0);
});

test('a tool may not set the Host header (or any framing header) from an argument', async () => {
  const result = await backend.call('host_header', { h: 'evil.example' }, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/sets header "Host", which only the gateway sets/);
  expect(rest.seen).toHaveLength(0);
});
