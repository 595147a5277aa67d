import { createHmac } from 'crypto';
import { configError, HookRun, MemoryKv } from './harness';
import { findMarketplaceExtension, marketplaceVersions } from '../../../src/extensions/marketplace';
import { bodyUnverifiable, signedText } from '../../../src/extensions/marketplace/hmac-auth';
import type { ExtensionRequest, JsonObject } from '../../../src/extensions/types';

const SECRET = 'a'.repeat(16) + 'b'.repeat(16);
const v100 = findMarketplaceExtension('hmac-auth', '1.0.0')!;
const v110 = findMarketplaceExtension('hmac-auth', '1.1.0')!;
const BODY: JsonObject = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };

/** The body as a caller sends it: its own spacing, which no re-serialization reproduces. */
const RAW = JSON.stringify(BODY, null, 2);

/** A caller's signature: HMAC-SHA256 of "t.METHOD.path.body" (the body's bytes as the caller sends them). */
function sign(request: Partial<ExtensionRequest>, t = Math.floor(Date.now() / 1000), secret = SECRET): string {
  const text = `${t}.${request.method ?? 'POST'}.${request.path ?? '/v1/chat/completions'}${request.query ?? ''}.${request.rawBody ?? ''}`;
  return `t=${t},v1=${createHmac('sha256', secret).update(text).digest('hex')}`;
}

/** A JSON request as the gateway hands it to the hook: the parsed body and its bytes as sent. */
function json(body: JsonObject = BODY, rawBody = JSON.stringify(body, null, 2)): Partial<ExtensionRequest> {
  return { body: structuredClone(body), rawBody };
}

function signed(request = json(), signature = sign(request), headers: Record<string, string> = {}): Partial<ExtensionRequest> {
  return { ...request, headers: { 'x-aigw-signature': signature, 'content-type': 'application/json', ...headers } };
}

const refusal = (code: string, message: string | RegExp) => ({
  status: 401,
  body: { error: { type: 'authentication_error', code, param: null, message: typeof message === 'string' ? message : expect.stringMatching(message) } },
});

