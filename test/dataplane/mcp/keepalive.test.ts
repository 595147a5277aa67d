import { EventEmitter } from 'events';
import { SSE_KEEPALIVE_MS, SseWriter } from '../../../src/dataplane/mcp/answer';
import type { RequestContext } from '../../../src/dataplane/request-context';

/** Idle SSE streams get a comment every SSE_KEEPALIVE_MS; any event written pushes the next one back. (Fake timers: no timing claim.) */

function fakeResponse() {
  const writes: string[] = [];
  const res = Object.assign(new EventEmitter(), {
    writableEnded: false,
    destroyed: false,
    writeHead: () => res,
    flushHeaders: () => undefined,
    write: (chunk: Buffer | string) => {
      writes.push(String(chunk));
      return true;
    },
    end: () => {
      res.writableEnded = true;
      res.emit('close');
    },
  });
  return { res, writes };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('a comment after each idle interval, none while events flow, none after the end', () => {
  const { res, writes } = fakeResponse();
  const out = new SseWriter({ res } as unknown as RequestContext, {});
  jest.advanceTimersByTime(SSE_KEEPALIVE_MS);
  expect(writes).toEqual([': keepalive\n\n']);
  jest.advanceTimersByTime(SSE_KEEPALIVE_MS - 1);
  void out.write('data: {}\n\n');
  jest.advanceTimersByTime(SSE_KEEPALIVE_MS - 1);
  expect(writes).toEqual([': keepalive\n\n', 'data: {}\n\n']);
  jest.advanceTimersByTime(1);
  expect(writes).toEqual([': keepalive\n\n', 'data: {}\n\n', ': keepalive\n\n']);
  out.end();
  jest.advanceTimersByTime(SSE_KEEPALIVE_MS * 3);
  expect(writes).toHaveLength(3);
});
