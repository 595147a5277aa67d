import fc from 'fast-check';
import { SseFramer } from '../../src/dataplane/sse';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('SseFramer', () => {
  test('events are whole however the stream is cut, even inside a UTF-8 character', () => {
    const events = ['data: {"a":"é€😀"}\n\n', 'event: x\r\ndata: 1\r\n\r\n', 'data: [DONE]\n\n'];
    const all = bytes(events.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 8 }), (cuts) => {
        const framer = new SseFramer();
        const points = [0, ...cuts.sort((a, b) => a - b), all.length];
        const out: string[] = [];
        for (let i = 1; i < points.length; i++) out.push(...framer.push(all.subarray(points[i - 1], points[i])));
        expect(out).toEqual(events);
        expect(framer.flush()).toBe('');
      }),
    );
  });

  test('isWholeEvents: only when nothing is pending and the chunk ends with a blank line', () => {
    const framer = new SseFramer();
    expect(framer.isWholeEvents(bytes('data: 1\n\ndata: 2\n\n'))).toBe(true);
    expect(framer.isWholeEvents(bytes('data: 1\r\n\r\n'))).toBe(true);
    expect(framer.isWholeEvents(bytes('data: 1\n'))).toBe(false);
    // A partial event pending: the next chunk is not whole on its own, even if it ends an event.
    expect(framer.push(bytes('data: par'))).toEqual([]);
    expect(framer.isWholeEvents(bytes('tial\n\n'))).toBe(false);
    expect(framer.push(bytes('tial\n\n'))).toEqual(['data: partial\n\n']);
    expect(framer.isWholeEvents(bytes('data: 3\n\n'))).toBe(true);
    // A chunk that ends inside a character leaves bytes in the decoder: not at a boundary.
    const euro = bytes('data: €\n\n');
    framer.push(euro.subarray(0, 7));
    expect(framer.isWholeEvents(bytes('data: 4\n\n'))).toBe(false);
  });
});
