import type { IncomingMessage } from 'http';
import { Errors } from './errors';

/**
 * Reads a request body up to `limit` bytes; 413 beyond it (checked against Content-Length first).
 * A body that grows past the limit without declaring it gets its 413 as soon as it crosses it; the
 * rest is discarded as it arrives, never buffered. Listeners, not async
 * iteration: this runs once per request, and the iterator's promises were measurable garbage.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(Errors.tooLarge(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
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
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      // 'close' before 'end': the client went away mid-body.
      if (!req.complete) onError(new Error('the client closed the connection before the request body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The body as a JSON object, or 400 naming what is wrong. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw Errors.badJson((e as Error).message);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw Errors.badJson('expected a JSON object');
  return parsed as Record<string, unknown>;
}
