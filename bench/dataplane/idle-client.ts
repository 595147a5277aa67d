/**
 * Idle keep-alive connections for the data-plane bench (its own process, loopback only): opens
 * `count` connections to `host:port`, sends one request on each (so each is a real keep-alive
 * connection that has served a request), reads the whole response, then holds the socket idle.
 *
 *   node -r ts-node/register/transpile-only bench/dataplane/idle-client.ts '<json spec>'
 *
 * Prints `@@idle@@ {"phase":"open",...}` once all are open (or failed), then holds them until it
 * reads a line on stdin (or `holdS` passes), prints `@@idle@@ {"phase":"closed",...}` with how
 * many were still open, closes them all and exits. Bounded: at most `parallel` connects at a time,
 * every socket has a deadline, the whole process exits after `holdS` + 60 s whatever happens.
 */
import { connect, type Socket } from 'net';

interface Spec {
  host: string;
  port: number;
  count: number;
  parallel: number;
  /** The raw HTTP/1.1 request sent on each connection. */
  request: string;
  holdS: number;
}

const HEADER_END = '\r\n\r\n';

/** Resolves when one full response has arrived (Content-Length or chunked), with its status. */
function oneResponse(socket: Socket, request: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error('response timeout')), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const headerEnd = buf.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const head = buf.slice(0, headerEnd).toLowerCase();
      const status = Number(head.slice(9, 12));
      const body = buf.slice(headerEnd + 4);
      const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
      if (length ? body.length >= Number(length[1]) : /\r\ntransfer-encoding:\s*chunked/.test(head) ? body.endsWith('0\r\n\r\n') : false) done(undefined, status);
    };
    const onClose = () => done(new Error('closed before the response ended'));
    const done = (err?: Error, status?: number) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(status!);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(request);
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as Spec;
  const hardStop = setTimeout(() => process.exit(3), (spec.holdS + 60) * 1000);
  hardStop.unref();
  const sockets: Socket[] = [];
  let open = 0;
  let failed = 0;
  let closedEarly = 0;
  const statuses = new Map<number, number>();
  const errors = new Map<string, number>();
  let next = 0;
  const started = performance.now();

  const openOne = async (): Promise<void> => {
    const socket = connect({ host: spec.host, port: spec.port });
    socket.setNoDelay(true);
    socket.on('error', (e) => errors.set(e.message.slice(0, 80), (errors.get(e.message.slice(0, 80)) ?? 0) + 1));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const status = await oneResponse(socket, spec.request, 30_000);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sockets.push(socket);
      open++;
      socket.once('close', () => {
        open--;
        closedEarly++;
      });
    } catch {
      failed++;
      socket.destroy();
    }
  };
  const worker = async (): Promise<void> => {
    while (next < spec.count) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.parallel, spec.count) }, worker));
  const openedS = (performance.now() - started) / 1000;
  const report = (phase: string) =>
    process.stdout.write(
      `@@idle@@ ${JSON.stringify({ phase, open, failed, closedEarly, openedS, statuses: Object.fromEntries(statuses), errors: Object.fromEntries(errors) })}\n`,
    );
  report('open');
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, spec.holdS * 1000);
    process.stdin.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    process.stdin.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  report('closed');
  for (const s of sockets) s.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`idle-client: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
