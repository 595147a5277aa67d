import { connect } from 'net';

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
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split < 0 ? '' : data.slice(split + 4) });
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
