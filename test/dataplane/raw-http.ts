import { connect, type Socket } from 'net';
import { CONSUMER_KEYS } from './harness';

/** The parsed head of a raw HTTP/1.1 response. */
export interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/**
 * Sends `request` byte for byte on a fresh TCP connection (what no HTTP client library would send:
 * absolute-form, two Host headers, a truncated body…) and reads one response: until its declared
 * body is in, or the server closes the connection. `end` half-closes after writing.
 */
export function rawRequest(url: string, request: string | Buffer, options: { end?: boolean } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(request);
      if (options.end) socket.end();
    });
    let data = '';
    const done = () => {
      socket.destroy();
      const split = data.indexOf('\r\n\r\n');
      const head = split < 0 ? data : data.slice(0, split);
      resolve({ status: statusOf(head), head, body: split < 0 ? '' : data.slice(split + 4) });
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      data += d;
      // One response is enough: stop once its declared body is in.
      const split = data.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(data.slice(0, split < 0 ? data.length : split))?.[1];
      if (split >= 0 && length !== undefined && data.length - split - 4 >= Number(length)) done();
    });
    socket.on('end', done);
    socket.on('error', (e) => (data ? done() : reject(e)));
  });
}

/** The status of a raw HTTP/1.1 response, 0 if it has no status line. */
function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

/**
 * A raw connection to the gateway, written step by step: what is written is exactly what the client
 * sends, when it sends it (a body that stalls, trickles, is cut short or grows past a limit).
 * `rawRequest` sends all at once; this is for the clients that do not.
 */
export class RawClient {
  private received = Buffer.alloc(0);
  private readonly closed: Promise<void>;
  public readonly socket: Socket;

  public constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** A POST head with alice's key and `Connection: close`, then `headers`. */
  public head(path: string, headers: Record<string, string>): void {
    const lines = [`POST ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close', `Authorization: Bearer ${CONSUMER_KEYS.alice}`];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  public write(data: Buffer): void {
    this.socket.write(data);
  }

  /** The status and JSON error code the gateway answered with, once it has closed the connection. */
  public async answer(): Promise<{ status: number; code: string | undefined }> {
    await this.closed;
    const text = this.received.toString('utf8');
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    return { status: statusOf(text), code: /"code":"([^"]+)"/.exec(body)?.[1] };
  }
}
