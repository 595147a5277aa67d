import { RawClient } from './raw-http';

/**
 * A multipart upload as a raw client sends it, so that a test decides how its body goes on (truncated,
 * stalled, trickled, past the limit) after the part the gateway routes by.
 */

/** The start of an upload body: the `model` field (whisper) first, then the head of a file part. */
export function uploadHead(boundary: string): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
}

/** One HTTP/1.1 chunk of chunked transfer encoding. */
export function httpChunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/** A raw connection that has sent the head of a chunked multipart upload to `path`; the body is the caller's. */
export function startUpload(url: string, path: string, boundary: string): RawClient {
  const raw = new RawClient(url);
  raw.head(path, { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' });
  return raw;
}
