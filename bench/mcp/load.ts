/**
 * The MCP bench's load: raw HTTP with undici (keep-alive pool, its dispatch API: no stream objects per
 * request), never the SDK client per call, whose own cost would dominate what is measured. Sessions
 * are opened as the spec says (initialize, then notifications/initialized) with raw POSTs too.
 * Runs are closed loops of N workers, one per session, each with one request in flight; with a pace,
 * each worker sends at most `rate / N` per second (the next call leaves on schedule or when the last
 * one returned, whichever is later), so latency is measured below saturation, not as queueing.
 */
import type { IncomingHttpHeaders } from 'http';
import { setTimeout as sleep } from 'timers/promises';
import { Pool } from 'undici';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** One origin's keep-alive pool. */
export class Http {
  private readonly pool: Pool;

  public constructor(
    public readonly origin: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  }

  public send(method: 'GET' | 'POST' | 'DELETE', path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      let status = 0;
      let head: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      this.pool.dispatch(
        { origin: this.origin, path, method, headers, body, headersTimeout: 10_000, bodyTimeout: 10_000 },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode, headers) => {
            status = statusCode;
            head = headers;
          },
          onResponseData: (_controller, chunk) => void chunks.push(chunk),
          onResponseEnd: () => resolve({ status, headers: head, text: Buffer.concat(chunks).toString('utf8') }),
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  }

  public close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** The JSON-RPC result of a JSON or SSE answer carrying one response. */
export function resultOf(answer: Answer): Record<string, unknown> | undefined {
  const ct = String(answer.headers['content-type'] ?? '');
  const text = ct.startsWith('text/event-stream')
    ? answer.text
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .find((d) => d.includes('"result"') || d.includes('"error"'))
    : answer.text;
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { result?: Record<string, unknown> }).result;
  } catch {
    return undefined;
  }
}

const PROTOCOL_VERSION = '2025-06-18';
const BASE_HEADERS = { 'accept': 'application/json, text/event-stream', 'content-type': 'application/json' };

/** An open MCP session over raw HTTP: the headers each later request carries. */
export interface RawSession {
  readonly http: Http;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly id: string;
}

/** initialize + notifications/initialized, as a client must before any other request. */
export async function openSession(http: Http, path: string, auth: Record<string, string>): Promise<RawSession> {
  const init = await http.send(
    'POST',
    path,
    { ...BASE_HEADERS, ...auth },
    JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'aigw-mcp-bench', version: '1.0.0' } } }),
  );
  const id = init.headers['mcp-session-id'];
  const result = resultOf(init);
  if (init.status !== 200 || typeof id !== 'string' || !result) throw new Error(`initialize at ${http.origin}${path}: HTTP ${init.status} ${init.text.slice(0, 200)}`);
  const headers = { ...BASE_HEADERS, ...auth, 'mcp-session-id': id, 'mcp-protocol-version': String(result.protocolVersion ?? PROTOCOL_VERSION) };
  const ack = await http.send('POST', path, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  if (ack.status !== 202) throw new Error(`notifications/initialized at ${http.origin}${path}: HTTP ${ack.status} ${ack.text.slice(0, 200)}`);
  return { http, path, headers, id };
}

export async function closeSession(s: RawSession): Promise<void> {
  const res = await s.http.send('DELETE', s.path, s.headers);
  if (res.status >= 300) throw new Error(`DELETE session: HTTP ${res.status}`);
}

let nextId = 1;
/** tools/call; true when the answer is a result (not an error) containing `expect`. */
export async function callTool(s: RawSession, name: string, args: Record<string, unknown>, expect: string): Promise<boolean> {
  const res = await s.http.send('POST', s.path, s.headers, JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } }));
  return res.status === 200 && res.text.includes(expect) && !res.text.includes('"isError":true');
}

export interface LoadResult {
  /** Successful operations. */
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  /** Latency of each successful operation, ms, unsorted. */
  readonly latencies: number[];
}

/**
 * `workers` closed loops of `op` for `durationMs`. `op(worker)` resolves true on success (its whole
 * time is the latency), a number for a success that timed itself (ms: when it ends with untimed work),
 * or false. With `ratePerS`, the loops together send at most that many per second.
 */
export async function closedLoop(workers: number, durationMs: number, op: (worker: number) => Promise<boolean | number>, ratePerS?: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const end = t0 + durationMs;
  const interval = ratePerS ? (1000 * workers) / ratePerS : 0;
  const loop = async (w: number): Promise<void> => {
    // Spread the paced workers' first sends over one interval, so they do not leave in step.
    let due = t0 + (interval * w) / workers;
    for (;;) {
      if (interval > 0) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        due += interval;
      }
      const start = performance.now();
      if (start >= end) return;
      try {
        const outcome = await op(w);
        if (outcome === false) errors++;
        else latencies.push(outcome === true ? performance.now() - start : outcome);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message.slice(0, 200);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w)));
  const seconds = (performance.now() - t0) / 1000;
  return { ok: latencies.length, errors, firstError, seconds, latencies };
}
