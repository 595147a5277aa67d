import { keyAuth } from '../../../src/extensions/system/key-auth';
import { requestContext, type TestRequestOptions } from '../../../src/extensions/testing';
import type { JsonObject, RouteKind } from '../../../src/extensions/types';

const parse = (config: JsonObject) => keyAuth.parseConfig!(config);
const ALICE = 'sk-alice-0123';
const BOB = 'sk-bob-4567';
const consumerKeys = { [ALICE]: 'alice', [BOB]: 'bob' };

describe('key-auth config', () => {
  test('defaults: Bearer and x-api-key headers, no query, every consumer, every route', async () => {
    expect(parse({})).toEqual({ keys: ['authorization', 'x-api-key'], inHeader: true, inQuery: false });
    expect(parse({ keys: ['X-Team-Key'], inQuery: true, allow: ['alice', 'team:ops'], routes: ['chat', 'mcp/tools'] })).toEqual({
      keys: ['X-Team-Key'],
      inHeader: true,
      inQuery: true,
      allow: ['alice', 'team:ops'],
      routes: ['chat', 'mcp/tools'],
    });
  });

  test.each([
    [{ keys: [] }, 'keys: must name at least one header or query parameter (e.g. ["authorization", "x-api-key"]), found []'],
    [{ keys: ['x team key'] }, "keys[0]: must be a header or query parameter name: letters, digits and !#$%&'*+-.^_`|~ only (no spaces, ':' or '='), found \"x team key\""],
    [{ keys: ['x-key:'] }, 'keys[0]: must be a header or query parameter name'],
    [{ keys: [''] }, 'keys[0]: must not be empty (write a name such as "x-api-key"), found ""'],
    [{ keys: ['k'.repeat(129)] }, 'keys[0]: must be at most 128 characters'],
    [{ keys: Array.from({ length: 17 }, (_, i) => `k${i}`) }, 'keys: must have at most 16 entries'],
    [{ keys: ['Host'] }, 'keys[0]: must not be a header that carries something else (host, cookie, content-type, accept, framing headers): name the header or parameter the key comes in, found "Host"'],
    [{ keys: ['X-Key', 'x-key'] }, 'keys: must not list a name twice (header names are compared whatever their case)'],
    [{ inHeader: false }, 'inHeader: set inHeader or inQuery (or both) to true: with neither, no key can ever be found and every request is refused, found false'],
    [{ allow: [] }, 'allow: must not be empty: omit it to admit every consumer of the gateway, found []'],
    [{ allow: ['alice', 'alice'] }, 'allow: must not list a name twice'],
    [{ allow: ['-alice'] }, 'allow[0]: must be a consumer name: it starts with a letter or digit and uses only A-Z a-z 0-9 . _ : / @ -, found "-alice"'],
    [{ allow: ['x'.repeat(254)] }, 'allow[0]: must be at most 253 characters'],
    [{ routes: [] }, 'routes: must not be empty: omit it to guard every route, found []'],
    [{ routes: ['chat room'] }, 'routes[0]: must be a route or MCP server name'],
    [{ keys: 'x-api-key' }, 'keys: Invalid input: expected array, received string, found "x-api-key"'],
    [{ header: 'x-api-key' }, '(config): unknown field "header"'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(`key-auth config: ${message}`);
  });
});

describe('key-auth', () => {
  const run = async (config: JsonObject, options: TestRequestOptions = {}) => {
    const ctx = requestContext(parse(config), { extension: 'team-auth', consumerKeys, ...options });
    await keyAuth.onRequest!(ctx);
    return ctx;
  };
  const bodyOf = async (config: JsonObject, options: TestRequestOptions = {}) => (await run(config, options)).answer?.body;

  test('a consumer key as Bearer or x-api-key (the defaults) makes the request that consumer\'s', async () => {
    const bearer = await run({}, { headers: { authorization: `Bearer ${ALICE}` } });
    expect(bearer.answer).toBeUndefined();
    expect(bearer.consumer).toBe('alice');
    const apiKey = await run({}, { headers: { 'x-api-key': BOB } });
    expect(apiKey.answer).toBeUndefined();
    expect(apiKey.consumer).toBe('bob');
  });

  test('no key: 401 missing_api_key, saying where to send one', async () => {
    expect(await run({}, { headers: { authorization: 'Basic abc' } })).toMatchObject({
      answer: {
        status: 401,
        body: {
          error: {
            type: 'authentication_error',
            code: 'missing_api_key',
            param: null,
            message: 'No API key provided for route \'chat\'. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".',
          },
        },
      },
    });
    expect((await bodyOf({ keys: ['x-team-key', 'apikey'], inQuery: true }))).toMatchObject({
      error: { message: 'No API key provided for route \'chat\'. Send it as "x-team-key: <key>" or "apikey: <key>" or the query parameter "x-team-key" or the query parameter "apikey".' },
    });
  });

  test('a key no consumer has: 401 invalid_api_key, the key neither echoed nor logged', async () => {
    const ctx = await run({}, { headers: { authorization: 'Bearer sk-nobody-999' } });
    expect(ctx.answer).toMatchObject({ status: 401, body: { error: { code: 'invalid_api_key', type: 'authentication_error' } } });
    expect(JSON.stringify(ctx.answer)).not.toContain('sk-nobody-999');
    expect(JSON.stringify(ctx.log.lines)).not.toContain('sk-nobody-999');
    expect(ctx.consumer).toBeUndefined();
  });

  test('keys are tried in order, the first present is used, whatever the case of a header name in the config', async () => {
    const config = { keys: ['X-Team-Key', 'authorization'] };
    expect((await run(config, { headers: { 'x-team-key': BOB, 'authorization': `Bearer ${ALICE}` } })).consumer).toBe('bob');
    expect((await run(config, { headers: { authorization: `Bearer ${ALICE}` } })).consumer).toBe('alice');
    // A name not in keys is not looked at (x-api-key here).
    expect((await run(config, { headers: { 'x-api-key': ALICE } })).answer?.status).toBe(401);
  });

  test('a header that carried a key is removed, so that it does not go upstream; the credential headers are the gateway\'s to drop', async () => {
    const ctx = await run({ keys: ['x-team-key', 'authorization'] }, { headers: { 'x-team-key': ALICE, 'authorization': 'Bearer sk-provider', 'x-other': '1' } });
    expect(ctx.answer).toBeUndefined();
    expect(ctx.request.headers).toEqual({ 'authorization': 'Bearer sk-provider', 'x-other': '1' });
  });

  test('query keys, when inQuery: read on model routes and MCP servers, never on agent routes (which forward their query)', async () => {
    const config = { keys: ['apikey'], inHeader: false, inQuery: true };
    expect((await run(config, { query: `?foo=1&apikey=${ALICE}` })).consumer).toBe('alice');
    expect((await run(config, { query: `?apikey=${ALICE}`, route: { name: 'tools', kind: 'mcp' } })).consumer).toBe('alice');
    // A header of that name is not read when inHeader is false.
    expect((await run(config, { headers: { apikey: ALICE } })).answer?.status).toBe(401);
    const agent = { name: 'support', kind: 'agent' as RouteKind };
    const refused = await run(config, { query: `?apikey=${ALICE}`, route: agent });
    expect(refused.consumer).toBeUndefined();
    expect(refused.answer?.body).toMatchObject({
      error: {
        code: 'missing_api_key',
        message:
          "No API key provided for route 'support'. This extension reads keys from the query only, and a key in the query is not read on an agent route, which forwards its query to the agent: the gateway's owner must set inHeader to accept keys in headers.",
      },
    });
    expect((await bodyOf({ keys: ['apikey'], inQuery: true }, { route: agent }))).toMatchObject({
      error: { message: "No API key provided for route 'support'. Send it as \"apikey: <key>\" (a key in the query is not read on an agent route, which forwards its query to the agent)." },
    });
  });

  test('a caller the built-in key auth identified is that consumer, whatever keys says; its key headers are removed all the same', async () => {
    const ctx = await run({ keys: ['x-team-key'], allow: ['alice'] }, { consumer: 'alice', headers: { 'x-team-key': 'sk-whatever' } });
    expect(ctx.answer).toBeUndefined();
    expect(ctx.request.headers['x-team-key']).toBeUndefined();
  });

  test('allow: a consumer not listed gets a 403 naming it and the route, never its key', async () => {
    const ctx = await run({ allow: ['alice'] }, { headers: { authorization: `Bearer ${BOB}` } });
    expect(ctx.answer).toEqual({
      status: 403,
      headers: {},
      body: {
        error: {
          type: 'permission_error',
          code: 'consumer_not_allowed',
          param: null,
          message: "Consumer 'bob' is not allowed on route 'chat' (extension 'team-auth'). Ask the gateway's owner to add it to the extension's allow list.",
        },
      },
    });
    expect(JSON.stringify(ctx.answer)).not.toContain(BOB);
    expect(JSON.stringify(ctx.log.lines)).not.toContain(BOB);
    expect((await run({ allow: ['alice'] }, { headers: { authorization: `Bearer ${ALICE}` } })).answer).toBeUndefined();
    expect((await run({ allow: ['alice'] }, { consumer: 'bob' })).answer?.status).toBe(403);
  });

  test('routes: only the routes and MCP servers listed are guarded', async () => {
    const config = { routes: ['chat', 'tools'] };
    expect((await run(config)).answer?.status).toBe(401);
    expect((await run(config, { route: { name: 'tools', kind: 'mcp' } })).answer?.status).toBe(401);
    expect((await run(config, { route: { name: 'public', kind: 'model' } })).answer).toBeUndefined();
  });

  test('MCP clients get a JSON-RPC error body, as the gateway\'s own MCP refusals', async () => {
    expect(await bodyOf({ allow: ['bob'] }, { route: { name: 'tools', kind: 'mcp' }, path: '/mcp/tools', consumer: 'alice' })).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: "Consumer 'alice' is not allowed on MCP server 'tools' (extension 'team-auth'). Ask the gateway's owner to add it to the extension's allow list." },
    });
  });

  test('Anthropic clients get an Anthropic-shaped error', async () => {
    expect(await bodyOf({}, { path: '/v1/messages' })).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.stringContaining('No API key provided') } });
    expect(await bodyOf({ allow: ['bob'] }, { path: '/v1/messages', headers: { 'x-api-key': ALICE } })).toEqual({
      type: 'error',
      error: { type: 'permission_error', message: expect.stringContaining("Consumer 'alice' is not allowed") },
    });
  });
});
