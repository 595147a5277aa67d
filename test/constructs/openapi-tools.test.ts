import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AnnotationMetadataEntryType } from 'cdktf';
import { fleetStack, synth } from './fixtures';
import { openApiDocumentToTools, openApiFileToTools, OpenApiToolsResult } from '../../src/constructs/openapi-tools';
import { GatewayConfigSchema, McpToolConfig } from '../../src/specs/config';

const McpServerSchema = GatewayConfigSchema.shape.mcpServers.element;

const petstore = {
  openapi: '3.0.3',
  info: { title: 'Petstore', version: '1.0.0' },
  paths: {
    '/pets': {
      get: {
        operationId: 'listPets',
        summary: 'List pets.',
        description: 'Returns at most `limit` pets',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 }, description: 'Page size' },
          { name: 'X-Request-Id', in: 'header', required: true },
          { name: 'session', in: 'cookie' },
          { name: 'Accept', in: 'header' },
        ],
        responses: { 200: { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Pet' } } } } } },
      },
      post: {
        operationId: 'create pet!',
        requestBody: { $ref: '#/components/requestBodies/NewPet' },
        responses: { 201: { description: 'created', content: { 'text/plain': {} } } },
      },
    },
    '/pets/{petId}': {
      summary: 'One pet',
      parameters: [
        { $ref: '#/components/parameters/PetId' },
        { name: 'verbose', in: 'query', schema: { type: 'boolean' } },
      ],
      get: {
        description: 'Fetch one pet',
        parameters: [{ name: 'verbose', in: 'query', required: true, schema: { type: 'string', enum: ['yes', 'no'] } }],
        responses: { default: { description: 'ok' } },
      },
      delete: { responses: { 204: { description: 'gone' } } },
      options: { responses: { 200: { description: 'ignored' } } },
    },
    '/trees/{treeId}/nodes': {
      put: {
        operationId: 'putTree',
        parameters: [
          { name: 'treeId', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'body', in: 'query', schema: { type: 'string' } },
        ],
        requestBody: { content: { 'application/merge-patch+json': { schema: { $ref: '#/components/schemas/Node' } } } },
        responses: { '2XX': { $ref: '#/components/responses/Text' } },
      },
    },
  },
  components: {
    schemas: {
      Pet: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, owner: { $ref: '#/components/schemas/Owner' } } },
      Owner: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
      Node: { type: 'object', properties: { value: { type: 'number' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } },
    },
    parameters: { PetId: { name: 'petId', in: 'path', required: true, schema: { type: 'integer' }, description: 'The pet id' } },
    requestBodies: { NewPet: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } } },
    responses: { Text: { description: 'text', content: { 'text/csv': {} } } },
  },
};

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-tools-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

function tools(result: OpenApiToolsResult): McpToolConfig[] {
  if (!result.ok) throw new Error(`expected success, got: ${result.reason}`);
  // Every tool must be accepted by the config schema of an http-to-mcp server.
  McpServerSchema.parse({ name: 'x', kind: 'http-to-mcp', path: '/mcp/x', upstream: { baseUrl: 'http://a' }, tools: result.tools });
  return result.tools;
}

function reason(result: OpenApiToolsResult): string {
  if (result.ok) throw new Error('expected a failure');
  return result.reason;
}

