import * as fc from 'fast-check';
import { chunked, chunksOf, encode, multipartType, parseAll, rejection, type TestPart } from './helpers';
import { boundaryOf, isMultipartFormData, MultipartError, MultipartParser, type MultipartEvent } from '../../../src/dataplane/multipart';

const B = 'XyZ-b0undary';
const CT = multipartType(B);

/** File content full of near-misses: CRLFs, dashes, partial boundaries, a trailing CR. */
const TRICKY = Buffer.from('\r\n--XyZ\r\n\r\n-\r\n--XyZ-b0undar\r--XyZ-b0undarz\r');

const PARTS: TestPart[] = [
  { name: 'file', filename: 'a.wav', contentType: 'audio/wav', data: TRICKY },
  { name: 'model', value: 'whisper-1' },
  { name: 'empty', value: '' },
  { name: 'crlf', value: '\r\n' },
];

function expectParts(parts: Awaited<ReturnType<typeof parseAll>>, body: Buffer): void {
  expect(parts.map((p) => p.info.name)).toEqual(['file', 'model', 'empty', 'crlf']);
  expect(parts[0].data.equals(TRICKY)).toBe(true);
  expect(parts[0].info).toMatchObject({ index: 0, filename: 'a.wav', contentType: 'audio/wav' });
  expect(parts[0].value).toBeUndefined();
  expect(parts.slice(1).map((p) => p.value)).toEqual(['whisper-1', '', '\r\n']);
  for (const part of parts) expect(body.subarray(part.start, part.end).equals(part.data)).toBe(true);
}

