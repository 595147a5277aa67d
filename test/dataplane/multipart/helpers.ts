import { createHash } from 'crypto';
import { parseMultipart, type MultipartLimits, type PartInfo } from '../../../src/dataplane/multipart';

export interface TestPart {
  name: string;
  value?: string;
  data?: Buffer;
  filename?: string;
  contentType?: string;
}

/** Encodes parts the way RFC 7578 clients do. */
export function encode(parts: TestPart[], boundary: string, options: { preamble?: string; epilogue?: string } = {}): Buffer {
  const pieces: Buffer[] = [];
  if (options.preamble !== undefined) pieces.push(Buffer.from(`${options.preamble}\r\n`));
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    pieces.push(Buffer.from(`${head}\r\n`), part.data ?? Buffer.from(part.value ?? '', 'utf8'), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--`));
  if (options.epilogue !== undefined) pieces.push(Buffer.from(`\r\n${options.epilogue}`));
  return Buffer.concat(pieces);
}

/** The body as chunks cut at the given offsets. */
export async function* chunked(body: Buffer, cuts: number[] = []): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    if (cut > at) yield Buffer.from(body.subarray(at, cut));
    at = Math.max(at, cut);
  }
}

/** The body in chunks of `size` bytes. */
export function chunksOf(body: Buffer, size: number): AsyncGenerator<Buffer> {
  const cuts: number[] = [];
  for (let at = size; at < body.length; at += size) cuts.push(at);
  return chunked(body, cuts);
}

export interface ParsedPart {
  info: PartInfo;
  data: Buffer;
  value?: string;
  start: number;
  end: number;
}

/** Parses a whole body (test-only: it buffers every part). */
export async function parseAll(
  body: AsyncIterable<Uint8Array>,
  contentType: string,
  limits: MultipartLimits = { maxBytes: 2 ** 30 },
): Promise<ParsedPart[]> {
  const parts: ParsedPart[] = [];
  let chunks: Buffer[] = [];
  let start = -1;
  for await (const event of parseMultipart(body, contentType, limits)) {
    if (event.type === 'part') {
      chunks = [];
      start = event.offset;
    } else if (event.type === 'data') {
      chunks.push(Buffer.from(event.data));
    } else if (event.type === 'part-end') {
      const value = event.value !== undefined ? { value: event.value } : {};
      parts.push({ info: event.part, data: Buffer.concat(chunks), start, end: event.offset, ...value });
    }
  }
  return parts;
}

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function multipartType(boundary: string): string {
  return `multipart/form-data; boundary=${boundary}`;
}

/** Awaits a rejection and returns the error (fails when it resolves). */
export type Rejection = Error & { status?: number; code?: string; param?: string | null };

export async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise;
  } catch (e) {
    return e as Rejection;
  }
  throw new Error('expected a rejection');
}
