import { gzipSync } from 'zlib';
import { agentUpstream, type AgentUpstream } from './agent-upstream';
import { CONSUMER_KEYS, gatewayStack, start } from './harness';
import { rawRequest } from './raw-http';
import type { TestGateway } from '../../src/testing';

jest.setTimeout(60_000);

/**
 * An answer that says `Content-Encoding: gzip` but has no body by definition (HEAD, 204, 304) is
 * relayed as it is: there is nothing to decode, and the client's connection is not broken over it.
 */
let up: AgentUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await agentUpstream((req, res) => {
    const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', 'etag': '"v1"' };
    if (req.url.endsWith('/no-content')) return void res.writeHead(204, headers).end();
    if (req.url.endsWith('/not-modified')) return void res.writeHead(304, headers).end();
    // HEAD: Node sends the head only, with the length the GET's body would have.
    const body = gzipSync('{"ok":true}');
    res.writeHead(200, { ...headers, 'content-length': String(body.length) }).end(req.method === 'HEAD' ? undefined : body);
  });
  const gateway = gatewayStack();
  // A custom agent: any path and method pass through (a Dify route serves only Dify's endpoints).
  const agent = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agent', baseUrl: `${up.url}/v1`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [agent] } });
  gw = await start(gateway);
});

afterAll(async () => {
  await gw.close();
  await up.close();
});

const request = (method: string, path: string) => rawRequest(gw.url, `${method} /agent/${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CONSUMER_KEYS.alice}\r\nConnection: close\r\n\r\n`);

test.each([
  ['DELETE', 'no-content', 204],
  ['GET', 'not-modified', 304],
  ['HEAD', 'document', 200],
])('%s answered %s: status %s relayed whole, connection closed cleanly', async (method, path, status) => {
  const res = await request(method, path);
  expect(res.status).toBe(status);
  expect(res.head).toMatch(/\r\netag: "v1"/i);
  expect(res.body).toBe('');
  // The access line names a complete answer, not a client abort or a broken relay.
  const lines = () => gw.logs.filter((l) => l.msg === 'access' && l.path === `/agent/${path}`);
  const deadline = Date.now() + 20_000;
  while (lines().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const line = lines().at(-1);
  expect(line).toMatchObject({ status });
  expect(line).not.toHaveProperty('aborted');
});
