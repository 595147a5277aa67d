import fc from 'fast-check';
import { eventData, eventField, SseFramer } from '../../src/dataplane/sse';

/**
 * The framer against the WHATWG SSE parsing rules, on generated streams: CRLF, LF and lone-CR line
 * endings in any mix, comments, multi-line data, `event:` and `id:` fields, text in any script; cut
 * into chunks anywhere (inside a UTF-8 character, between a `\r` and its `\n`).
 */

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** What a WHATWG EventSource dispatches: the event type, its data, the id its event set. */
interface Dispatched {
  type: string;
  data: string;
  id: string | undefined;
}

/** A reference parser, written from the spec's steps, over the whole stream at once. */
function referenceParse(stream: string): Dispatched[] {
  const out: Dispatched[] = [];
  let data = '';
  let type = '';
  let id: string | undefined;
  for (const line of stream.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data !== '') out.push({ type: type === '' ? 'message' : type, data: data.endsWith('\n') ? data.slice(0, -1) : data, id });
      data = '';
      type = '';
      id = undefined;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data += `${value}\n`;
    else if (field === 'event') type = value;
    else if (field === 'id') id = value;
  }
  return out;
}

/** The framed events read with eventField, as a client reads them (events without data dispatch nothing). */
function readFramed(events: string[]): Dispatched[] {
  const out: Dispatched[] = [];
  for (const e of events) {
    const data = eventData(e);
    if (data === undefined) continue;
    out.push({ type: eventField(e, 'event') || 'message', data, id: eventField(e, 'id') });
  }
  return out;
}

/** A field value: any text without line breaks (astral characters included, for 4-byte UTF-8). */
const value = fc.string({ unit: fc.constantFrom('a', ' ', ':', 'é', '€', '😀', '中', '{', '"', 'x', '\t'), maxLength: 12 });
const line = fc.oneof(
  value.map((v) => `data:${v}`),
  value.map((v) => `data: ${v}`),
  fc.constant('data'),
  value.map((v) => `event: ${v}`),
  value.map((v) => `id:${v}`),
  value.map((v) => `:${v}`),
  value.map((v) => `retry: ${v}`),
);
const eol = fc.constantFrom('\n', '\r\n', '\r');
const event = fc.tuple(fc.array(fc.tuple(line, eol), { minLength: 1, maxLength: 5 }), eol).map(([lines, blank]) => lines.map(([l, e]) => l + e).join('') + blank);
/** A stream of events, ending in `\n\n` so that its last event is surely over. */
const stream = fc.array(event, { minLength: 1, maxLength: 6 }).map((events) => `${events.join('')}\n\n`);

/** The stream's bytes cut at the given points (sorted, deduplicated, inside the stream). */
function cut(all: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % all.length))].filter((p) => p > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...at, all.length]) {
    chunks.push(all.subarray(from, p));
    from = p;
  }
  return chunks;
}

function frameAll(chunks: Buffer[]): string[] {
  const framer = new SseFramer();
  const events = chunks.flatMap((c) => framer.push(c));
  const rest = framer.flush();
  return rest === '' ? events : [...events, rest];
}

