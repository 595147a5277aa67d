import type { IncomingMessage } from 'http';
import { Errors, type GatewayError } from './errors';
import { StallWatch } from './stall-watch';

/**
 * A request body as an async iterable for a streamed upload, with the client's faults named as
 * such: a body that stalls for `timeoutMs` while the gateway waits for it fails with 408, a client
 * gone mid-body with 499. Whoever iterates it (the multipart reader, then the upstream request)
 * sees a GatewayError, never a bare stream error that would pass for the backend's failure.
 *
 * Pulls one chunk at a time: the request is paused while a chunk waits to be taken, so the
 * upstream's back-pressure reaches the client and nothing piles up here.
 */
export class ClientBody implements AsyncIterable<Buffer>, AsyncIterator<Buffer> {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private fault: GatewayError | undefined;
  private waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: Error) => void } | undefined;
  private readonly stall: StallWatch;

  public constructor(private readonly req: IncomingMessage, timeoutMs: number) {
    this.stall = new StallWatch(timeoutMs, () => this.waiter !== undefined, () => this.fail(Errors.bodyTimeout(timeoutMs)));
    req.on('data', this.onData);
    req.on('end', this.onEnd);
    req.on('error', this.onError);
    req.on('close', this.onClose);
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
      this.req.resume();
    });
  }

  /** The exchange is over: no timer or listener outlives it, and a read still waiting ends as the client's departure. */
  public stop(): void {
    if (this.ended || this.fault) return this.detach();
    this.fail(Errors.clientGone());
  }

  private readonly onData = (chunk: Buffer): void => {
    this.stall.tick();
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
    } else {
      this.queue.push(chunk);
    }
    // One chunk at a time: the next is read when it is asked for.
    this.req.pause();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.detach();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  };

  private readonly onError = (): void => this.fail(Errors.clientGone());

  private readonly onClose = (): void => {
    // 'close' before 'end': the client went away mid-body.
    if (!this.req.complete) this.fail(Errors.clientGone());
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
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    this.req.off('close', this.onClose);
  }
}
