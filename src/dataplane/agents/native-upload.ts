import { boundaryOf, MultipartError, type MultipartEvent, type MultipartLimits, MultipartParser, type PartInfo } from '../multipart';
import { asBuffer } from '../multipart/as-buffer';

/** The form field Dify scopes an upload to. */
const USER_FIELD = 'user';

/**
 * A Dify upload (`files/upload`, multipart/form-data) with its `user` the gateway's: every part the
 * client named `user` is dropped (however many, file or field), and one `user` field is appended, its
 * value `userOf` the client's first one. The other parts stream through as they arrive, re-framed
 * with the client's boundary, their content byte for byte. Their headers are written anew from what
 * the gateway read (name, filename, Content-Type), so that the agent cannot read a part's name otherwise
 * (a second `name`, a `name*`): the `user` it sees is the one the gateway put there.
 * Nothing but the current part's header block and one field value is held. Throws MultipartError (400,
 * 413) as the parser finds the body malformed or too large.
 */
export async function* withGatewayUser(
  body: AsyncIterable<Buffer>,
  contentType: string,
  limits: MultipartLimits,
  userOf: (clientUser: string | undefined) => string,
): AsyncGenerator<Buffer> {
  const boundary = boundaryOf(contentType);
  const out: Buffer[] = [];
  let dropping = false;
  let clientUser: string | undefined;
  const onEvent = (event: MultipartEvent): void => {
    if (event.type === 'part') {
      dropping = event.part.name === USER_FIELD;
      if (!dropping) out.push(Buffer.from(`--${boundary}\r\n${headerBlock(event.part)}\r\n`, 'utf8'));
    } else if (event.type === 'data') {
      if (!dropping) out.push(event.data);
    } else if (event.type === 'part-end') {
      if (dropping) clientUser ??= event.value;
      else out.push(CRLF);
      dropping = false;
    } else {
      out.push(userPart(boundary, userOf(clientUser)));
    }
  };
  const parser = new MultipartParser(boundary, limits, onEvent);
  for await (const chunk of body) {
    parser.write(asBuffer(chunk));
    // Sent before the next write: a `data` event's buffer is a view of this chunk.
    if (out.length > 0) yield out.length === 1 ? out[0] : Buffer.concat(out);
    out.length = 0;
  }
  parser.end();
}

const CRLF = Buffer.from('\r\n');

/** A part's headers as the gateway read them, each line CRLF-ended: its Content-Disposition (name, filename) and Content-Type. */
function headerBlock(part: PartInfo): string {
  const filename = part.filename === undefined ? '' : `; filename=${quoted(part.filename)}`;
  const type = part.contentType === undefined ? '' : `content-type: ${part.contentType.replace(/[\r\n]/g, ' ')}\r\n`;
  return `content-disposition: form-data; name=${quoted(part.name)}${filename}\r\n${type}`;
}

/** An RFC 9110 quoted-string: `"` and `\\` escaped, line breaks (which a parsed value cannot hold anyway) as spaces. */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ')}"`;
}

/** The gateway's `user` field and the closing boundary. */
function userPart(boundary: string, user: string): Buffer {
  // A value cannot end the part early: the gateway's user never holds a line break (the client's own
  // came from a part of this very body, which could not hold the delimiter either).
  if (/[\r\n]/.test(user)) throw new MultipartError(400, 'multipart_malformed', "The 'user' form field holds a line break. Send a user id on one line.", USER_FIELD);
  return Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${USER_FIELD}"\r\n\r\n${user}\r\n--${boundary}--\r\n`, 'utf8');
}
