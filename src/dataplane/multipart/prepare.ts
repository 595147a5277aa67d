import { asBuffer } from './as-buffer';
import { boundaryOf } from './content-type';
import { MultipartError, MultipartErrors } from './errors';
import { type MultipartEvent, type MultipartLimits, MultipartParser } from './parser';
import { isFilePart } from './part-headers';
import { Spool } from './spool';

export const DEFAULT_MEMORY_THRESHOLD_BYTES = 1024 * 1024;

export interface PrepareMultipartOptions extends MultipartLimits {
  /** Where bytes read before the `model` field spill once they exceed `memoryThresholdBytes` (e.g. `os.tmpdir()`). */
  spoolDir: string;
  /** Bytes read before the `model` field kept in memory before spilling to a temp file. Default 1 MiB. */
  memoryThresholdBytes?: number;
  /** The request's declared Content-Length, if any: 413 up front beyond `maxBytes`, and `rewrite` then returns the new length. */
  contentLength?: number;
  /**
   * Keep reading past `model` through the text fields that follow it, up to the next file part, the end, or
   * TEXT_AFTER_MODEL_BYTES more (all held for replay like the rest): for the WAF, which reads every text field.
   */
  readTextFields?: boolean;
}

/** Bytes read past `model` for `readTextFields`, at most: text fields are small; a file part stops the reading sooner. */
export const TEXT_AFTER_MODEL_BYTES = 64 * 1024;

/** The body to send upstream. */
export interface RewrittenMultipart {
  /** The Content-Type to send (the client's own: the boundary is kept). */
  contentType: string;
  /** The client's body byte for byte, except the `model` value. Throws MultipartError if the rest of the client's body is invalid. */
  body: AsyncIterable<Buffer>;
  /** Its length, when the client declared a Content-Length. */
  contentLength?: number;
}

export interface PreparedMultipart {
  /** The non-file fields read so far (up to and including `model`); for repeated names, the first value. */
  fields: Record<string, string>;
  /** Every text field read (with `readTextFields`, those after `model` too), each value of a repeated name, in order. */
  textFields: Array<readonly [name: string, value: string]>;
  /** The `model` field, or undefined when the body ended without one (answer 400). */
  model: string | undefined;
  /** Bytes read from the client so far. */
  readonly bytesRead: number;
  /** Bytes held for replay in the spool (memory or temp file); the chunk that completed `model` is held apart. */
  readonly spooledBytes: number;
  /** The temp file holding them, once they exceeded the memory threshold (until cleanup). */
  readonly spoolFile: string | undefined;
  /**
   * The body to send upstream with the `model` value replaced by `newModel`: the bytes read so far are
   * replayed, then the rest of the client's body streams through as it arrives (validated on the way;
   * nothing more is stored). Call once. MultipartError 400 when there is no `model` field.
   */
  rewrite(newModel: string): RewrittenMultipart;
  /** Deletes the temp file (idempotent). Call it when done or on error; the replay also calls it when it finishes or is closed. */
  cleanup(): Promise<void>;
}

interface ModelField {
  value: string;
  /** Absolute offsets of its content. */
  start: number;
  end: number;
}

/**
 * Reads a multipart/form-data body until its `model` field (or its end), holding what was read for replay.
 * The body's iterator is driven with `next()` only, never `return()`: the caller owns the request stream.
 * Throws MultipartError (400; 413 beyond `maxBytes`); on any error the spool is already cleaned up.
 */
