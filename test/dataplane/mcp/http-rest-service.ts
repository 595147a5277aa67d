import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

/** One request exactly as the REST service received it. */
export interface RecordedRequest {
  readonly method: string;
  /** The request target as it arrived on the wire (path and query, undecoded). */
  readonly target: string;
  /** The path part of the target, undecoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type RestHandler = (req: RecordedRequest, res: ServerResponse, service: RestService) => void;

export interface RestService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request received, in order. */
  readonly seen: RecordedRequest[];
  /** Bytes handed to the socket by the last `streamBytes`, counted until the client went away. */
  streamed: number;
  close(): Promise<void>;
}

/**
 * A real REST service on a free loopback port, standing in for the third-party API behind an
 * HTTP-to-MCP server: it records every request (method, raw target, headers, body) and answers with
 * `handler`, by default 200 and a JSON echo of what it received.
 */
export async function restService(handler: RestHandler = echo): Promise<RestService> {
  const seen: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', () => undefined);
    req.on('end', () => {
      const target = req.url!;
      const q = target.indexOf('?');
      const recorded: RecordedRequest = {
        method: req.method!,
        target,
        path: q < 0 ? target : target.slice(0, q),
        query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(recorded);
      handler(recorded, res, service);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const service: RestService = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    streamed: 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return service;
}

export function echo(req: RecordedRequest, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: req.method, path: req.path, query: Object.fromEntries(req.query), headers: req.headers, body: req.body }));
}

/**
 * Answers `total` bytes of `fill`, written with backpressure (the next chunk only once the socket
 * drained), counting in `service.streamed` what it handed to the socket before the client went away.
 * `done` resolves with that count once the answer ended or the connection closed.
 */
export function streamBytes(res: ServerResponse, service: RestService, total: number, fill = 'x'): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, fill);
  service.streamed = 0;
  return new Promise((resolve) => {
    let closed = false;
    res.on('close', () => {
      closed = true;
      resolve(service.streamed);
    });
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(total) });
    const pump = (): void => {
      while (!closed && service.streamed < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - service.streamed));
        service.streamed += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  });
}
