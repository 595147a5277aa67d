/**
 * Frames a byte stream of Server-Sent Events into whole events before anything parses them:
 * upstream chunk boundaries fall anywhere, even inside a UTF-8 character.
 */
export class SseFramer {
  private buffer = '';
  private readonly decoder = new TextDecoder('utf-8');

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
    return events;
  }

  /** Whatever is left when the stream ends (an event without its blank line). */
  public flush(): string {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return rest;
  }
}

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
