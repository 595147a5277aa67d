import type { IncomingMessage } from 'http';
import type { Transform } from 'stream';
import type { InboundBandwidth } from './bandwidth';
import { requestDecoding } from './content-encoding';
import { Errors, type GatewayError } from '../errors';

/** What a body reader hears from the inflow. Calls stop after `end` or `fail`, and after the reader's `discard` or `stop`. */
export interface InflowSink {
  /** Bytes arrived from the client (before decoding): the reader's stall watch counts progress on them. */
  arrived(): void;
  /** A piece of the body, decoded. */
  data(chunk: Buffer): void;
  end(): void;
  /** The client is gone (499), or its compressed body is corrupt (400): nothing more comes. */
  fail(error: GatewayError): void;
}

/**
 * A request body on its way in: read off the client's connection at the replica's inbound bandwidth (one bucket
 * for every body of the replica), decompressed when its Content-Encoding says so, and handed to one reader (readBody
 * or ClientBody), which counts the decoded bytes against its limit. The connection is read only while the
 * bandwidth allows it, the decoder takes more and (uncompressed) the reader wants more: pausing the request
 * stops reading the socket, so the client is slowed by TCP back-pressure, never buffered for or dropped.
 *
 * The constructor throws 415 for a coding the gateway does not decode, before a byte is read.
 */
export class RequestInflow {
  /** The body's coding (`gzip`, `br`, …), or undefined when it is not compressed. */
  public readonly encoding: string | undefined;
  /** Bytes read off the connection so far (as sent: compressed). */
  public receivedBytes = 0;
  /** Bytes handed to the reader so far (decoded). */
  public decodedBytes = 0;
  private readonly decoder: Transform | undefined;
  private sink: InflowSink | undefined;
  /** The reader asked for no more for now. */
  private paused = false;
  /** The decoder's input is full: more is read when it drains. */
  private decoderFull = false;
  /** Held back by the bandwidth until this timer fires. */
  private held: NodeJS.Timeout | undefined;
  /** The reader gave up on the body (413, corrupt data): the rest is read, counted and dropped, so that the client sees the answer. */
  private discarding = false;
  private stopped = false;

  public constructor(
    private readonly req: IncomingMessage,
    private readonly bandwidth: InboundBandwidth | undefined,
    /**
     * The body limit, held against the bytes as sent too when they are compressed: a stream that decodes to
     * almost nothing (empty deflate blocks) would otherwise be read, and paid for by the shared bucket, forever.
     */
    private readonly wireLimitBytes?: number,
  ) {
    const decoding = requestDecoding(req.headers);
    this.encoding = decoding?.encoding;
    this.decoder = decoding?.decoder();
  }

  /** The bandwidth is holding this body back right now: time that passes is not the client's stall. */
  public get throttled(): boolean {
    return this.held !== undefined;
  }

  public start(sink: InflowSink): void {
    this.sink = sink;
    const decoder = this.decoder;
    if (decoder) {
      decoder.on('data', this.onDecoded);
      decoder.on('end', this.onDecodedEnd);
      decoder.on('error', this.onDecodeError);
    }
    this.req.on('data', this.onData);
    this.req.on('end', this.onEnd);
    this.req.on('error', this.onError);
    this.req.on('close', this.onClose);
    this.flow();
  }

  /** The reader takes no more for now (its consumer pushes back). */
  public pause(): void {
    this.paused = true;
    if (this.decoder) this.decoder.pause();
    else this.flow();
  }

  public resume(): void {
    this.paused = false;
    if (this.decoder) this.decoder.resume();
    else this.flow();
  }

  /**
   * The reader has its answer (413): decoding stops at once (a decompression bomb is never inflated further), and
   * the rest of the body is read and dropped, still at the bandwidth's pace, so that the client is not reset
   * before it reads the answer. The server's request timeout bounds how long that lasts.
   */
  public discard(): void {
    if (this.stopped || this.discarding) return;
    this.discarding = true;
    this.sink = undefined;
    this.stopDecoder();
    if (this.req.readableEnded || this.req.destroyed) return this.stop();
    this.flow();
  }

