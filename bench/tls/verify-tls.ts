/**
 * Before any load, each TLS contender must answer the chat request over HTTP/1.1 and over HTTP/2 with the
 * simulator's reply, with TLS 1.3 and the bench's certificate (checked against it as the CA, by address).
 */
import { connect as http2Connect } from 'http2';
import { request, type RequestOptions } from 'https';
import { connect, type TLSSocket } from 'tls';
import { CHAT_BODY, EXPECTED_REPLY } from '../dataplane/contenders';
import type { Target } from '../dataplane/loadgen';

/** Whether a TLS handshake with 127.0.0.1:port completes (the listener is up). */
export function acceptsTls(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly socket: TLSSocket;
}

function http1(target: Target, ca: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${target.baseUrl}${target.paths[0]}`);
    // As undici offers it; https.request passes TLS options on to tls.connect, though its type does not name ALPN.
    const options: RequestOptions & { ALPNProtocols: string[] } = { method: 'POST', ca, ALPNProtocols: ['http/1.1'], agent: false, headers: { 'content-type': 'application/json', ...target.headers }, timeout: 10_000 };
    const req = request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: res.socket as TLSSocket }));
    });
    req.once('error', reject);
    req.end(CHAT_BODY);
  });
}

function http2(target: Target, ca: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(target.baseUrl, { ca });
    session.once('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': target.paths[0], 'content-type': 'application/json', ...lowerCased(target.headers) });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => {
      const socket = session.socket as TLSSocket;
      resolve({ status, body, socket });
      session.close();
    });
    stream.once('error', reject);
    stream.end(CHAT_BODY);
  });
}

const lowerCased = (headers: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

/** One line for the report, or an error naming what was wrong. */
export async function verifyTls(name: string, target: Target, ca: string): Promise<string> {
  const parts: string[] = [];
  for (const [http, send] of [
    ['HTTP/1.1', http1],
    ['HTTP/2', http2],
  ] as const) {
    const a = await send(target, ca);
    const content = (JSON.parse(a.body) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content;
    const alpn = a.socket.alpnProtocol;
    const version = a.socket.getProtocol();
    if (a.status !== 200 || content !== EXPECTED_REPLY) throw new Error(`${name} over ${http}: HTTP ${a.status}, content ${JSON.stringify(content)}: ${a.body.slice(0, 300)}`);
    if (version !== 'TLSv1.3') throw new Error(`${name} over ${http}: negotiated ${version}, expected TLSv1.3`);
    if (alpn !== (http === 'HTTP/2' ? 'h2' : 'http/1.1')) throw new Error(`${name} over ${http}: ALPN chose ${String(alpn)}`);
    parts.push(`${http} (ALPN ${alpn}, ${version}, ${a.socket.getCipher().standardName}): 200 + "${EXPECTED_REPLY}"`);
  }
  return `${name}: the certificate verified against itself as the CA; ${parts.join('; ')}`;
}
