import { connect as http2Connect, type ClientHttp2Session } from 'http2';
import { connect as tlsConnect, type PeerCertificate } from 'tls';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { startTestGateway, type TestGateway, UpstreamSimulator } from '../../../src/testing';
import { selfSignedCertificate } from '../../support/tls-certificates';
import { gatewayStack, simulatedBackend } from '../harness';

jest.setTimeout(60_000);

const API = selfSignedCertificate('api.example.com');
const APPS = selfSignedCertificate('*.apps.example.com', ['*.apps.example.com']);
const KEY = 'sk-alice-tls';
const pem = (secretName: string) => ({ certificate: { secretName, key: 'tls.crt' }, privateKey: { secretName, key: 'tls.key' } });

let sim: UpstreamSimulator;
let gw: TestGateway;
let dispatcher: Agent;

/** A Dedicated gateway: two TLS Domains (one a wildcard), one plain Domain; a model route on any host, one on each of two hosts. */
beforeAll(async () => {
  sim = await UpstreamSimulator.start();
  const gateway = gatewayStack();
  gateway.addDomain('api', { hostname: 'api.example.com', tls: pem('api-tls') });
  gateway.addDomain('apps', { hostname: '*.apps.example.com', tls: pem('apps-tls') });
  gateway.addDomain('plain', { hostname: 'plain.example.com' });
  const backend = simulatedBackend(sim, { provider: 'openai', backendName: 'sim' });
  const claude = simulatedBackend(sim, { provider: 'anthropic', backendName: 'claude' });
  const routes = [
    gateway.addModelRoute('api-route', { models: [{ name: 'gpt-4o', targets: [{ backend }] }, { name: 'claude-sonnet-4', targets: [{ backend: claude }] }] }),
    gateway.addModelRoute('apps-route', { host: 'x.apps.example.com', models: [{ name: 'gpt-4o-mini', targets: [{ backend }] }] }),
    gateway.addModelRoute('plain-route', { host: 'plain.example.com', models: [{ name: 'gpt-4o', targets: [{ backend }] }] }),
  ];
  gateway.addConsumer('alice', { apiKey: { secretName: 'consumer-keys', key: 'alice' }, grants: { routes } });
  gw = await startTestGateway(gateway, {
    consumers: { alice: KEY },
    secrets: { 'api-tls/tls.crt': API.cert, 'api-tls/tls.key': API.key, 'apps-tls/tls.crt': APPS.cert, 'apps-tls/tls.key': APPS.key },
  });
  dispatcher = new Agent({ connect: { ca: [API.cert, APPS.cert] } });
});

afterAll(async () => {
  await dispatcher?.close();
  await gw?.close();
  await sim?.close();
});

