import { restService, type RestService } from './http-rest-service';
import { httpServer, NEVER, textOf, tool } from './http-server-config';
import { createHttpToolBackend } from '../../../src/dataplane/mcp/http';
import type { McpToolBackend } from '../../../src/dataplane/mcp/tool-backend';

// Arguments reach the REST upstream exactly where the tool declares them, and bad arguments reach nothing.
let rest: RestService;
let backend: McpToolBackend;

const weather = tool('get_weather', '/cities/{{args.city}}/forecast', {
  description: 'The forecast of a city',
  inputSchema: {
    type: 'object',
    properties: {
      city: { type: 'string' },
      days: { type: 'integer' },
      units: { type: 'string', enum: ['c', 'f'] },
      tags: { type: 'array', items: { type: 'string' } },
      traceId: { type: 'string' },
      verbose: { type: 'boolean' },
    },
    required: ['city'],
    additionalProperties: false,
  },
  outputSchema: { type: 'object', properties: { method: { type: 'string' } } },
  request: { query: { days: '{{args.days}}', units: 'unit-{{args.units}}', tag: '{{args.tags}}', verbose: '{{args.verbose}}' }, headers: { 'X-Trace-Id': 'trace {{args.traceId}}' } },
});
const create = tool('create_note', '/notes', {
  inputSchema: { type: 'object', properties: { note: { type: 'object', properties: { title: { type: 'string' }, size: { type: 'number' } }, required: ['title'] } }, required: ['note'] },
  request: { method: 'POST', bodyArg: 'note' },
});

beforeAll(async () => {
  rest = await restService();
  backend = createHttpToolBackend(
    httpServer(`${rest.url}/api/v2/`, [weather, create], { upstream: { baseUrl: `${rest.url}/api/v2/`, auth: { header: 'X-Api-Key', prefix: 'Key ', secret: { secretName: 's', key: 'k' } } } }),
    'upstream-secret-123',
  );
});
afterAll(async () => {
  await backend.close();
  await rest.close();
});
beforeEach(() => {
  rest.seen.length = 0;
});

test('tools/list: name, description, input and output schemas as declared', () => {
  expect(backend.tools).toEqual([
    { name: 'get_weather', description: 'The forecast of a city', inputSchema: weather.inputSchema, outputSchema: weather.outputSchema },
    { name: 'create_note', description: 'test tool create_note', inputSchema: create.inputSchema },
  ]);
});

test('path, query and header arguments arrive where declared, under the base path, with the credential and nothing else', async () => {
  const result = await backend.call('get_weather', { city: 'São Paulo', days: 3, units: 'c', tags: ['rain', 'wind&sun'], traceId: 'abc', verbose: false }, NEVER);
  expect(result.isError).toBeUndefined();
  expect(rest.seen).toHaveLength(1);
  const [req] = rest.seen;
  expect(req.method).toBe('GET');
  expect(req.path).toBe('/api/v2/cities/S%C3%A3o%20Paulo/forecast');
  expect(req.query.get('days')).toBe('3');
  expect(req.query.get('units')).toBe('unit-c');
  expect(req.query.getAll('tag')).toEqual(['rain', 'wind&sun']);
  expect(req.query.get('verbose')).toBe('false');
  expect(req.headers['x-trace-id']).toBe('trace abc');
  expect(req.headers['x-api-key']).toBe('Key upstream-secret-123');
  expect(req.headers.host).toBe(new URL(rest.url).host);
  // The echo carries the credential back: it is scrubbed from the result, and the result is structured (outputSchema).
  expect(textOf(result)).not.toContain('upstream-secret-123');
  expect(textOf(result)).toContain('[redacted]');
  expect(result.structuredContent).toMatchObject({ method: 'GET', path: '/api/v2/cities/S%C3%A3o%20Paulo/forecast' });
});

test('an optional argument that is absent leaves its query parameter and header out', async () => {
  await backend.call('get_weather', { city: 'Oslo' }, NEVER);
  expect(rest.seen[0].target).toBe('/api/v2/cities/Oslo/forecast');
  expect(rest.seen[0].headers['x-trace-id']).toBeUndefined();
});

test('the body argument is the JSON body', async () => {
  const result = await backend.call('create_note', { note: { title: 'hi "there"', size: 2.5 } }, NEVER);
  expect(result.isError).toBeUndefined();
  expect(rest.seen[0].method).toBe('POST');
  expect(rest.seen[0].path).toBe('/api/v2/notes');
  expect(rest.seen[0].headers['content-type']).toBe('application/json');
  expect(JSON.parse(rest.seen[0].body)).toEqual({ title: 'hi "there"', size: 2.5 });
});

describe('argument validation: a tool error naming the argument, and nothing sent upstream', () => {
  test.each([
    ['a missing required argument', 'get_weather', {}, /argument "city" is required but missing; expected a string/],
    ['a wrong type', 'get_weather', { city: 42 }, /argument "city" is 42 \(integer\); expected a string/],
    ['a non-integer', 'get_weather', { city: 'Oslo', days: 1.5 }, /argument "days" is 1.5 \(number\); expected an integer/],
    ['a value outside the enum', 'get_weather', { city: 'Oslo', units: 'k' }, /argument "units" is "k" \(string\); expected one of "c", "f"/],
    ['a wrong array item', 'get_weather', { city: 'Oslo', tags: ['a', 7] }, /argument "tags\[1\]" is 7 \(integer\); expected a string/],
    ['an undeclared argument', 'get_weather', { city: 'Oslo', admin: true }, /argument "admin" is not declared .*allowed: city, days, units, tags, traceId, verbose/],
    ['a missing nested member', 'create_note', { note: { size: 1 } }, /argument "note.title" is required but missing/],
    ['a wrong nested type', 'create_note', { note: { title: 't', size: 'big' } }, /argument "note.size" is "big" \(string\); expected a number/],
    ['an unknown tool', 'drop_tables', {}, /has no tool "drop_tables"; its tools are: get_weather, create_note/],
  ])('%s', async (_, name, args, message) => {
    const result = await backend.call(name, args, NEVER);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(rest.seen).toHaveLength(0);
  });

  test('a long bad value is quoted bounded', async () => {
    const result = await backend.call('get_weather', { city: ['x'.repeat(10_000)] }, NEVER);
    expect(result.isError).toBe(true);
    expect(textOf(result).length).toBeLessThan(400);
    expect(rest.seen).toHaveLength(0);
  });
});
