import { request } from 'http';
import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from './harness';
import { rawRequest } from './raw-http';
import type { TestGateway } from '../../src/testing';

/** Sends `path` exactly as given (http.request does not resolve dot-segments or re-encode, unlike fetch and URL). */
function send(base: string, path: string, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { method, path, headers: { 'authorization': `Bearer ${CONSUMER_KEYS.alice}`, 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : '{"query":"hi"}');
  });
}

let up: AgentUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await agentUpstream();
  const gateway = gatewayStack();
  // A custom agent: its paths pass through normalized (a Dify route also allow-lists its endpoints: agents/native-dify.test.ts).
  const dify = gateway.addAgentRoute('dify', { kind: 'custom', pathPrefix: '/agent', baseUrl: `${up.url}/agentbase/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  const studio = gateway.addAgentRoute('studio', { kind: 'model-studio', pathPrefix: '/studio', baseUrl: `${up.url}/api/v1`, appId: 'app-1', apiKey: { secretName: 'llm-keys', key: 'openai' } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [dify, studio] } });
  gw = await start(gateway);
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

beforeEach(() => {
  up.seen.length = 0;
});

describe('agent routes reach only beneath their prefix and their pinned app', () => {
  // Double-encoding (%252e) is refused, not passed as a literal: an upstream, or a proxy in front of
  // it, that decodes twice would read "..".
  test.each([
    ['plain ..', '/agent/../../admin/keys'],
    ['%2e%2e', '/agent/%2e%2e/%2e%2e/admin/keys'],
    ['%2E%2e (mixed case)', '/agent/%2E%2e/%2e%2E/admin/keys'],
    ['.%2e and %2e.', '/agent/.%2e/%2e./admin/keys'],
    ['..%2f (encoded slash)', '/agent/..%2f..%2fadmin/keys'],
    ['%2f alone', '/agent/x%2F..%2F..%2Fadmin'],
    ['..\\ (backslash)', '/agent/..\\..\\admin/keys'],
    ['%5c (encoded backslash)', '/agent/..%5c..%5Cadmin/keys'],
    ['%252e (double-encoded dot)', '/agent/%252e%252e/%252e%252e/admin/keys'],
    ['%252f (double-encoded slash)', '/agent/..%252f..%252fadmin'],
    ['..;/ (dot-segment with parameters)', '/agent/..;/..;/admin/keys'],
    ['climbing out and back in', '/agent/../agent2/x'],
    ['%00', '/agent/chat%00.txt'],
    ['Model Studio: another app', '/studio/../../other-app/completion'],
    ['Model Studio: another app, encoded', '/studio/%2e%2e/%2e%2e/apps/other-app/completion'],
    ['Model Studio: beneath the app, not its API', '/studio/../completion/../../x'],
    ['Model Studio: a path the app API does not have', '/studio/sessions'],
    ['..%20 (a blank some servers trim)', '/agent/..%20/..%20/admin/keys'],
    ['..%09 (an encoded tab)', '/agent/..%09/admin/keys'],
    ['... (three dots)', '/agent/.../admin/keys'],
    ['%c0%ae (overlong UTF-8 dot)', '/agent/%c0%ae%c0%ae/%c0%ae%c0%ae/admin/keys'],
    ['%e0%80%ae (three-byte overlong dot)', '/agent/%e0%80%ae%e0%80%ae/admin/keys'],
    ['%u002e (IIS encoding)', '/agent/%u002e%u002e/admin/keys'],
  ])('%s is refused with 400 and never reaches the upstream', async (_name, path) => {
    const res = await send(gw.url, path);
    expect(res.status).toBe(400);
    // A Model Studio route answers in DashScope's error shape.
    const body = JSON.parse(res.body) as { error?: { code: string }; code?: string; message: string };
    if (path.startsWith('/studio')) {
      expect(body).toMatchObject({ code: 'InvalidParameter', message: expect.stringContaining('is refused on agent route') });
    } else {
      expect(body.error!.code).toBe('path_not_allowed');
    }
    expect(up.seen).toEqual([]);
  });

  test.each([
    ['..# (a WHATWG URL parser reads it as ..)', '/agent/..#'],
    ['x/..#/y', '/agent/x/..#/y'],
    ['# in the query', '/agent/chat-messages?x=#/../../admin'],
  ])('%s: a fragment in the request target is refused with 400 and never reaches the upstream', async (_name, path) => {
    const res = await send(gw.url, path);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('invalid_request_target');
    expect(up.seen).toEqual([]);
  });

  test.each([
    ['a dot-segment that stays inside', '/agent/files/../chat-messages?user=u1', '/agentbase/api/chat-messages?user=u1'],
    ['. segments', '/agent/./chat-messages', '/agentbase/api/chat-messages'],
    ['an encoded dot-segment that stays inside', '/agent/x/%2e%2e/chat-messages', '/agentbase/api/chat-messages'],
    ['other escapes, as the client sent them', '/agent/files/a%20b%3F', '/agentbase/api/files/a%20b%3F'],
    ['a dotted name that is no dot-segment', '/agent/.well-known/x..y', '/agentbase/api/.well-known/x..y'],
    ['Model Studio: the route itself', '/studio', '/api/v1/apps/app-1/completion'],
    ['Model Studio: its completion', '/studio/completion', '/api/v1/apps/app-1/completion'],
    ['Model Studio: completion via a dot-segment', '/studio/x/../completion', '/api/v1/apps/app-1/completion'],
  ])('%s is forwarded normalized', async (_name, path, upstreamPath) => {
    const res = await send(gw.url, path);
    expect(res.status).toBe(200);
    expect(up.seen.map((r) => r.url)).toEqual([upstreamPath]);
  });
});

describe('the request line never names the upstream', () => {
  test('absolute-form is accepted (RFC 9112 §3.2.2): only its path is used, beneath the route base URL; its authority is the host', async () => {
    const res = await rawRequest(
      gw.url,
      `POST http://internal-admin.example:8080/agent/chat-messages?user=u1 HTTP/1.1\r\nHost: ignored.example\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expect(res.status).toBe(200);
    expect(up.seen.map((r) => [r.url, r.headers.host])).toEqual([['/agentbase/api/chat-messages?user=u1', new URL(up.url).host]]);
  });

  test('absolute-form with a path that leaves the prefix is refused like any other', async () => {
    const res = await rawRequest(
      gw.url,
      `GET http://internal-admin.example:8080/agent/../secret HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(400);
    expect(up.seen).toEqual([]);
  });

  test('an absolute-form target that is no route gets 404, and the upstream named in it is never contacted', async () => {
    const res = await rawRequest(gw.url, 'GET http://internal-admin.example:8080/secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(404);
    expect(up.seen).toEqual([]);
  });
});
