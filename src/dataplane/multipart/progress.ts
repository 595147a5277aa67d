import { asBuffer } from './as-buffer';

/**
 * Passes a body through unchanged, calling `onChunk` with each chunk's size and the running total
 * (e.g. to count uploaded bytes in metrics). Nothing is buffered; closing it closes the source.
 */
export async function* observeBytes(
  source: AsyncIterable<Uint8Array>,
  onChunk: (chunkBytes: number, totalBytes: number) => void,
): AsyncGenerator<Buffer, void> {
  let total = 0;
  for await (const chunk of source) {
    const buffer = asBuffer(chunk);
    total += buffer.length;
    onChunk(buffer.length, total);
    yield buffer;
  }
}
