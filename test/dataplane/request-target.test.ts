import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from './harness';
import { rawRequest } from './raw-http';
import type { TestGateway } from '../../src/testing';

let up: AgentUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await agentUpstream();
  const gateway = gatewayStack();
  // Key auth off: these tests are about the request line, not who sends it.
  const open = { keyAuth: false };
  gateway.addAgentRoute('pinned-host', { kind: 'custom', host: 'only.example', pathPrefix: '/', baseUrl: `${up.url}/pinned`, policies: open });
  gateway.addAgentRoute('catch-all', { kind: 'custom', pathPrefix: '/', baseUrl: `${up.url}/base`, apiKey: { secretName: 'llm-keys', key: 'openai' }, policies: open });
  gw = await start(gateway);
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

beforeEach(() => {
  up.seen.length = 0;
});

const errorCode = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

describe('the edge: request line, Host and method', () => {
  test('absolute-form on a catch-all agent route: the upstream request line is the route base URL plus the path, never the URL the client sent', async () => {
    const res = await rawRequest(gw.url, 'GET http://internal-admin.example:8080/secret?x=1 HTTP/1.1\r\nHost: gw.example\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(200);
    expect(up.seen.map((r) => r.url)).toEqual(['/base/secret?x=1']);
  });

  test("absolute-form: the target's authority replaces the Host header for routing (RFC 9112 §3.2.2)", async () => {
    await rawRequest(gw.url, 'GET http://only.example/x HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');
    await rawRequest(gw.url, 'GET http://ONLY.example:443 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');
    await rawRequest(gw.url, 'GET /x HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');
    expect(up.seen.map((r) => r.url)).toEqual(['/pinned/x', '/pinned/', '/base/x']);
  });

  test('two Host headers get 400 (RFC 9112 §3.2), whichever comes first, and nothing is forwarded', async () => {
    for (const hosts of ['Host: only.example\r\nHost: other.example', 'Host: other.example\r\nhost: only.example']) {
      const res = await rawRequest(gw.url, `GET /x HTTP/1.1\r\n${hosts}\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(errorCode(res.body)).toBe('duplicate_host');
    }
    expect(up.seen).toEqual([]);
  });

  test('TRACE gets 405 and never reaches an agent (it would echo the Authorization header)', async () => {
    const res = await rawRequest(gw.url, `TRACE /x HTTP/1.1\r\nHost: gw.example\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(405);
    expect(res.head.toLowerCase()).toContain('allow: get, head, post, put, patch, delete, options');
    expect(res.body).not.toContain(CONSUMER_KEYS.alice);
    expect(up.seen).toEqual([]);
  });

  test('CONNECT (authority-form) gets 405 instead of a silently closed connection', async () => {
    const res = await rawRequest(gw.url, `CONNECT ${new URL(up.url).host} HTTP/1.1\r\nHost: ${new URL(up.url).host}\r\n\r\n`);
    expect(res.status).toBe(405);
    expect(errorCode(res.body)).toBe('method_not_allowed');
    expect(up.seen).toEqual([]);
  });

  test('authority-form on another method and the asterisk-form get 400', async () => {
    expect((await rawRequest(gw.url, 'GET internal-admin.example:8080 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(400);
    const star = await rawRequest(gw.url, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(star.status).toBe(400);
    expect(errorCode(star.body)).toBe('invalid_request_target');
    // A scheme other than http(s) names no route either.
    const ftp = await rawRequest(gw.url, 'GET ftp://internal-admin.example/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(ftp.status).toBe(400);
    expect(up.seen).toEqual([]);
  });
});