export async function prepareMultipart(
  body: AsyncIterable<Uint8Array>,
  contentType: string,
  options: PrepareMultipartOptions,
): Promise<PreparedMultipart> {
  const boundary = boundaryOf(contentType);
  if (options.contentLength !== undefined && options.contentLength > options.maxBytes) throw MultipartErrors.tooLarge(options.maxBytes);
  const spool = new Spool(options.spoolDir, options.memoryThresholdBytes ?? DEFAULT_MEMORY_THRESHOLD_BYTES);
  const fields: Record<string, string> = {};
  const textFields: Array<readonly [string, string]> = [];
  let model: ModelField | undefined;
  let modelStart: number | undefined;
  // With readTextFields: whether the text fields after `model` are still being read (a file part or the cap ends it).
  let readingText = options.readTextFields === true;
  const onEvent = (event: MultipartEvent): void => {
    if (event.type === 'part' && event.part.name === 'model') {
      if (modelStart !== undefined) throw MultipartErrors.duplicateModel();
      if (isFilePart(event.part)) throw MultipartErrors.modelIsFile();
      modelStart = event.offset;
    } else if (event.type === 'part' && model !== undefined && isFilePart(event.part)) {
      readingText = false;
    } else if (event.type === 'part-end' && event.value !== undefined && (model === undefined || readingText)) {
      textFields.push([event.part.name, event.value]);
      if (model !== undefined) return;
      if (!Object.hasOwn(fields, event.part.name)) fields[event.part.name] = event.value;
      if (event.part.name === 'model') model = { value: event.value, start: modelStart!, end: event.offset };
    }
  };
  const parser = new MultipartParser(boundary, options, onEvent);
  const iterator = body[Symbol.asyncIterator]();
  /** The chunk in which `model` ended: held in memory, not spooled. */
  let tail: Buffer = Buffer.alloc(0);
  try {
    while (model === undefined || (readingText && parser.bytesRead - model.end < TEXT_AFTER_MODEL_BYTES)) {
      const next = await iterator.next();
      if (next.done) {
        parser.end(); // the whole body was read and checked (no model, or the text after it ran to the end)
        break;
      }
      const chunk = asBuffer(next.value);
      parser.write(chunk);
      // Past `model`, the chunk that completed it is held apart (unless more is read: then everything is spooled).
      if (model === undefined || options.readTextFields) await spool.append(chunk);
      else tail = chunk;
    }
  } catch (e) {
    await spool.cleanup();
    throw e;
  }
  const spoolFile = spool.path;
  const held = spool.length;

  async function* stored(start: number, end: number): AsyncGenerator<Buffer, void> {
    if (start < held) yield* spool.read(start, Math.min(end, held));
    const from = Math.max(start, held) - held;
    const to = end - held;
    if (from < to) yield tail.subarray(from, to);
  }

  async function* replay(field: ModelField, value: Buffer): AsyncGenerator<Buffer, void> {
    try {
      yield* stored(0, field.start);
      if (value.length > 0) yield value;
      yield* stored(field.end, held + tail.length);
      tail = Buffer.alloc(0);
      await spool.cleanup(); // everything stored has been sent
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const chunk = asBuffer(next.value);
        parser.write(chunk);
        yield chunk;
      }
      parser.end();
    } finally {
      await spool.cleanup();
    }
  }

  let rewritten = false;
  return {
    fields,
    textFields,
    model: model?.value,
    get bytesRead() {
      return parser.bytesRead;
    },
    spooledBytes: held,
    spoolFile,
    rewrite(newModel: string): RewrittenMultipart {
      if (model === undefined) throw MultipartErrors.modelMissing();
      if (rewritten) throw new Error('rewrite() was already called: the rest of the client body streams through the first rewritten body.');
      const value = Buffer.from(newModel, 'utf8');
      const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
      if (Buffer.concat([value, delimiter]).indexOf(delimiter) !== value.length) {
        throw new MultipartError(400, 'multipart_model_invalid', `The model name '${newModel}' contains the multipart boundary and cannot be sent in this body.`, 'model');
      }
      rewritten = true;
      const contentLength = options.contentLength === undefined ? undefined : options.contentLength - (model.end - model.start) + value.length;
      return { contentType, body: replay(model, value), ...(contentLength !== undefined ? { contentLength } : {}) };
    },
    cleanup: () => spool.cleanup(),
  };
}
