import { drained } from '../backpressure';
import type { GatewayError } from '../errors';
import type { RequestContext } from '../request-context';
import { errorResponse, type JsonRpcId, rpcCodeOf } from './jsonrpc';

/**
 * How the MCP front writes its answers: JSON bodies, HTTP-level refusals as JSON-RPC error bodies (the
 * way the SDK server writes them, so MCP clients show the message), and SSE streams kept alive.
 */

/** Idle SSE streams get a comment this often, so that proxies and clients do not cut them (Cursor drops silent streams at ~5 min). */
export const SSE_KEEPALIVE_MS = 15_000;
const KEEPALIVE = Buffer.from(': keepalive\n\n');

export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' } as const;

export function sendJson(ctx: RequestContext, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  ctx.res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  ctx.res.end(body);
}

/** A catalog error as an MCP client reads it: the HTTP status, and a JSON-RPC error body with the message. */
export function sendRpcError(ctx: RequestContext, error: GatewayError, id: JsonRpcId | null = null): void {
  ctx.record.error = error.code;
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  sendJson(ctx, error.status, errorResponse(id, { code: rpcCodeOf(error), message: error.message }), error.headers);
}

/** Writes SSE events with the client's backpressure; a comment goes out whenever nothing else did for SSE_KEEPALIVE_MS. */
export class SseWriter {
  private readonly timer: NodeJS.Timeout;

  public constructor(private readonly ctx: RequestContext, headers: Record<string, string>) {
    ctx.res.writeHead(200, { ...SSE_HEADERS, ...headers });
    // Headers out at once: the client knows the stream is open before the first event.
    ctx.res.flushHeaders();
    this.timer = setInterval(() => {
      if (!ctx.res.writableEnded && !ctx.res.destroyed) ctx.res.write(KEEPALIVE);
    }, SSE_KEEPALIVE_MS);
    this.timer.unref();
    ctx.res.once('close', () => clearInterval(this.timer));
  }

  /** One or more whole events. Resolves at once unless the client is slow to read. */
  public write(bytes: Buffer | string): void | Promise<void> {
    // A stream the client has left takes nothing more (the legacy transport's POSTs may still be answering into it).
    if (bytes.length === 0 || this.ctx.res.writableEnded || this.ctx.res.destroyed) return undefined;
    // Any write is a sign of life: the next comment is due SSE_KEEPALIVE_MS from now.
    this.timer.refresh();
    return this.ctx.res.write(bytes) ? undefined : drained(this.ctx);
  }

  public end(): void {
    clearInterval(this.timer);
    if (!this.ctx.res.destroyed) this.ctx.res.end();
  }

  /** Cuts the stream off, whatever it still buffers (a client that stopped reading). */
  public destroy(): void {
    clearInterval(this.timer);
    this.ctx.res.destroy();
  }
}

/** One JSON-RPC message as an SSE event, as the SDK server writes them. */
export function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}
