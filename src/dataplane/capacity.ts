import { STATUS_CODES } from 'http';
import type { Socket } from 'net';
import { Errors, type GatewayError } from './errors';

/** Time source of the QPS ceiling; tests inject a fake one. */
export interface TickSource {
  now(): number;
}

/**
 * The replica's QPS ceiling: a token bucket holding one second of the replica's share of the spec,
 * refilled continuously. O(1) per request, no timers.
 */
export class QpsCeiling {
  private tokens: number;
  private last: number;

  public constructor(
    private readonly qps: number,
    private readonly clock: TickSource = { now: () => performance.now() },
  ) {
    this.tokens = qps;
    this.last = clock.now();
  }

  public tryTake(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.qps, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The whole answer to an excess connection, written straight to the socket (no request was read, so
 * there is no response object): built once from the catalog's error.
 */
const OVER_CAPACITY = rawErrorResponse(Errors.tooManyConnections());

function rawErrorResponse(error: GatewayError): string {
  const body = error.body();
  let head = `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\nContent-Type: application/json\r\nConnection: close\r\n`;
  for (const [name, value] of Object.entries(error.headers)) head += `${name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase())}: ${value}\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** An excess connection gets a clean HTTP 503 and `Connection: close`, before any request is read. */
export function rejectConnection(socket: Socket): void {
  socket.end(OVER_CAPACITY);
  // A client that never reads must not hold the socket.
  socket.setTimeout(5_000, () => socket.destroy());
}
