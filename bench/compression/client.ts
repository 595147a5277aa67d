/**
 * The compression bench's client: one keep-alive undici pool per origin (no stream objects per request), sending
 * exactly the Accept-Encoding asked for and reading the answer as it arrives, still encoded. The time to first token
 * is when the bytes received so far first decode to the first content event: decoded whole each time, with a
 * flushing finish (a stream cut where it stands decodes to what it holds), which is what a client's own decoder
 * has at that moment.
 */
import type { IncomingHttpHeaders } from 'http';
import { Pool } from 'undici';
import { brotliDecompressSync, constants, gunzipSync } from 'zlib';

export type Encoding = 'identity' | 'gzip' | 'br';

export interface Answer {
  readonly status: number;
  readonly contentEncoding: string | undefined;
  /** Bytes on the wire (the body as sent, encoded or not). */
  readonly wireBytes: number;
  /** The body decoded. */
  readonly text: string;
  readonly totalMs: number;
  /** ms to the first chunk after which the decoded body matches `firstContent`. */
  readonly firstContentMs?: number;
}

/** Decodes what has arrived so far of an encoded body (not necessarily complete). */
export function decodeSoFar(encoding: string | undefined, bytes: Buffer): Buffer {
  if (encoding === 'gzip') return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
  if (encoding === 'br') return brotliDecompressSync(bytes, { finishFlush: constants.BROTLI_OPERATION_FLUSH });
  return bytes;
}

export class EncodingClient {
  private readonly pool: Pool;

  public constructor(
    public readonly origin: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  public send(path: string, headers: Record<string, string>, body: string, encoding: Encoding, firstContent?: RegExp): Promise<Answer> {
    const sent = encoding === 'identity' ? headers : { ...headers, 'accept-encoding': encoding };
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      let status = 0;
      let head: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let wireBytes = 0;
      let firstContentMs: number | undefined;
      this.pool.dispatch(
        { origin: this.origin, path, method: 'POST', headers: sent, body, headersTimeout: 10_000, bodyTimeout: 10_000 },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode, responseHeaders) => {
            status = statusCode;
            head = responseHeaders;
          },
          onResponseData: (_controller, chunk) => {
            chunks.push(chunk);
            wireBytes += chunk.length;
            if (!firstContent || firstContentMs !== undefined) return;
            const soFar = decodeSoFar(head['content-encoding'] as string | undefined, Buffer.concat(chunks)).toString('utf8');
            if (firstContent.test(soFar)) firstContentMs = performance.now() - t0;
          },
          onResponseEnd: () => {
            const totalMs = performance.now() - t0;
            const contentEncoding = head['content-encoding'] as string | undefined;
            try {
              const text = decodeSoFar(contentEncoding, Buffer.concat(chunks)).toString('utf8');
              resolve({ status, contentEncoding, wireBytes, text, totalMs, firstContentMs });
            } catch (e) {
              reject(e as Error);
            }
          },
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  }

  public close(): Promise<void> {
    return this.pool.destroy();
  }
}
