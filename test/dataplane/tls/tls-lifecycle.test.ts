import { X509Certificate } from 'crypto';
import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream } from 'http2';
import { connect as tlsConnect } from 'tls';
import { synthesizedGatewayConfig } from '../../../src/constructs/synthesized-config';
import { createLogger, DataPlane, FileAndEnvSecrets, StartupError } from '../../../src/dataplane';
import { startTestGateway, UpstreamSimulator } from '../../../src/testing';
import { eventually } from '../../support/eventually';
import { selfSignedCertificate } from '../../support/tls-certificates';
import { agentUpstream } from '../agent-upstream';
import { plainDir, shardFiles } from '../config-files';
import { gatewayStack, simulatedBackend } from '../harness';
import { mountSecrets } from '../secret-files';
import { BLOCK_ALL, withWaf } from '../waf/support/waf-gateway';

jest.setTimeout(60_000);

const FIRST = selfSignedCertificate('api.example.com');
const SECOND = selfSignedCertificate('api.example.com');
const KEY = 'sk-alice-tls-lifecycle';
const TLS_REF = { certificate: { secretName: 'api-tls', key: 'tls.crt' }, privateKey: { secretName: 'api-tls', key: 'tls.key' } };
const quiet = () => createLogger({ write: () => true } as unknown as NodeJS.WritableStream as never);

/** The serial number of the certificate a handshake with SNI `api.example.com` gets. */
function servedSerial(tlsUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: Number(new URL(tlsUrl).port), servername: 'api.example.com', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.once('error', reject);
  });
}

function serialOf(pem: string): string {
  return new X509Certificate(pem).serialNumber;
}

/** One HTTP/2 exchange on `session`: `send` writes the request body (none: the stream ends with its headers). */
type Exchange = { status: number; body: string };

function h2Exchange(session: ClientHttp2Session, headers: Record<string, string>, send?: (stream: ClientHttp2Stream) => void): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':authority': 'api.example.com', ...headers }, { endStream: send === undefined });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
    send?.(stream);
  });
}

function h2Get(session: ClientHttp2Session, path: string, headers: Record<string, string> = {}): Promise<Exchange> {
  return h2Exchange(session, { ':method': 'GET', ':path': path, ...headers });
}

/** A Dedicated gateway with one TLS Domain, served from a config directory and kubelet-mounted Secrets. */
async function planeWithMountedCertificate(cert: { cert: string; key: string }) {
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: TLS_REF });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai', apiKey: { secretName: 'llm-keys', key: 'openai' } }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const secrets = mountSecrets('projected', { 'api-tls': { 'tls.crt': cert.cert, 'tls.key': cert.key }, 'consumer-keys': { alice: KEY }, 'llm-keys': { openai: 'sk-up' } });
  const dir = plainDir(shardFiles(synthesizedGatewayConfig(gateway).config));
  return { sim, secrets, dir, start: () => DataPlane.start({ config: { dir }, secrets: new FileAndEnvSecrets(secrets.dir), port: 0, tlsPort: 0, adminPort: 0, host: '127.0.0.1', logger: quiet() }) };
}

test('a rotated certificate Secret is served to new connections after the reload; an open HTTP/2 connection keeps working', async () => {
  const setup = await planeWithMountedCertificate(FIRST);
  const plane = await setup.start();
  const session = http2Connect(plane.tlsUrl!, { ca: [FIRST.cert, SECOND.cert], servername: 'api.example.com' });
  try {
    expect(await servedSerial(plane.tlsUrl!)).toBe(serialOf(FIRST.cert));
    expect((await h2Get(session, '/v1/models', { authorization: `Bearer ${KEY}` })).status).toBe(200);

    // kubelet swaps the Secret's ..data: the reload sees the rotated keys and compiles the new certificate.
    setup.secrets.rotate({ 'api-tls': { 'tls.crt': SECOND.cert, 'tls.key': SECOND.key }, 'consumer-keys': { alice: KEY }, 'llm-keys': { openai: 'sk-up' } });
    expect((await plane.reload()).result).toBe('applied');
    expect(await servedSerial(plane.tlsUrl!)).toBe(serialOf(SECOND.cert));
    // The connection opened before the rotation was not dropped.
    expect((await h2Get(session, '/v1/models', { authorization: `Bearer ${KEY}` })).status).toBe(200);

    // A broken certificate is rejected: the last good one keeps serving.
    setup.secrets.rotate({ 'api-tls': { 'tls.crt': 'not a certificate', 'tls.key': SECOND.key }, 'consumer-keys': { alice: KEY }, 'llm-keys': { openai: 'sk-up' } });
    const rejected = await plane.reload();
    expect(rejected).toEqual({ result: 'rejected', reason: expect.stringContaining('domains[0] (api.example.com).tls: secret api-tls/tls.crt is not a PEM certificate') });
    expect(await servedSerial(plane.tlsUrl!)).toBe(serialOf(SECOND.cert));
  } finally {
    session.close();
    await plane.close();
    setup.secrets.remove();
    await setup.sim.close();
  }
});

test('a certificate that does not match its key stops the start with an error naming the Domain and the Secret', async () => {
  const setup = await planeWithMountedCertificate({ cert: FIRST.cert, key: SECOND.key });
  try {
    const started = setup.start();
    await expect(started).rejects.toThrow(StartupError);
    await expect(started).rejects.toThrow(/domains\[0\] \(api\.example\.com\)\.tls: secret api-tls\/tls\.crt and key api-tls\/tls\.key cannot be used: .*mismatch/);
  } finally {
    setup.secrets.remove();
    await setup.sim.close();
  }
});

