import { MultipartError, MultipartErrors } from './errors';
import { isFilePart, parsePartHeaders, type PartInfo } from './part-headers';

/** Limits of one multipart body. */
export interface MultipartLimits {
  /** The whole body, preamble and epilogue included; MultipartError 413 beyond it. */
  maxBytes: number;
  /** Parts (fields and files); MultipartError 400 beyond it. Default 100. */
  maxParts?: number;
  /** The value of one non-file field; MultipartError 400 beyond it. Default 64 KiB. */
  maxFieldBytes?: number;
  /** The header block of one part; MultipartError 400 beyond it. Default 16 KiB. */
  maxHeaderBytes?: number;
}

export const DEFAULT_MAX_PARTS = 100;
export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/**
 * What the parser reports, in body order. Offsets are absolute byte offsets into the body as received.
 * `data` buffers may be views of the written chunk: use or copy them before the next `write`.
 */
export type MultipartEvent =
  /** A part's headers were read; `offset` is where its content starts. */
  | { type: 'part'; part: PartInfo; offset: number }
  /** Some of the part's content (never empty). */
  | { type: 'data'; part: PartInfo; data: Buffer }
  /** The part's content ended at `offset` (exclusive); `value` is the UTF-8 value of a non-file field. */
  | { type: 'part-end'; part: PartInfo; offset: number; value?: string }
  /** The closing boundary `--boundary--` was read; it starts (with its leading CRLF) at `offset`. */
  | { type: 'end'; offset: number };

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const EMPTY = Buffer.alloc(0);
const HEADER_END = Buffer.from('\r\n\r\n');

enum State {
  /** Looking for the first delimiter; bytes are discarded. */
  PREAMBLE,
  /** Just read a delimiter: `--` (close), transport padding or CRLF follows. */
  AFTER_DELIMITER,
  /** Read `-` after a delimiter; the second `-` must follow. */
  CLOSE_DASH,
  /** Skipping spaces and tabs after a delimiter, up to CR. */
  PADDING,
  /** Read CR after a delimiter; LF must follow. */
  DELIMITER_LF,
  /** Reading a part's header block. */
  HEADERS,
  /** Reading a part's content, up to the next delimiter. */
  BODY,
  /** After the closing delimiter; bytes are discarded. */
  EPILOGUE,
}

/**
 * A push parser of multipart/form-data (RFC 7578 / RFC 2046). It holds no more than a delimiter's length of
 * content between writes (plus the value of the current non-file field, bounded by `maxFieldBytes`, and the
 * header block, bounded by `maxHeaderBytes`). Errors are MultipartErrors thrown from `write`/`end`; an event
 * handler may throw too, and the parser is then unusable (every later call throws the same error).
 */
export class MultipartParser {
  private readonly delimiter: Buffer;
  private readonly maxParts: number;
  private readonly maxFieldBytes: number;
  private readonly maxHeaderBytes: number;
  private state = State.PREAMBLE;
  /** A possible start of the delimiter at the end of the last chunk (copied). Starts as the virtual CRLF before the body. */
  private carry: Buffer = Buffer.from('\r\n');
  /** Absolute offset of the next chunk's first byte. */
  private position = 0;
  private headerBytes: Buffer = EMPTY;
  private parts = 0;
  private current: PartInfo | undefined;
  private fieldChunks: Buffer[] = [];
  private fieldBytes = 0;
  private failure: unknown;

