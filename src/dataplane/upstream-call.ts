import type { IncomingHttpHeaders } from 'http';
import type { Readable } from 'stream';
import type { Dispatcher } from 'undici';

/**
 * One HTTP request to an upstream over its keep-alive pool, through undici's dispatch API.
 *
 * Why not `pool.request()`: that wraps every response in a Readable, a promise per chunk (async
 * iteration), an AbortSignal listener and end-of-stream bookkeeping. In the benchmark profile those
 * were a fifth of the allocations per proxied request, and the garbage they left is what the tail
 * latency paid for in GC pauses. Here the response is three callbacks and a small chunk queue.
 */
export interface UpstreamCallOptions {
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string>;
  /** None for GET and HEAD. */
  readonly body: string | Buffer | Readable | undefined;
  /** Time to the response headers (undici's headersTimeout). */
  readonly headersTimeoutMs: number;
  /** Longest silence between body chunks (undici's bodyTimeout). */
  readonly bodyTimeoutMs: number;
}

/** Receives body chunks; a returned promise pauses the upstream until it settles (backpressure). */
export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

/**
 * An upstream's answer: status and headers as soon as they arrive; the body is read once, either
 * whole (`text`) or chunk by chunk (`forEachChunk`). Chunks that arrive before the reader attaches
 * (a small answer comes with its headers in one socket read) are queued, not lost.
 */
export class UpstreamResponse {
  private readonly queued: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private sink: ChunkSink | undefined;
  private settle: ((error?: Error) => void) | undefined;
  private busy = false;
  private claimed = false;

  public constructor(
    public readonly statusCode: number,
    public readonly headers: IncomingHttpHeaders,
    private readonly controller: Dispatcher.DispatchController,
  ) {}

  /** The whole body as UTF-8 text. */
  public async text(): Promise<string> {
    const parts: Buffer[] = [];
    await this.forEachChunk((chunk) => {
      parts.push(chunk);
    });
    return parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8');
  }

  /** Calls `sink` with each chunk in order; resolves at the end of the body, rejects on an upstream or transport error. */
  public forEachChunk(sink: ChunkSink): Promise<void> {
    if (this.claimed) return Promise.reject(new Error('the upstream body is already being read'));
    this.claimed = true;
    this.sink = sink;
    return new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
      this.drain();
    });
  }

  /** True once the body has ended or failed. */
  public get complete(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** Stops reading the body and closes the upstream request (the connection is not reused). */
  public abort(reason: Error): void {
    if (!this.complete) this.controller.abort(reason);
  }

  /** @internal from the dispatch handler */
  public push(chunk: Buffer): void {
    this.queued.push(chunk);
    this.drain();
  }

  /** @internal */
  public end(error?: Error): void {
    if (error) this.failure = error;
    else this.ended = true;
    this.drain();
  }

  /**
   * Hands queued chunks to the sink, pausing the upstream while the sink waits. A failure ends the
   * reading at once (chunks still queued are dropped), and so does a sink that throws or rejects.
   */
  private drain(): void {
    if (!this.sink || this.busy) return;
    if (this.failure) return this.stop(this.failure);
    while (this.queued.length > 0) {
      let result: void | Promise<void>;
      try {
        result = this.sink(this.queued.shift()!);
      } catch (error) {
        return this.stop(error as Error);
      }
      if (result) {
        this.busy = true;
        if (!this.controller.paused) this.controller.pause();
        result.then(
          () => {
            this.busy = false;
            // A pause that outlived the response must not resume a socket that has moved on to another request.
            if (this.controller.paused && !this.complete) this.controller.resume();
            this.drain();
          },
          (error: Error) => {
            this.busy = false;
            this.stop(error);
          },
        );
        return;
      }
      if (this.failure) return this.stop(this.failure);
    }
    if (this.ended) this.finish();
  }

  /** Ends the reading with `error`: nothing more reaches the sink, and the upstream request is closed. */
  private stop(error: Error): void {
    this.queued.length = 0;
    this.abort(error);
    this.finish(error);
  }

  private finish(error?: Error): void {
    const settle = this.settle;
    this.settle = undefined;
    // undici may hold its request objects (and through them this response) for a while after the
    // end: let go of the reader, which reaches the whole client request, so none of it outlives its turn.
    this.sink = undefined;
    settle?.(error);
  }
}

/** A request in flight: its response (once the headers are in), and the way to cancel it. */
export interface UpstreamCall {
  readonly response: Promise<UpstreamResponse>;
  abort(reason: Error): void;
  /** Ends the request if its body was not read to the end (an attempt that gave up on it); else nothing. */
  release(): void;
}

/**
 * Sends the request; resolves with the response once its headers are in. `abort` (client gone,
 * total timeout) rejects at once, whether the request is still queued in the pool or on the wire.
 */
export function callUpstream(pool: Dispatcher, options: UpstreamCallOptions): UpstreamCall {
  let controller: Dispatcher.DispatchController | undefined;
  let response: UpstreamResponse | undefined;
  let abortedWith: Error | undefined;
  let rejectHead: ((error: Error) => void) | undefined;
  const head = new Promise<UpstreamResponse>((resolve, reject) => {
    rejectHead = reject;
    pool.dispatch(
      {
        path: options.path,
        method: options.method,
        headers: options.headers,
        body: options.body ?? null,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.bodyTimeoutMs,
      },
      {
        onRequestStart: (c) => {
          controller = c;
          if (abortedWith) c.abort(abortedWith);
        },
        onResponseStart: (c, statusCode, headers) => {
          // 1xx informational answers come before the real one.
          if (statusCode < 200) return;
          response = new UpstreamResponse(statusCode, headers, c);
          resolve(response);
        },
        onResponseData: (_c, chunk) => {
          response?.push(chunk);
        },
        onResponseEnd: () => {
          response?.end();
        },
        onResponseError: (_c, error) => {
          if (response) response.end(abortedWith ?? error);
          else reject(abortedWith ?? error);
        },
      },
    );
  });
  function abort(reason: Error): void {
    if (abortedWith || response?.complete) return;
    abortedWith = reason;
    if (controller && !controller.aborted) controller.abort(reason);
    if (!response) rejectHead?.(reason);
  }
  return {
    response: head,
    abort,
    release: () => {
      if (!abortedWith && !response?.complete) abort(new Error('the attempt ended before the upstream body was read'));
    },
  };
}