function byName(list: McpToolConfig[], name: string): McpToolConfig {
  const tool = list.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name} in ${list.map((t) => t.name).join(', ')}`);
  return tool;
}

describe('openApiFileToTools: a petstore', () => {
  let list: McpToolConfig[];
  beforeAll(() => {
    list = tools(openApiFileToTools(writeFile('petstore.json', JSON.stringify(petstore))));
  });

  test('one tool per get/put/post/delete/patch/head operation, in document order', () => {
    expect(list.map((t) => t.name)).toEqual(['listPets', 'create_pet_', 'get_pets_petId', 'delete_pets_petId', 'putTree']);
  });

  test('path, query and header parameters become arguments; cookie and reserved headers do not', () => {
    const tool = byName(list, 'listPets');
    expect(tool.description).toBe('List pets. Returns at most `limit` pets');
    expect(tool.inputSchema).toEqual({
      type: 'object',
      properties: {
        'limit': { type: 'integer', maximum: 100, description: 'Page size' },
        'X-Request-Id': { type: 'string' },
      },
      required: ['X-Request-Id'],
    });
    expect(tool.request).toEqual({ method: 'GET', path: '/pets', query: { limit: '{{args.limit}}' }, headers: { 'X-Request-Id': '{{args.X-Request-Id}}' } });
    expect(tool.response).toEqual({ format: 'json' });
  });

  test('a $ref request body is inlined, required, and sent as the body argument', () => {
    const tool = byName(list, 'create_pet_');
    expect(tool.description).toBe('POST /pets');
    expect(tool.inputSchema).toEqual({
      type: 'object',
      properties: {
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, owner: { type: 'object', properties: { email: { type: 'string', format: 'email' } } } },
        },
      },
      required: ['body'],
    });
    expect(tool.request).toEqual({ method: 'POST', path: '/pets', query: {}, headers: {}, bodyArg: 'body' });
    expect(tool.response).toEqual({ format: 'text' });
  });

  test('path-level parameters merge with the operation, which wins by name and location', () => {
    const tool = byName(list, 'get_pets_petId');
    expect(tool.description).toBe('Fetch one pet');
    expect(tool.inputSchema).toEqual({
      type: 'object',
      properties: {
        petId: { type: 'integer', description: 'The pet id' },
        verbose: { type: 'string', enum: ['yes', 'no'] },
      },
      required: ['petId', 'verbose'],
    });
    expect(tool.request).toEqual({ method: 'GET', path: '/pets/{{args.petId}}', query: { verbose: '{{args.verbose}}' }, headers: {} });
    expect(byName(list, 'delete_pets_petId').inputSchema).toEqual({
      type: 'object',
      properties: { petId: { type: 'integer', description: 'The pet id' }, verbose: { type: 'boolean' } },
      required: ['petId'],
    });
  });

  test('a recursive schema is cut at the cycle; a parameter named body moves the body to requestBody', () => {
    const tool = byName(list, 'putTree');
    expect(tool.inputSchema.properties).toEqual({
      treeId: { type: 'string' },
      body: { type: 'string' },
      requestBody: {
        type: 'object',
        properties: {
          value: { type: 'number' },
          children: { type: 'array', items: { type: 'object', description: expect.stringContaining('Recursive reference to #/components/schemas/Node') } },
        },
      },
    });
    expect(tool.inputSchema.required).toEqual(['treeId']);
    expect(tool.request).toEqual({ method: 'PUT', path: '/trees/{{args.treeId}}/nodes', query: { body: '{{args.body}}' }, headers: {}, bodyArg: 'requestBody' });
    expect(tool.response).toEqual({ format: 'text' });
  });

  test('the schema check in tools() is not vacuous', () => {
    const bad = { ...list[0], name: 'has space' };
    expect(McpServerSchema.safeParse({ name: 'x', kind: 'http-to-mcp', path: '/mcp/x', upstream: { baseUrl: 'http://a' }, tools: [bad] }).success).toBe(false);
  });

  test('the document is not modified', () => {
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'petstore.json'), 'utf8'))).toEqual(petstore);
    expect(petstore.paths['/pets'].post.requestBody).toEqual({ $ref: '#/components/requestBodies/NewPet' });
  });
});

describe('openApiDocumentToTools', () => {
  const doc = (paths: object, extra: object = {}) => ({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths, ...extra });

  test('tool names are sanitized and truncated to 128 characters', () => {
    const list = tools(openApiDocumentToTools(doc({ '/a': { get: { operationId: `x/${'y'.repeat(200)}` } }, '/v1.0/{id}:run': { post: {} } })));
    expect(list.map((t) => t.name)).toEqual([`x_${'y'.repeat(126)}`, 'post_v1.0_id_run']);
    expect(list[1].request.path).toBe('/v1.0/{{args.id}}:run');
    expect(list[1].inputSchema).toEqual({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] });
  });

  test('duplicate tool names fail, naming both operations', () => {
    const r = reason(openApiDocumentToTools(doc({ '/a': { get: { operationId: 'same' } }, '/b': { post: { operationId: 'same' } } })));
    expect(r).toContain('GET /a');
    expect(r).toContain('POST /b');
    expect(r).toContain('"same"');
  });

  test('a remote $ref fails with a reason naming it', () => {
    const r = reason(openApiDocumentToTools(doc({ '/a': { get: { parameters: [{ $ref: 'common.json#/components/parameters/Id' }] } } })));
    expect(r).toMatch(/^GET \/a: .*common\.json#\/components\/parameters\/Id.*outside this document/);
  });

  test('a dangling local $ref fails', () => {
    expect(reason(openApiDocumentToTools(doc({ '/a': { get: { requestBody: { $ref: '#/components/requestBodies/Nope' } } } })))).toContain('does not resolve');
  });

  test.each([
    ['not an object', [], 'must be an object'],
    ['Swagger 2.0', { swagger: '2.0', info: {}, paths: { '/a': { get: {} } } }, 'is Swagger 2.0; convert it to OpenAPI 3'],
    ['no version', { paths: {} }, 'no "openapi" version'],
    ['OpenAPI 4', { openapi: '4.0.0', paths: {} }, 'only OpenAPI 3.x is supported'],
    ['no paths', { openapi: '3.0.0' }, 'no "paths" object'],
    ['zero operations', { openapi: '3.0.0', paths: { '/a': { parameters: [], options: {} } } }, 'defines no operations'],
  ])('%s fails', (_, input, expected) => {
    expect(reason(openApiDocumentToTools(input))).toContain(expected);
  });
});

describe('openApiFileToTools failures name the file', () => {
  test('an unreadable file', () => {
    const missing = path.join(dir, 'missing.json');
    expect(reason(openApiFileToTools(missing))).toMatch(new RegExp(`^cannot read OpenAPI file "${escapeRegExp(missing)}": .*ENOENT`));
  });

  test('invalid JSON', () => {
    const file = writeFile('broken.json', '{ "openapi": ');
    expect(reason(openApiFileToTools(file))).toContain(`"${file}" is not valid JSON`);
  });

  test('a Swagger 2 document', () => {
    const file = writeFile('swagger.json', JSON.stringify({ swagger: '2.0', info: {}, paths: {} }));
    expect(reason(openApiFileToTools(file))).toBe(`OpenAPI file "${file}": the document is Swagger 2.0; convert it to OpenAPI 3 (e.g. with https://converter.swagger.io)`);
  });

  test('a document with zero operations', () => {
    const file = writeFile('empty.json', JSON.stringify({ openapi: '3.0.3', info: {}, paths: {} }));
    expect(reason(openApiFileToTools(file))).toMatch(new RegExp(`^OpenAPI file "${escapeRegExp(file)}": the document defines no operations`));
  });

  test('YAML files are read as YAML', () => {
    const file = writeFile(
      'petstore.yaml',
      ['openapi: 3.0.3', 'paths:', '  /pets/{petId}:', '    get:', '      operationId: getPet', '      parameters:', '        - { name: petId, in: path, schema: { type: integer } }', ''].join('\n'),
    );
    const result = openApiFileToTools(file);
    expect(result.ok && result.tools.map((t) => [t.name, t.request.path])).toEqual([['getPet', '/pets/{{args.petId}}']]);
  });

  test('invalid YAML is a failure naming the file', () => {
    const file = writeFile('broken.yml', 'openapi: [3.0\n  paths: {');
    expect(reason(openApiFileToTools(file))).toMatch(/is not valid YAML/);
  });
});

