import { existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { chunked, chunksOf, collect, encode, multipartType, parseAll, rejection, sha256 } from './helpers';
import { MultipartError, observeBytes, prepareMultipart, type PrepareMultipartOptions } from '../../../src/dataplane/multipart';

const B = '----formdata-test-0123456789';
const CT = multipartType(B);
const KiB = 1024;
const MiB = 1024 * KiB;

let spoolDir: string;
beforeEach(() => {
  spoolDir = mkdtempSync(join(tmpdir(), 'aigw-multipart-test-'));
});
afterEach(() => {
  // Every test must leave the spool directory empty: no leaked temp files.
  expect(readdirSync(spoolDir)).toEqual([]);
  rmSync(spoolDir, { recursive: true, force: true });
});

function options(extra: Partial<PrepareMultipartOptions> = {}): PrepareMultipartOptions {
  return { maxBytes: 64 * MiB, spoolDir, ...extra };
}

/** A deterministic file: byte i is a function of i. */
function fileOf(size: number): Buffer {
  const file = Buffer.alloc(size);
  for (let i = 0; i < size; i++) file[i] = (i * 31 + Math.floor(i / 256)) % 256;
  return file;
}

function withModel(model: string, file: Buffer, modelFirst: boolean) {
  const parts = [
    { name: 'file', filename: 'speech.mp3', contentType: 'audio/mpeg', data: file },
    { name: 'language', value: 'en' },
  ];
  const modelPart = { name: 'model', value: model };
  return encode(modelFirst ? [modelPart, ...parts] : [...parts.slice(0, 1), modelPart, ...parts.slice(1)], B, { preamble: 'ignored' });
}

describe('prepareMultipart', () => {
  test('model before the file: returns after the model, nothing spooled, the file streams through', async () => {
    const file = fileOf(2 * MiB);
    const body = withModel('whisper-1', file, true);
    let read = 0;
    const source = observeBytes(chunksOf(body, 64 * KiB), (_, total) => (read = total));
    const prepared = await prepareMultipart(source, CT, options({ memoryThresholdBytes: 0 }));
    try {
      expect(prepared.model).toBe('whisper-1');
      expect(prepared.fields).toEqual({ model: 'whisper-1' });
      expect(read).toBe(64 * KiB); // only the first chunk was read
      expect(prepared.spooledBytes).toBe(0);
      expect(prepared.spoolFile).toBeUndefined();
      const out = prepared.rewrite('Systran/faster-whisper-large-v3');
      expect(out.contentType).toBe(CT);
      const parts = await parseAll(out.body, out.contentType);
      expect(parts.map((p) => p.info.name)).toEqual(['model', 'file', 'language']);
      expect(parts[0].value).toBe('Systran/faster-whisper-large-v3');
      expect(sha256(parts[1].data)).toBe(sha256(file));
      expect(read).toBe(body.length);
    } finally {
      await prepared.cleanup();
    }
  });

  test('model after a small file: the file is held in memory, the rewritten body is the original with only the model changed', async () => {
    const file = fileOf(100 * KiB);
    const body = withModel('whisper-1', file, false);
    const prepared = await prepareMultipart(chunksOf(body, 16 * KiB), CT, options({ contentLength: body.length }));
    expect(prepared.model).toBe('whisper-1');
    expect(prepared.fields).toEqual({ model: 'whisper-1' });
    expect(prepared.spooledBytes).toBeGreaterThan(file.length - 16 * KiB);
    expect(prepared.spoolFile).toBeUndefined();
    const out = prepared.rewrite('large-v3');
    const sent = await collect(out.body);
    expect(sent.equals(Buffer.from(body.toString('latin1').replace('\r\n\r\nwhisper-1\r\n', '\r\n\r\nlarge-v3\r\n'), 'latin1'))).toBe(true);
    expect(out.contentLength).toBe(sent.length);
    await prepared.cleanup();
  });

  test('model after a large file: spooled to disk as it arrives, replayed from disk, the spool file removed', async () => {
    const file = fileOf(3 * MiB);
    const body = withModel('whisper-1', file, false);
    const prepared = await prepareMultipart(chunksOf(body, 64 * KiB), CT, options({ memoryThresholdBytes: 1 * MiB, contentLength: body.length }));
    try {
      expect(prepared.model).toBe('whisper-1');
      expect(prepared.spoolFile).toBeDefined();
      expect(existsSync(prepared.spoolFile!)).toBe(true);
      expect(readdirSync(spoolDir)).toHaveLength(1);
      expect(prepared.spooledBytes).toBeGreaterThan(file.length - 64 * KiB);
      const out = prepared.rewrite('whisper-large-v3-turbo');
      const parts = await parseAll(out.body, out.contentType);
      expect(parts.map((p) => [p.info.name, p.value])).toEqual([['file', undefined], ['model', 'whisper-large-v3-turbo'], ['language', 'en']]);
      expect(sha256(parts[0].data)).toBe(sha256(file));
      expect(parts[0].info).toMatchObject({ filename: 'speech.mp3', contentType: 'audio/mpeg' });
      expect(existsSync(prepared.spoolFile!)).toBe(false); // the replay deleted it once sent
    } finally {
      await prepared.cleanup();
    }
  });

  test('cleanup() deletes the spool file when the body is never replayed', async () => {
    const body = withModel('m', fileOf(2 * MiB), false);
    const prepared = await prepareMultipart(chunksOf(body, 64 * KiB), CT, options());
    expect(existsSync(prepared.spoolFile!)).toBe(true);
    await prepared.cleanup();
    await prepared.cleanup(); // idempotent
    expect(existsSync(prepared.spoolFile!)).toBe(false);
  });

  test('closing the replay early deletes the spool file', async () => {
    const body = withModel('m', fileOf(2 * MiB), false);
    const prepared = await prepareMultipart(chunksOf(body, 64 * KiB), CT, options());
    const iterator = prepared.rewrite('n').body[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return!(undefined);
    expect(existsSync(prepared.spoolFile!)).toBe(false);
  });

  test('the rewritten body is exact at every split point of a small body, and with model values of any length', async () => {
    const body = encode([
      { name: 'file', filename: 'a.png', contentType: 'image/png', data: Buffer.from('\r\n--\r\nPNG\r') },
      { name: 'prompt', value: 'a cat' },
      { name: 'model', value: 'gpt-image-1' },
      { name: 'n', value: '2' },
    ], B);
    for (const newModel of ['', 'x', 'a-much-longer-served-model-name/with:tags', 'gpt-image-1']) {
      const expected = Buffer.from(body.toString('latin1').replace('\r\n\r\ngpt-image-1\r\n', `\r\n\r\n${newModel}\r\n`), 'latin1');
      for (let cut = 1; cut < body.length; cut++) {
        for (const threshold of [0, 1 * MiB]) {
          const prepared = await prepareMultipart(chunked(body, [cut]), CT, options({ memoryThresholdBytes: threshold, contentLength: body.length }));
          expect(prepared.fields).toEqual({ prompt: 'a cat', model: 'gpt-image-1' });
          const out = prepared.rewrite(newModel);
          const sent = await collect(out.body);
          await prepared.cleanup();
          if (!sent.equals(expected)) throw new Error(`cut ${cut}, threshold ${threshold}, model '${newModel}': ${JSON.stringify(sent.toString('latin1'))}`);
          expect(out.contentLength).toBe(expected.length);
        }
      }
    }
  });

  test('without a model field: model is undefined, all fields are returned, rewrite() is a 400', async () => {
    const body = encode([{ name: 'file', filename: 'f', data: fileOf(2 * MiB) }, { name: 'language', value: 'en' }], B);
    const prepared = await prepareMultipart(chunksOf(body, 64 * KiB), CT, options());
    try {
      expect(prepared.model).toBeUndefined();
      expect(prepared.fields).toEqual({ language: 'en' });
      expect(() => prepared.rewrite('m')).toThrow(expect.objectContaining({ status: 400, code: 'multipart_model_missing', param: 'model' }));
    } finally {
      await prepared.cleanup();
    }
  });

  test('rewrite() can be called once', async () => {
    const prepared = await prepareMultipart(chunked(withModel('m', fileOf(10), true)), CT, options());
    prepared.rewrite('a');
    expect(() => prepared.rewrite('b')).toThrow(/already called/);
    await prepared.cleanup();
  });

  test('a model name that contains the boundary delimiter is refused', async () => {
    const prepared = await prepareMultipart(chunked(withModel('m', fileOf(10), true)), CT, options());
    expect(() => prepared.rewrite(`a\r\n--${B}`)).toThrow(MultipartError);
    expect(prepared.rewrite('a\r\nb')).toBeDefined(); // CRLF alone is a legal field value
    await prepared.cleanup();
  });

  test('for repeated fields, the first value is returned', async () => {
    const body = encode([{ name: 'timestamp_granularities[]', value: 'word' }, { name: 'timestamp_granularities[]', value: 'segment' }, { name: 'model', value: 'm' }], B);
    const prepared = await prepareMultipart(chunked(body), CT, options());
    expect(prepared.fields).toEqual({ 'timestamp_granularities[]': 'word', 'model': 'm' });
    await prepared.cleanup();
  });
});

describe('prepareMultipart errors never leak spool files', () => {
  test('a declared Content-Length over the limit is a 413 before anything is read', async () => {
    let pulled = false;
    const source = (async function* () {
      pulled = true;
      yield Buffer.from('x');
    })();
    const error = await rejection(prepareMultipart(source, CT, options({ maxBytes: 100, contentLength: 101 })));
    expect(error).toMatchObject({ status: 413, code: 'request_too_large' });
    expect(pulled).toBe(false);
  });

  test('a body over maxBytes while spooling is a 413, and the spool file is gone', async () => {
    const body = withModel('m', fileOf(3 * MiB), false);
    const error = await rejection(prepareMultipart(chunksOf(body, 64 * KiB), CT, options({ maxBytes: 2 * MiB })));
    expect(error).toBeInstanceOf(MultipartError);
    expect(error).toMatchObject({ status: 413, message: `The multipart body exceeds ${2 * MiB} bytes. Send a smaller file.` });
  });

  test('a body over maxBytes after the model is a 413 thrown by the replayed body', async () => {
    const body = withModel('m', fileOf(3 * MiB), true);
    const prepared = await prepareMultipart(chunksOf(body, 64 * KiB), CT, options({ maxBytes: 2 * MiB }));
    const error = await rejection(collect(prepared.rewrite('n').body));
    expect(error).toMatchObject({ status: 413 });
    await prepared.cleanup();
  });

  test('a body truncated after the model is a 400 thrown by the replayed body, after the spool was deleted', async () => {
    const body = withModel('m', fileOf(2 * MiB), false);
    const truncated = body.subarray(0, body.length - 10);
    const prepared = await prepareMultipart(chunksOf(truncated, 64 * KiB), CT, options());
    const error = await rejection(collect(prepared.rewrite('n').body));
    expect(error).toMatchObject({ status: 400, code: 'multipart_malformed', message: expect.stringContaining('ended before the closing boundary') });
    expect(existsSync(prepared.spoolFile!)).toBe(false);
  });

  test('a client that disconnects mid-upload: the source error propagates and the spool file is deleted', async () => {
    const body = withModel('m', fileOf(3 * MiB), false);
    const source = (async function* () {
      yield* chunksOf(body.subarray(0, 2 * MiB), 64 * KiB);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })();
    expect(await rejection(prepareMultipart(source, CT, options()))).toMatchObject({ message: 'aborted' });
  });

  test('a second model field is a 400, before or after prepare returns', async () => {
    const twiceClose = encode([{ name: 'model', value: 'a' }, { name: 'model', value: 'b' }], B);
    expect(await rejection(prepareMultipart(chunked(twiceClose), CT, options()))).toMatchObject({ status: 400, code: 'multipart_model_invalid' });
    const twiceFar = encode([{ name: 'model', value: 'a' }, { name: 'file', filename: 'f', data: fileOf(MiB) }, { name: 'model', value: 'b' }], B);
    const prepared = await prepareMultipart(chunksOf(twiceFar, 64 * KiB), CT, options());
    expect(prepared.model).toBe('a');
    expect(await rejection(collect(prepared.rewrite('c').body))).toMatchObject({ status: 400, message: expect.stringContaining("more than one 'model' field") });
    await prepared.cleanup();
  });

  test('a model part that is a file is a 400', async () => {
    const body = encode([{ name: 'model', filename: 'model.txt', value: 'a' }], B);
    expect(await rejection(prepareMultipart(chunked(body), CT, options()))).toMatchObject({ status: 400, code: 'multipart_model_invalid', param: 'model' });
  });

  test('a malformed body while spooling is a 400, and the spool file is gone', async () => {
    const body = Buffer.concat([withModel('m', fileOf(2 * MiB), false).subarray(0, MiB + 100)]);
    expect(await rejection(prepareMultipart(chunksOf(body, 64 * KiB), CT, options({ memoryThresholdBytes: 0 })))).toMatchObject({ status: 400 });
  });

  test('a bad Content-Type is a 400 before anything is read', async () => {
    expect(await rejection(prepareMultipart(chunked(Buffer.from('{}')), 'application/json', options()))).toMatchObject({ status: 400, code: 'multipart_not_form_data' });
  });
});