describe('SseFramer (property)', () => {
  test('cut anywhere, the stream gives the same events as in one chunk', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (text, points) => {
        const all = bytes(text);
        expect(frameAll(cut(all, points))).toEqual(frameAll([all]));
      }),
      { numRuns: 300 },
    );
  });

  test('cut into single bytes, the stream gives the same events as in one chunk', () => {
    fc.assert(
      fc.property(stream, (text) => {
        const all = bytes(text);
        const singles = Array.from({ length: all.length }, (_, i) => all.subarray(i, i + 1));
        expect(frameAll(singles)).toEqual(frameAll([all]));
      }),
      { numRuns: 100 },
    );
  });

  test('what the framed events dispatch is what the WHATWG parser dispatches', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (text, points) => {
        const events = frameAll(cut(bytes(text), points));
        expect(readFramed(events)).toEqual(referenceParse(text));
        // Nothing is left over: the stream ended with a blank line.
        const framer = new SseFramer();
        framer.push(bytes(text));
        expect(framer.flush()).toBe('');
      }),
      { numRuns: 300 },
    );
  });

  test('every framed event is one whole event: framed again alone, it is itself', () => {
    fc.assert(
      fc.property(stream, (text) => {
        for (const e of frameAll([bytes(text)])) {
          expect(new SseFramer().push(bytes(e))).toEqual([e]);
          // A lone CR never survives framing: readers that split on LF see every line.
          expect(/\r(?!\n)/.test(e)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('the whole-events fast path (bytes as they are) dispatches the same as framing every chunk', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), (text, points) => {
        const framer = new SseFramer();
        const relayed: string[] = [];
        for (const chunk of cut(bytes(text), points)) {
          // What a pass-through relay does: whole events go out as bytes, which the client then parses.
          if (framer.isWholeEvents(chunk)) relayed.push(...new SseFramer().push(chunk));
          else relayed.push(...framer.push(chunk));
        }
        expect(framer.flush()).toBe('');
        expect(readFramed(relayed)).toEqual(referenceParse(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('SseFramer (line endings)', () => {
  test('a CRLF split between its CR and LF makes no blank line', () => {
    const framer = new SseFramer();
    expect(framer.push(bytes('data: 1\r'))).toEqual([]);
    expect(framer.push(bytes('\ndata: 2\r'))).toEqual([]);
    expect(framer.push(bytes('\n\r'))).toEqual([]);
    expect(framer.push(bytes('\n'))).toEqual(['data: 1\r\ndata: 2\r\n\r\n']);
  });

  test('a CR last in a chunk waits for the next byte; a lone CR ends a line', () => {
    const framer = new SseFramer();
    expect(framer.push(bytes('data: a\r\r'))).toEqual([]);
    expect(framer.push(bytes('data: b\r\r'))).toEqual(['data: a\n\n']);
    expect(framer.flush()).toBe('data: b\n\n');
  });

  test('mixed endings: an LF line, then a CRLF blank line', () => {
    expect(new SseFramer().push(bytes('event: x\ndata: 1\n\r\ndata: 2\r\n\n'))).toEqual(['event: x\ndata: 1\n\r\n', 'data: 2\r\n\n']);
  });

  test('blank lines outside events are dropped; comment-only events are events', () => {
    expect(new SseFramer().push(bytes('\n\r\n: keep-alive\n\n\n\ndata: 1\n\n'))).toEqual([': keep-alive\n\n', 'data: 1\n\n']);
  });

  test('eventField: fields without a colon, one space stripped, comments skipped, CR endings', () => {
    expect(eventData('data\n\n')).toBe('');
    expect(eventData('data:  two\n\n')).toBe(' two');
    expect(eventData(':data: no\ndata: a\r\ndata:b\rdata\r\r')).toBe('a\nb\n');
    expect(eventData('event: ping\n\n')).toBeUndefined();
    expect(eventField('event: a\nevent: b\ndata: 1\n\n', 'event')).toBe('b');
    expect(eventField('id: 7\r\ndata: 1\r\n\r\n', 'id')).toBe('7');
    expect(eventField('datax: 1\n\n', 'data')).toBeUndefined();
  });

  test('isWholeEvents: a chunk ending in CR is never whole; CRLF after a line end is', () => {
    const framer = new SseFramer();
    expect(framer.isWholeEvents(bytes('data: 1\r\r'))).toBe(false);
    expect(framer.isWholeEvents(bytes('data: 1\n\r\n'))).toBe(true);
    expect(framer.isWholeEvents(bytes('data: 1\r\r\n'))).toBe(true);
    expect(framer.isWholeEvents(bytes('data: 1\r\n'))).toBe(false);
  });
});
