/**
 * A streaming `multipart/form-data` parser. Text fields are kept as strings; file parts are counted and
 * hashed (sha256) as their bytes arrive and are never held in memory, so a large upload costs one chunk.
 */
import { createHash, type Hash } from 'node:crypto';

/** What the simulator keeps of an uploaded file. */
export interface UploadedFile {
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
}

/** One part, in arrival order: a text field (`value`) or a file (`file`). */
export interface MultipartPart {
  readonly name: string;
  readonly value?: string;
  readonly file?: UploadedFile;
}

export class MultipartError extends Error {}

/** The most bytes of one part's headers, and of one text field's value. */
export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_FIELD_BYTES = 1024 * 1024;

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type State = 'preamble' | 'boundary-line' | 'headers' | 'body' | 'done';

interface OpenPart {
  readonly name: string;
  readonly filename?: string;
  readonly contentType: string;
  readonly hash?: Hash;
  size: number;
  readonly chunks: Buffer[];
}

/** The boundary of a `multipart/form-data` content type, or `undefined` if it is not one. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary !== undefined && boundary.length <= 200 ? boundary : undefined;
}

/**
 * Feed it chunks with `write`, then call `end` for the parts. Throws `MultipartError` on a malformed body.
 * Only a few bytes straddling chunk boundaries (less than one delimiter), a part's headers, and text field
 * values are ever buffered.
 */
export class MultipartParser {
  public readonly parts: MultipartPart[] = [];
  /** `\r\n--boundary`: the body is parsed as if it began with `\r\n`, so the first boundary line matches too. */
  private readonly delimiter: Buffer;
  private buffer: Buffer = CRLF;
  private state: State = 'preamble';
  private part: OpenPart | undefined;

  public constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  public write(chunk: Buffer): void {
    if (this.state === 'body' && chunk.length >= this.delimiter.length && !this.straddles(chunk)) {
      // Between writes in a body, the carried tail is shorter than a delimiter; if no delimiter starts in it and
      // ends in this chunk, the tail is part data, and the chunk need not be copied behind it.
      this.consume(this.buffer);
      this.buffer = chunk;
    } else {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    }
    while (this.step()) {
      // Each step consumes a complete token; it returns false when it needs more input.
    }
  }

  public end(): MultipartPart[] {
    if (this.state !== 'done') throw new MultipartError('Unexpected end of the multipart body (no closing boundary).');
    return this.parts;
  }

  private step(): boolean {
    switch (this.state) {
      case 'preamble': return this.preamble();
      case 'boundary-line': return this.boundaryLine();
      case 'headers': return this.headers();
      case 'body': return this.body();
      default:
        this.buffer = EMPTY; // The epilogue is ignored.
        return false;
    }
  }

  private preamble(): boolean {
    const at = this.buffer.indexOf(this.delimiter);
    if (at < 0) {
      this.keepTail();
      return false;
    }
    this.buffer = this.buffer.subarray(at + this.delimiter.length);
    this.state = 'boundary-line';
    return true;
  }

  /** After a delimiter: `--` ends the body; otherwise optional whitespace and CRLF start a part. */
  private boundaryLine(): boolean {
    if (this.buffer.length < 2) return false;
    if (this.buffer[0] === 0x2d && this.buffer[1] === 0x2d) {
      this.state = 'done';
      this.buffer = EMPTY;
      return false;
    }
    const eol = this.buffer.indexOf(CRLF);
    if (eol < 0) {
      if (this.buffer.length > 256) throw new MultipartError('Malformed boundary line.');
      return false;
    }
    if (!/^[ \t]*$/.test(this.buffer.subarray(0, eol).toString('latin1'))) throw new MultipartError('Malformed boundary line.');
    this.buffer = this.buffer.subarray(eol + 2);
    this.state = 'headers';
    return true;
  }

  private headers(): boolean {
    // A part with no header lines starts with the blank line right away.
    const end = this.buffer.subarray(0, 2).equals(CRLF) ? -2 : this.buffer.indexOf(HEADER_END);
    if (end === -1) {
      if (this.buffer.length > MAX_HEADER_BYTES) throw new MultipartError('Part headers are too large.');
      return false;
    }
    this.part = openPart(end < 0 ? '' : this.buffer.subarray(0, end).toString('utf8'));
    this.buffer = this.buffer.subarray(end + 4);
    this.state = 'body';
    return true;
  }

  private body(): boolean {
    const at = this.buffer.indexOf(this.delimiter);
    if (at < 0) {
      const keep = Math.min(this.buffer.length, this.delimiter.length - 1);
      this.consume(this.buffer.subarray(0, this.buffer.length - keep));
      this.keepTail();
      return false;
    }
    this.consume(this.buffer.subarray(0, at));
    this.closePart();
    this.buffer = this.buffer.subarray(at + this.delimiter.length);
    this.state = 'boundary-line';
    return true;
  }