  /** Detaches from the request and frees the decoder: no listener or timer outlives the reading. The request is left as it is. */
  public stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sink = undefined;
    clearTimeout(this.held);
    this.held = undefined;
    this.stopDecoder();
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    this.req.off('close', this.onClose);
  }

  /** Reads from the connection when nothing holds it back: the bandwidth, a full decoder, or a paused reader of an uncompressed body. */
  private flow(): void {
    if (this.stopped) return;
    const wanted = this.discarding || this.decoder !== undefined || !this.paused;
    if (this.held === undefined && !this.decoderFull && wanted) this.req.resume();
    else this.req.pause();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.receivedBytes += chunk.length;
    // What is read only to be dropped (after a 413 or a corrupt stream) goes at line rate, as before the bucket:
    // paying for it would let one refused upload hold every other tenant's back.
    if (this.discarding) return;
    if (this.decoder && this.wireLimitBytes !== undefined && this.receivedBytes > this.wireLimitBytes) {
      const sink = this.sink;
      this.discard();
      sink?.fail(Errors.tooLarge(this.wireLimitBytes));
      return;
    }
    this.meter(chunk.length);
    this.sink?.arrived();
    const decoder = this.decoder;
    if (!decoder) {
      this.decodedBytes += chunk.length;
      this.sink?.data(chunk);
      return;
    }
    if (!decoder.write(chunk)) {
      this.decoderFull = true;
      decoder.once('drain', this.onDrain);
      this.flow();
    }
  };

  /** The bytes count against the replica's bandwidth; reading pauses until the bucket has paid for them. */
  private meter(bytes: number): void {
    const waitMs = this.bandwidth?.take(bytes) ?? 0;
    if (waitMs <= 0) return;
    // A chunk that came while held (already buffered when the request paused) lengthens the wait to the bucket's new one.
    clearTimeout(this.held);
    this.held = setTimeout(this.release, Math.ceil(waitMs));
    this.flow();
  }

  private readonly release = (): void => {
    this.held = undefined;
    this.flow();
  };

  private readonly onDrain = (): void => {
    this.decoderFull = false;
    this.flow();
  };

  private readonly onDecoded = (chunk: Buffer): void => {
    this.decodedBytes += chunk.length;
    this.sink?.data(chunk);
  };

  private readonly onEnd = (): void => {
    if (this.discarding) return this.stop();
    // No bytes at all is an empty body whatever the header says (a client that sets Content-Encoding on every
    // request), not a corrupt stream: the decoder would call it a truncated one.
    if (this.decoder && this.receivedBytes > 0) this.decoder.end();
    else this.finish();
  };

  private readonly onDecodedEnd = (): void => this.finish();

  private finish(): void {
    const sink = this.sink;
    this.stop();
    sink?.end();
  }

  private readonly onDecodeError = (e: Error): void => {
    const sink = this.sink;
    const error = Errors.badContentEncoding(this.encoding ?? 'identity', e.message);
    this.discard();
    sink?.fail(error);
  };

  // An error on the request stream is the client's connection failing under it ('aborted', a reset): the client is gone.
  private readonly onError = (): void => {
    const sink = this.sink;
    this.stop();
    sink?.fail(Errors.clientGone());
  };

  private readonly onClose = (): void => {
    // 'close' before 'end': the client went away mid-body.
    if (!this.req.complete) this.onError();
    else if (this.discarding) this.stop();
  };

  private stopDecoder(): void {
    const decoder = this.decoder;
    if (!decoder || decoder.destroyed) return;
    decoder.off('data', this.onDecoded);
    decoder.off('end', this.onDecodedEnd);
    decoder.off('drain', this.onDrain);
    // A late error of a decoder that is being torn down is nobody's concern.
    decoder.off('error', this.onDecodeError);
    decoder.on('error', () => undefined);
    decoder.destroy();
    this.decoderFull = false;
  }
}