  public constructor(
    public readonly boundary: string,
    private readonly limits: MultipartLimits,
    private readonly onEvent: (event: MultipartEvent) => void,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.maxParts = limits.maxParts ?? DEFAULT_MAX_PARTS;
    this.maxFieldBytes = limits.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
    this.maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Bytes written so far. */
  public get bytesRead(): number {
    return this.position;
  }

  /** True once the closing boundary was read. */
  public get complete(): boolean {
    return this.state === State.EPILOGUE;
  }

  public write(chunk: Buffer): void {
    if (this.failure !== undefined) throw this.failure;
    if (chunk.length === 0) return;
    try {
      if (this.position + chunk.length > this.limits.maxBytes) throw MultipartErrors.tooLarge(this.limits.maxBytes);
      this.process(chunk);
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  /** The body ended: MultipartError 400 unless the closing boundary was read. */
  public end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.state === State.EPILOGUE) return;
    this.failure = this.state === State.PREAMBLE
      ? MultipartErrors.malformed(`it has no boundary line '--${this.boundary}'`)
      : MultipartErrors.malformed(`it ended before the closing boundary '--${this.boundary}--'`);
    throw this.failure;
  }

  private process(chunk: Buffer): void {
    const chunkBase = this.position;
    this.position += chunk.length;
    let buf = chunk;
    let base = chunkBase;
    let i = 0;
    const dlen = this.delimiter.length;
    if (this.carry.length > 0) {
      const carry = this.carry;
      this.carry = EMPTY;
      if (chunk.length < dlen) {
        // Small chunk: joining it with the carry costs less than a delimiter.
        buf = Buffer.concat([carry, chunk]);
        base = chunkBase - carry.length;
      } else {
        // Does a delimiter start inside the carry? It must then end within the chunk's first dlen - 1 bytes.
        const head = Buffer.concat([carry, chunk.subarray(0, dlen - 1)]);
        const p = head.indexOf(this.delimiter);
        if (p !== -1 && p < carry.length) {
          this.content(carry.subarray(0, p));
          this.delimiterAt(chunkBase - carry.length + p);
          i = p + dlen - carry.length;
        } else {
          this.content(carry);
        }
      }
    }
    while (i < buf.length) {
      switch (this.state) {
        case State.PREAMBLE:
        case State.BODY: {
          const p = buf.indexOf(this.delimiter, i);
          if (p !== -1) {
            this.content(buf.subarray(i, p));
            this.delimiterAt(base + p);
            i = p + dlen;
          } else {
            const keep = this.partialDelimiterAtEnd(buf, i);
            this.content(buf.subarray(i, buf.length - keep));
            if (keep > 0) this.carry = Buffer.from(buf.subarray(buf.length - keep));
            i = buf.length;
          }
          break;
        }
        case State.AFTER_DELIMITER: {
          const c = buf[i++];
          if (c === DASH) this.state = State.CLOSE_DASH;
          else if (c === CR) this.state = State.DELIMITER_LF;
          else if (c === SPACE || c === TAB) this.state = State.PADDING;
          else throw MultipartErrors.malformed(`the boundary '--${this.boundary}' is followed by ${describe(c)} instead of CRLF or '--'; the boundary must not occur inside the content`);
          break;
        }
        case State.CLOSE_DASH: {
          const c = buf[i++];
          if (c !== DASH) throw MultipartErrors.malformed(`the boundary '--${this.boundary}-' is followed by ${describe(c)} instead of '-'`);
          this.state = State.EPILOGUE;
          this.onEvent({ type: 'end', offset: base + i - dlen - 2 });
          break;
        }
        case State.PADDING: {
          const c = buf[i++];
          if (c === CR) this.state = State.DELIMITER_LF;
          else if (c !== SPACE && c !== TAB) throw MultipartErrors.malformed(`the boundary line '--${this.boundary}' has ${describe(c)} after it instead of CRLF`);
          break;
        }
        case State.DELIMITER_LF: {
          const c = buf[i++];
          if (c !== LF) throw MultipartErrors.malformed(`the boundary line '--${this.boundary}' ends with CR followed by ${describe(c)} instead of LF`);
          if (this.parts >= this.maxParts) throw MultipartErrors.tooManyParts(this.maxParts);
          this.parts++;
          this.state = State.HEADERS;
          break;
        }
        case State.HEADERS:
          i = this.headers(buf, i, base);
          break;
        case State.EPILOGUE:
          i = buf.length;
          break;
      }
    }
  }

  /** Reads header bytes from buf[i..]; returns where it stopped. */
  private headers(buf: Buffer, i: number, base: number): number {
    const previous = this.headerBytes;
    const room = this.maxHeaderBytes + HEADER_END.length - previous.length;
    const piece = buf.subarray(i, Math.min(buf.length, i + room));
    const acc = previous.length > 0 ? Buffer.concat([previous, piece]) : piece;
    let blockEnd = -1;
    let terminator = 0;
    if (acc.length >= 2 && acc[0] === CR && acc[1] === LF) {
      blockEnd = 0; // no headers at all: the empty line follows the boundary line
      terminator = 2;
    } else {
      blockEnd = acc.indexOf(HEADER_END);
      terminator = HEADER_END.length;
    }
    if (blockEnd === -1) {
      if (acc.length >= this.maxHeaderBytes + HEADER_END.length) throw MultipartErrors.headersTooLarge(this.maxHeaderBytes);
      this.headerBytes = Buffer.from(acc);
      return i + piece.length;
    }
    this.headerBytes = EMPTY;
    const next = i + blockEnd + terminator - previous.length;
    const part = parsePartHeaders(acc.subarray(0, blockEnd), this.parts - 1);
    this.current = part;
    this.fieldChunks = [];
    this.fieldBytes = 0;
    this.state = State.BODY;
    this.onEvent({ type: 'part', part, offset: base + next });
    return next;
  }

  /** Content of the current part (discarded in the preamble). */
  private content(data: Buffer): void {
    if (this.state !== State.BODY || data.length === 0) return;
    const part = this.current!;
    if (!isFilePart(part)) {
      this.fieldBytes += data.length;
      if (this.fieldBytes > this.maxFieldBytes) throw MultipartErrors.fieldTooLarge(part.name, this.maxFieldBytes);
      this.fieldChunks.push(Buffer.from(data));
    }
    this.onEvent({ type: 'data', part, data });
  }

  /** A delimiter starts at absolute `offset`. */
  private delimiterAt(offset: number): void {
    if (this.state === State.BODY) {
      const part = this.current!;
      this.current = undefined;
      const value = isFilePart(part) ? undefined : Buffer.concat(this.fieldChunks, this.fieldBytes).toString('utf8');
      this.fieldChunks = [];
      this.onEvent({ type: 'part-end', part, offset, ...(value !== undefined ? { value } : {}) });
    }
    this.state = State.AFTER_DELIMITER;
  }

  /** Length of the longest suffix of buf[from..] that is a proper prefix of the delimiter. */
  private partialDelimiterAtEnd(buf: Buffer, from: number): number {
    const start = Math.max(from, buf.length - this.delimiter.length + 1);
    for (let j = start; j < buf.length; j++) {
      if (buf[j] !== CR) continue;
      if (buf.subarray(j).equals(this.delimiter.subarray(0, buf.length - j))) return buf.length - j;
    }
    return 0;
  }
}

function describe(byte: number): string {
  return byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/** True for the errors this module throws. */
export function isMultipartError(e: unknown): e is MultipartError {
  return e instanceof MultipartError;
}