describe('multipart parser', () => {
  const body = encode(PARTS, B, { preamble: 'preamble --XyZ-b0undary not at line start', epilogue: 'epilogue\r\n--XyZ-b0undary\r\n' });

  test('parses a body in one chunk, offsets pointing at each part\'s content', async () => {
    expectParts(await parseAll(chunked(body), CT), body);
  });

  test('parses the same body split at every possible position', async () => {
    for (let cut = 1; cut < body.length; cut++) expectParts(await parseAll(chunked(body, [cut]), CT), body);
  });

  test('parses the body split at every pair of positions (3 chunks)', async () => {
    const small = encode([{ name: 'f', filename: 'x', data: Buffer.from('a\r\n--XyZ-b0\r') }, { name: 'model', value: 'm' }], B);
    const expected = await parseAll(chunked(small), CT);
    for (let a = 1; a < small.length; a++) {
      for (let b = a + 1; b < small.length; b++) {
        const parts = await parseAll(chunked(small, [a, b]), CT);
        expect(parts.map((p) => [p.info.name, p.data.toString('latin1'), p.start, p.end])).toEqual(expected.map((p) => [p.info.name, p.data.toString('latin1'), p.start, p.end]));
      }
    }
  });

  test('property: any content over a CR/LF/dash/boundary alphabet, cut anywhere, parses back to itself', async () => {
    const alphabet = ['\r', '\n', '-', '--', '\r\n--', `\r\n--${B.slice(0, 5)}`, `\r\n--${B.slice(0, -1)}`, 'X', B];
    const content = fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((a) => a.join(''))
      .filter((s) => `${s}\r\n--${B}`.indexOf(`\r\n--${B}`) === s.length); // content must not contain the delimiter
    await fc.assert(fc.asyncProperty(content, content, fc.array(fc.nat(), { maxLength: 4 }), async (a, b, rawCuts) => {
      const raw = encode([{ name: 'f', filename: 'f', data: Buffer.from(a) }, { name: 'g', value: b }], B);
      const cuts = rawCuts.map((c) => c % raw.length).sort((x, y) => x - y);
      const parts = await parseAll(chunked(raw, cuts), CT);
      expect(parts.map((p) => p.data.toString('latin1'))).toEqual([a, b]);
    }), { numRuns: 500 });
  });

  test('parses the body one byte at a time', async () => {
    expectParts(await parseAll(chunksOf(body, 1), CT), body);
  });

  test('never emits more than one chunk of file data at once, and holds back at most a delimiter', async () => {
    const file = Buffer.alloc(10_000, 'a');
    const big = encode([{ name: 'file', filename: 'f', data: file }], B);
    const sizes: number[] = [];
    const parser = new MultipartParser(B, { maxBytes: 1e6 }, (e) => {
      if (e.type === 'data') sizes.push(e.data.length);
    });
    let written = 0;
    for (let at = 0; at < big.length; at += 1000) {
      parser.write(big.subarray(at, at + 1000));
      written += Math.min(1000, big.length - at);
    }
    parser.end();
    expect(written).toBe(big.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000 + `\r\n--${B}`.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(file.length);
  });

  test('accepts a body without preamble or epilogue, transport padding after boundaries, and a body that is only the closing boundary', async () => {
    const plain = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${B} \t\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n--${B}--`);
    expect((await parseAll(chunked(plain), CT)).map((p) => p.value)).toEqual(['1', '2']);
    expect(await parseAll(chunked(Buffer.from(`--${B}--\r\n`)), CT)).toEqual([]);
  });

  test('a body starting with CRLF before the first boundary (empty preamble line) parses', async () => {
    const withCrlf = Buffer.concat([Buffer.from('\r\n'), encode([{ name: 'a', value: 'x' }], B)]);
    expect((await parseAll(chunked(withCrlf, [1]), CT)).map((p) => p.value)).toEqual(['x']);
  });

  test('reads quoted names with escapes, RFC 8187 filename*, the undici %22 encoding, and case-insensitive header names', async () => {
    const raw = Buffer.from([
      `--${B}`,
      'content-disposition: form-data; name="we\\"ird;name"; filename="C:\\dir\\a b%22c.mp3"',
      'CONTENT-TYPE: audio/mpeg',
      '',
      'x',
      `--${B}`,
      'Content-Disposition: form-data; name=plain; filename*=UTF-8\'\'%E2%82%AC%20rates.txt',
      '',
      'y',
      `--${B}--`,
    ].join('\r\n'));
    const parts = await parseAll(chunked(raw), CT);
    expect(parts[0].info).toMatchObject({ name: 'we"ird;name', filename: 'C:\\dir\\a b%22c.mp3', contentType: 'audio/mpeg' });
    expect(parts[1].info).toMatchObject({ name: 'plain', filename: '€ rates.txt' });
  });

  test('the events arrive in order: part, data…, part-end, …, end', () => {
    const events: MultipartEvent['type'][] = [];
    const parser = new MultipartParser(B, { maxBytes: 1e6 }, (e) => events.push(e.type));
    parser.write(encode([{ name: 'a', value: 'x' }, { name: 'b', value: '' }], B));
    parser.end();
    expect(events).toEqual(['part', 'data', 'part-end', 'part', 'part-end', 'end']);
    const ends: number[] = [];
    const withEpilogue = encode([{ name: 'a', value: 'x' }], B, { epilogue: 'bye' });
    const second = new MultipartParser(B, { maxBytes: 1e6 }, (e) => e.type === 'end' && ends.push(e.offset));
    second.write(withEpilogue);
    second.end();
    expect(withEpilogue.subarray(ends[0]).toString()).toBe(`\r\n--${B}--\r\nbye`);
    expect(parser.complete).toBe(true);
  });
});

describe('multipart Content-Type', () => {
  test('takes the boundary, quoted or not, case-insensitively', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; BOUNDARY="a b:c"')).toBe('a b:c');
    expect(isMultipartFormData('multipart/form-data; boundary=x')).toBe(true);
    expect(isMultipartFormData('application/json')).toBe(false);
  });

  test.each([
    ['application/json', /not multipart\/form-data/],
    ['multipart/form-data', /not multipart\/form-data with a boundary/],
    ['multipart/form-data; boundary=', /not multipart\/form-data with a boundary/],
    ['multipart/mixed; boundary=abc', /not multipart\/form-data/],
    [`multipart/form-data; boundary=${'a'.repeat(71)}`, /71 characters/],
    ['multipart/form-data; boundary="ends in space "', /not valid/],
  ])('%s → 400', (contentType, message) => {
    let error: unknown;
    try {
      boundaryOf(contentType);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MultipartError);
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(message) });
  });
});

describe('multipart limits', () => {
  const body = encode([{ name: 'file', filename: 'f', data: Buffer.alloc(1000, 1) }, { name: 'model', value: 'm' }], B);

  test('the total limit is inclusive; one byte more is a 413', async () => {
    expect(await parseAll(chunked(body), CT, { maxBytes: body.length })).toHaveLength(2);
    const error = await rejection(parseAll(chunksOf(body, 100), CT, { maxBytes: body.length - 1 }));
    expect(error).toBeInstanceOf(MultipartError);
    expect(error).toMatchObject({ status: 413, code: 'request_too_large', message: expect.stringContaining(`${body.length - 1} bytes`) });
  });

  test('too many parts is a 400 naming the limit', async () => {
    const many = encode(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, value: 'v' })), B);
    expect(await parseAll(chunked(many), CT, { maxBytes: 1e6, maxParts: 5 })).toHaveLength(5);
    const error = await rejection(parseAll(chunked(many), CT, { maxBytes: 1e6, maxParts: 4 }));
    expect(error).toMatchObject({ status: 400, code: 'multipart_too_many_parts', message: 'The multipart body has more than 4 parts. Send at most 4 form fields and files.' });
  });

  test('a non-file field over maxFieldBytes is a 400 naming the field and the fix; a file of that size is fine', async () => {
    const at = encode([{ name: 'prompt', value: 'p'.repeat(64 * 1024) }], B);
    expect((await parseAll(chunksOf(at, 4096), CT))[0].value).toHaveLength(64 * 1024);
    const over = encode([{ name: 'prompt', value: 'p'.repeat(64 * 1024 + 1) }], B);
    const error = await rejection(parseAll(chunksOf(over, 4096), CT));
    expect(error).toMatchObject({ status: 400, code: 'multipart_field_too_large', param: 'prompt' });
    expect(error.message).toMatch(/'prompt' exceeds 65536 bytes.*send large content as a file part/);
    const file = encode([{ name: 'prompt', filename: 'p.txt', data: Buffer.alloc(200 * 1024) }], B);
    expect((await parseAll(chunked(file), CT))[0].data).toHaveLength(200 * 1024);
  });

  test('part headers over maxHeaderBytes are a 400', async () => {
    const big = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${'x'.repeat(200)}\r\n\r\nv\r\n--${B}--`);
    expect(await rejection(parseAll(chunksOf(big, 7), CT, { maxBytes: 1e6, maxHeaderBytes: 100 }))).toMatchObject({ status: 400, code: 'multipart_headers_too_large' });
    expect(await parseAll(chunksOf(big, 7), CT, { maxBytes: 1e6, maxHeaderBytes: 300 })).toHaveLength(1);
  });
});

