import { createServer, request, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { Readable } from 'stream';
import OpenAI, { toFile } from 'openai';
import { chunked, collect, parseAll, sha256 } from './helpers';
import { sendError } from '../../../src/dataplane/errors';
import { boundaryOf, isMultipartError, prepareMultipart } from '../../../src/dataplane/multipart';

interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An upstream that records each request and answers like the transcription API. */
async function recordingUpstream(): Promise<{ url: string; requests: Captured[]; close: () => Promise<void> }> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    void collect(req).then((body) => {
      requests.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: 'hello' }));
    });
  });
  const url = await listen(server);
  return { url, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const AUDIO = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), Buffer.from('\r\n--\r\n'), Buffer.alloc(3000, 0x7f)]);

async function transcribe(baseURL: string): Promise<unknown> {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${baseURL}/v1`, maxRetries: 0 });
  // The SDK's own multipart encoding; `file` first, as clients usually send it.
  return client.audio.transcriptions.create({
    file: await toFile(AUDIO, 'my "speech".wav', { type: 'audio/wav' }),
    model: 'whisper-1',
    language: 'en',
    timestamp_granularities: ['word', 'segment'],
    response_format: 'verbose_json',
  });
}

describe('the openai SDK\'s multipart bodies', () => {
  let captured: Captured;
  beforeAll(async () => {
    const upstream = await recordingUpstream();
    try {
      await transcribe(upstream.url);
      captured = upstream.requests[0];
    } finally {
      await upstream.close();
    }
  });

  test('parse: file first, then the fields, with the SDK\'s quoting of the filename', async () => {
    const contentType = captured.headers['content-type']!;
    expect(boundaryOf(contentType)).toMatch(/^-+formdata-/);
    for (let cut = 1; cut < captured.body.length; cut += 7) {
      const parts = await parseAll(chunked(captured.body, [cut]), contentType);
      expect(parts.map((p) => [p.info.name, p.value])).toEqual([
        ['file', undefined],
        ['model', 'whisper-1'],
        ['language', 'en'],
        ['timestamp_granularities[]', 'word'],
        ['timestamp_granularities[]', 'segment'],
        ['response_format', 'verbose_json'],
      ]);
      expect(parts[0].info).toMatchObject({ filename: 'my %22speech%22.wav', contentType: 'audio/wav' });
      expect(parts[0].data.equals(AUDIO)).toBe(true);
    }
  });

  test('prepare + rewrite: the model is read after the file, and only its value changes', async () => {
    const contentType = captured.headers['content-type']!;
    const prepared = await prepareMultipart(chunked(captured.body, [100, 1000]), contentType, {
      maxBytes: 2 ** 20, spoolDir: tmpdir(), contentLength: captured.body.length,
    });
    try {
      expect(prepared.model).toBe('whisper-1');
      expect(prepared.fields).toEqual({ model: 'whisper-1' });
      const out = prepared.rewrite('Systran/faster-whisper-small');
      const sent = await collect(out.body);
      expect(out.contentType).toBe(contentType);
      expect(out.contentLength).toBe(sent.length);
      const original = captured.body.toString('latin1');
      expect(sent.toString('latin1')).toBe(original.replace('name="model"\r\n\r\nwhisper-1\r\n', 'name="model"\r\n\r\nSystran/faster-whisper-small\r\n'));
    } finally {
      await prepared.cleanup();
    }
  });

  test('end to end: SDK → a streaming proxy using prepareMultipart → upstream sees the served model name and the same file', async () => {
    const upstream = await recordingUpstream();
    const proxy = createServer((req, res) => {
      void (async () => {
        const declared = Number(req.headers['content-length']);
        const prepared = await prepareMultipart(req, req.headers['content-type'] ?? '', {
          maxBytes: 25 * 2 ** 20, spoolDir: tmpdir(), memoryThresholdBytes: 1024, ...(Number.isFinite(declared) ? { contentLength: declared } : {}),
        });
        try {
          const out = prepared.rewrite(`served-${prepared.model}`);
          const upstreamRes = await new Promise<import('http').IncomingMessage>((resolve, reject) => {
            const up = request(`${upstream.url}${req.url}`, {
              method: 'POST',
              headers: { 'content-type': out.contentType, ...(out.contentLength !== undefined ? { 'content-length': out.contentLength } : {}) },
            }, resolve);
            up.on('error', reject);
            Readable.from(out.body).on('error', reject).pipe(up);
          });
          res.writeHead(upstreamRes.statusCode!, { 'content-type': upstreamRes.headers['content-type']! });
          upstreamRes.pipe(res);
        } finally {
          await prepared.cleanup();
        }
      })().catch((e: unknown) => {
        if (isMultipartError(e)) sendError(res, e);
        else res.destroy(e as Error);
      });
    });
    const proxyUrl = await listen(proxy);
    try {
      expect(await transcribe(proxyUrl)).toEqual({ text: 'hello' });
      const seen = upstream.requests[0];
      expect(seen.headers['content-length']).toBe(String(seen.body.length));
      const parts = await parseAll(chunked(seen.body), seen.headers['content-type']!);
      expect(parts.find((p) => p.info.name === 'model')?.value).toBe('served-whisper-1');
      expect(sha256(parts[0].data)).toBe(sha256(AUDIO));
      expect(parts.map((p) => p.info.name)).toEqual(['file', 'model', 'language', 'timestamp_granularities[]', 'timestamp_granularities[]', 'response_format']);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
      await upstream.close();
    }
  });
});
