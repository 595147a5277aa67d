/**
 * Raw HTTP for the benches' load: one origin's undici keep-alive pool, through its dispatch API (no
 * stream objects per request), so the client's own cost stays small next to what is measured.
 */
import type { IncomingHttpHeaders } from 'http';
import { Pool } from 'undici';

export interface PooledAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** ms from sending to the last byte. */
  readonly totalMs: number;
  /** ms from sending to the first chunk in which `firstContent` matched the body so far, if it did. */
  readonly firstContentMs?: number;
}

export class PooledHttp {
  private readonly pool: Pool;

  public constructor(
    public readonly origin: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  /** `firstContent` marks the first content byte in the body received so far (a stream's first answer text). */
  public send(method: 'GET' | 'POST' | 'DELETE', path: string, headers: Record<string, string>, body?: string, firstContent?: RegExp): Promise<PooledAnswer> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      let status = 0;
      let head: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let soFar = '';
      let firstContentMs: number | undefined;
      this.pool.dispatch(
        { origin: this.origin, path, method, headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode, responseHeaders) => {
            status = statusCode;
            head = responseHeaders;
          },
          onResponseData: (_controller, chunk) => {
            chunks.push(chunk);
            if (!firstContent || firstContentMs !== undefined) return;
            soFar += chunk.toString('utf8');
            if (firstContent.test(soFar)) firstContentMs = performance.now() - t0;
          },
          onResponseEnd: () => {
            const totalMs = performance.now() - t0;
            resolve({ status, headers: head, text: Buffer.concat(chunks).toString('utf8'), totalMs, firstContentMs });
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
