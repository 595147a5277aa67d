import { once } from 'events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'http';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import type { Transform } from 'stream';
import { brotliDecompressSync, createGzip, gunzipSync, gzipSync } from 'zlib';
import { decoderFor } from './http-client';
import { EncoderBudget } from '../../../src/dataplane/compression/budget';
import { CODINGS, type Coding } from '../../../src/dataplane/compression/codings';
import { type CompressibleResponse, encodeWhenAllowed } from '../../../src/dataplane/compression/encoded-response';
import { compressResponse } from '../../../src/dataplane/compression/response';

jest.setTimeout(60_000);

/**
 * The response wrapper on real sockets, HTTP/1.1 and HTTP/2 (the compatibility API the data plane's
 * TLS listener uses): what a writer in the data plane does (writeHead, writes, waiting on 'drain', end)
 * comes out encoded, flushed per write, with backpressure, and a client gone frees the encoder.
 */
type Handler = (req: IncomingMessage | http2.Http2ServerRequest, res: CompressibleResponse) => void | Promise<void>;

interface Listener {
  url: string;
  close(): Promise<void>;
}

async function http1(handler: Handler): Promise<Listener> {
  const server: Server = createServer((req, res) => {
    compressResponse(req, res);
    void handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function h2c(handler: Handler): Promise<Listener> {
  const server = http2.createServer((req, res) => {
    compressResponse(req, res);
    void handler(req, res);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sessions) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A response as a client reads it, over HTTP/1.1 or HTTP/2, without decoding. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: NodeJS.ReadableStream & { pause(): void; resume(): void };
  close(): void;
}

function get1(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => resolve({ status: res.statusCode!, headers: res.headers, body: res, close: () => req.destroy() }));
    req.on('error', reject);
    req.end();
  });
}

function get2(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', () => undefined);
    const stream = session.request({ ':path': '/', ...headers });
    stream.on('error', () => undefined);
    stream.on('response', (h) => resolve({ status: Number(h[':status']), headers: h, body: stream, close: () => session.destroy() }));
    stream.on('close', () => session.close());
    session.on('error', reject);
    stream.end();
  });
}

const readAll = async (body: NodeJS.ReadableStream): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

const PROTOCOLS = [
  ['HTTP/1.1', http1, get1],
  ['HTTP/2', h2c, get2],
] as const;

/** Some JSON text well over the threshold. */
const DOCUMENT = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) });

