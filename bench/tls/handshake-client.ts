/**
 * The HTTPS bench's handshake client (its own process, on the load-generator core): `concurrency` loops, each opening
 * a TLS connection, waiting for the handshake to complete, and closing it, for `durationS`; no request is sent and no
 * ALPN nor SNI offered (by address, as wrk and h2load connect). With `resume`, one full handshake first gets the session ticket the server
 * sends after it, and every connection of every loop then offers that ticket (TLS 1.3 PSK resumption with a fresh
 * key exchange: no certificate, no signature; `isSessionReused()` counts the handshakes that did
 * resume). Prints one line `@@handshakes@@ {json}` and exits.
 *
 *   node -r ts-node/register/transpile-only bench/tls/handshake-client.ts '<json spec>'
 */
import { connect, createSecureContext, type TLSSocket } from 'tls';
import { closedLoops } from '../shared/closed-loop';
import { summarize } from '../shared/stats';

export interface HandshakeSpec {
  readonly port: number;
  readonly durationS: number;
  readonly concurrency: number;
  readonly resume: boolean;
}

/** What the client prints: the loops' counts, how many handshakes resumed, the handshake times (ms) and what was negotiated. */
export interface HandshakeResult {
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly resumed: number;
  readonly latency: ReturnType<typeof summarize>;
  readonly negotiated: string;
}

const TICKET_WAIT_MS = 2_000;
/** One context for every connection: without it, each connect builds its own, loading the root CA store each time (milliseconds). */
const CONTEXT = createSecureContext({ minVersion: 'TLSv1.3' });

/** One handshake: its time (ms) and socket, or why it failed; the socket is left open for the caller to close. */
function handshake(spec: HandshakeSpec, session: Buffer | undefined): Promise<{ ms: number; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect({ host: '127.0.0.1', port: spec.port, rejectUnauthorized: false, secureContext: CONTEXT, session }, () =>
      resolve({ ms: performance.now() - t0, socket }),
    );
    socket.once('error', reject);
  });
}

/** The first ticket the server sends on `socket` (TLS 1.3 sends them after the handshake). */
function ticket(socket: TLSSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no session ticket within ${TICKET_WAIT_MS} ms: the server does not offer resumption`)), TICKET_WAIT_MS);
    socket.once('session', (s: Buffer) => {
      clearTimeout(timer);
      resolve(s);
    });
  });
}

/** `TLSv1.3, TLS_AES_256_GCM_SHA384, X25519`: the version, suite and key exchange of a connection. */
function describe(socket: TLSSocket): string {
  const key = socket.getEphemeralKeyInfo() as { name?: string } | null;
  return [socket.getProtocol(), socket.getCipher().standardName, key?.name].filter(Boolean).join(', ');
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as HandshakeSpec;
  let session: Buffer | undefined;
  let negotiated = '';
  let resumed = 0;
  if (spec.resume) {
    // One full handshake, uncounted (the server's CPU for it is: one in a run of thousands); OpenSSL's stateless
    // tickets may be offered again and again, so every loop offers this one.
    const { socket } = await handshake(spec, undefined);
    session = await ticket(socket);
    socket.destroy();
  }
  const result = await closedLoops(spec.concurrency, spec.durationS * 1000, async () => {
    const { ms, socket } = await handshake(spec, session);
    if (socket.isSessionReused()) resumed++;
    negotiated ||= describe(socket);
    socket.destroy();
    return ms;
  });
  const { samples, ...counts } = result;
  const out: HandshakeResult = { ...counts, resumed, latency: summarize(samples), negotiated };
  process.stdout.write(`@@handshakes@@ ${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