  /** Whether a delimiter starts in the carried tail and ends in `chunk`. */
  private straddles(chunk: Buffer): boolean {
    if (this.buffer.length === 0) return false;
    return Buffer.concat([this.buffer, chunk.subarray(0, this.delimiter.length - 1)]).indexOf(this.delimiter) >= 0;
  }

  /** Keeps only the bytes that could start a delimiter, copied so the chunk they came from can be freed. */
  private keepTail(): void {
    const keep = Math.min(this.buffer.length, this.delimiter.length - 1);
    this.buffer = Buffer.from(this.buffer.subarray(this.buffer.length - keep));
  }

  private consume(bytes: Buffer): void {
    const part = this.part!;
    if (bytes.length === 0) return;
    part.size += bytes.length;
    if (part.hash) {
      part.hash.update(bytes);
    } else {
      if (part.size > MAX_FIELD_BYTES) throw new MultipartError(`Field '${part.name}' is too large.`);
      part.chunks.push(Buffer.from(bytes));
    }
  }

  private closePart(): void {
    const part = this.part!;
    this.part = undefined;
    if (part.hash) {
      this.parts.push({
        name: part.name,
        file: { filename: part.filename ?? '', contentType: part.contentType, size: part.size, sha256: part.hash.digest('hex') },
      });
    } else {
      this.parts.push({ name: part.name, value: Buffer.concat(part.chunks).toString('utf8') });
    }
  }
}

/** Parses a whole body from a stream of chunks. On a malformed body, drains the stream, then throws `MultipartError`. */
export async function parseMultipart(source: AsyncIterable<Buffer | string>, boundary: string): Promise<MultipartPart[]> {
  const parser = new MultipartParser(boundary);
  let error: unknown;
  for await (const chunk of source) {
    if (error !== undefined) continue;
    try {
      parser.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch (e) {
      error = e;
    }
  }
  if (error !== undefined) throw error;
  return parser.end();
}

/**
 * The parts as one object for `RecordedRequest.body`: field name to value or file summary, an array when a
 * name repeats.
 */
export function partsRecord(parts: readonly MultipartPart[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const part of parts) {
    const value = part.file ?? part.value;
    const previous = record[part.name];
    if (!Object.prototype.hasOwnProperty.call(record, part.name)) {
      record[part.name] = value;
    } else if (Array.isArray(previous)) {
      previous.push(value);
    } else {
      record[part.name] = [previous, value];
    }
  }
  return record;
}

/** The last text value of the fields named `name`. */
export function fieldOf(parts: readonly MultipartPart[], name: string): string | undefined {
  return [...parts].reverse().find((part) => part.name === name && part.value !== undefined)?.value;
}

/** The files uploaded under any of `names` (e.g. `image` and `image[]`), in order. */
export function filesOf(parts: readonly MultipartPart[], ...names: string[]): UploadedFile[] {
  return parts.filter((part) => part.file !== undefined && names.includes(part.name)).map((part) => part.file!);
}

function openPart(headerText: string): OpenPart {
  const headers = new Map<string, string>();
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition') ?? '';
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw new MultipartError('A part lacks a form-data Content-Disposition.');
  const params = dispositionParams(disposition);
  const name = params.get('name');
  if (name === undefined) throw new MultipartError('A part lacks a name.');
  const filename = params.get('filename*') ?? params.get('filename');
  const isFile = filename !== undefined;
  return {
    name,
    filename,
    contentType: headers.get('content-type') ?? (isFile ? 'application/octet-stream' : 'text/plain'),
    hash: isFile ? createHash('sha256') : undefined,
    size: 0,
    chunks: [],
  };
}

/** `name` and `filename` parameters: quoted strings (with the HTML form encoding's %22/%0D/%0A escapes), tokens, or RFC 5987 `filename*`. */
function dispositionParams(disposition: string): Map<string, string> {
  const params = new Map<string, string>();
  const pattern = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let match = pattern.exec(disposition); match; match = pattern.exec(disposition)) {
    const key = match[1].toLowerCase();
    if (match[2] !== undefined) {
      params.set(key, match[2].replace(/\\(.)/g, '$1').replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n'));
    } else {
      const raw = match[3].trim();
      const extended = key.endsWith('*') ? /^[\w-]*'[^']*'(.*)$/.exec(raw) : null;
      params.set(key, extended ? safeDecode(extended[1]) : raw);
    }
  }
  return params;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