test('a custom agent over HTTP/2: the body is forwarded without Content-Length, and no pseudo-header goes upstream', async () => {
  const up = await agentUpstream((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ got: req.body })));
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: TLS_REF });
  const agent = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${up.url}/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [agent] } });
  const gw = await startTestGateway(gateway, { consumers: { alice: KEY }, secrets: { 'api-tls/tls.crt': FIRST.cert, 'api-tls/tls.key': FIRST.key } });
  const session = http2Connect(gw.tlsUrl!, { ca: [FIRST.cert], servername: 'api.example.com' });
  try {
    // No content-length: HTTP/2 frames the body by DATA frames and END_STREAM.
    const answer = await h2Exchange(session, { ':method': 'POST', ':path': '/agents/a/run', 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json' }, (stream) => {
      stream.write('{"input":');
      stream.end('"hello"}');
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ got: '{"input":"hello"}' });
    expect(Object.keys(up.seen[0].headers).filter((h) => h.startsWith(':'))).toEqual([]);
  } finally {
    session.close();
    await gw.close();
    await up.close();
  }
});

test('draining sends GOAWAY to HTTP/2 clients; the stream in flight finishes', async () => {
  // Each answer waits 400 ms upstream: the drain starts while one is in flight.
  const sim = await UpstreamSimulator.start({ latencyMs: 400 });
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: TLS_REF });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }] });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await startTestGateway(gateway, { consumers: { alice: KEY }, secrets: { 'api-tls/tls.crt': FIRST.cert, 'api-tls/tls.key': FIRST.key } });
  const session = http2Connect(gw.tlsUrl!, { ca: [FIRST.cert], servername: 'api.example.com' });
  try {
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const chat = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const inFlight = h2Exchange(session, { ':method': 'POST', ':path': '/v1/chat/completions', 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json' }, (stream) => stream.end(chat));
    inFlight.catch(() => undefined);
    await eventually(() => sim.requests.length === 1);
    void gw.plane.preStop(0);
    const drained = gw.plane.drain(5_000);
    await goaway;
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).model).toBe('gpt-4o');
    await drained;
  } finally {
    session.destroy();
    await gw.close();
    await sim.close();
  }
});

test('the WAF reads an HTTP/2 body sent without Content-Length: an attack to a custom agent is 403, never forwarded', async () => {
  const up = await agentUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: TLS_REF });
  const agent = gateway.addAgentRoute('agent', { kind: 'custom', pathPrefix: '/agents/a', baseUrl: `${up.url}/api`, apiKey: { secretName: 'llm-keys', key: 'openai' } });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [agent] } });
  const gw = await startTestGateway(gateway, { consumers: { alice: KEY }, secrets: { 'api-tls/tls.crt': FIRST.cert, 'api-tls/tls.key': FIRST.key }, transform: withWaf(BLOCK_ALL) });
  const session = http2Connect(gw.tlsUrl!, { ca: [FIRST.cert], servername: 'api.example.com' });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/agents/a/run', ':authority': 'api.example.com', 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json' });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.end(JSON.stringify({ q: "x' UNION SELECT password FROM users--" }));
    });
    expect(status).toBe(403);
    expect(up.seen).toHaveLength(0);
  } finally {
    session.close();
    await gw.close();
    await up.close();
  }
});

test('HTTP/2: an answer sent before the body ends closes the stream (RST_STREAM NO_ERROR), the request is logged, and a connection has at most 128 streams', async () => {
  const sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: TLS_REF });
  const route = gateway.addModelRoute('chat', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai' }) }] }], policies: { maxBodyBytes: 1024 }, logPayloads: true });
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes: [route] } });
  const gw = await startTestGateway(gateway, { consumers: { alice: KEY }, secrets: { 'api-tls/tls.crt': FIRST.cert, 'api-tls/tls.key': FIRST.key } });
  const session = http2Connect(gw.tlsUrl!, { ca: [FIRST.cert], servername: 'api.example.com' });
  try {
    await eventually(() => session.remoteSettings?.maxConcurrentStreams !== undefined && session.remoteSettings.maxConcurrentStreams !== 4294967295);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(128);
    // 2 KiB over the route's 1 KiB limit, and the client never ends its body.
    const outcome = await new Promise<{ status: number; closedBy: number }>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', ':authority': 'api.example.com', 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json' });
      let status = 0;
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.resume();
      stream.on('close', () => resolve({ status, closedBy: stream.rstCode ?? -1 }));
      stream.on('error', reject);
      stream.write(Buffer.alloc(2048, 0x20));
    });
    expect(outcome).toEqual({ status: 413, closedBy: 0 });
    await eventually(() => gw.logs.some((l) => l.msg === 'access' && l.status === 413));
    // A small answer over HTTP/2 (its body written by end()) is kept once in the payload line.
    const chat = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const { body: small } = await h2Exchange(session, { ':method': 'POST', ':path': '/v1/chat/completions', 'authorization': `Bearer ${KEY}`, 'content-type': 'application/json' }, (stream) => stream.end(chat));
    await eventually(() => gw.logs.some((l) => l.msg === 'payload' && l.status === 200));
    expect(gw.logs.find((l) => l.msg === 'payload' && l.status === 200)!.completion).toBe(small);
  } finally {
    session.close();
    await gw.close();
    await sim.close();
  }
});