describe('outputSchema: the 2xx JSON response schema, when it is an object', () => {
  const doc = (operation: object, extra: object = {}) => ({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/a': { get: operation } }, ...extra });
  const json = (schema: object) => ({ description: 'ok', content: { 'application/json': { schema } } });
  const output = (operation: object, extra?: object) => tools(openApiDocumentToTools(doc(operation, extra)))[0].outputSchema;

  test("the example fleet's forecast: its $ref resolved as the input schema's are", () => {
    const weather = tools(openApiFileToTools(path.join(__dirname, '..', '..', 'examples', 'fleet', 'weather-api.yaml')));
    expect(weather[0].outputSchema).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'array', items: { type: 'object', properties: { date: { type: 'string', format: 'date' }, highC: { type: 'number' }, lowC: { type: 'number' } } } },
      },
    });
    // 201 with no content: no schema to give.
    expect(weather[1]).not.toHaveProperty('outputSchema');
  });

  test('200 first, then 201, the other 2xx codes in order, then 2XX; never default or an error status', () => {
    const a = { type: 'object', properties: { a: { type: 'string' } } };
    const b = { type: 'object', properties: { b: { type: 'string' } } };
    expect(output({ responses: { 202: json(b), 200: json(a) } })).toEqual(a);
    expect(output({ responses: { '2XX': json(b), '203': json(a) } })).toEqual(a);
    expect(output({ responses: { '2XX': json(b) } })).toEqual(b);
    expect(output({ responses: { default: json(a), 400: json(a) } })).toBeUndefined();
  });

  test('only object schemas of JSON responses: arrays, scalars and text have none', () => {
    expect(output({ responses: { 200: json({ type: 'array', items: {} }) } })).toBeUndefined();
    expect(output({ responses: { 200: json({ type: 'string' }) } })).toBeUndefined();
    expect(output({ responses: { 200: { description: 'csv', content: { 'text/csv': { schema: { type: 'object' } } } } } })).toBeUndefined();
    expect(output({ responses: { 200: { description: 'ok', content: { 'application/problem+json': { schema: { type: 'object' } } } } } })).toEqual({ type: 'object' });
    expect(output({ responses: { 200: { $ref: '#/components/responses/R' } } }, { components: { responses: { R: json({ $ref: '#/components/schemas/S' }) }, schemas: { S: { type: 'object' } } } })).toEqual({ type: 'object' });
  });
});

