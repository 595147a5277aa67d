/**
 * Pure builders for OpenAI's audio endpoints: transcription/translation bodies in each `response_format`
 * (the text names the upload's size and sha256 prefix, so tests can check the bytes arrived intact), and
 * deterministic synthetic speech generated piece by piece.
 */
import { createHash } from 'node:crypto';
import type { UploadedFile } from './multipart';
import { countWords, estimateTokens } from './responses';

export const TRANSCRIPTION_FORMATS = ['json', 'text', 'verbose_json', 'srt', 'vtt'] as const;
export type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];
export type AudioTask = 'transcribe' | 'translate';

/** Uploaded bytes per second of simulated audio (16 kHz, 16-bit mono). */
export const AUDIO_BYTES_PER_SECOND = 32_000;
/** Input tokens per second of audio for token-billed (`*transcribe*`) models. */
export const AUDIO_TOKENS_PER_SECOND = 10;

export interface Transcript {
  readonly task: AudioTask;
  readonly model: string;
  readonly text: string;
  readonly language: string;
  /** Seconds, from the file size. */
  readonly duration: number;
  readonly usage?: Record<string, unknown>;
}

export function transcript(
  name: string, model: string, task: AudioTask, file: UploadedFile, language: string | undefined, prompt = '',
): Transcript {
  const what = task === 'translate' ? 'translation' : 'transcript';
  const text = `[sim:${name}] ${model}: ${what} of ${file.filename || 'audio'} (${file.size} bytes, sha256 ${file.sha256.slice(0, 16)})`;
  const duration = Math.round((file.size / AUDIO_BYTES_PER_SECOND) * 100) / 100;
  let usage: Record<string, unknown> | undefined;
  if (task === 'transcribe' && model.includes('transcribe')) {
    const audioTokens = Math.ceil(duration * AUDIO_TOKENS_PER_SECOND);
    const textTokens = estimateTokens([prompt]);
    const outputTokens = countWords(text);
    usage = {
      type: 'tokens',
      input_tokens: audioTokens + textTokens,
      input_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
      output_tokens: outputTokens,
      total_tokens: audioTokens + textTokens + outputTokens,
    };
  } else if (task === 'transcribe') {
    usage = { type: 'duration', seconds: Math.ceil(duration) };
  }
  return { task, model, text, language: task === 'translate' ? 'english' : language ?? 'english', duration, usage };
}

/** The response for a format: a JSON object, or text with its content type. */
export type TranscriptBody = { readonly json: Record<string, unknown> } | { readonly text: string; readonly contentType: string };

export function transcriptBody(t: Transcript, format: TranscriptionFormat): TranscriptBody {
  const usage = t.usage ? { usage: t.usage } : {};
  switch (format) {
    case 'text': return { text: `${t.text}\n`, contentType: 'text/plain; charset=utf-8' };
    case 'srt': return { text: `1\n${timestamp(0, ',')} --> ${timestamp(t.duration, ',')}\n${t.text}\n\n`, contentType: 'text/plain; charset=utf-8' };
    case 'vtt': return { text: `WEBVTT\n\n${timestamp(0, '.')} --> ${timestamp(t.duration, '.')}\n${t.text}\n\n`, contentType: 'text/vtt; charset=utf-8' };
    case 'verbose_json': return {
      json: {
        task: t.task === 'translate' ? 'translate' : 'transcribe',
        language: t.language,
        duration: t.duration,
        text: t.text,
        segments: [{
          id: 0,
          seek: 0,
          start: 0,
          end: t.duration,
          text: t.text,
          tokens: [],
          temperature: 0,
          avg_logprob: 0,
          compression_ratio: 1,
          no_speech_prob: 0,
        }],
        ...usage,
      },
    };
    default: return { json: { text: t.text, ...usage } };
  }
}

function timestamp(seconds: number, separator: string): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** Speech `response_format` to content type. */
export const SPEECH_CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Bytes of speech per input character, and the longest input accepted (OpenAI's limit). */
export const SPEECH_BYTES_PER_CHAR = 1024;
export const MAX_SPEECH_INPUT_CHARS = 4096;

export function speechSize(input: string): number {
  return Math.min(input.length, MAX_SPEECH_INPUT_CHARS) * SPEECH_BYTES_PER_CHAR;
}

/** The file signature each format starts with, so clients sniffing the bytes see the right kind of file. */
function magicOf(format: string, size: number): Buffer {
  switch (format) {
    case 'mp3': return Buffer.from([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0]); // ID3v2.4, empty tag
    case 'opus': return Buffer.from('OggS', 'latin1');
    case 'aac': return Buffer.from([0xff, 0xf1]);
    case 'flac': return Buffer.from('fLaC', 'latin1');
    case 'wav': {
      const riff = Buffer.from('RIFF\0\0\0\0WAVE', 'latin1');
      riff.writeUInt32LE(Math.max(0, size - 8), 4);
      return riff;
    }
    default: return Buffer.alloc(0);
  }
}

/**
 * The speech bytes in `pieces` consecutive pieces, each generated when iterated (never the whole file at once):
 * the format's signature, then bytes derived from the seed and the offset.
 */
export function* speechPieces(seed: string, format: string, size: number, pieces: number): Generator<Buffer> {
  const pattern = createHash('sha256').update(seed).digest();
  const magic = magicOf(format, size);
  const n = Math.max(1, Math.min(pieces, size));
  for (let i = 0; i < n; i++) {
    const start = Math.floor((i * size) / n);
    const end = Math.floor(((i + 1) * size) / n);
    const piece = Buffer.allocUnsafe(end - start);
    for (let offset = start; offset < end; offset++) {
      piece[offset - start] = offset < magic.length ? magic[offset] : (pattern[offset % 32] + Math.floor(offset / 32)) % 256;
    }
    yield piece;
  }
}
