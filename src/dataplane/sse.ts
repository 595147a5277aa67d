/**
 * Frames a byte stream of Server-Sent Events into whole events before anything parses them, as the
 * WHATWG SSE parser reads it: upstream chunk boundaries fall anywhere (inside a UTF-8 character,
 * between the `\r` and `\n` of a CRLF), lines end in CRLF, LF or a lone CR in any mix, and an event
 * ends at an empty line.
 *
 * Events come out as the upstream wrote them, their blank line included, so that a pass-through
 * relays the same bytes; an event with a lone-CR line ending comes out with `\n` endings instead (most
 * readers split lines on `\n`). Blank lines outside any event carry nothing and are dropped.
 */
export class SseFramer {
  /** Text not yet emitted: the current event from its first character (a trailing `\r` held in it). */
  private buffer = '';
  /** `buffer[0, scanned)` is whole lines of the current event: scanning resumes there. */
  private scanned = 0;
  /** A line of the current event ended in a lone CR: the event is emitted with `\n` endings. */
  private loneCr = false;
  private readonly decoder = new TextDecoder('utf-8');
  /** Everything so far ended with a blank line: no partial event, no partial character held. */
  private atBoundary = true;

  /** Returns the complete events in `chunk`, each with its terminating blank line. */
  public push(chunk: Uint8Array): string[] {
    const text = this.decoder.decode(chunk, { stream: true });
    const buf = this.buffer === '' ? text : this.buffer + text;
    const events: string[] = [];
    let start = 0;
    let pos = this.scanned;
    // The next CR and LF at or after `pos`, each searched again only once passed: one scan of the text.
    let cr = buf.indexOf('\r', pos);
    let lf = buf.indexOf('\n', pos);
    for (;;) {
      if (cr >= 0 && cr < pos) cr = buf.indexOf('\r', pos);
      if (lf >= 0 && lf < pos) lf = buf.indexOf('\n', pos);
      let lineEnd: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A CR last in what arrived may be the first half of a CRLF: held until the next byte is known,
        // so that a CRLF split across chunks never reads as a line end and then a blank line.
        if (cr === buf.length - 1) break;
        lineEnd = cr;
        if (buf.charCodeAt(cr + 1) === LF) {
          next = cr + 2;
        } else {
          next = cr + 1;
          this.loneCr = true;
        }
      } else if (lf >= 0) {
        lineEnd = lf;
        next = lf + 1;
      } else {
        break;
      }
      if (lineEnd === pos) {
        // A blank line: it ends the event, if one has begun.
        if (pos > start) events.push(this.eventText(buf.slice(start, next)));
        start = next;
        this.loneCr = false;
      }
      pos = next;
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    this.scanned = pos - start;
    this.atBoundary = this.buffer === '' && endsWithBlankLine(chunk);
    return events;
  }

  /**
   * True when `chunk` is whole events on its own: nothing is pending from earlier chunks and it
   * ends with a blank line. The caller may then use the bytes as they are instead of `push`; the
   * framer stays at a boundary. (Most upstreams write one or more whole events per chunk.)
   */
  public isWholeEvents(chunk: Uint8Array): boolean {
    return this.atBoundary && endsWithBlankLine(chunk);
  }

  /** Whatever is left when the stream ends (an event without its blank line). */
  public flush(): string {
    const rest = this.eventText(this.buffer + this.decoder.decode());
    this.buffer = '';
    this.scanned = 0;
    this.loneCr = false;
    this.atBoundary = true;
    return rest;
  }

  private eventText(raw: string): string {
    return this.loneCr ? raw.replace(LINE_ENDINGS, '\n') : raw;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const LINE_ENDINGS = /\r\n?/g;

/**
 * Whether a chunk ends with a blank line whatever came before it: `\n\n` (that LF cannot be half of
 * a CRLF), or a CRLF after another line end (`\n\r\n`, `\r\r\n`). Never a chunk ending in `\r`:
 * its LF may still be coming.
 */
function endsWithBlankLine(chunk: Uint8Array): boolean {
  const n = chunk.length;
  if (n < 2 || chunk[n - 1] !== LF) return false;
  if (chunk[n - 2] === LF) return true;
  return n >= 3 && chunk[n - 2] === CR && (chunk[n - 3] === LF || chunk[n - 3] === CR);
}

/**
 * The value of a field in one event: `data` lines joined by `\n`, or the last `event`/`id` line.
 * A line `data` without a colon is the field with an empty value; one space after the colon is not
 * part of the value; comment lines (`:…`) are skipped. Undefined when the event has no such field.
 */
export function eventField(event: string, field: 'data' | 'event' | 'id'): string | undefined {
  let value: string | undefined;
  const n = field.length;
  // Most events end their lines in LF alone: then one search per line.
  const hasCr = event.indexOf('\r') >= 0;
  for (let pos = 0; pos < event.length;) {
    let end = event.indexOf('\n', pos);
    if (end < 0) end = event.length;
    let next = end + 1;
    if (hasCr) {
      const cr = event.indexOf('\r', pos);
      if (cr >= 0 && cr < end) {
        end = cr;
        next = event.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
      }
    }
    if (end - pos >= n && event.startsWith(field, pos) && (end === pos + n || event.charCodeAt(pos + n) === COLON)) {
      let from = pos + n + 1;
      if (from < end && event.charCodeAt(from) === SPACE) from++;
      const v = from >= end ? '' : event.slice(from, end);
      value = value === undefined || field !== 'data' ? v : `${value}\n${v}`;
    }
    pos = next;
  }
  return value;
}

const COLON = 0x3a;
const SPACE = 0x20;

/** The `data:` payload of an event (multi-line data joined by `\n`), or undefined. */
export function eventData(event: string): string | undefined {
  return eventField(event, 'data');
}
