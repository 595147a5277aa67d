/**
 * Reads a request body for recording and routing: JSON (kept whole, as before), or `multipart/form-data`
 * parsed as it streams in, so uploads are never buffered.
 */
import type { IncomingMessage } from 'node:http';
import { boundaryOf, MultipartError, type MultipartPart, parseMultipart, partsRecord } from './multipart';

export interface RequestBody {
  /** What `RecordedRequest.body` holds: parsed JSON, the raw text, the multipart record, or `undefined` if empty. */
  readonly body: unknown;
  /** The body was meant to be JSON or multipart but could not be parsed. */
  readonly invalid: boolean;
  /** The parts of a `multipart/form-data` body. */
  readonly parts?: readonly MultipartPart[];
}

export async function readRequestBody(req: IncomingMessage): Promise<RequestBody> {
  const boundary = boundaryOf(req.headers['content-type']);
  if (boundary !== undefined) {
    try {
      const parts = await parseMultipart(req, boundary);
      return { body: partsRecord(parts), invalid: false, parts };
    } catch (error) {
      if (error instanceof MultipartError) return { body: `(invalid multipart body: ${error.message})`, invalid: true };
      throw error;
    }
  }
  const raw = await readText(req);
  if (raw === '') return { body: undefined, invalid: false };
  try {
    return { body: JSON.parse(raw), invalid: false };
  } catch {
    return { body: raw, invalid: true };
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
