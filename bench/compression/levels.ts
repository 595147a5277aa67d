/**
 * What each compression level costs on this machine: the figures behind the levels the gateway uses
 *  (src/dataplane/compression/codings.ts): a 64 KiB JSON answer of numbers (embeddings) and 3 KiB of
 * chat text, each compressed whole (zlib's sync API, 200 times), brotli quality 1, 2 and 4 (window
 * 2^18) and gzip level 1 and 5; then a 20-event chat stream flushed at each event, as the gateway
 * sends SSE. Prints µs per compression and bytes out.
 *
 *   node -r ts-node/register/transpile-only bench/compression/levels.ts
 */
import * as zlib from 'zlib';

const ROUNDS = 200;
// A fixed pseudo-random sequence, so that every run compresses the same bytes.
let seed = 42;
const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const embeddings = JSON.stringify({ data: Array.from({ length: 314 }, (_, index) => ({ object: 'embedding', index, embedding: Array.from({ length: 24 }, random) })) }).slice(0, 65_536);
const chat = JSON.stringify({ choices: [{ message: { content: 'The quick brown fox jumps over the lazy dog. '.repeat(40) + 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.'.repeat(20) } }] });
const events = Array.from({ length: 20 }, (_, i) => `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"word${i} "}}]}\n\n`);

const brotli = (quality: number): zlib.BrotliOptions => ({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_LGWIN]: 18 } });
const codings: [string, (b: Buffer) => Buffer, () => zlib.Gzip | zlib.BrotliCompress][] = [
  ['br 1', (b) => zlib.brotliCompressSync(b, brotli(1)), () => zlib.createBrotliCompress({ ...brotli(1), flush: zlib.constants.BROTLI_OPERATION_FLUSH })],
  ['br 2', (b) => zlib.brotliCompressSync(b, brotli(2)), () => zlib.createBrotliCompress({ ...brotli(2), flush: zlib.constants.BROTLI_OPERATION_FLUSH })],
  ['br 4', (b) => zlib.brotliCompressSync(b, brotli(4)), () => zlib.createBrotliCompress({ ...brotli(4), flush: zlib.constants.BROTLI_OPERATION_FLUSH })],
  ['gzip 1', (b) => zlib.gzipSync(b, { level: 1 }), () => zlib.createGzip({ level: 1, flush: zlib.constants.Z_SYNC_FLUSH })],
  ['gzip 5', (b) => zlib.gzipSync(b, { level: 5 }), () => zlib.createGzip({ level: 5, flush: zlib.constants.Z_SYNC_FLUSH })],
];

/** The bytes a 20-event stream takes, each event written and flushed on its own. */
async function streamBytes(create: () => zlib.Gzip | zlib.BrotliCompress): Promise<number> {
  const encoder = create();
  let bytes = 0;
  encoder.on('data', (chunk: Buffer) => (bytes += chunk.length));
  for (const event of events) await new Promise<void>((resolve) => encoder.write(event, () => resolve()));
  await new Promise<void>((resolve) => encoder.end(() => resolve()));
  return bytes;
}

async function main(): Promise<void> {
  for (const [name, text] of [['64 KiB JSON of numbers', embeddings], ['3 KiB of chat text', chat]] as const) {
    const input = Buffer.from(text);
    for (const [coding, once] of codings) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < ROUNDS; i++) once(input);
      const us = Number(process.hrtime.bigint() - t0) / ROUNDS / 1000;
      console.log(`${name} (${input.length} bytes), ${coding}: ${us.toFixed(0)} µs, ${once(input).length} bytes`);
    }
  }
  const plain = events.reduce((n, e) => n + Buffer.byteLength(e), 0);
  for (const [coding, , stream] of codings) console.log(`20-event stream (${plain} bytes plain), ${coding} flushed per event: ${await streamBytes(stream)} bytes`);
}

void main();
