import type { ServerResponse } from 'http';
import { restService, streamBytes, type RestService } from './http-rest-service';
import { httpServer, NEVER, textOf, tool } from './http-server-config';
import { createHttpToolBackend } from '../../../src/dataplane/mcp/http';
import type { McpToolBackend } from '../../../src/dataplane/mcp/tool-backend';

// The upstream's answer becomes the tool result the tool declares, bounded in size, with the credential scrubbed.
const MiB = 1024 * 1024;
const SECRET = 'sk-upstream-0123456789';
let rest: RestService;
let backend: McpToolBackend;
let lastStream: Promise<number> | undefined;

const answers: Record<string, (res: ServerResponse) => void> = {
  '/item': (res) => json(res, 200, { data: { item: { 'id': 7, 'name': 'lamp', 'a/b': { 'x~y': 'deep' } }, list: [1, 2] } }),
  '/text': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('plain text, ünïcode');
  },
  '/missing': (res) => json(res, 404, { error: `no such item (key ${SECRET})` }),
  '/broken': (res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end(`<h1>boom</h1>${'y'.repeat(10 * 1024)}`);
  },
  '/empty': (res) => {
    res.writeHead(204);
    res.end();
  },
  '/gzip': (res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    res.end('not really gzip');
  },
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  rest = await restService((req, res, service) => {
    if (req.path === '/big') lastStream = streamBytes(res, service, 3 * MiB, 'z');
    else if (req.path === '/huge') lastStream = streamBytes(res, service, 96 * MiB, 'h');
    else if (answers[req.path]) answers[req.path](res);
    else json(res, 404, {});
  });
  const auth = { header: 'authorization', prefix: 'Bearer ', secret: { secretName: 's', key: 'k' } };
  backend = createHttpToolBackend(
    httpServer(rest.url, [
      tool('whole', '/item'),
      tool('pointed', '/item', { response: { pointer: '/data/item' } }),
      tool('escaped', '/item', { response: { pointer: '/data/item/a~1b/x~0y' } }),
      tool('nowhere', '/item', { response: { pointer: '/data/nothing' } }),
      tool('structured', '/item', { response: { pointer: '/data/item' }, outputSchema: { type: 'object' } }),
      tool('structured_array', '/item', { response: { pointer: '/data/list' }, outputSchema: { type: 'object' } }),
      tool('text', '/text', { response: { format: 'text' } }),
      tool('missing', '/missing'),
      tool('broken', '/broken'),
      tool('empty', '/empty'),
      tool('gzip', '/gzip'),
      tool('big', '/big', { response: { format: 'text' } }),
      tool('huge', '/huge', { response: { format: 'text' } }),
    ], { upstream: { baseUrl: rest.url, auth }, maxResponseBytes: MiB }),
    SECRET,
  );
});
afterAll(async () => {
  await backend.close();
  await rest.close();
});

test('format json: the whole document as JSON text', async () => {
  const result = await backend.call('whole', {}, NEVER);
  expect(JSON.parse(textOf(result))).toEqual({ data: { item: { 'id': 7, 'name': 'lamp', 'a/b': { 'x~y': 'deep' } }, list: [1, 2] } });
  expect(result.structuredContent).toBeUndefined();
  expect(result.isError).toBeUndefined();
});

test('a JSON pointer (RFC 6901, ~0 and ~1 escapes included) selects the value returned', async () => {
  expect(JSON.parse(textOf(await backend.call('pointed', {}, NEVER)))).toEqual({ 'id': 7, 'name': 'lamp', 'a/b': { 'x~y': 'deep' } });
  expect(textOf(await backend.call('escaped', {}, NEVER))).toBe('"deep"');
  const missing = await backend.call('nowhere', {}, NEVER);
  expect(missing.isError).toBe(true);
  expect(textOf(missing)).toMatch(/has no value at JSON pointer "\/data\/nothing"/);
});

test('an outputSchema gives structuredContent when the value is an object', async () => {
  const result = await backend.call('structured', {}, NEVER);
  expect(result.structuredContent).toEqual({ 'id': 7, 'name': 'lamp', 'a/b': { 'x~y': 'deep' } });
  expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
  // MCP: a tool with an output schema must return a structured result (the SDK client refuses one without): an array is a tool error saying why.
  const array = await backend.call('structured_array', {}, NEVER);
  expect(array.structuredContent).toBeUndefined();
  expect(array.isError).toBe(true);
  expect(textOf(array)).toContain('is an array, not a JSON object');
});

test('format text: the body as it is', async () => {
  const result = await backend.call('text', {}, NEVER);
  expect(textOf(result)).toBe('plain text, ünïcode');
});

test('an upstream 4xx is a tool error with the status and the body, credential scrubbed', async () => {
  const result = await backend.call('missing', {}, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toContain('answered HTTP 404: {"error":"no such item (key [redacted])"}');
  expect(textOf(result)).not.toContain(SECRET);
});

test('an upstream 5xx is a tool error with the status and an excerpt of at most 2 KiB', async () => {
  const result = await backend.call('broken', {}, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(/answered HTTP 500: <h1>boom<\/h1>y+ \[…the body was cut at 2 KiB\]$/);
  expect(textOf(result).length).toBeLessThan(2048 + 200);
});

test('an empty answer is an empty text; a compressed one is refused', async () => {
  expect(await backend.call('empty', {}, NEVER)).toEqual({ content: [{ type: 'text', text: '' }] });
  const gzip = await backend.call('gzip', {}, NEVER);
  expect(gzip.isError).toBe(true);
  expect(textOf(gzip)).toMatch(/content-encoding "gzip"/);
});

test('a 3 MiB answer with maxResponseBytes 1 MiB is truncated with a note', async () => {
  const result = await backend.call('big', {}, NEVER);
  const text = textOf(result);
  expect(result.isError).toBeUndefined();
  const [shown, note] = text.split('\n\n');
  // Up to the cap; at the cut, the few bytes the scrubber holds back (they could start an echo of the credential) are dropped.
  expect(shown).toMatch(/^z+$/);
  expect(shown.length).toBeLessThanOrEqual(MiB);
  expect(shown.length).toBeGreaterThan(MiB - 64);
  expect(note).toMatch(/^\[truncated by the gateway: .*maxResponseBytes \(1048576 bytes\).*first 1048576 bytes were read/);
  await lastStream;
});

test('reading stops at the cap: the upstream could hand the socket only what the kernel buffers hold beyond it, not the whole body', async () => {
  // 96 MiB, written with backpressure: once the gateway stops reading, the service can only fill the
  // loopback socket's buffers (a few MiB) before its writes stall, and the abort closes the connection.
  const result = await backend.call('huge', {}, NEVER);
  expect(textOf(result)).toMatch(/truncated by the gateway/);
  const written = await lastStream!;
  expect(written).toBeGreaterThanOrEqual(MiB);
  expect(written).toBeLessThan(48 * MiB);
});
