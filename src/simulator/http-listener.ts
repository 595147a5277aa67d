import type { Server } from 'http';
import type { Socket } from 'net';

/** Listens on `host:port` (0: any free port) and resolves with the base URL it is reachable at (IPv6 hosts bracketed). */
export function listenOn(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`);
    });
  });
}

/** Stops listening and destroys every open socket, keep-alive ones included; resolves once the server is closed. */
export async function closeServer(server: Server, sockets: Iterable<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const socket of sockets) socket.destroy();
  await closed;
}
