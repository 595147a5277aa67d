/**
 * Writes simulator responses — JSON, SSE frames, chunked binary — applying the fault's `dropAfterChunks`,
 * the configured chunk delay, and the simulator's cancellation on close.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Exchange } from './exchange';

export interface ResponderOptions {
  readonly name: string;
  readonly chunkDelayMs: number;
  /** Aborted when the simulator closes: cancels delays, and cancelled streams are then not counted. */
  readonly closing: AbortSignal;
  /** Called when the client closes a stream before its last frame (and no fault dropped it). */
  readonly onClientCancel: () => void;
}

export class Responder {
  public constructor(private readonly options: ResponderOptions) {}

  /** Sends a JSON response; with `dropAfterChunks` > 0, sends the headers and half the body, then closes the socket. */
  public json(exchange: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.payload(exchange, status, Buffer.from(JSON.stringify(body), 'utf8'), { 'content-type': 'application/json', ...headers });
  }

  /** Sends a text body (e.g. a transcription in `response_format: 'text'`), truncated like `json` by `dropAfterChunks`. */
  public text(exchange: Exchange, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
    this.payload(exchange, status, Buffer.from(text, 'utf8'), { 'content-type': contentType });
  }

  /** Sends a small body whole, with a content-length; with `dropAfterChunks` > 0, sends half of it, then closes the socket. */
  public payload(exchange: Exchange, status: number, payload: Buffer, headers: Record<string, string>): void {
    const { res, dropAfterChunks } = exchange;
    res.writeHead(status, { 'content-length': String(payload.length), ...this.baseHeaders(exchange), ...headers });
    if (dropAfterChunks !== undefined && dropAfterChunks > 0) {
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(payload);
  }

  /**
   * Streams complete SSE frames (`data: ...\n\n` or `event: ...\ndata: ...\n\n`), each as its own write.
   * With `dropAfterChunks`, closes the socket after that many frames. `pauseMs` replaces the configured
   * chunk delay for this stream (the agent simulators' `[[slow:N]]`).
   */
  public async frames(exchange: Exchange, frames: readonly string[], headers: Record<string, string> = {}, pauseMs?: number): Promise<void> {
    this.watchCancel(exchange);
    exchange.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...this.baseHeaders(exchange), ...headers });
    exchange.res.flushHeaders();
    await this.writePieces(exchange, frames, pauseMs);
  }

  /** Streams a binary body with chunked transfer encoding, each piece its own write; `dropAfterChunks` counts pieces. */
  public async binary(exchange: Exchange, contentType: string, pieces: Iterable<Buffer>): Promise<void> {
    this.watchCancel(exchange);
    exchange.res.writeHead(200, { 'content-type': contentType, ...this.baseHeaders(exchange) });
    exchange.res.flushHeaders();
    await this.writePieces(exchange, pieces);
  }

  public async delay(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, undefined, { signal: this.options.closing });
  }

  private baseHeaders(exchange: Exchange): Record<string, string> {
    return { 'x-request-id': exchange.requestId, 'x-simulator-name': this.options.name };
  }

  /** A stream that ends before its last piece while no fault dropped it was cancelled by the client (the proxy). */
  private watchCancel(exchange: Exchange): void {
    const { res, dropAfterChunks } = exchange;
    res.once('close', () => {
      if (!res.writableFinished && dropAfterChunks === undefined && !this.options.closing.aborted) this.options.onClientCancel();
    });
  }

  private async writePieces(exchange: Exchange, pieces: Iterable<string | Buffer>, pauseMs?: number): Promise<void> {
    const { res, dropAfterChunks } = exchange;
    const iterator = pieces[Symbol.iterator]();
    let next = iterator.next();
    for (let i = 0; next.done !== true; i++) {
      if (i > 0) await this.pauseBetweenChunks(pauseMs);
      if (res.destroyed) return;
      const piece = next.value;
      next = iterator.next();
      if (next.done === true && dropAfterChunks === undefined) {
        res.end(piece);
        return;
      }
      await write(res, piece);
      if (dropAfterChunks !== undefined && i + 1 >= dropAfterChunks) {
        res.socket?.destroy();
        return;
      }
    }
    res.end();
  }

  private async pauseBetweenChunks(pauseMs = this.options.chunkDelayMs): Promise<void> {
    if (pauseMs > 0) {
      await this.delay(pauseMs);
    } else {
      // Still yield to the event loop, so each piece leaves as its own write.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function write(res: ServerResponse, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(data, (error) => (error ? reject(error) : resolve()));
  });
}
