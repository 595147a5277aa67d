import type { IncomingMessage } from 'http';
import { Errors } from './errors';
import type { InboundBandwidth } from './inflow/bandwidth';
import { RequestInflow } from './inflow/request-inflow';
import { checkJsonShape } from './json-shape';
import { StallWatch } from './stall-watch';

/**
 * Reads a request body up to `limit` bytes; 413 beyond it (checked against Content-Length first, the bytes as
 * sent). A compressed body (Content-Encoding gzip, deflate, br) is decompressed as it arrives and the limit holds
 * for its decompressed size: a decompression bomb gets its 413 as soon as it crosses the limit, inflated no
 * further; corrupt data is 400, a coding the gateway does not decode 415 (inflow/). A body that grows past the
 * limit without declaring it gets its 413 as soon as it crosses it; the rest is discarded as it arrives, never
 * buffered. The body is read at the replica's inbound bandwidth (`bandwidth`: absent, unshaped). The client's
 * faults are named as such, never as the gateway's or a backend's: a body that stalls for `timeoutMs` is 408
 * (time the bandwidth holds it back is not a stall), a client gone mid-body 499.
 * Listeners, not async iteration: this runs once per request, and the iterator's promises were
 * measurable garbage.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number, bandwidth?: InboundBandwidth): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(Errors.tooLarge(limit));
  let inflow: RequestInflow;
  try {
    inflow = new RequestInflow(req, bandwidth, limit);
  } catch (e) {
    return Promise.reject(e as Error);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stall = new StallWatch(
      timeoutMs,
      () => !inflow.throttled,
      () => {
        inflow.stop();
        chunks.length = 0;
        reject(Errors.bodyTimeout(timeoutMs));
      },
    );
    inflow.start({
      arrived: () => stall.tick(),
      data: (chunk) => {
        size += chunk.length;
        if (size > limit) {
          stall.stop();
          chunks.length = 0;
          // The rest is read and dropped, never kept: closing now would reset the connection under the
          // client, which then never sees the 413.
          inflow.discard();
          reject(inflow.encoding ? Errors.tooLargeDecoded(limit, inflow.encoding) : Errors.tooLarge(limit));
          return;
        }
        chunks.push(chunk);
      },
      end: () => {
        stall.stop();
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      },
      fail: (error) => {
        stall.stop();
        chunks.length = 0;
        reject(error);
      },
    });
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
