import { ManualClock, windowBounds } from '../../../src/dataplane/limits';

describe('windowBounds', () => {
  const t = Date.UTC(2025, 4, 17, 13, 45, 27, 321); // 2025-05-17T13:45:27.321Z

  test.each([
    ['second', Date.UTC(2025, 4, 17, 13, 45, 27), Date.UTC(2025, 4, 17, 13, 45, 28)],
    ['minute', Date.UTC(2025, 4, 17, 13, 45), Date.UTC(2025, 4, 17, 13, 46)],
    ['hour', Date.UTC(2025, 4, 17, 13), Date.UTC(2025, 4, 17, 14)],
    ['day', Date.UTC(2025, 4, 17), Date.UTC(2025, 4, 18)],
    ['month', Date.UTC(2025, 4, 1), Date.UTC(2025, 5, 1)],
  ] as const)('%s: aligned to the epoch (UTC)', (window, start, end) => {
    expect(windowBounds(window, t)).toEqual({ start, end });
  });

  test('a window is half-open: its end belongs to the next one', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1, 0, 0, 59, 999));
    const first = windowBounds('minute', clock.now());
    clock.advance(1);
    const second = windowBounds('minute', clock.now());
    expect(second.start).toBe(first.end);
    expect(second.end - second.start).toBe(60_000);
  });

  test('month is the calendar month: 28, 29, 30 and 31 days, and the year boundary', () => {
    const days = (b: { start: number; end: number }) => (b.end - b.start) / 86_400_000;
    expect(days(windowBounds('month', Date.UTC(2025, 1, 10)))).toBe(28);
    expect(days(windowBounds('month', Date.UTC(2024, 1, 10)))).toBe(29);
    expect(days(windowBounds('month', Date.UTC(2025, 3, 10)))).toBe(30);
    expect(days(windowBounds('month', Date.UTC(2025, 0, 10)))).toBe(31);
    expect(windowBounds('month', Date.UTC(2024, 11, 31, 23, 59, 59, 999))).toEqual({ start: Date.UTC(2024, 11, 1), end: Date.UTC(2025, 0, 1) });
  });

  test('the last millisecond of February 2024 and the first of March are in different months', () => {
    const clock = new ManualClock(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    const feb = windowBounds('month', clock.now());
    clock.advance(1);
    const mar = windowBounds('month', clock.now());
    expect(feb).toEqual({ start: Date.UTC(2024, 1, 1), end: Date.UTC(2024, 2, 1) });
    expect(mar).toEqual({ start: Date.UTC(2024, 2, 1), end: Date.UTC(2024, 3, 1) });
  });

  test('windows before 1970 still align (floor, not truncation)', () => {
    expect(windowBounds('second', -1)).toEqual({ start: -1_000, end: 0 });
  });
});
