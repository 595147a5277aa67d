import type { ServerResponse } from 'http';
import type { Logger } from 'pino';
import { RE2JS } from 're2js';
import { PAYLOAD_LOG_LIMITS, type PayloadLogConfig, REDACTED } from '../specs';
import type { AccessRecord } from './access-log';

/**
 * Credentials that may sit in a prompt or a completion, always redacted in a payload log: OpenAI-style
 * keys, bearer tokens, AWS access key ids, JWTs and PEM private keys.
 */
const BUILT_IN_REDACTIONS = [
  'sk-[A-Za-z0-9_-]{16,}',
  '(?i)bearer\\s+[A-Za-z0-9._~+/=-]{8,}',
  'AKIA[0-9A-Z]{16}',
  'eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}',
  '-----BEGIN [A-Z ]*PRIVATE KEY-----(?s:.*?)-----END [A-Z ]*PRIVATE KEY-----',
];

/** A route's payload log, compiled at load: the bound and the redactions (RE2: linear time whatever the text). */
export class PayloadLog {
  public static compile(config: PayloadLogConfig): PayloadLog {
    const redactions = [...BUILT_IN_REDACTIONS, ...(config.redact ?? [])].map((p) => RE2JS.compile(p));
    return new PayloadLog(config.maxBytes ?? PAYLOAD_LOG_LIMITS.defaultMaxBytes, redactions);
  }

  private constructor(
    public readonly maxBytes: number,
    private readonly redactions: readonly RE2JS[],
  ) {}

  public redact(text: string): string {
    let out = text;
    for (const pattern of this.redactions) out = pattern.matcher(out).replaceAll(REDACTED);
    return out;
  }
}

/**
 * One request's prompt and completion, kept up to the route's bound: the prompt as the client sent it
 * (its JSON body), the completion as the client got it (the bytes written to the response, before any
 * compression). Written as one `payload` line when the request ends, after redaction.
 */
export class PayloadCapture {
  private readonly completion: Buffer[] = [];
  private completionBytes = 0;
  private completionTruncated = false;
  private readonly prompt: string;
  private readonly promptTruncated: boolean;

  public constructor(
    private readonly log: PayloadLog,
    body: unknown,
    res: ServerResponse,
  ) {
    const text = JSON.stringify(body) ?? '';
    this.promptTruncated = Buffer.byteLength(text, 'utf8') > log.maxBytes;
    this.prompt = this.promptTruncated ? Buffer.from(text, 'utf8').subarray(0, log.maxBytes).toString('utf8') : text;
    this.tap(res);
  }

  /** The `payload` line: route, consumer, status and request id from the access record, then the redacted texts. */
  public write(logger: Logger, r: AccessRecord): void {
    logger.info(
      {
        route: r.route,
        consumer: r.consumer,
        status: r.status,
        ...(r.requestId !== undefined && { requestId: r.requestId }),
        prompt: this.log.redact(this.prompt),
        ...(this.promptTruncated && { promptTruncated: true }),
        completion: this.log.redact(Buffer.concat(this.completion, this.completionBytes).toString('utf8')),
        ...(this.completionTruncated && { completionTruncated: true }),
      },
      'payload',
    );
  }

  /** Copies what the response writes, up to the bound; the writes themselves are unchanged. */
  private tap(res: ServerResponse): void {
    const write = res.write;
    const end = res.end;
    // HTTP/2's compatibility response ends with a body by writing it through `this.write`: kept once, in `end`.
    let ending = false;
    const keep = (chunk: unknown, encoding: unknown): void => {
      if (ending || this.completionTruncated || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
      const room = this.log.maxBytes - this.completionBytes;
      if (bytes.length > room) this.completionTruncated = true;
      const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
      this.completion.push(kept);
      this.completionBytes += kept.length;
    };
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
      keep(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]): ServerResponse {
      keep(chunk, rest[0]);
      ending = true;
      try {
        return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
      } finally {
        ending = false;
      }
    } as typeof res.end;
  }
}
