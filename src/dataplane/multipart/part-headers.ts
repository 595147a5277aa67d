import { MultipartErrors } from './errors';
import { decodeExtendedValue, parseHeaderValue } from './header-params';

/** What a part's headers say about it. */
export interface PartInfo {
  /** 0-based position of the part in the body. */
  readonly index: number;
  /** The `name` of its Content-Disposition. */
  readonly name: string;
  /** The `filename` (or RFC 8187 `filename*`) of its Content-Disposition; present (possibly empty) for file parts. */
  readonly filename?: string;
  /** Its Content-Type header, if any. */
  readonly contentType?: string;
  /** All its headers, by lower-cased name (the first occurrence wins). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A part is a file when its Content-Disposition has a filename (RFC 7578 §4.2); otherwise it is a form field. */
export function isFilePart(part: PartInfo): boolean {
  return part.filename !== undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/**
 * Parses the header block of part `index`: the bytes between the boundary line and the empty line, without
 * the final CRLF CRLF (empty when the part has no headers). MultipartError 400 when a header line is not
 * `Name: value`, or when Content-Disposition is missing, not `form-data`, or has no name.
 */
export function parsePartHeaders(block: Buffer, index: number): PartInfo {
  const headers: Record<string, string> = {};
  if (block.length > 0) {
    let last: string | undefined;
    for (const line of block.toString('utf8').split('\r\n')) {
      if (line.includes('\r') || line.includes('\n')) throw MultipartErrors.malformed(`part ${index} has a header line with a bare CR or LF`);
      if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
        headers[last] += ` ${line.trim()}`; // obsolete line folding
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? '' : line.slice(0, colon).toLowerCase();
      if (!TOKEN.test(name)) throw MultipartErrors.malformed(`part ${index} has the header line ${quote(line)}, which is not 'Name: value'`);
      if (!(name in headers)) {
        headers[name] = line.slice(colon + 1).trim();
        last = name;
      } else {
        last = undefined;
      }
    }
  }
  const disposition = headers['content-disposition'];
  if (disposition === undefined) throw MultipartErrors.malformed(`part ${index} has no Content-Disposition header`);
  const parsed = parseHeaderValue(disposition);
  if (!parsed) throw MultipartErrors.malformed(`part ${index} has an unterminated quoted string in its Content-Disposition`);
  if (parsed.value !== 'form-data') throw MultipartErrors.malformed(`part ${index} has Content-Disposition ${quote(parsed.value)}; it must be 'form-data'`);
  const name = parsed.params.name;
  if (name === undefined) throw MultipartErrors.malformed(`part ${index} has no name in its Content-Disposition`);
  const extended = parsed.params['filename*'] === undefined ? undefined : decodeExtendedValue(parsed.params['filename*']);
  const filename = extended ?? parsed.params.filename;
  const contentType = headers['content-type'];
  return {
    index,
    name,
    ...(filename !== undefined ? { filename } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    headers,
  };
}
