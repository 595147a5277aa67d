import type { Answer } from './waf-gateway';
import { rawRequest } from '../../raw-http';

export interface RawSpec {
  readonly method: string;
  /** The request target byte for byte: fetch would resolve dot-segments and re-encode it. */
  readonly rawPath: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON value (sent as JSON), or a string sent as it is. */
  readonly body?: unknown;
}

/**
 * Sends one request exactly as written on a fresh connection (`Connection: close`), with `Host: localhost` and the
 * headers given (an `authorization` among them is the caller's to add), and reads the answer.
 */
export async function sendRaw(url: string, spec: RawSpec): Promise<Answer> {
  const body = spec.body === undefined ? undefined : Buffer.from(typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body), 'utf8');
  const lines = [`${spec.method} ${spec.rawPath} HTTP/1.1`, 'Host: localhost', 'Connection: close'];
  for (const [name, value] of Object.entries(spec.headers ?? {})) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  const res = await rawRequest(url, body === undefined ? head : Buffer.concat([head, body]));
  const headers: Record<string, string> = {};
  for (const line of res.head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: res.status, headers, body: Buffer.from(res.body, 'latin1').toString('utf8') };
}
