/**
 * OpenAI audio: `POST .../audio/transcriptions` and `.../audio/translations` (multipart; the file is hashed as
 * it streams in) and `POST .../audio/speech` (JSON in, synthetic audio out in several chunked writes).
 */
import {
  type AudioTask,
  MAX_SPEECH_INPUT_CHARS,
  SPEECH_CONTENT_TYPES,
  speechPieces,
  speechSize,
  TRANSCRIPTION_FORMATS,
  type TranscriptionFormat,
  transcript,
  transcriptBody,
} from './audio';
import type { Exchange, HandlerContext } from './exchange';
import { fieldOf, filesOf, type MultipartPart } from './multipart';
import { apiError, isRecord } from './responses';

export function audioTranscription(ctx: HandlerContext, exchange: Exchange, parts: readonly MultipartPart[], task: AudioTask): void {
  const [file] = filesOf(parts, 'file');
  const model = fieldOf(parts, 'model');
  const format = fieldOf(parts, 'response_format') ?? 'json';
  let problem: [string, string] | undefined;
  if (file === undefined) {
    problem = ['Missing required parameter: \'file\'.', 'file'];
  } else if (!model) {
    problem = ['you must provide a model parameter', 'model'];
  } else if (!(TRANSCRIPTION_FORMATS as readonly string[]).includes(format)) {
    problem = [`Invalid value: '${format}'. Supported values are: ${TRANSCRIPTION_FORMATS.map((f) => `'${f}'`).join(', ')}.`, 'response_format'];
  }
  if (problem !== undefined) {
    ctx.responder.json(exchange, 400, apiError(problem[0], 'invalid_request_error', problem[1]));
    return;
  }
  const result = transcriptBody(
    transcript(ctx.name, model!, task, file!, fieldOf(parts, 'language'), fieldOf(parts, 'prompt')),
    format as TranscriptionFormat,
  );
  if ('json' in result) {
    ctx.responder.json(exchange, 200, result.json);
  } else {
    ctx.responder.text(exchange, 200, result.text, result.contentType);
  }
}

export async function audioSpeech(ctx: HandlerContext, exchange: Exchange, body: Record<string, unknown>): Promise<void> {
  const format = body.response_format === undefined ? 'mp3' : String(body.response_format);
  const voice = typeof body.voice === 'string' ? body.voice : isRecord(body.voice) && typeof body.voice.id === 'string' ? body.voice.id : undefined;
  let problem: [string, string] | undefined;
  if (typeof body.model !== 'string' || body.model === '') {
    problem = ['you must provide a model parameter', 'model'];
  } else if (typeof body.input !== 'string' || body.input === '') {
    problem = ['Missing required parameter: \'input\'.', 'input'];
  } else if (body.input.length > MAX_SPEECH_INPUT_CHARS) {
    problem = [`Invalid 'input': string too long. Expected a string with maximum length ${MAX_SPEECH_INPUT_CHARS}, but got a string with length ${body.input.length} instead.`, 'input'];
  } else if (voice === undefined || voice === '') {
    problem = ['Missing required parameter: \'voice\'.', 'voice'];
  } else if (!Object.hasOwn(SPEECH_CONTENT_TYPES, format)) {
    problem = [`Invalid value: '${format}'. Supported values are: ${Object.keys(SPEECH_CONTENT_TYPES).map((f) => `'${f}'`).join(', ')}.`, 'response_format'];
  }
  if (problem !== undefined) {
    ctx.responder.json(exchange, 400, apiError(problem[0], 'invalid_request_error', problem[1]));
    return;
  }
  const input = body.input as string;
  const seed = `${body.model as string}\u0000${voice!}\u0000${format}\u0000${input}`;
  await ctx.responder.binary(exchange, SPEECH_CONTENT_TYPES[format], speechPieces(seed, format, speechSize(input), ctx.streamChunks));
}
