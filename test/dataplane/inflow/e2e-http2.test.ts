import { type ClientHttp2Session, connect } from 'http2';
import { gzipSync } from 'zlib';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { selfSignedCertificate } from '../../support/tls-certificates';
import { type AgentUpstream, agentUpstream } from '../agent-upstream';
import { gatewayStack, simulatedBackend } from '../harness';

jest.setTimeout(60_000);

/**
 * Request decompression over HTTP/2 on the TLS port, as over HTTP/1.1 on the plain one: a gzip body read whole (a
 * model request) or streamed (a custom agent's) is decompressed, bounded once decompressed, and metered by the
 * replica's bandwidth.
 */

const CERT = selfSignedCertificate('api.example.com');
const KEY = 'sk-alice-h2';

let sim: UpstreamSimulator;
let up: AgentUpstream;
let gw: TestGateway;
let session: ClientHttp2Session;

beforeAll(async () => {
  sim = await UpstreamSimulator.start();
  up = await agentUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: { certificate: { secretName: 'api-tls', key: 'tls.crt' }, privateKey: { secretName: 'api-tls', key: 'tls.key' } } });
  const chat = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
  const agent = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${up.url}/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [chat, agent] } });
  gw = await startTestGateway(gateway, { consumers: { alice: KEY }, secrets: { 'api-tls/tls.crt': CERT.cert, 'api-tls/tls.key': CERT.key } });
  session = connect(gw.tlsUrl!, { ca: CERT.cert, servername: 'api.example.com' });
});

afterAll(async () => {
  session?.close();
  await gw?.close();
  await up?.close();
  await sim?.close();
});

function post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, ':authority': 'api.example.com', 'authorization': `Bearer ${KEY}`, ...headers });
    let status = 0;
    let text = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () => resolve({ status, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

test('a gzip chat request over HTTP/2: 200, the backend gets the JSON decompressed, and the bytes are metered', async () => {
  const json = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello over h2' }] };
  const compressed = gzipSync(Buffer.from(JSON.stringify(json)));
  const before = gw.plane.snapshot.bandwidth.totals.bytes;
  const answer = await post('/v1/chat/completions', compressed, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  expect(answer.status).toBe(200);
  expect(sim.requests.at(-1)!.body).toMatchObject(json);
  expect(sim.requests.at(-1)!.headers['content-encoding']).toBeUndefined();
  expect(gw.plane.snapshot.bandwidth.totals.bytes - before).toBe(compressed.length);
});

test('a gzip bomb over HTTP/2: 413', async () => {
  const answer = await post('/v1/chat/completions', gzipSync(Buffer.alloc(11 * 1024 * 1024)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  expect(answer.status).toBe(413);
  expect(answer.body).toContain("once decompressed (Content-Encoding 'gzip')");
});

test("a custom agent's streamed gzip body over HTTP/2 reaches the agent decompressed, without Content-Encoding", async () => {
  const json = JSON.stringify({ inputs: { q: 'h2 '.repeat(1000) } });
  const answer = await post('/agents/a/run', gzipSync(Buffer.from(json)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  expect(answer.status).toBe(200);
  expect(up.seen.at(-1)!.body).toBe(json);
  expect(up.seen.at(-1)!.headers['content-encoding']).toBeUndefined();
});