/** The certificate and protocol a TLS handshake with `servername` (none: by address) and `alpn` gets. */
function handshake(options: { servername?: string; alpn?: string[]; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' }): Promise<{ cert: PeerCertificate; alpn: string | false; version: string | null }> {
  const port = Number(new URL(gw.tlsUrl!).port);
  return new Promise((resolve, reject) => {
    const versions = { maxVersion: options.maxVersion, minVersion: options.maxVersion === 'TLSv1.1' ? ('TLSv1' as const) : undefined };
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: options.servername, ALPNProtocols: options.alpn, rejectUnauthorized: false, ...versions }, () => {
      resolve({ cert: socket.getPeerCertificate(), alpn: socket.alpnProtocol ?? false, version: socket.getProtocol() });
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** One HTTP/2 request; the answer's status, headers and body. */
type H2Answer = { status: number; headers: Record<string, unknown>; body: string; chunks: number };

function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let responseHeaders: Record<string, unknown> = {};
    let text = '';
    let chunks = 0;
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      chunks++;
      text += c;
    });
    stream.on('end', () => resolve({ status, headers: responseHeaders, body: text, chunks }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

describe('the TLS listener of a Dedicated gateway', () => {
  test('tlsUrl is https://127.0.0.1:PORT, another port than the plain url', () => {
    expect(gw.tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(gw.tlsUrl!).port).not.toBe(new URL(gw.url).port);
  });

  test('the certificate is chosen by SNI: exact name, one-label wildcard, and the first TLS Domain for no SNI or another name', async () => {
    expect((await handshake({ servername: 'api.example.com' })).cert.subject.CN).toBe('api.example.com');
    expect((await handshake({ servername: 'x.apps.example.com' })).cert.subject.CN).toBe('*.apps.example.com');
    // A wildcard covers one label only (RFC 6125 §6.4.3).
    expect((await handshake({ servername: 'a.b.apps.example.com' })).cert.subject.CN).toBe('api.example.com');
    expect((await handshake({})).cert.subject.CN).toBe('api.example.com');
  });

  test('ALPN offers h2 and http/1.1; TLS below 1.2 is refused', async () => {
    expect((await handshake({ alpn: ['h2', 'http/1.1'] })).alpn).toBe('h2');
    expect((await handshake({ alpn: ['http/1.1'] })).alpn).toBe('http/1.1');
    expect((await handshake({})).version).toBe('TLSv1.3');
    expect((await handshake({ maxVersion: 'TLSv1.2' })).version).toBe('TLSv1.2');
    await expect(handshake({ maxVersion: 'TLSv1.1' })).rejects.toThrow();
  });

  test('a session is resumed (TLS 1.2 and 1.3, with SNI and without): no full handshake for a returning client', async () => {
    const port = Number(new URL(gw.tlsUrl!).port);
    for (const servername of ['api.example.com', undefined]) {
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const options = { host: '127.0.0.1', port, servername, rejectUnauthorized: false, maxVersion };
        const session = await new Promise<Buffer>((resolve, reject) => {
          const socket = tlsConnect(options);
          socket.once('session', (s: Buffer) => {
            resolve(s);
            socket.end();
          });
          socket.once('error', reject);
        });
        const reused = await new Promise<boolean>((resolve, reject) => {
          const socket = tlsConnect({ ...options, session }, () => {
            resolve(socket.isSessionReused());
            socket.end();
          });
          socket.once('error', reject);
        });
        expect({ servername, maxVersion, reused }).toEqual({ servername, maxVersion, reused: true });
      }
    }
  });

  test('the official OpenAI SDK over HTTPS (HTTP/1.1): a chat completion and a stream, the certificate verified', async () => {
    const openai = new OpenAI({ baseURL: `${gw.tlsUrl}/v1`, apiKey: KEY, fetchOptions: { dispatcher } as Record<string, unknown> });
    const done = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(done.choices[0].message.content).toEqual(expect.any(String));
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(gw.logs.filter((l) => l.msg === 'access' && l.path === '/v1/chat/completions').map((l) => l.protocol)).toEqual(['HTTP/1.1', 'HTTP/1.1']);
  });

  test('the official Anthropic SDK over HTTP/2 (undici with allowH2): a message and a stream', async () => {
    const h2 = new Agent({ allowH2: true, connect: { ca: [API.cert] } });
    try {
      const anthropic = new Anthropic({ baseURL: gw.tlsUrl, apiKey: KEY, fetchOptions: { dispatcher: h2 } as Record<string, unknown> });
      const message = await anthropic.messages.create({ model: 'claude-sonnet-4', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
      expect(message.content[0].type).toBe('text');
      const stream = anthropic.messages.stream({ model: 'claude-sonnet-4', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
      const final = await stream.finalMessage();
      expect(final.content[0].type).toBe('text');
      const lines = gw.logs.filter((l) => l.msg === 'access' && l.path === '/v1/messages');
      expect(lines.map((l) => l.protocol)).toEqual(['HTTP/2', 'HTTP/2']);
    } finally {
      await h2.close();
    }
  });

  test('HTTP/2 routes by :authority and streams SSE; several requests share one connection', async () => {
    const session = http2Connect(gw.tlsUrl!, { ca: [API.cert, APPS.cert], servername: 'api.example.com' });
    try {
      const chat = (authority: string, model: string, stream = false) =>
        h2Request(
          session,
          { ':method': 'POST', ':path': '/v1/chat/completions', ':authority': authority, 'content-type': 'application/json', 'authorization': `Bearer ${KEY}` },
          JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream }),
        );
      const [api, apps, plain, wrongHost] = await Promise.all([
        chat('api.example.com', 'gpt-4o'),
        chat('x.apps.example.com', 'gpt-4o-mini'),
        chat('plain.example.com', 'gpt-4o'),
        chat('x.apps.example.com', 'gpt-4o'),
      ]);
      expect([api.status, apps.status, plain.status]).toEqual([200, 200, 200]);
      expect(JSON.parse(api.body).model).toBe('gpt-4o');
      expect(JSON.parse(apps.body).model).toBe('gpt-4o-mini');
      // The route on x.apps.example.com does not serve gpt-4o: routing read :authority, not another host's route.
      expect(wrongHost.status).toBe(404);
      const streamed = await chat('api.example.com', 'gpt-4o', true);
      expect(streamed.status).toBe(200);
      expect(streamed.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(streamed.body).toContain('data: [DONE]');
      // No connection-level header on HTTP/2 (the protocol forbids them).
      expect(streamed.headers.connection).toBeUndefined();
      // A Host header naming another host than :authority is refused, not routed by either (RFC 9113 §8.3.1).
      const smuggled = await h2Request(session, { ':method': 'GET', ':path': '/v1/models', ':authority': 'x.apps.example.com', 'host': 'api.example.com', 'authorization': `Bearer ${KEY}` });
      expect(smuggled.status).toBe(400);
      expect(JSON.parse(smuggled.body).error.code).toBe('conflicting_authority');
    } finally {
      session.close();
    }
  });

  test('the plain url keeps serving every Domain, and a Serverless gateway has no TLS listener', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY });
    const done = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(done.model).toBe('gpt-4o');

    const fleetGateway = gatewayStack({ edition: 'serverless' });
    fleetGateway.addDomain('api', { hostname: 'sl.example.com', tls: pem('sl-tls') });
    fleetGateway.addModelRoute('r', { models: [{ name: 'gpt-4o', targets: [{ backend: simulatedBackend(sim, { provider: 'openai', backendName: 'sim' }) }] }] });
    const serverless = await startTestGateway(fleetGateway);
    try {
      // The fleet's shared Ingress terminates a Serverless gateway's TLS: its data plane stays plain behind it.
      expect(serverless.tlsUrl).toBeUndefined();
    } finally {
      await serverless.close();
    }
  });
});
