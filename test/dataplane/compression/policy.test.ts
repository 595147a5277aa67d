import { isCompressibleType, isWholeDocument, MIN_COMPRESSED_BYTES, shouldCompress, varyWithAcceptEncoding } from '../../../src/dataplane/compression/policy';

const head = { status: 200, contentType: 'application/json', contentEncoding: undefined, cacheControl: undefined, length: undefined };

describe('which responses are compressed', () => {
  test.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['text/event-stream', true],
    ['text/plain; version=0.0.4', true],
    ['application/x-ndjson', true],
    ['application/problem+json', true],
    ['application/vnd.api+json', true],
    ['image/svg+xml', true],
    ['audio/mpeg', false],
    ['image/png', false],
    ['application/octet-stream', false],
    ['multipart/form-data; boundary=x', false],
    [undefined, false],
  ])('content-type %s: %s', (type, expected) => {
    expect(isCompressibleType(type)).toBe(expected);
  });

  test('a text answer of unknown length, or of at least 1 KiB, is compressed', () => {
    expect(shouldCompress(head)).toBe(true);
    expect(shouldCompress({ ...head, length: MIN_COMPRESSED_BYTES })).toBe(true);
    expect(shouldCompress({ ...head, contentType: 'text/event-stream' })).toBe(true);
  });

  test('not compressed: small, bodiless, encoded already, not text, no-transform', () => {
    expect(shouldCompress({ ...head, length: MIN_COMPRESSED_BYTES - 1 })).toBe(false);
    expect(shouldCompress({ ...head, length: 0 })).toBe(false);
    expect(shouldCompress({ ...head, status: 204 })).toBe(false);
    expect(shouldCompress({ ...head, status: 304 })).toBe(false);
    expect(shouldCompress({ ...head, status: 101 })).toBe(false);
    expect(shouldCompress({ ...head, contentEncoding: 'gzip' })).toBe(false);
    expect(shouldCompress({ ...head, contentEncoding: 'br' })).toBe(false);
    expect(shouldCompress({ ...head, contentType: 'audio/mpeg' })).toBe(false);
    expect(shouldCompress({ ...head, cacheControl: 'no-store, no-transform' })).toBe(false);
    // Error answers are compressed like any other (when large enough).
    expect(shouldCompress({ ...head, status: 500, length: 4096 })).toBe(true);
    expect(shouldCompress({ ...head, contentEncoding: 'identity' })).toBe(true);
  });

  test('Vary gets accept-encoding once', () => {
    expect(varyWithAcceptEncoding(undefined)).toBe('accept-encoding');
    expect(varyWithAcceptEncoding('origin')).toBe('origin, accept-encoding');
    expect(varyWithAcceptEncoding('Origin, Accept-Encoding')).toBeUndefined();
    expect(varyWithAcceptEncoding('*')).toBeUndefined();
    expect(varyWithAcceptEncoding(['origin', 'x-a'])).toBe('origin, x-a, accept-encoding');
  });
});

describe('what is flushed at each write', () => {
  test('a JSON or XML document is read whole (flushed at its end); SSE, NDJSON and streamed text are flushed at each write', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/problem+json', 'application/xml']) expect(isWholeDocument(type)).toBe(true);
    for (const type of ['text/event-stream', 'application/x-ndjson', 'text/plain', undefined]) expect(isWholeDocument(type)).toBe(false);
  });
});
