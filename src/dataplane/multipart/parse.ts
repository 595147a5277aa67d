import { asBuffer } from './as-buffer';
import { boundaryOf } from './content-type';
import { type MultipartEvent, type MultipartLimits, MultipartParser } from './parser';

/**
 * Streams the events of a multipart/form-data body (boundary from `contentType`). File content is never
 * accumulated: each `data` event is a view of one received chunk, valid until the next event is pulled.
 * Throws MultipartError (400, or 413 beyond `limits.maxBytes`).
 */
export async function* parseMultipart(
  body: AsyncIterable<Uint8Array>,
  contentType: string,
  limits: MultipartLimits,
): AsyncGenerator<MultipartEvent, void> {
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
