import type { IncomingMessage } from 'http';
import { Errors, type GatewayError } from './errors';
import type { InboundBandwidth } from './inflow/bandwidth';
import { RequestInflow } from './inflow/request-inflow';
import { StallWatch } from './stall-watch';

/**
 * A request body as an async iterable for a streamed upload, with the client's faults named as
 * such: a body that stalls for `timeoutMs` while the gateway waits for it fails with 408, a client
 * gone mid-body with 499. Whoever iterates it (the multipart reader, then the upstream request)
 * sees a GatewayError, never a bare stream error that would pass for the backend's failure.
 *
 * Pulls one chunk at a time: the request is paused while a chunk waits to be taken, so the
 * upstream's back-pressure reaches the client and nothing piles up here. A compressed body comes out
 * decompressed (the decoder holds at most its buffers), read at the replica's inbound bandwidth (inflow/):
 * the constructor throws 415 for a coding the gateway does not decode, and corrupt data fails the body
 * with 400. Whoever reads it bounds the decompressed size (the multipart reader, the agent proxy).
 */
export class ClientBody implements AsyncIterable<Buffer>, AsyncIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private fault: GatewayError | undefined;
  private waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: Error) => void } | undefined;
  private readonly stall: StallWatch;
  private readonly inflow: RequestInflow;

  /** @param wireLimitBytes the body limit, held against a compressed body's bytes as sent too (see RequestInflow) */
  public constructor(req: IncomingMessage, timeoutMs: number, bandwidth?: InboundBandwidth, wireLimitBytes?: number) {
    this.inflow = new RequestInflow(req, bandwidth, wireLimitBytes);
    // Time the bandwidth holds the body back is the gateway's doing, not the client's stall.
    this.stall = new StallWatch(timeoutMs, () => this.waiter !== undefined && !this.inflow.throttled, () => this.fail(Errors.bodyTimeout(timeoutMs)));
    this.inflow.start({ arrived: () => this.stall.tick(), data: this.onData, end: this.onEnd, fail: (error) => this.fail(error) });
  }

  /** The body's coding (`gzip`, `br`, …) when it arrived compressed: a limit crossed is then one of the decompressed size. */
  public get encoding(): string | undefined {
    return this.inflow.encoding;
  }

  /**
   * The reader is waiting for the client's next bytes right now: a deadline that passes at such a
   * moment passed because the client is slow, not because the upstream holds the body back.
   */
  public get awaitingClient(): boolean {
    return this.waiter !== undefined;
  }

  /** The client's fault that ended the body, if one did. */
  public get failure(): GatewayError | undefined {
    return this.fault;
  }

  public [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this;
  }

  public next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.queue.shift();
    if (chunk) return Promise.resolve({ value: chunk, done: false });
    if (this.fault) return Promise.reject(this.fault);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.inflow.resume();
    });
  }

  /** The exchange is over: no timer or listener outlives it, and a read still waiting ends as the client's departure. */
  public stop(): void {
    if (this.ended || this.fault) return this.detach();
    this.fail(Errors.clientGone());
  }

  private readonly onData = (chunk: Buffer): void => {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
    } else {
      this.queue.push(chunk);
    }
    // One chunk at a time: the next is read when it is asked for.
    this.inflow.pause();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  };

  private fail(error: GatewayError): void {
    if (this.ended || this.fault) return;
    this.fault = error;
    this.detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  private detach(): void {
    this.stall.stop();
    this.inflow.stop();
  }
}
