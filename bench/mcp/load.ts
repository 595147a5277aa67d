/**
 * The MCP bench's load: raw HTTP (bench/shared/http-pool.ts), never the SDK client per call, whose own
 * cost would dominate what is measured. Sessions are opened as the spec says (initialize, then
 * notifications/initialized) with raw POSTs too. Runs are closed loops of N workers, one per session,
 * each with one request in flight (bench/shared/closed-loop.ts, paced or not).
 */
import type { Outcome } from '../shared/closed-loop';
import type { PooledAnswer, PooledHttp } from '../shared/http-pool';

/** The JSON-RPC result of a JSON or SSE answer carrying one response. */
export function resultOf(answer: PooledAnswer): Record<string, unknown> | undefined {
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
  readonly http: PooledHttp;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly id: string;
}

/** initialize + notifications/initialized, as a client must before any other request. */
export async function openSession(http: PooledHttp, path: string, auth: Record<string, string>): Promise<RawSession> {
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

/**
 * An MCP operation as a closed loop runs it: `op(worker)` resolves true on success (its whole time is
 * the latency), a number for a success that timed itself (ms: when it ends with untimed work), or false.
 */
export type McpOp = (worker: number) => Promise<boolean | number>;

/** `op` resolving its latency (ms) on success. */
export function timed(op: McpOp): (worker: number) => Promise<Outcome<number>> {
  return async (w) => {
    const start = performance.now();
    const outcome = await op(w);
    return outcome === true ? performance.now() - start : outcome;
  };
}
