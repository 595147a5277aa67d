import { createHash } from 'node:crypto';
import { startSimulator } from './helpers';
import {
  boundaryOf,
  MAX_FIELD_BYTES,
  MultipartError,
  type MultipartPart,
  MultipartParser,
  parseMultipart,
  partsRecord,
} from '../../src/simulator/multipart';

const BOUNDARY = '----sim-boundary-42';

/** Binary file content that contains CRLFs, dashes and almost-delimiters. */
const FILE = Buffer.concat([
  Buffer.from([0, 1, 2, 0xff, 0xfe]),
  Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X\r\n--\r\n\r\n`),
  Buffer.alloc(3000, 0x2d),
  Buffer.from(`\r\n-${BOUNDARY}`),
]);

function body(): Buffer {
  return Buffer.concat([
    Buffer.from('a preamble to ignore\r\n'),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`),
    Buffer.from(`--${BOUNDARY}  \r\ncontent-disposition: form-data; name="prompt"\r\n\r\nline 1\r\nline 2 ünïcode\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a%22b.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
    FILE,
    Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="image[]"; filename*=UTF-8''caf%C3%A9.png\r\n\r\n`),
    Buffer.from('png'),
    Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="image[]"; filename="empty.png"\r\n\r\n`),
    Buffer.from(`\r\n--${BOUNDARY}--\r\nan epilogue to ignore`),
  ]);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const EXPECTED: MultipartPart[] = [
  { name: 'model', value: 'whisper-1' },
  { name: 'prompt', value: 'line 1\r\nline 2 ünïcode' },
  { name: 'file', file: { filename: 'a"b.wav', contentType: 'audio/wav', size: FILE.length, sha256: sha256(FILE) } },
  { name: 'image[]', file: { filename: 'café.png', contentType: 'application/octet-stream', size: 3, sha256: sha256(Buffer.from('png')) } },
  { name: 'image[]', file: { filename: 'empty.png', contentType: 'application/octet-stream', size: 0, sha256: sha256(Buffer.alloc(0)) } },
];

function parseInPieces(bytes: Buffer, sizes: (i: number) => number): MultipartPart[] {
  const parser = new MultipartParser(BOUNDARY);
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes(i));
    parser.write(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return parser.end();
}

describe('streaming multipart parser', () => {
  test('fields, files (hashed, never kept), preamble, epilogue, padding and escaped filenames, however the body is split', () => {
    const bytes = body();
    expect(parseInPieces(bytes, () => bytes.length)).toEqual(EXPECTED);
    for (const size of [1, 2, 3, 7, 16, 21, 22, 23, 64, 1000]) {
      expect(parseInPieces(bytes, () => size)).toEqual(EXPECTED);
    }
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 97;
    for (let run = 0; run < 50; run++) expect(parseInPieces(bytes, random)).toEqual(EXPECTED);
  });

  test('parseMultipart reads an async iterable; partsRecord makes repeated names arrays', async () => {
    async function* chunks() {
      const bytes = body();
      for (let i = 0; i < bytes.length; i += 100) yield bytes.subarray(i, i + 100);
    }
    const parts = await parseMultipart(chunks(), BOUNDARY);
    expect(parts).toEqual(EXPECTED);
    expect(partsRecord(parts)).toEqual({
      'model': 'whisper-1',
      'prompt': 'line 1\r\nline 2 ünïcode',
      'file': EXPECTED[2].file,
      'image[]': [EXPECTED[3].file, EXPECTED[4].file],
    });
  });

  test('malformed bodies are MultipartErrors', async () => {
    const parse = (text: string | Buffer) => parseMultipart((async function* () {
      yield typeof text === 'string' ? Buffer.from(text) : text;
    })(), BOUNDARY);
    await expect(parse(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated`)).rejects.toThrow(MultipartError);
    await expect(parse('no boundary at all')).rejects.toThrow(/closing boundary/);
    await expect(parse(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${BOUNDARY}--`)).rejects.toThrow(/Content-Disposition/);
    await expect(parse(`--${BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${BOUNDARY}--`)).rejects.toThrow(/name/);
    await expect(parse(`--${BOUNDARY}garbage\r\n`)).rejects.toThrow(/boundary line/);
    await expect(parse(`--${BOUNDARY}\r\nX: ${'y'.repeat(20_000)}`)).rejects.toThrow(/headers are too large/);
    const bigField = Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="big"\r\n\r\n`), Buffer.alloc(MAX_FIELD_BYTES + 1, 0x61), Buffer.from(`\r\n--${BOUNDARY}--`),
    ]);
    await expect(parse(bigField)).rejects.toThrow(/too large/);
  });

  test('boundaryOf reads plain and quoted boundaries of multipart/form-data only', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b;c"')).toBe('a b;c');
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
    expect(boundaryOf('multipart/mixed; boundary=abc')).toBeUndefined();
    expect(boundaryOf('application/json')).toBeUndefined();
    expect(boundaryOf(undefined)).toBeUndefined();
  });

  test('the simulator records multipart bodies as fields and file summaries, and answers a malformed one with a 400', async () => {
    const sim = await startSimulator();
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([FILE], { type: 'audio/wav' }), 'clip.wav');
    const ok = await fetch(`${sim.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(ok.status).toBe(200);
    expect(sim.requests[0].body).toEqual({ model: 'whisper-1', file: { filename: 'clip.wav', contentType: 'audio/wav', size: FILE.length, sha256: sha256(FILE) } });

    const bad = await fetch(`${sim.url}/v1/audio/transcriptions`, {
      method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: `--${BOUNDARY}\r\nbroken`,
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('multipart') } });
    expect(sim.requests[1].body).toEqual(expect.stringContaining('invalid multipart body'));

    const json = await fetch(`${sim.url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: { message: expect.stringContaining('expected multipart/form-data') } });
  });
});
