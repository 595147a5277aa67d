import { boundaryOf } from './content-type';
import { MultipartEvent, MultipartLimits, MultipartParser } from './parser';

/** A Buffer view of a chunk (no copy). */
export function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Streams the events of a multipart/form-data body (boundary from `contentType`). File content is never
 * accumulated: each `data` event is a view of one received chunk, valid until the next event is pulled.
 * Throws MultipartError (400, or 413 beyond `limits.maxBytes`).
 */
export async function* parseMultipart(body: AsyncIterable<Uint8Array>, contentType: string, limits: MultipartLimits): AsyncGenerator<MultipartEvent, void> {
  const events: MultipartEvent[] = [];
  const parser = new MultipartParser(boundaryOf(contentType), limits, (event) => events.push(event));
  for await (const chunk of body) {
    parser.write(asBuffer(chunk));
    for (let i = 0; i < events.length; i++) yield events[i];
    events.length = 0;
  }
  parser.end();
  for (const event of events) yield event;
}
