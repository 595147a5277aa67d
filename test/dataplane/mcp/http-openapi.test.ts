import { writeFileSync } from 'fs';
import { join } from 'path';
import { restService, type RestService } from './http-rest-service';
import { httpServer, NEVER, textOf } from './http-server-config';
import { openApiFileToTools } from '../../../src/constructs/openapi-tools';
import { createHttpToolBackend } from '../../../src/dataplane/mcp/http';
import type { McpToolBackend } from '../../../src/dataplane/mcp/tool-backend';
import { tempDirs } from '../../support/temp-dirs';

// Tools converted from an OpenAPI file at synth are served as declared: path, query, header and requestBody parameters.
let rest: RestService;
let backend: McpToolBackend;
const scratch = tempDirs();

const petsApi = {
  openapi: '3.0.3',
  info: { title: 'pets', version: '1' },
  paths: {
    '/pets/{petId}': {
      parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
      get: {
        operationId: 'getPet',
        summary: 'One pet',
        parameters: [
          { name: 'fields', in: 'query', schema: { type: 'string', enum: ['name', 'all'] } },
          { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
        ],
        responses: { 200: { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/pets': {
      post: {
        operationId: 'createPet',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } },
        },
        responses: { 201: { description: 'created', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  },
};

beforeAll(async () => {
  rest = await restService((req, res) => {
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ got: { method: req.method, target: req.target, requestId: req.headers['x-request-id'] ?? null, body: req.body } }));
  });
  const file = join(scratch('openapi-'), 'pets.json');
  writeFileSync(file, JSON.stringify(petsApi));
  const converted = openApiFileToTools(file);
  if (!converted.ok) throw new Error(converted.reason);
  backend = createHttpToolBackend(httpServer(`${rest.url}/v1`, converted.tools), undefined);
});
afterAll(async () => {
  await backend.close();
  await rest.close();
});
beforeEach(() => {
  rest.seen.length = 0;
});

test('the converted tools are listed with their input schemas', () => {
  expect(backend.tools.map((t) => t.name)).toEqual(['getPet', 'createPet']);
  expect(backend.tools[0].inputSchema).toMatchObject({ properties: { petId: { type: 'integer' } }, required: ['petId'] });
});

test('path, query and header parameters arrive where the OpenAPI file puts them', async () => {
  const result = await backend.call('getPet', { 'petId': 42, 'fields': 'name', 'X-Request-Id': 'req-1' }, NEVER);
  expect(result.isError).toBeUndefined();
  expect(JSON.parse(textOf(result))).toEqual({ got: { method: 'GET', target: '/v1/pets/42?fields=name', requestId: 'req-1', body: '' } });
});

test('the requestBody parameter is the JSON body', async () => {
  const result = await backend.call('createPet', { body: { name: 'Rex' } }, NEVER);
  expect(result.isError).toBeUndefined();
  expect(rest.seen).toHaveLength(1);
  expect(rest.seen[0].target).toBe('/v1/pets');
  expect(JSON.parse(rest.seen[0].body)).toEqual({ name: 'Rex' });
});

test.each([
  ['getPet', { petId: '../admin' }, /argument "petId" is "..\/admin" \(string\); expected an integer/],
  ['getPet', { petId: 1, fields: 'secrets' }, /argument "fields" is "secrets" \(string\); expected one of "name", "all"/],
  ['createPet', {}, /argument "body" is required but missing/],
  ['createPet', { body: {} }, /argument "body.name" is required but missing; expected a string/],
])('%s with bad arguments is refused before the upstream', async (name, args, message) => {
  const result = await backend.call(name, args, NEVER);
  expect(result.isError).toBe(true);
  expect(textOf(result)).toMatch(message);
  expect(rest.seen).toHaveLength(0);
});
