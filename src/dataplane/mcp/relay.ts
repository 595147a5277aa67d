import { RecordedErrors } from '../errors';
import { toolResultsOf } from '../extensions/tools';
import { boundedForLog } from '../log-bounds';
import { eventData, SseFramer } from '../sse';
import type { UpstreamResponse } from '../upstream-call';
import { SseWriter, sseEvent } from './answer';
import type { CallLog } from './calls';
import type { CompiledMcpProxy } from './compile';
import type { Exchange } from './front';
import { errorResponse, RpcErrors } from './jsonrpc';
import { filteredToolsResult } from './tools';
import { readBounded } from './upstream';

/**
 * What the gateway does to the upstream's messages on their way to the client, in JSON answers and SSE
 * streams alike: a tool list loses the tools the caller may not use; an answer closes its request's
 * accounting; the upstream's credential is scrubbed. Everything else (server-to-client requests such
 * as elicitation/create, sampling/createMessage, roots/list; progress and other notifications) passes
 * through as it came.
 */

/** One SSE event the upstream is still writing may not grow past this: the framer holds it whole until its blank line. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** The message (or a batch's array) with tool lists filtered, or undefined when nothing changed; answers are noted in `calls`. */
export function inspect(x: Exchange, calls: CallLog, message: unknown): unknown {
  if (Array.isArray(message)) {
    let changed = false;
    const out = message.map((m) => {
      const r = inspect(x, calls, m);
      if (r !== undefined) changed = true;
      return r ?? m;
    });
    return changed ? out : undefined;
  }
  if (message === null || typeof message !== 'object') return undefined;
  const m = message as Record<string, unknown>;
  // A response: an id and a result or an error, no method (a method makes it a server-to-client request).
  if ('method' in m || !('id' in m) || !('result' in m || 'error' in m)) return undefined;
  const filtered = 'result' in m ? filteredToolsResult(m.result, x.may) : undefined;
  const relayed = filtered ? { ...m, result: filtered } : m;
  const id = m.id as string | number | null;
  if (calls.isOpen(id)) calls.answered(id, relayed);
  return filtered ? relayed : undefined;
}

/**
 * As `inspect`, after the extensions' onToolResult over the answers to tools/calls (extensions/tools.ts) when the
 * config has such hooks: a promise only when a hook is async.
 */
export function inspectAnswers(x: Exchange, calls: CallLog, message: unknown): unknown {
  if (x.ctx.snapshot.extensions.onToolResult.length === 0) return inspect(x, calls, message);
  const hooked = toolResultsOf(x, calls, message);
  const after = (m: unknown): unknown => inspect(x, calls, m) ?? (m === message ? undefined : m);
  return hooked instanceof Promise ? hooked.then(after) : after(hooked);
}

/** A JSON answer: parsed, inspected, scrubbed; `answered` (the gateway's own answers in a batch) joins it. A promise only when an onToolResult hook is async. */
export function relayJsonText(x: Exchange, calls: CallLog, text: string, answered: readonly Record<string, unknown>[]): Buffer | Promise<Buffer> {
  const route = x.route as CompiledMcpProxy;
  let parsed: unknown;
  try {
    // A UTF-8 byte-order mark is read past by clients' JSON parsers: past it here too, or a tool list behind one would go out unfiltered.
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    // Not JSON: the client cannot read a tool list out of it either. Relayed as it came, scrubbed.
    return route.upstream.scrubber.buffer(Buffer.from(text, 'utf8'));
  }
  const changed = inspectAnswers(x, calls, parsed);
  if (changed instanceof Promise) return changed.then((c) => jsonOut(route, text, parsed, c, answered));
  return jsonOut(route, text, parsed, changed, answered);
}

/** The JSON answer to send: the upstream's text when nothing changed and nothing joins it, else re-serialized; scrubbed. */
function jsonOut(route: CompiledMcpProxy, text: string, parsed: unknown, changed: unknown, answered: readonly Record<string, unknown>[]): Buffer {
  let out = changed ?? parsed;
  if (answered.length > 0) out = [...answered, ...(Array.isArray(out) ? out : [out])];
  const body = changed === undefined && answered.length === 0 ? text : JSON.stringify(out);
  return route.upstream.scrubber.buffer(Buffer.from(body, 'utf8'));
}

/**
 * An SSE stream, relayed event by event as it arrives (never buffered whole): each event framed before
 * it is parsed, inspected, scrubbed and written with the client's backpressure. When the upstream breaks
 * off, the requests still waiting get a JSON-RPC error on the stream, which the caller then ends (or,
 * on the legacy transport, keeps): the client's call fails, its session and the gateway carry on.
 */
