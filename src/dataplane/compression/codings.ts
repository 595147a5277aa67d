import type { Transform } from 'stream';
import * as zlib from 'zlib';

/** A content coding the gateway can answer in (RFC 9110 §8.4.1), with its encoder. */
export interface Coding {
  /** The token sent in `Content-Encoding`. */
  readonly name: string;
  /**
   * A new encoder. A stream's (`flushEachWrite`) flushes after every write: each write the data plane makes (an
   * SSE event, a relayed chunk) leaves compressed at once, so compression adds no wait before the client sees
   * it. A body of known length is read whole by its client anyway: its encoder flushes only at the end, which
   * costs less CPU and compresses better.
   */
  readonly encoder: (flushEachWrite: boolean) => Transform;
  /** About what one encoder holds in memory (measured on Node 20: its state is allocated whole, whatever the answer's size). */
  readonly memoryBytes: number;
}

/**
 * Dynamic content is compressed once and read once, and the gateway's CPU is what every tenant shares:
 * the fastest levels. `node -r ts-node/register/transpile-only bench/compression/levels.ts` measured on
 * the bench machine (Node 20), a 64 KiB JSON answer of numbers (embeddings): brotli quality 1 345 µs for
 * 26,973 bytes, quality 4 1,157 µs for 26,330; gzip level 1 705 µs for 28,813, level 5 1,431 µs for
 * 27,555 (nginx's default gzip level is 1 too). On 3 KiB of chat text all of them take 20 to 47 µs.
 * A 256 KiB window keeps the encoder's memory small (it is allocated per response).
 */
const KIB = 1024;
const BROTLI_QUALITY = 1;
/**
 * Flushed at every event, quality 1 does not compress a stream (bench/compression/levels.ts: a 20-event chat
 * stream of 2,270 bytes took 2,337 at quality 1, 428 at quality 4, 334 with gzip level 1): a stream's brotli is quality 4.
 */
const BROTLI_STREAM_QUALITY = 4;
const BROTLI_WINDOW_BITS = 18;
const GZIP_LEVEL = 1;
const ZSTD_LEVEL = 3;

// The options are built once, at load: a response that is compressed allocates its encoder, nothing more.
const BROTLI_BODY_OPTIONS: zlib.BrotliOptions = {
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
    [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  },
};
const BROTLI_STREAM_OPTIONS: zlib.BrotliOptions = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  params: { ...BROTLI_BODY_OPTIONS.params, [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_STREAM_QUALITY },
};
const GZIP_BODY_OPTIONS: zlib.ZlibOptions = { level: GZIP_LEVEL };
const GZIP_STREAM_OPTIONS: zlib.ZlibOptions = { ...GZIP_BODY_OPTIONS, flush: zlib.constants.Z_SYNC_FLUSH };

/** zstd where this Node has it (v22.15+, v23.8+); absent from Node 20, so the gateway never offers it there. */
function zstdCoding(): Coding | undefined {
  const z = zlib as unknown as { createZstdCompress?: (options: object) => Transform; constants: Record<string, number> };
  const create = z.createZstdCompress;
  const flush = z.constants.ZSTD_e_flush;
  const level = z.constants.ZSTD_c_compressionLevel;
  if (typeof create !== 'function' || flush === undefined || level === undefined) return undefined;
  const body = { params: { [level]: ZSTD_LEVEL } };
  const stream = { ...body, flush };
  // Not measured (no zstd in Node 20): zstd's level-3 context with its default window is about this.
  return { name: 'zstd', encoder: (flushEachWrite) => create(flushEachWrite ? stream : body), memoryBytes: 1536 * KIB };
}

const BROTLI: Coding = { name: 'br', encoder: (flushEachWrite) => zlib.createBrotliCompress(flushEachWrite ? BROTLI_STREAM_OPTIONS : BROTLI_BODY_OPTIONS), memoryBytes: 540 * KIB };
const GZIP: Coding = { name: 'gzip', encoder: (flushEachWrite) => zlib.createGzip(flushEachWrite ? GZIP_STREAM_OPTIONS : GZIP_BODY_OPTIONS), memoryBytes: 230 * KIB };
const ZSTD = zstdCoding();

/** The codings this process answers bodies in, by the server's preference when the client weighs several alike: br, zstd, gzip. */
export const CODINGS: readonly Coding[] = [BROTLI, ...(ZSTD ? [ZSTD] : []), GZIP];

/**
 * The same codings by the server's preference for streams (SSE, answers of unknown length): an encoder
 * lives as long as its stream, for minutes with MCP's, so the smallest state comes first. Flushed per
 * event, gzip compresses a chat stream within 5% of brotli quality 4 with under half its memory.
 */
export const STREAM_CODINGS: readonly Coding[] = [GZIP, BROTLI, ...(ZSTD ? [ZSTD] : [])];
