/**
 * Frames a byte stream of Server-Sent Events into whole events before anything parses them:
 * upstream chunk boundaries fall anywhere, even inside a UTF-8 character.
 */
export class SseFramer {
  private buffer = '';
  private readonly decoder = new TextDecoder('utf-8');
  /** Everything so far ended with a blank line: no partial event, no partial character held. */
  private atBoundary = true;

  /** Returns the complete events in `chunk`, each with its terminating blank line. */
  public push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const events: string[] = [];
    for (;;) {
      const end = findEventEnd(this.buffer);
      if (end < 0) break;
      events.push(this.buffer.slice(0, end.valueOf()));
      this.buffer = this.buffer.slice(end);
    }
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
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return rest;
  }
}

function endsWithBlankLine(chunk: Uint8Array): boolean {
  const n = chunk.length;
  // The two blank-line endings the framer splits on: "\n\n" and "\r\n\r\n".
  return n >= 2 && chunk[n - 1] === LF && (chunk[n - 2] === LF || (n >= 4 && chunk[n - 2] === CR && chunk[n - 3] === LF && chunk[n - 4] === CR));
}

const LF = 0x0a;
const CR = 0x0d;

/** The index just past the first `\n\n` or `\r\n\r\n`, or -1. */
function findEventEnd(s: string): number {
  const lf = s.indexOf('\n\n');
  const crlf = s.indexOf('\r\n\r\n');
  if (lf < 0 && crlf < 0) return -1;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf + 2;
}

/** The `data:` payload of an event (multi-line data joined by `\n`), or undefined. */
export function eventData(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split(/\r?\n/)) {
    if (line.startsWith('data:')) {
      const value = line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
      data = data === undefined ? value : `${data}\n${value}`;
    }
  }
  return data;
}
