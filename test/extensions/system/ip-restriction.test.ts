import { BlockList } from 'net';
import { ipRestriction } from '../../../src/extensions/system/ip-restriction';
import { requestContext } from '../../../src/extensions/testing';
import type { JsonObject } from '../../../src/extensions/types';
import { clientAddress } from '../../../src/specs/waf';

const parse = (config: JsonObject) => ipRestriction.parseConfig!(config);

describe('ip-restriction config', () => {
  test('defaults: no proxies trusted', async () => {
    expect(parse({ allow: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'] })).toEqual({ allow: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'], deny: [], trustedProxies: [] });
  });

  test.each([
    [{}, '(config): set allow or deny (or both): with neither, every client is served and the extension does nothing'],
    [{ trustedProxies: ['10.0.0.1'] }, '(config): set allow or deny'],
    [{ allow: ['10.0.0.0/33'] }, 'allow[0]: has a prefix length that is not a whole number from 0 to 32, found "10.0.0.0/33"'],
    [{ deny: ['::1/129'] }, 'deny[0]: has a prefix length that is not a whole number from 0 to 128, found "::1/129"'],
    [{ allow: ['10.0.0.0/8', 'localhost'] }, 'allow[1]: is not an IPv4 or IPv6 address (write e.g. "10.0.0.0/8", "2001:db8::/32" or "203.0.113.7"), found "localhost"'],
    [{ allow: ['10.0.0.0/x'] }, 'allow[0]: has a prefix length that is not a whole number from 0 to 32'],
    [{ allow: '10.0.0.0/8' }, 'allow: Invalid input: expected array, received string, found "10.0.0.0/8"'],
    [{ allow: ['10.0.0.0/8'], trusted: [] }, '(config): unknown field "trusted"'],
  ])('%j is refused: %s', async (config, message) => {
    expect(() => parse(config as JsonObject)).toThrow(message);
  });
});

describe('clientAddress', () => {
  const trusted = new BlockList();
  trusted.addSubnet('10.0.0.0', 8, 'ipv4');

  test.each([
    ['the peer, when it is not a trusted proxy (its X-Forwarded-For is ignored)', '198.51.100.9', '1.2.3.4', '198.51.100.9'],
    ['the right-most untrusted entry, behind a trusted proxy', '10.0.0.5', '6.6.6.6, 203.0.113.7, 10.0.0.9', '203.0.113.7'],
    ['the entry the proxy added, not one the client forged to its left', '10.0.0.5', '1.1.1.1, 203.0.113.7', '203.0.113.7'],
    ['the left-most entry when all are trusted', '10.0.0.5', '10.1.1.1, 10.2.2.2', '10.1.1.1'],
    ['the peer when a trusted proxy sent no X-Forwarded-For', '10.0.0.5', undefined, '10.0.0.5'],
    ['an entry with a port', '10.0.0.5', '203.0.113.7:51234', '203.0.113.7'],
    ['a bracketed IPv6 entry with a port', '10.0.0.5', '[2001:db8::7]:443', '2001:db8::7'],
    ['nothing, when the entry found is not an address', '10.0.0.5', 'unknown', ''],
  ])('%s', async (_, peer, xff, expected) => {
    expect(clientAddress(peer, xff, trusted)).toBe(expected);
  });
});

describe('ip-restriction', () => {
  const run = async (config: JsonObject, remoteAddress: string, headers: Record<string, string> = {}, path = '/v1/chat/completions') => {
    const ctx = requestContext(parse(config), { extension: 'office-only', remoteAddress, headers, path });
    await ipRestriction.onRequest!(ctx);
    return ctx.answer;
  };

  test('allow: only listed clients are served; others get a 403 ip_not_allowed', async () => {
    const allow = { allow: ['192.168.0.0/16', '2001:db8::/32'] };
    expect(await run(allow, '192.168.4.2')).toBeUndefined();
    expect(await run(allow, '::ffff:192.168.4.2')).toBeUndefined();
    expect(await run(allow, '2001:db8::1')).toBeUndefined();
    expect(await run(allow, '8.8.8.8')).toEqual({
      status: 403,
      headers: {},
      body: {
        error: {
          message: "This client's address is not allowed on this route (office-only). Ask the gateway's operator to allow it.",
          type: 'permission_error',
          param: null,
          code: 'ip_not_allowed',
        },
      },
    });
  });

  test('on an MCP server the refusal is a JSON-RPC error, what MCP clients show', async () => {
    const ctx = requestContext(parse({ deny: ['8.8.8.8'] }), { extension: 'office-only', remoteAddress: '8.8.8.8', path: '/mcp/tools', route: { name: 'tools', kind: 'mcp' } });
    await ipRestriction.onRequest!(ctx);
    expect(ctx.answer).toEqual({
      status: 403,
      headers: {},
      body: { jsonrpc: '2.0', id: null, error: { code: -32000, message: "This client's address is not allowed on this route (office-only). Ask the gateway's operator to allow it." } },
    });
  });

  test('deny wins over allow; deny alone serves everyone else', async () => {
    expect((await run({ allow: ['10.0.0.0/8'], deny: ['10.6.6.0/24'] }, '10.6.6.6'))?.status).toBe(403);
    expect((await run({ deny: ['203.0.113.0/24'] }, '203.0.113.50'))?.status).toBe(403);
    expect(await run({ deny: ['203.0.113.0/24'] }, '198.51.100.1')).toBeUndefined();
  });

  test('behind a trusted proxy the client is read from X-Forwarded-For; a forged entry does not get through', async () => {
    const config = { allow: ['203.0.113.0/24'], trustedProxies: ['10.0.0.0/8'] };
    expect(await run(config, '10.0.0.5', { 'x-forwarded-for': '203.0.113.7' })).toBeUndefined();
    expect((await run(config, '10.0.0.5', { 'x-forwarded-for': '203.0.113.7, 8.8.8.8' }))?.status).toBe(403);
    expect((await run(config, '8.8.8.8', { 'x-forwarded-for': '203.0.113.7' }))?.status).toBe(403);
    expect((await run(config, '10.0.0.5', { 'x-forwarded-for': 'garbage' }))?.status).toBe(403);
  });

  test('Anthropic clients get an Anthropic-shaped error', async () => {
    expect((await run({ allow: ['10.0.0.0/8'] }, '8.8.8.8', {}, '/v1/messages'))?.body).toEqual({
      type: 'error',
      error: { type: 'permission_error', message: expect.stringContaining('not allowed') },
    });
  });
});
