import { headerTransform } from '../../../src/extensions/system/header-transform';
import { requestContext, responseContext } from '../../../src/extensions/testing';
import type { JsonObject } from '../../../src/extensions/types';

const parse = (config: JsonObject) => headerTransform.parseConfig!(config);

describe('header-transform config', () => {
  test('names are lower-cased; each side and each operation is optional', async () => {
    expect(parse({ request: { set: { 'X-Team': 'search' }, remove: ['X-Debug'] } })).toEqual({ request: { set: { 'x-team': 'search' }, remove: ['x-debug'] } });
    expect(parse({ response: { add: { 'Cache-Control': 'no-store' } } })).toEqual({ response: { add: { 'cache-control': 'no-store' } } });
  });

  test.each([
    [{}, '(config): set request or response (or both): with neither, the extension does nothing'],
    [{ request: { set: { 'bad header': 'x' } } }, 'request.set.bad header: must be a header name (letters, digits and'],
    [{ request: { set: { 'x-a': 'one\r\nx-injected: two' } } }, 'request.set.x-a: must not contain CR, LF or NUL (a value cannot start another header)'],
    [{ request: { set: { Authorization: 'Bearer x' } } }, 'request.set.Authorization: is a credential header the gateway sets or checks itself'],
    [{ request: { remove: ['x-api-key'] } }, 'request.remove[0]: is a credential header'],
    [{ response: { add: { Cookie: 'a=b' } } }, 'response.add.Cookie: is a credential header'],
    [{ request: { set: { host: 'evil.example' } } }, 'request.set.host: is a credential header'],
    [{ request: { set: { 'Proxy-Authorization': 'x' } } }, 'is a credential header'],
    [{ response: { set: { 'Content-Length': '5' } } }, 'response.set.Content-Length: frames the message or is hop-by-hop, and is written by the gateway'],
    [{ request: { set: { 'api-key': 'k' } } }, 'request.set.api-key: is a credential header'],
    [{ request: { remove: ['X-Goog-Api-Key'] } }, 'request.remove[0]: is a credential header'],
    ...['te', 'upgrade', 'keep-alive', 'trailer', 'expect', 'proxy-connection'].map((name): [JsonObject, string] => [{ request: { set: { [name]: 'x' } } }, `request.set.${name}: frames the message or is hop-by-hop`]),
    [{ request: { replace: {} } }, 'request: unknown field "replace"'],
    [{ request: { set: { 'x-a': 1 } } }, 'request.set.x-a: must be the header value (a string), found 1'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

describe('header-transform', () => {
  const config = parse({
    request: { remove: ['X-Debug', 'x-set'], set: { 'X-Team': 'search', 'x-set': 'new' }, add: { 'X-Tags': 'gateway' } },
    response: { remove: ['server'], set: { 'x-served-by': 'aigw' }, add: { vary: 'x-team' } },
  });

  test('request headers: removed, then set, then added (appended to a value the client sent)', async () => {
    const ctx = requestContext(config, { headers: { 'x-debug': '1', 'x-set': 'old', 'x-tags': 'client', 'content-type': 'application/json' } });
    await headerTransform.onRequest!(ctx);
    expect(ctx.request.headers).toEqual({ 'x-set': 'new', 'x-team': 'search', 'x-tags': 'client, gateway', 'content-type': 'application/json' });
  });

  test('an added header the client did not send is set', async () => {
    const ctx = requestContext(config, {});
    await headerTransform.onRequest!(ctx);
    expect(ctx.request.headers['x-tags']).toBe('gateway');
  });

  test('response headers', async () => {
    const ctx = responseContext(config, {}, { headers: { server: 'uvicorn', vary: 'origin' } });
    await headerTransform.onResponse!(ctx);
    expect(ctx.response.headers).toEqual({ 'content-type': 'application/json', 'vary': 'origin, x-team', 'x-served-by': 'aigw' });
  });

  test('a config with only one side leaves the other alone', async () => {
    const only = parse({ response: { set: { 'x-a': 'b' } } });
    const ctx = requestContext(only, { headers: { 'x-debug': '1' } });
    await headerTransform.onRequest!(ctx);
    expect(ctx.request.headers).toEqual({ 'x-debug': '1' });
  });
});