describe.each(PROTOCOLS)('%s', (_name, listen, get) => {
  let server: Listener | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  test('an SSE stream: each event decodes when written, before the next is written', async () => {
    let next!: () => void;
    const secondMayGo = new Promise<void>((r) => (next = r));
    server = await listen(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: {"n":1}\n\n');
      // The second event waits for the client to have decoded the first.
      await secondMayGo;
      res.write('data: {"n":2}\n\n');
      res.end('data: [DONE]\n\n');
    });
    const answer = await get(server.url, { 'accept-encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.headers['content-length']).toBeUndefined();
    const decoder = decoderFor('gzip');
    answer.body.pipe(decoder);
    let text = '';
    decoder.on('data', (d: Buffer) => {
      text += d.toString();
      if (text === 'data: {"n":1}\n\n') next();
    });
    await once(decoder, 'end');
    expect(text).toBe('data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
  });

  test('a large answer in many writes, with backpressure: write() says false while the client reads nothing, and all of it arrives', async () => {
    const piece = Buffer.from(`${'{"text":"'}${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(400)}"}\n`);
    const pieces = 2000; // ~29 MiB of text, ~100 KiB compressed: far more than the socket's buffers at the client's pace
    let refused = 0;
    let writtenWhenRefused = -1;
    let refusedNotice!: () => void;
    const refusedOnce = new Promise<void>((r) => (refusedNotice = r));
    server = await listen(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let i = 0; i < pieces; i++) {
        if (!res.write(piece)) {
          refused++;
          if (writtenWhenRefused < 0) {
            writtenWhenRefused = i + 1;
            refusedNotice();
          }
          await new Promise<void>((r) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              r();
            };
            res.on('drain', done);
            res.once('close', done);
          });
        }
      }
      res.end();
    });
    const answer = await get(server.url, { 'accept-encoding': 'br' });
    expect(answer.headers['content-encoding']).toBe('br');
    answer.body.pause();
    // The writer is held back before it has written everything, although the client reads nothing.
    await refusedOnce;
    expect(writtenWhenRefused).toBeLessThan(pieces);
    answer.body.resume();
    const body = brotliDecompressSync(await readAll(answer.body));
    expect(body.length).toBe(piece.length * pieces);
    expect(body.subarray(0, piece.length).equals(piece)).toBe(true);
    expect(refused).toBeGreaterThan(0);
  });

  test('headers set one by one and one end(body): compressed when at least 1 KiB, plain with its length when smaller', async () => {
    server = await listen((req, res) => {
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      res.setHeader('etag', '"v1"');
      res.end((req.headers['x-size'] as string) === 'small' ? '{"ok":true}' : DOCUMENT);
    });
    const big = await get(server.url, { 'accept-encoding': 'gzip', 'x-size': 'big' });
    expect(big.headers['content-encoding']).toBe('gzip');
    expect(big.headers.vary).toBe('accept-encoding');
    // Other bytes than the plain answer's: its strong validator becomes weak.
    expect(big.headers.etag).toBe('W/"v1"');
    expect(gunzipSync(await readAll(big.body)).toString()).toBe(DOCUMENT);
    const small = await get(server.url, { 'accept-encoding': 'gzip', 'x-size': 'small' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.etag).toBe('"v1"');
    expect(small.headers.vary).toBe('accept-encoding');
    // Node's HTTP/1.1 sets the length of a body given whole to end(); its HTTP/2 compatibility API never does.
    expect(small.headers['content-length']).toBe(_name === 'HTTP/1.1' ? '11' : undefined);
    expect((await readAll(small.body)).toString()).toBe('{"ok":true}');
  });

  test('an answer encoded already is sent as it is: never encoded twice', async () => {
    const encoded = gzipSync(DOCUMENT);
    server = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': encoded.length });
      res.end(encoded);
    });
    const answer = await get(server.url, { 'accept-encoding': 'br, gzip' });
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(await readAll(answer.body)).toString()).toBe(DOCUMENT);
  });

  test('media is not compressed; a 204 neither', async () => {
    server = await listen((req, res) => {
      if (req.headers['x-kind'] === 'empty') {
        res.writeHead(204);
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.end(Buffer.alloc(4096, 7));
    });
    const audio = await get(server.url, { 'accept-encoding': 'gzip', 'x-kind': 'audio' });
    expect(audio.headers['content-encoding']).toBeUndefined();
    expect((await readAll(audio.body)).length).toBe(4096);
    const empty = await get(server.url, { 'accept-encoding': 'gzip', 'x-kind': 'empty' });
    expect(empty.status).toBe(204);
    expect(empty.headers['content-encoding']).toBeUndefined();
  });

  /** A gzip coding whose encoders the test sees, each said to hold 1000 bytes of `budget`. */
  const tracked = () => {
    const encoders: Transform[] = [];
    const coding: Coding = {
      name: 'gzip',
      encoder: () => {
        encoders.push(createGzip());
        return encoders.at(-1)!;
      },
      memoryBytes: 1000,
    };
    return { encoders, codings: { body: coding, stream: coding } };
  };

  test('a client that goes away mid-stream: the encoder is destroyed with the response, its memory given back', async () => {
    const { encoders, codings } = tracked();
    const budget = new EncoderBudget(10_000);
    let closed!: () => void;
    const responseClosed = new Promise<void>((r) => (closed = r));
    server = await (listen === http1 ? http1Raw : h2cRaw)((_req, res) => {
      encodeWhenAllowed(res, codings, budget);
      res.once('close', () => setImmediate(closed));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
    });
    const answer = await get(server.url, { 'accept-encoding': 'gzip' });
    await once(answer.body, 'data');
    expect(encoders[0].destroyed).toBe(false);
    expect(budget.usedBytes).toBe(1000);
    answer.close();
    await responseClosed;
    expect(encoders[0].destroyed).toBe(true);
    expect(budget.usedBytes).toBe(0);
  });

  test("encoders hold the budget while they live: a response that would go over it is sent as is; an answer's end gives it back", async () => {
    const { encoders, codings } = tracked();
    const budget = new EncoderBudget(1500);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    server = await (listen === http1 ? http1Raw : h2cRaw)(async (req, res) => {
      encodeWhenAllowed(res, codings, budget);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      // The first stream stays open until the test has seen the second answered.
      if (req.headers['x-hold'] === 'yes') await released;
      res.end('data: [DONE]\n\n');
    });
    const held = await get(server.url, { 'accept-encoding': 'gzip', 'x-hold': 'yes' });
    expect(held.headers['content-encoding']).toBe('gzip');
    const heldBytes: Buffer[] = [];
    const heldEnd = once(held.body, 'end');
    held.body.on('data', (c: Buffer) => heldBytes.push(c));
    await once(held.body, 'data');
    const over = await get(server.url, { 'accept-encoding': 'gzip' });
    expect(over.headers['content-encoding']).toBeUndefined();
    expect((await readAll(over.body)).toString()).toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
    release();
    await heldEnd;
    expect(gunzipSync(Buffer.concat(heldBytes)).toString()).toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
    await new Promise((r) => setImmediate(r));
    expect(budget.usedBytes).toBe(0);
    const again = await get(server.url, { 'accept-encoding': 'gzip' });
    expect(again.headers['content-encoding']).toBe('gzip');
    await readAll(again.body);
    expect(encoders).toHaveLength(2);
  });
});

/** Listeners without compressResponse: the test wraps the response itself. */
async function http1Raw(handler: Handler): Promise<Listener> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => void handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function h2cRaw(handler: Handler): Promise<Listener> {
  const server = http2.createServer((req, res) => void handler(req, res));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sessions) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

test('a request that accepts no coding leaves the response untouched (no wrapper at all)', () => {
  const res = { writeHead() {}, write: () => true, end() {}, flushHeaders() {} } as unknown as CompressibleResponse;
  const methods = [res.writeHead, res.write, res.end, res.flushHeaders];
  compressResponse({ method: 'POST', headers: {} }, res);
  compressResponse({ method: 'POST', headers: { 'accept-encoding': 'identity' } }, res);
  compressResponse({ method: 'HEAD', headers: { 'accept-encoding': 'gzip' } }, res);
  expect([res.writeHead, res.write, res.end, res.flushHeaders]).toEqual(methods);
  expect(CODINGS.length).toBeGreaterThanOrEqual(2);
});
