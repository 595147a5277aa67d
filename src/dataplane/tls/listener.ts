import type { IncomingMessage, ServerResponse } from 'http';
import { constants, createSecureServer, Http2ServerResponse, type Http2SecureServer, type Http2ServerRequest, type ServerHttp2Session } from 'http2';
import type { SecureContext } from 'tls';
import { TLS_SETTINGS, type TlsCertificates } from './certificates';

/** What the TLS listener needs from the gateway's current settings, read per connection or session (a reload changes them). */
export interface TlsListenerSettings {
  /** The current snapshot's certificates; undefined once a reload removed every TLS Domain. */
  certificates(): TlsCertificates | undefined;
  headersTimeoutMs(): number;
  idleTimeoutMs(): number;
}

/**
 * Streams one HTTP/2 connection may have open at once (nginx: 128): the connection share counts sockets, so
 * without this bound one connection could carry any number of requests in flight.
 */
export const MAX_CONCURRENT_STREAMS = 128;

/** The HTTP/2 compatibility API's response does not say `destroyed`, which the pipeline reads to see a client gone: its stream's. */
if (!('destroyed' in Http2ServerResponse.prototype)) {
  Object.defineProperty(Http2ServerResponse.prototype, 'destroyed', {
    get(this: Http2ServerResponse): boolean {
      return this.stream.destroyed;
    },
  });
}

/**
 * The TLS listener: HTTP/2 and HTTP/1.1 on one port, chosen by ALPN (`h2` first), certificates by
 * SNI from the Domains, TLS 1.2+. The same request handler as the plain listener serves both: the
 * HTTP/2 compatibility API gives it the request and response it knows. Certificates are read from
 * the current snapshot at each handshake, so a reload (a rotated Secret) applies to new
 * connections at once while open ones keep theirs: nothing is dropped.
 */
export function createTlsListener(
  initial: TlsCertificates,
  settings: TlsListenerSettings,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Http2SecureServer {
  const initialDefault = initial.defaultOptions;
  const server = createSecureServer(
    {
      ...TLS_SETTINGS,
      ...initial.defaultOptions,
      allowHTTP1: true,
      ALPNProtocols: ['h2', 'http/1.1'],
      settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
      // A handshake gets as long as the plain port gives a request's headers (Node's default is 120 s): idle
      // connections to the TLS port must not hold the replica's connection share.
      handshakeTimeout: settings.headersTimeoutMs(),
      SNICallback: (serverName: string, done: (err: Error | null, ctx?: SecureContext) => void) => {
        const certificates = settings.certificates();
        if (!certificates) return done(new Error('no Domain of this gateway has TLS any more'));
        done(null, certificates.select(serverName));
      },
    },
    // The compatibility API's request and response stand in for HTTP/1's, which is all the handler uses.
    ((req: Http2ServerRequest, res: Http2ServerResponse) => {
      if (req.httpVersionMajor === 2) endStreamWithAnswer(req);
      onRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    }) as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  applyTimeouts(server, { headersTimeoutMs: settings.headersTimeoutMs(), idleTimeoutMs: settings.idleTimeoutMs() });
  served.set(server, `${String(initialDefault.cert)}\n${String(initialDefault.key)}`);
  server.on('session', (session: ServerHttp2Session) => closeWhenIdle(session, settings.idleTimeoutMs));
  return server;
}

/**
 * An answer sent before the request's body ended (a 413, a 408, a refusal before the body is read) ends the
 * stream with RST_STREAM(NO_ERROR), as RFC 9113 §8.1 allows and nginx does: Node closes a stream only once the
 * client ends it, so a client that never did would hold the request (its leases, its access line) for ever.
 * HTTP/1 gets `Connection: close` for the same case.
 */
function endStreamWithAnswer(req: Http2ServerRequest): void {
  // The stream's own 'finish' (its side ended): the compatibility response says 'finish' only once both sides have.
  req.stream.once('finish', () => {
    if (!req.complete && !req.stream.destroyed) req.stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

/** The plain listener's slow-client guards, on HTTP/1.1 over TLS (Node's HTTP/1 code reads them off this server). */
export function applyTimeouts(server: Http2SecureServer, settings: { headersTimeoutMs: number; idleTimeoutMs: number }): void {
  const http1 = server as unknown as Record<'headersTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'connectionsCheckingInterval', number>;
  http1.headersTimeout = settings.headersTimeoutMs;
  http1.keepAliveTimeout = settings.idleTimeoutMs;
  http1.requestTimeout = 300_000;
  http1.connectionsCheckingInterval = 1_000;
}

/** The default certificate (clients without SNI) after a reload: the first TLS Domain's. */
export function useCertificates(server: Http2SecureServer, certificates: TlsCertificates): void {
  const options = certificates.defaultOptions;
  // A new default context means new session-ticket keys: only when the default certificate changed, so that a
  // reload of anything else keeps clients' resumption working.
  if (served.get(server) === `${String(options.cert)}\n${String(options.key)}`) return;
  served.set(server, `${String(options.cert)}\n${String(options.key)}`);
  server.setSecureContext({ ...TLS_SETTINGS, ...options });
}

/** The default certificate and key each listener serves, to see whether a reload changed them. */
const served = new WeakMap<Http2SecureServer, string>();

const openStreams = new WeakMap<ServerHttp2Session, number>();

/**
 * An HTTP/2 connection idle for the idle timeout (no stream open) is closed with GOAWAY, as an
 * HTTP/1 keep-alive connection is; one with a stream open stays, however quiet (a model thinking
 * before its first token), as HTTP/1 does.
 */
function closeWhenIdle(session: ServerHttp2Session, idleTimeoutMs: () => number): void {
  openStreams.set(session, 0);
  session.on('stream', (stream) => {
    openStreams.set(session, (openStreams.get(session) ?? 0) + 1);
    stream.once('close', () => openStreams.set(session, (openStreams.get(session) ?? 1) - 1));
  });
  session.setTimeout(idleTimeoutMs(), () => {
    if ((openStreams.get(session) ?? 0) === 0) session.close();
  });
}

/** Whether a request came over HTTP/2, where connection-level headers are not allowed and GOAWAY ends a connection instead. */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** Ends an HTTP/2 request's connection gracefully: its open streams finish, the client opens a new connection (to another replica) for its next. */
export function goAway(req: IncomingMessage): void {
  const session = (req as unknown as Http2ServerRequest).stream.session;
  if (session && !session.closed) session.close();
}
