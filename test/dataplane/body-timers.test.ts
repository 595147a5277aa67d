import { createServer, type IncomingMessage, type Server } from 'http';
import { type AddressInfo, connect, type Socket } from 'net';
import { readBody } from '../../src/dataplane/body';

jest.setTimeout(30_000);

/** Timers alive in this process right now. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/**
 * Body reads cost no timer each: the stall watch of every read in progress is one shared sweep, so
 * many bodies read at once add at most one timer to the process, and the 408 for a stall still comes.
 */
describe('request body reads share one stall timer', () => {
  const READERS = 20;
  let server: Server;
  let reading: Promise<Buffer>[];
  let arrived: () => void;
  beforeEach(async () => {
    reading = [];
    arrived = () => undefined;
    server = createServer((req: IncomingMessage, res) => {
      const body = readBody(req, 1024, 60_000);
      reading.push(body);
      if (reading.length === READERS) arrived();
      body.then(
        (b) => res.end(String(b.length)),
        () => res.end('failed'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test(`${READERS} bodies read at once add at most one timer, and all still complete`, async () => {
    const before = timers();
    const { port } = server.address() as AddressInfo;
    const started = new Promise<void>((resolve) => (arrived = resolve));
    const sockets: Socket[] = [];
    for (let i = 0; i < READERS; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      // Half the body: every reader is waiting for the rest.
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345');
      sockets.push(socket);
    }
    await started;
    expect(timers() - before).toBeLessThanOrEqual(1);
    for (const socket of sockets) socket.end('67890');
    expect((await Promise.all(reading)).map((b) => b.length)).toEqual(Array(READERS).fill(10));
    for (const socket of sockets) socket.destroy();
  });
});
