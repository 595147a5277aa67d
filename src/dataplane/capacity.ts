import type { Socket } from 'net';

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

const OVER_CAPACITY_BODY = JSON.stringify({
  error: {
    message: "This gateway replica is at its share of the capacity spec's client connections. Retry; another replica may take it, or raise the gateway's spec.",
    type: 'api_error',
    param: null,
    code: 'too_many_connections',
  },
});

/** An excess connection gets a clean HTTP 503 and `Connection: close`, before any request is read. */
export function rejectConnection(socket: Socket): void {
  socket.end(
    'HTTP/1.1 503 Service Unavailable\r\n' +
      'Content-Type: application/json\r\n' +
      'Connection: close\r\n' +
      'Retry-After: 1\r\n' +
      `Content-Length: ${Buffer.byteLength(OVER_CAPACITY_BODY)}\r\n\r\n${OVER_CAPACITY_BODY}`,
  );
  // A client that never reads must not hold the socket.
  socket.setTimeout(5_000, () => socket.destroy());
}