describe('hmac-auth', () => {
  test('the catalog has 1.0.0 and 1.1.0, newest first; the latest is 1.1.0', () => {
    expect(marketplaceVersions('hmac-auth')).toEqual(['1.1.0', '1.0.0']);
    expect(findMarketplaceExtension('hmac-auth')).toBe(v110);
  });

  test('the text signed is "t.METHOD.path+query.body", the body as its bytes were sent', () => {
    expect(signedText('1700000000', { method: 'post', path: '/v1/chat/completions', query: '?x=1' }, '{ "a": 1 }')).toBe('1700000000.POST./v1/chat/completions?x=1.{ "a": 1 }');
    expect(signedText('1700000000', { method: 'GET', path: '/v1/models', query: '' }, undefined)).toBe('1700000000.GET./v1/models.');
  });

  test('the signature covers the bytes as sent, not a re-serialization of the parsed body', async () => {
    expect(RAW).not.toBe(JSON.stringify(BODY));
    expect(await new HookRun(v100, { secret: SECRET }, signed()).onRequest()).toBeUndefined();
    // Signed over the compact JSON the old fallback wrote, while the client sent other bytes: refused.
    const compact = sign({ rawBody: JSON.stringify(BODY) });
    expect(await new HookRun(v100, { secret: SECRET }, signed(json(), compact)).onRequest()).toEqual(refusal('invalid_signature', /does not match/));
  });

  test('a body the hook cannot read as sent (an upload, a streamed body) is refused as unverifiable, never checked over an empty text', async () => {
    const message = 'The signature cannot cover this request\'s body: the gateway does not keep the bytes of an upload (multipart) or a streamed ' +
      'body to check them. Send a JSON body, or send uploads and streamed bodies to a route without hmac-auth.';
    const unverifiable = refusal('unverifiable_body', message);
    // Each is signed over an empty body, which a verification without the bytes would have accepted.
    const empty = sign({});
    const upload = signed({ body: undefined }, empty, { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '1234' });
    expect(await new HookRun(v100, { secret: SECRET }, upload).onRequest()).toEqual(unverifiable);
    const streamed = signed({ body: undefined }, empty, { 'transfer-encoding': 'chunked' });
    expect(await new HookRun(v110, { secret: SECRET }, streamed).onRequest()).toEqual(unverifiable);
    // A parsed body without its bytes: not signed over JSON.stringify of it.
    const parsedOnly = signed({ body: structuredClone(BODY) }, sign({ rawBody: JSON.stringify(BODY) }), { 'content-length': String(JSON.stringify(BODY).length) });
    expect(await new HookRun(v100, { secret: SECRET }, parsedOnly).onRequest()).toEqual(unverifiable);
    // No body at all (content-length 0, or none): the empty text is what was sent.
    expect(await new HookRun(v100, { secret: SECRET }, signed({ method: 'POST' }, empty, { 'content-length': '0' })).onRequest()).toBeUndefined();
    expect(bodyUnverifiable({}, undefined)).toBe(false);
    expect(bodyUnverifiable({ 'content-length': '00' }, undefined)).toBe(false);
    expect(bodyUnverifiable({ 'content-length': '1' }, undefined)).toBe(true);
    expect(bodyUnverifiable({ 'content-length': '1', 'transfer-encoding': 'chunked' }, '')).toBe(false);
  });

  test('it never reads the parsed body (reading it makes the gateway send the body re-serialized)', async () => {
    const run = new HookRun(v110, { secret: SECRET }, signed());
    expect(await run.bodyAccesses({ id: 'chatcmpl-1' })).toEqual({ request: 0, response: 0 });
    expect(run.answered).toBeUndefined();
  });

  test.each([v100, v110])('$version: a good signature passes, and the header does not reach the upstream', async (manifest) => {
    const run = new HookRun(manifest, { secret: SECRET }, signed());
    expect(await run.onRequest()).toBeUndefined();
    expect(run.request.headers).toEqual({ 'content-type': 'application/json' });
  });

  test('a GET with no body, and a query, are signed too', async () => {
    const request = { method: 'GET', path: '/v1/models', query: '?limit=2' };
    expect(await new HookRun(v100, { secret: SECRET }, signed(request)).onRequest()).toBeUndefined();
    expect(await new HookRun(v100, { secret: SECRET }, signed({ ...request, query: '?limit=3' }, sign(request))).onRequest()).toEqual(
      refusal('invalid_signature', /does not match/),
    );
  });

  test('no signature, a malformed one, a stale one, a changed body, another secret: 401 each, naming why', async () => {
    const form = 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.METHOD.path.body" with the shared secret>';
    const config = { secret: SECRET };
    expect(await new HookRun(v100, config, { body: BODY }).onRequest()).toEqual(refusal('missing_signature', `This route needs a signed request: send x-aigw-signature: ${form}.`));
    expect(await new HookRun(v100, config, signed(undefined, 't=1,v1=zz')).onRequest()).toEqual(refusal('invalid_signature', `The x-aigw-signature header is not of the form ${form}.`));
    const stale = Math.floor(Date.now() / 1000) - 400;
    expect(await new HookRun(v100, config, signed(undefined, sign(json(), stale))).onRequest()).toEqual(
      refusal('invalid_signature', /^The signature's timestamp is 40\d s from the gateway's clock; at most 300 s is allowed\. Sign with the current time/),
    );
    expect(await new HookRun(v100, { ...config, maxSkewSeconds: 600 }, signed(undefined, sign(json(), stale))).onRequest()).toBeUndefined();
    const tampered = signed(json({ ...BODY, model: 'gpt-4.1' }), sign(json()));
    expect(await new HookRun(v100, config, tampered).onRequest()).toEqual(
      refusal('invalid_signature', 'The request signature does not match: sign "t.METHOD.path.body" of this request with the shared secret.'),
    );
    expect(await new HookRun(v100, config, signed(undefined, sign(json(), undefined, 'c'.repeat(32)))).onRequest()).toEqual(refusal('invalid_signature', /does not match/));
  });

  test('a caller rotating its secret may send a v1 for each', async () => {
    const old = sign(json(), undefined, 'c'.repeat(32));
    const both = `${old},v1=${sign(json()).split('v1=')[1]}`;
    expect(await new HookRun(v100, { secret: SECRET }, signed(undefined, both)).onRequest()).toBeUndefined();
  });

  test('on an Anthropic route the 401 is in Anthropic\'s shape', async () => {
    expect(await new HookRun(v100, { secret: SECRET }, { path: '/v1/messages', body: BODY }).onRequest()).toEqual({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: expect.stringContaining('needs a signed request') } },
    });
  });

  test('1.1.0 refuses a replayed signature (through the shared KV, kept twice the skew); 1.0.0 does not', async () => {
    const kv = new MemoryKv();
    const request = signed();
    expect(await new HookRun(v110, { secret: SECRET }, structuredClone(request), kv).onRequest()).toBeUndefined();
    expect(await new HookRun(v110, { secret: SECRET }, structuredClone(request), kv).onRequest()).toEqual(
      refusal('replayed_signature', 'This signature was already used: sign each request anew, with the current time.'),
    );
    expect([...kv.entries.values()]).toEqual([{ value: '2', ttlSeconds: 600 }]);
    expect(await new HookRun(v110, { secret: SECRET, rejectReplays: false }, structuredClone(request), kv).onRequest()).toBeUndefined();
    const plain = new MemoryKv();
    for (let i = 0; i < 2; i++) expect(await new HookRun(v100, { secret: SECRET }, structuredClone(request), plain).onRequest()).toBeUndefined();
    expect(plain.entries.size).toBe(0);
  });

  test('a config it does not accept is refused, naming what is wrong', () => {
    expect(configError(v100, {})).toBe('secret: must be a string (the shared secret, e.g. `openssl rand -hex 32`)');
    expect(configError(v100, { secret: 'short' })).toBe('secret: must be at least 32 characters (e.g. `openssl rand -hex 32`)');
    expect(configError(v100, { secret: SECRET, maxSkewSeconds: 0 })).toMatch(/^maxSkewSeconds: Too small: expected number to be >=1/);
    expect(configError(v100, { secret: SECRET, rejectReplays: true })).toMatch(/Unrecognized key: "rejectReplays"/);
    expect(configError(v110, { secret: SECRET, rejectReplays: true })).toBeUndefined();
  });

  test.each([v100, v110])('$version: a secret it refuses is never quoted in the error (synth and the data plane print it)', (manifest) => {
    const secrets = ['hunter2-is-too-short', 123456789012345, ['s3cr3t-'.repeat(6)], { value: 'k3y-'.repeat(10) }, true];
    for (const secret of secrets) {
      const message = configError(manifest, { secret } as JsonObject)!;
      expect(message).toMatch(/^secret: must be (a string|at least 32 characters)/);
      const text = typeof secret === 'object' ? JSON.stringify(secret) : String(secret);
      for (const piece of [text, ...text.split(/[^A-Za-z0-9]+/).filter((p) => p.length >= 4)]) expect(message).not.toContain(piece);
    }
  });
});
