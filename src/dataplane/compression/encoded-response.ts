import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'http';
import type { Transform } from 'stream';
import { ENCODER_BUDGET, type EncoderBudget } from './budget';
import type { Negotiated } from './negotiate';
import { isCompressibleType, isWholeDocument, shouldCompress, varyWithAcceptEncoding } from './policy';

type WriteCallback = (error?: Error | null) => void;

/**
 * What the wrapper uses of a response: the API `http.ServerResponse` and the HTTP/2 compatibility
 * `Http2ServerResponse` share, so one wrapper serves both listeners.
 */
export interface CompressibleResponse {
  statusCode: number;
  readonly headersSent: boolean;
  /** HTTP/1.1's; HTTP/2's compatibility response has none at run time (see `gone`). */
  readonly destroyed?: boolean;
  getHeader(name: string): OutgoingHttpHeader | undefined;
  setHeader(name: string, value: OutgoingHttpHeader): unknown;
  removeHeader(name: string): void;
  writeHead(...args: any[]): unknown;
  write(...args: any[]): boolean;
  end(...args: any[]): unknown;
  /** At run time on both; absent from @types/node's Http2ServerResponse. */
  flushHeaders?(): void;
  destroy(error?: Error): unknown;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  once(event: 'close' | 'finish', listener: () => void): unknown;
  emit(event: 'drain'): boolean;
}

/**
 * Compresses `res` in the coding the client accepts when its head allows it (see `shouldCompress`),
 * decided when the head is written: a body of known length in `codings.body`, a stream in
 * `codings.stream`, while `budget` has room for the encoder (else the response goes as is).
 *
 * The response's own methods are replaced on this one instance, as the `compression` middleware does: every writer in the data plane (relays, error bodies, extensions) keeps calling
 * `writeHead`/`write`/`end` and waiting on 'drain' as before, and a response that is not compressed
 * goes straight to the originals.
 *
 * Each write is encoded and flushed on its own (see `Coding.encoder`), so an SSE event reaches the
 * client when it is written. Backpressure goes through: `write` returns false while the socket or the
 * encoder is full, and 'drain' comes when both take more. A client gone destroys the encoder.
 */
