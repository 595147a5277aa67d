import type { IncomingMessage } from 'http';
import { Errors } from './errors';
import { checkJsonShape } from './json-shape';
import { StallWatch } from './stall-watch';

/**
 * Reads a request body up to `limit` bytes; 413 beyond it (checked against Content-Length first).
 * A body that grows past the limit without declaring it gets its 413 as soon as it crosses it; the
 * rest is discarded as it arrives, never buffered. The client's faults are named as such, never as
 * the gateway's or a backend's: a body that stalls for `timeoutMs` is 408, a client gone mid-body 499.
 * Listeners, not async iteration: this runs once per request, and the iterator's promises were
 * measurable garbage.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(Errors.tooLarge(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stall = new StallWatch(
      timeoutMs,
      () => true,
      () => {
        cleanup();
        chunks.length = 0;
        reject(Errors.bodyTimeout(timeoutMs));
      },
    );
    const cleanup = (): void => {
      stall.stop();
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      stall.tick();
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        // The rest is read and dropped, never kept: closing now would reset the connection under the
        // client, which then never sees the 413. The server's request timeout bounds how long that lasts.
        req.resume();
        reject(Errors.tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    // An error on the request stream is the client's connection failing under it ('aborted', a reset):
    // the client is gone, nobody reads the answer, and it is no fault of the gateway's.
    const onError = (): void => {
      cleanup();
      reject(Errors.clientGone());
    };
    const onClose = (): void => {
      // 'close' before 'end': the client went away mid-body.
      if (!req.complete) onError();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The body as a JSON object, or 400 naming what is wrong: not JSON, nested deeper than `maxDepth`,
 * or `model` given twice at the top level (one cheap pass over the bytes before the parse).
 */
export function parseJsonObject(body: Buffer, maxDepth: number): Record<string, unknown> {
  const shape = checkJsonShape(body, maxDepth, 'model');
  if (shape === 'too_deep') throw Errors.jsonTooDeep(maxDepth);
  if (shape === 'duplicate_key') throw Errors.duplicateKey('model');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw Errors.badJson((e as Error).message);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw Errors.badJson('expected a JSON object');
  return parsed as Record<string, unknown>;
}
