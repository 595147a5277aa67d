import type { RequestExtensions } from './contexts';
import { ResponseView } from './contexts';
import { runHook, SKIPPED } from './runner';
import type { StreamEvent } from '../../extensions';

/**
 * onStreamChunk over a streamed answer's events, after translation (the client's protocol): each event parsed
 * (`event`, `data`), passed to the hooks in order, sent as it was when none changed it, rebuilt when one did,
 * not sent when one dropped it; `end()` ends the stream after that event. A hook that fails under a closed
 * policy breaks the stream (its head is out: no status can say so), as an upstream break does.
 */
export class StreamHooks {
  /** A hook called `end()`: the relay sends what it has and ends the answer. */
  public ended = false;

  public constructor(private readonly state: RequestExtensions) {}

  /** `text`: whole events, as the relay would send them; resolves to what goes out instead. */
  public async apply(text: string): Promise<string> {
    let out = '';
    for (const raw of splitEvents(text)) {
      if (this.ended) break;
      out += await this.event(raw);
    }
    return out;
  }

  private async event(raw: string): Promise<string> {
    const parsed = parseEvent(raw);
    if (!parsed) return raw;
    const event: StreamEvent = { event: parsed.event, data: parsed.data };
    let dropped = false;
    const hooks = this.state.compiled.onStreamChunk;
    const request = this.state.request;
    for (let i = 0; i < hooks.length && !dropped; i++) {
      const ext = hooks[i]!;
      const onStreamChunk = ext.definition.onStreamChunk!;
      const extra = {
        request,
        event,
        drop: () => void (dropped = true),
        end: () => void (this.ended = true),
      };
      const result = runHook(this.state, ext, 'onStreamChunk', (call) => onStreamChunk.call(ext.definition, this.state.context(ext, call, extra)));
      if (result instanceof Promise) await result;
    }
    if (dropped) return '';
    if (event.event === parsed.event && event.data === parsed.data) return raw;
    return buildEvent(parsed.other, event);
  }
}

/**
 * onStreamEnd, once the streamed answer went out whole: each hook's failure is logged and counted, and changes
 * nothing (the answer is gone).
 */
export async function runStreamEnd(state: RequestExtensions): Promise<void> {
  const hooks = state.compiled.onStreamEnd;
  const response = state.response ?? new ResponseView(200, {}, undefined, true);
  for (const ext of hooks) {
    const onStreamEnd = ext.definition.onStreamEnd!;
    const result = runHook(state, ext, 'onStreamEnd', (call) => onStreamEnd.call(ext.definition, state.context(ext, call, { request: state.request, response })), 'report');
    if (result instanceof Promise) await result.catch(() => SKIPPED);
  }
}

/** Whole events in `text`, each with its blank line. */
function splitEvents(text: string): string[] {
  const events: string[] = [];
  const blank = /\r?\n\r?\n/g;
  let start = 0;
  for (let m = blank.exec(text); m; m = blank.exec(text)) {
    events.push(text.slice(start, m.index + m[0].length));
    start = blank.lastIndex;
  }
  if (start < text.length) events.push(text.slice(start));
  return events;
}

interface ParsedEvent {
  readonly event: string | undefined;
  readonly data: string;
  /** Lines other than `event:` and `data:` (`id:`, `retry:`), kept when the event is rebuilt; comments are not. */
  readonly other: string[];
}

/** An event's fields; undefined for one without data (a comment, a keep-alive): it passes as it is. */
function parseEvent(raw: string): ParsedEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  const other: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else other.push(line);
  }
  return data.length === 0 ? undefined : { event, data: data.join('\n'), other };
}

function buildEvent(other: readonly string[], event: StreamEvent): string {
  let out = '';
  for (const line of other) out += `${line}\n`;
  if (event.event !== undefined && event.event !== '') out += `event: ${String(event.event).replace(/[\r\n]/g, '')}\n`;
  for (const line of String(event.data).split(/\r?\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}