export function encodeWhenAllowed(res: CompressibleResponse, codings: Negotiated, budget: EncoderBudget = ENCODER_BUDGET): void {
  const writeHead = res.writeHead;
  const write = res.write;
  const end = res.end;
  const flushHeaders = res.flushHeaders;
  const destroy = res.destroy;
  /** Decided with the head: the encoder, or `null` when the response goes out as is. */
  let encoder: Transform | null | undefined;
  /** The length of the one body `end()` was given before any head or write: a known length. */
  let endLength: number | undefined;
  /** The wrapper's `end()` ran: the encoder finishes, then the real `end()` runs. */
  let ended = false;
  /** The socket refused the last compressed bytes: the encoder waits for its 'drain'. */
  let socketFull = false;
  /** A write found the encoder full: its 'drain' is told to the writer as the response's. */
  let encoderFull = false;

  const decide = (status: number): void => {
    const length = endLength ?? contentLengthOf(res.getHeader('content-length'));
    const head = {
      status,
      contentType: res.getHeader('content-type'),
      contentEncoding: res.getHeader('content-encoding'),
      cacheControl: res.getHeader('cache-control'),
      length,
    };
    // The answer depends on Accept-Encoding whenever it is text not encoded already: even when this one is too small to compress.
    if (head.contentEncoding === undefined && isCompressibleType(head.contentType)) {
      const vary = varyWithAcceptEncoding(res.getHeader('vary'));
      if (vary !== undefined) res.setHeader('vary', vary);
    }
    // Events are flushed as they are written; a whole document (its length known, or JSON relayed in chunks) at its end.
    const stream = length === undefined && !isWholeDocument(head.contentType);
    const coding = stream ? codings.stream : codings.body;
    // A response whose client is gone already would never close again to free an encoder: sent as is.
    if (gone(res) || !shouldCompress(head) || !budget.take(coding.memoryBytes)) {
      encoder = null;
      return;
    }
    res.setHeader('content-encoding', coding.name);
    res.removeHeader('content-length');
    // A strong validator names exact bytes, which these no longer are (RFC 9110 §8.8.1): weak, as nginx makes it.
    const etag = res.getHeader('etag');
    if (typeof etag === 'string' && etag.startsWith('"')) res.setHeader('etag', `W/${etag}`);
    encoder = startEncoder(coding, stream);
  };

  const startEncoder = (coding: Negotiated['body'], stream: boolean): Transform => {
    const e = coding.encoder(stream);
    // Its memory is the budget's again once it is gone: ended, or destroyed with the response.
    e.once('close', () => budget.give(coding.memoryBytes));
    e.on('data', (bytes: Buffer) => {
      if (gone(res)) return;
      if (!write.call(res, bytes)) {
        socketFull = true;
        e.pause();
      }
    });
    e.once('end', () => {
      if (!gone(res)) end.call(res);
    });
    // An encoder cannot fail on bytes it is given; if it ever did, the answer is cut rather than sent wrong.
    e.once('error', (error: Error) => res.destroy(error));
    e.on('drain', () => {
      if (encoderFull && !socketFull) {
        encoderFull = false;
        res.emit('drain');
      }
    });
    res.on('drain', () => {
      socketFull = false;
      e.resume();
    });
    // The client went away (or the response was destroyed): the encoder's memory is freed now.
    res.once('close', () => e.destroy());
    return e;
  };

  res.writeHead = function (this: CompressibleResponse, status: number, reason?: string | OutgoingHttpHeaders, headers?: OutgoingHttpHeaders) {
    if (encoder !== undefined || res.headersSent) return writeHead.apply(res, arguments as unknown as unknown[]);
    const given = typeof reason === 'object' ? reason : headers;
    // A raw header list (not used by the data plane) is sent as given, uncompressed.
    if (Array.isArray(given)) {
      encoder = null;
      return writeHead.apply(res, arguments as unknown as unknown[]);
    }
    // The head's fields joined to those set before, as writeHead would, so that the decision sees them all.
    if (given) for (const name of Object.keys(given)) if (given[name] !== undefined) res.setHeader(name, given[name]!);
    decide(status);
    return typeof reason === 'string' ? writeHead.call(res, status, reason) : writeHead.call(res, status);
  };

  // A stream cut on purpose (an upstream that broke mid-answer): what was written before the cut still reaches the
  // client, as it does uncompressed, so the encoder's pending output goes out first, then the connection breaks.
  res.destroy = function (this: CompressibleResponse, error?: Error) {
    const e = encoder;
    // A client that is not reading (the socket full) gets the break at once: waiting on it would hold the request.
    if (!e || e.destroyed || ended || socketFull || gone(res)) return destroy.apply(res, arguments as unknown as [Error?]);
    (e as Transform & { flush(done: () => void): void }).flush(() => destroy.call(res, error));
    return res;
  };

  if (flushHeaders) {
    res.flushHeaders = function () {
      if (encoder === undefined && !res.headersSent) res.writeHead(res.statusCode);
      flushHeaders.call(res);
    };
  }

  res.write = function (chunk: string | Uint8Array, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (encoder === undefined && !res.headersSent) res.writeHead(res.statusCode);
    if (!encoder) return write.apply(res, arguments as unknown as unknown[]);
    // A write after end() is dropped, as the encoder cannot take it.
    if (ended || encoder.destroyed) return false;
    const accepted = typeof encoding === 'function' ? encoder.write(chunk, encoding) : encoder.write(chunk, encoding ?? 'utf8', callback);
    if (!accepted) encoderFull = true;
    return accepted && !socketFull;
  };

  res.end = function (chunk?: string | Uint8Array | WriteCallback, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback) {
    if (encoder === undefined && !res.headersSent) {
      // The one body: its length is known. Decided without writing the head, so that a body sent as is
      // keeps the Content-Length the real end() gives it.
      endLength = typeof chunk === 'function' || chunk === undefined || chunk === null ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk.byteLength;
      decide(res.statusCode);
    }
    if (!encoder) return end.apply(res, arguments as unknown as unknown[]);
    if (ended) return res;
    ended = true;
    const done = typeof chunk === 'function' ? chunk : typeof encoding === 'function' ? encoding : callback;
    if (done) res.once('finish', done);
    if (typeof chunk === 'function' || chunk === undefined || chunk === null) encoder.end();
    else encoder.end(chunk, typeof encoding === 'string' ? encoding : 'utf8');
    return res;
  };
}

/** The response can take no more: destroyed (HTTP/1.1), or its stream is (HTTP/2's compatibility response has no `destroyed`). */
function gone(res: CompressibleResponse): boolean {
  return res.destroyed === true || (res as { stream?: { destroyed?: boolean } }).stream?.destroyed === true;
}

function contentLengthOf(value: OutgoingHttpHeader | undefined): number | undefined {
  if (value === undefined || Array.isArray(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
