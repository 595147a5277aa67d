import { request, type IncomingHttpHeaders, type IncomingMessage } from 'http';
import type { Transform } from 'stream';
import { createBrotliDecompress, createGunzip } from 'zlib';

/** A response as the bytes came: Node's `http` does not decode, unlike fetch. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends one request with exactly these headers and reads the undecoded answer whole. */
export function send(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${url}${path}`, { method, headers: { ...headers, ...(payload && { 'content-type': 'application/json' }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Starts a request and hands back its response as it arrives. */
export function open(url: string, path: string, headers: Record<string, string>, body: unknown): Promise<{ res: IncomingMessage; abort(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' } }, (res) => resolve({ res, abort: () => req.destroy() }));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The decoder for a `Content-Encoding` the gateway answers in. */
export function decoderFor(encoding: string | undefined): Transform {
  if (encoding === 'gzip') return createGunzip();
  if (encoding === 'br') return createBrotliDecompress();
  throw new Error(`no decoder for content-encoding ${encoding}`);
}
