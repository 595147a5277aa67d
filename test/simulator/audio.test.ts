import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import OpenAI, { toFile } from 'openai';
import { readAll, startSimulator } from './helpers';
import type { UpstreamSimulator } from '../../src/simulator';

function client(sim: UpstreamSimulator): OpenAI {
  return new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0 });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('audio transcriptions and translations', () => {
  test('a 5 MB upload via toFile arrives intact: the text names its size and sha256 prefix; token usage for *transcribe* models', async () => {
    const sim = await startSimulator({ name: 'ears' });
    const audio = randomBytes(5 * 1024 * 1024);
    const transcription = await client(sim).audio.transcriptions.create({
      model: 'gpt-4o-transcribe',
      file: await toFile(audio, 'speech.wav', { type: 'audio/wav' }),
      language: 'en',
    });
    expect(transcription.text).toBe(`[sim:ears] gpt-4o-transcribe: transcript of speech.wav (${audio.length} bytes, sha256 ${sha256(audio).slice(0, 16)})`);
    const audioTokens = Math.ceil(Math.round((audio.length / 32_000) * 100) / 100 * 10);
    const outputTokens = transcription.text.split(' ').length;
    expect(transcription.usage).toEqual({
      type: 'tokens',
      input_tokens: audioTokens,
      input_token_details: { text_tokens: 0, audio_tokens: audioTokens },
      output_tokens: outputTokens,
      total_tokens: audioTokens + outputTokens,
    });
    expect(sim.requests[0].body).toEqual({
      model: 'gpt-4o-transcribe',
      language: 'en',
      file: { filename: 'speech.wav', contentType: 'audio/wav', size: audio.length, sha256: sha256(audio) },
    });
  });

  test('whisper-1: text, verbose_json, srt and vtt formats, duration usage; translations answer in English without usage', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const audio = Buffer.alloc(64_000, 1);
    const file = () => toFile(audio, 'clip.mp3', { type: 'audio/mpeg' });
    const expected = `[sim:sim] whisper-1: transcript of clip.mp3 (64000 bytes, sha256 ${sha256(audio).slice(0, 16)})`;

    const text = await openai.audio.transcriptions.create({ model: 'whisper-1', file: await file(), response_format: 'text' });
    expect(text).toBe(`${expected}\n`);

    const json = await openai.audio.transcriptions.create({ model: 'whisper-1', file: await file() });
    expect(json).toEqual({ text: expected, usage: { type: 'duration', seconds: 2 } });

    const verbose = await openai.audio.transcriptions.create({ model: 'whisper-1', file: await file(), response_format: 'verbose_json', language: 'fr' });
    expect(verbose).toMatchObject({ task: 'transcribe', language: 'fr', duration: 2, text: expected, segments: [{ id: 0, start: 0, end: 2, text: expected }] });

    const srt = await openai.audio.transcriptions.create({ model: 'whisper-1', file: await file(), response_format: 'srt' });
    expect(srt).toBe(`1\n00:00:00,000 --> 00:00:02,000\n${expected}\n\n`);
    const vtt = await openai.audio.transcriptions.create({ model: 'whisper-1', file: await file(), response_format: 'vtt' });
    expect(vtt).toBe(`WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n${expected}\n\n`);

    const translation = await openai.audio.translations.create({ model: 'whisper-1', file: await file() });
    expect(translation).toEqual({ text: expected.replace('transcript of', 'translation of') });
    expect(sim.requests.map((r) => r.path)).toEqual([...Array(5).fill('/v1/audio/transcriptions'), '/v1/audio/translations']);
  });

  test('validation errors are OpenAI-style 400s', async () => {
    const sim = await startSimulator();
    const openai = client(sim);
    const file = await toFile(Buffer.from('x'), 'a.wav');
    await expect(openai.audio.transcriptions.create({ model: 'whisper-1' } as never)).rejects.toMatchObject({ status: 400, param: 'file' });
    await expect(openai.audio.transcriptions.create({ file } as never)).rejects.toMatchObject({ status: 400, param: 'model' });
    await expect(openai.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(Buffer.from('x'), 'a.wav'), response_format: 'xml' } as never))
      .rejects.toMatchObject({ status: 400, param: 'response_format' });
  });
});

describe('audio speech', () => {
  test('binary audio of 1 KiB per input character, deterministic, streamed in several writes', async () => {
    const sim = await startSimulator({ streamChunks: 8, chunkDelayMs: 5 });
    const openai = client(sim);
    const input = 'Hello from the simulator!';
    const response = await openai.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(response.headers.get('content-length')).toBeNull();
    const { bytes, reads } = await readAll(response);
    expect(bytes).toHaveLength(input.length * 1024);
    expect(reads).toBeGreaterThan(1);
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('ID3');

    const again = Buffer.from(await (await openai.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input })).arrayBuffer());
    expect(sha256(again)).toBe(sha256(bytes));
    const otherVoice = Buffer.from(await (await openai.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'echo', input })).arrayBuffer());
    expect(sha256(otherVoice)).not.toBe(sha256(bytes));

    const wav = await openai.audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'ab', response_format: 'wav' });
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    const wavBytes = Buffer.from(await wav.arrayBuffer());
    expect(wavBytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wavBytes.readUInt32LE(4)).toBe(2048 - 8);
    expect(sim.requests[0].body).toEqual({ model: 'gpt-4o-mini-tts', voice: 'alloy', input });
  });

  test('the body uses chunked transfer encoding, one piece per write', async () => {
    const sim = await startSimulator({ streamChunks: 4, chunkDelayMs: 20 });
    const { headers, pieces } = await new Promise<{ headers: http.IncomingHttpHeaders; pieces: number[] }>((resolve, reject) => {
      const req = http.request(`${sim.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        const sizes: number[] = [];
        res.on('data', (chunk: Buffer) => sizes.push(chunk.length));
        res.on('end', () => resolve({ headers: res.headers, pieces: sizes }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'abcd', response_format: 'opus' }));
    });
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(headers['content-type']).toBe('audio/opus');
    expect(pieces).toEqual([1024, 1024, 1024, 1024]);
  });

  test('faults: dropAfterChunks cuts the audio off; a status fails it; validation errors are 400s', async () => {
    const sim = await startSimulator({ streamChunks: 4 });
    const openai = client(sim);
    sim.failNext({ dropAfterChunks: 2 });
    const response = await openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'abcdefgh' });
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(sim.clientCancelledStreams).toBe(0);

    sim.failNext({ status: 429 });
    await expect(openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'a' })).rejects.toMatchObject({ status: 429 });

    await expect(openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: '' })).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(openai.audio.speech.create({ model: 'tts-1', input: 'a' } as never)).rejects.toMatchObject({ status: 400, param: 'voice' });
    await expect(openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x'.repeat(4097) })).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'a', response_format: 'ogg' } as never))
      .rejects.toMatchObject({ status: 400, param: 'response_format' });
  });
});