describe('malformed multipart bodies are 400s', () => {
  const head = `--${B}\r\nContent-Disposition: form-data; name="a"\r\n\r\n`;
  test.each([
    ['an empty body', '', /no boundary line '--XyZ-b0undary'/],
    ['a body without the boundary', 'just some text', /no boundary line/],
    ['a missing closing boundary', `${head}value`, /ended before the closing boundary '--XyZ-b0undary--'/],
    ['a body cut in the headers', `--${B}\r\nContent-Disp`, /ended before the closing boundary/],
    ['a body ending right after a delimiter', `${head}v\r\n--${B}`, /ended before the closing boundary/],
    ['a boundary followed by other characters', `${head}v\r\n--${B}x\r\n`, /followed by 'x' instead of CRLF or '--'/],
    ['a boundary followed by a single dash', `${head}v\r\n--${B}-x`, /followed by 'x' instead of '-'/],
    ['a boundary line with CR but no LF', `--${B}\rContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--${B}--`, /CR followed by 'C' instead of LF/],
    ['padding followed by text', `--${B}  x\r\n`, /has 'x' after it instead of CRLF/],
    ['a header line without a colon', `--${B}\r\nContent-Disposition form-data\r\n\r\nv\r\n--${B}--`, /not 'Name: value'/],
    ['a part without headers', `--${B}\r\n\r\nv\r\n--${B}--`, /part 0 has no Content-Disposition header/],
    ['a part that is not form-data', `--${B}\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--${B}--`, /must be 'form-data'/],
    ['a part without a name', `--${B}\r\nContent-Disposition: form-data; filename="a"\r\n\r\nv\r\n--${B}--`, /part 0 has no name/],
    ['an unterminated quoted name', `--${B}\r\nContent-Disposition: form-data; name="a\r\n\r\nv\r\n--${B}--`, /unterminated quoted string/],
    ['a header with a bare LF', `--${B}\r\nContent-Disposition: form-data; name="a"\nX: y\r\n\r\nv\r\n--${B}--`, /bare CR or LF/],
  ])('%s', async (_, text, message) => {
    const raw = Buffer.from(text);
    for (const chunks of [chunked(raw), chunksOf(raw, 1)]) {
      const error = await rejection(parseAll(chunks, CT));
      expect(error).toBeInstanceOf(MultipartError);
      expect(error).toMatchObject({ status: 400, code: 'multipart_malformed' });
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/Send a body encoded as RFC 7578 multipart\/form-data\.$/);
    }
  });

  test('a failed parser keeps failing', () => {
    const parser = new MultipartParser(B, { maxBytes: 1e6 }, () => undefined);
    expect(() => parser.write(Buffer.from(`--${B}x`))).toThrow(MultipartError);
    expect(() => parser.write(Buffer.from('more'))).toThrow(/followed by 'x'/);
    expect(() => parser.end()).toThrow(/followed by 'x'/);
  });
});
