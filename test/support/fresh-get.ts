import { request } from 'http';

/**
 * A GET with `key` on a TCP connection of its own (`agent: false`: no keep-alive pool), resolving with
 * the status and the Connection header, or rejecting with the connection error (ECONNREFUSED once the
 * listener is closed). Drain tests need the new connection: a pooled one, opened before the drain,
 * would still be served and hide whether the gateway accepts new connections.
 */
export function freshGet(url: string, path: string, key: string): Promise<{ status: number; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { agent: false, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.once('error', reject);
    req.end();
  });
}