export async function relaySse(x: Exchange, calls: CallLog, response: UpstreamResponse, out: Pick<SseWriter, 'write'>): Promise<void> {
  const route = x.route as CompiledMcpProxy;
  const framer = new SseFramer();
  let unframed = 0;
  // With onToolResult hooks, an event may wait for one (async): the events then go out one after the other.
  const hooked = x.ctx.snapshot.extensions.onToolResult.length > 0;
  try {
    await response.forEachChunk((chunk) => {
      const events = framer.push(chunk);
      if (events.length === 0) {
        unframed += chunk.length;
        if (unframed > MAX_EVENT_BYTES) throw new Error(`an SSE event over ${MAX_EVENT_BYTES} bytes`);
        return undefined;
      }
      unframed = 0;
      if (hooked) return writeInOrder(x, calls, events, out);
      let wait: void | Promise<void> = undefined;
      for (const event of events) wait = out.write(route.upstream.scrubber.buffer(Buffer.from(inspectEvent(x, calls, event) as string, 'utf8')));
      return wait;
    });
    // An event left without its blank line when the stream ends is incomplete: SSE discards it.
    framer.flush();
  } catch (e) {
    if (x.ctx.cancellation.cancelled || x.ctx.res.destroyed) return;
    // The upstream broke off: its failure, told to whoever waits on this stream.
    route.upstream.breaker.failure();
    x.ctx.record.error = RecordedErrors.upstreamStreamFailed;
    x.ctx.record.errorDetail = boundedForLog((e as Error).message ?? String(e));
    for (const id of calls.pending()) {
      const error = RpcErrors.upstreamFailed(route.name, 'the upstream stream broke off');
      calls.finish(id, 'upstream_failed', error.code);
      await out.write(sseEvent(errorResponse(id, error)));
    }
  }
}

/** Events written in order, each once its onToolResult hooks are done, with the client's backpressure. */
async function writeInOrder(x: Exchange, calls: CallLog, events: readonly string[], out: Pick<SseWriter, 'write'>): Promise<void> {
  const route = x.route as CompiledMcpProxy;
  for (const event of events) {
    const inspected = inspectEvent(x, calls, event);
    const text = inspected instanceof Promise ? await inspected : inspected;
    const wait = out.write(route.upstream.scrubber.buffer(Buffer.from(text, 'utf8')));
    if (wait) await wait;
  }
}

/**
 * One framed event: a message event's JSON inspected, rewritten only when a tool list was filtered or an
 * onToolResult hook changed a result (a promise only when such a hook is async).
 */
function inspectEvent(x: Exchange, calls: CallLog, event: string): string | Promise<string> {
  const data = eventData(event);
  if (data === undefined || data === '' || !isMessageEvent(event)) return event;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return event;
  }
  const changed = inspectAnswers(x, calls, message);
  const rewritten = (c: unknown): string => (c === undefined ? event : withData(event, JSON.stringify(c)));
  return changed instanceof Promise ? changed.then(rewritten) : rewritten(changed);
}

/** An event without an `event:` field, or `event: message`, carries a JSON-RPC message. */
function isMessageEvent(event: string): boolean {
  for (const line of event.split(/\r?\n/)) if (line.startsWith('event:')) return line.slice(6).trim() === 'message';
  return true;
}

/** The event with its data replaced; its other fields (`id:`, `event:`, `retry:`) kept, so resumption still works. */
function withData(event: string, data: string): string {
  const fields = event.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith('data:'));
  return `${[...fields, `data: ${data}`].join('\n')}\n\n`;
}

/** A JSON answer of the upstream may not be longer than this: it is read whole to be inspected. */
export const MAX_JSON_BYTES = 32 * 1024 * 1024;

/** The answer's media type, lower case, without parameters. */
export function mediaType(response: UpstreamResponse): string {
  return String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The upstream's answer to a POST, to the client: an SSE stream relayed as it comes, or a JSON body read
 * (up to MAX_JSON_BYTES), inspected and scrubbed; `answered` (the gateway's own answers) go first or join
 * it. Resolves to the read's failure when the JSON body was over its bound (nothing written yet: the
 * caller answers it), else undefined.
 */
export async function relayAnswer(
  x: Exchange,
  calls: CallLog,
  response: UpstreamResponse,
  headers: Record<string, string>,
  answered: readonly Record<string, unknown>[],
): Promise<Error | undefined> {
  const { ctx } = x;
  if (mediaType(response) === 'text/event-stream') {
    const writer = new SseWriter(ctx, headers);
    for (const a of answered) await writer.write(sseEvent(a));
    await relaySse(x, calls, response, writer);
    writer.end();
    return undefined;
  }
  let text: string;
  try {
    text = await readBounded(response, MAX_JSON_BYTES);
  } catch (e) {
    return e as Error;
  }
  const relayed = relayJsonText(x, calls, text, answered);
  const out = relayed instanceof Promise ? await relayed : relayed;
  ctx.res.writeHead(200, { ...headers, 'content-type': String(response.headers['content-type'] ?? 'application/json'), 'content-length': out.length });
  ctx.res.end(out);
  return undefined;
}