describe('each parameter goes where its "in" says', () => {
  test('path into the path template, query into query, header into headers, the request body into bodyArg', () => {
    const [tool] = tools(
      openApiDocumentToTools({
        openapi: '3.0.3',
        paths: {
          '/users/{userId}/posts': {
            post: {
              operationId: 'createPost',
              parameters: [
                { name: 'userId', in: 'path', required: true, schema: { type: 'string' } },
                { name: 'draft', in: 'query', schema: { type: 'boolean' } },
                { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
              ],
              requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
            },
          },
        },
      }),
    );
    expect(tool.request).toEqual({
      method: 'POST',
      path: '/users/{{args.userId}}/posts',
      query: { draft: '{{args.draft}}' },
      headers: { 'X-Trace': '{{args.X-Trace}}' },
      bodyArg: 'body',
    });
    expect(Object.keys(tool.inputSchema.properties as object)).toEqual(['userId', 'draft', 'X-Trace', 'body']);
  });

  test('a cookie parameter (or an unknown location) is no argument, and a note says so', () => {
    const result = openApiDocumentToTools({
      openapi: '3.0.3',
      paths: { '/me': { get: { operationId: 'me', parameters: [{ name: 'session', in: 'cookie', required: true }, { name: 'x', in: 'body' }, { name: 'q', in: 'query' }] } } },
    });
    expect(tools(result)[0].inputSchema.properties).toEqual({ q: { type: 'string' } });
    expect(result.ok && result.notes).toEqual([
      'GET /me (tool "me"): cookie parameter "session" is not sent: a tool sends path, query, header and body arguments only, and the gateway never sends cookies upstream. It is required, so the API will likely refuse every call of this tool. Declare it as a header parameter if the API accepts one, or serve the API through a service that sets the cookie.',
      'GET /me (tool "me"): parameter "x" has "in": "body", which OpenAPI 3 does not define (path, query, header, cookie), so it is not sent. Fix its "in".',
    ]);
    const petstoreNotes = openApiDocumentToTools(petstore);
    expect(petstoreNotes.ok && petstoreNotes.notes).toEqual([expect.stringMatching(/^GET \/pets \(tool "listPets"\): cookie parameter "session" is not sent/)]);
  });

  test('at synth, each note is a warning of openapi-files on the server, not silence', () => {
    const file = writeFile('cookie.json', JSON.stringify({ openapi: '3.0.3', paths: { '/me': { get: { operationId: 'me', parameters: [{ name: 'session', in: 'cookie' }] } } } }));
    const { stack, fleet } = fleetStack();
    const server = fleet.addGateway('g', { edition: 'serverless', mcpSessionKey: { secretName: 'aigw-mcp', key: 'k' } }).addMcpServer('me', { kind: 'http-to-mcp', baseUrl: 'https://api.example.com', openApiFile: file });
    synth(stack);
    const warnings = server.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));
    expect(warnings.filter((w) => w.startsWith('[openapi-files]'))).toEqual([
      `[openapi-files] McpServer 'me' (${server.node.path}): OpenAPI file ${JSON.stringify(file)}, GET /me (tool "me"): cookie parameter "session" is not sent: a tool sends path, query, header and body arguments only, and the gateway never sends cookies upstream. Declare it as a header parameter if the API accepts one, or serve the API through a service that sets the cookie.`,
    ]);
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
