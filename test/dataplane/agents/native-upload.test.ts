import { withGatewayUser } from '../../../src/dataplane/agents/native-upload';
import { MultipartError, parseMultipart } from '../../../src/dataplane/multipart';

const BOUNDARY = 'XyZ-boundary-42';
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
const LIMITS = { maxBytes: 1024 * 1024 };

/** A multipart body of `parts`, as a browser's FormData would frame it. */
function body(parts: { name: string; value: string; filename?: string; type?: string }[]): Buffer {
  let text = '';
  for (const p of parts) {
    const file = p.filename === undefined ? '' : `; filename="${p.filename}"`;
    const type = p.type === undefined ? '' : `\r\nContent-Type: ${p.type}`;
    text += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${file}${type}\r\n\r\n${p.value}\r\n`;
  }
  return Buffer.from(`${text}--${BOUNDARY}--\r\n`);
}

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** The rewritten body, read back with the gateway's own parser: each part's name, filename and content. */
async function rewrite(input: Buffer, size: number, userOf: (clientUser: string | undefined) => string) {
  const out: Buffer[] = [];
  for await (const piece of withGatewayUser(chunks(input, size), CONTENT_TYPE, LIMITS, userOf)) out.push(Buffer.from(piece));
  const parts: { name: string; filename?: string; content: string }[] = [];
  async function* whole() {
    yield Buffer.concat(out);
  }
  for await (const event of parseMultipart(whole(), CONTENT_TYPE, LIMITS)) {
    if (event.type === 'part') parts.push({ name: event.part.name, ...(event.part.filename !== undefined && { filename: event.part.filename }), content: '' });
    if (event.type === 'data') parts[parts.length - 1].content += event.data.toString('utf8');
  }
  return parts;
}

describe('a Dify upload reaches the agent with the gateway\'s user, whatever the client put in its form', () => {
  const file = { name: 'file', value: 'PNG-bytes\r\n--not-the-boundary\r\n', filename: 'cat.png', type: 'image/png' };

  test.each([1, 7, 64, 4096])('the client\'s `user` part is replaced; the file and other fields pass byte for byte (chunks of %i bytes)', async (size) => {
    const seen: (string | undefined)[] = [];
    const parts = await rewrite(body([{ name: 'user', value: 'aigw:consumer:victim' }, file, { name: 'note', value: 'hi' }]), size, (u) => {
      seen.push(u);
      return 'aigw:consumer:alice';
    });
    expect(parts).toEqual([
      { name: 'file', filename: 'cat.png', content: file.value },
      { name: 'note', content: 'hi' },
      { name: 'user', content: 'aigw:consumer:alice' },
    ]);
    // The client's own value is offered to the mapping (which namespaces it, or ignores it).
    expect(seen).toEqual(['aigw:consumer:victim']);
  });

  test('every `user` part goes, a file named `user` too; the mapping sees the first field value', async () => {
    const parts = await rewrite(
      body([file, { name: 'user', value: 'first' }, { name: 'user', value: 'second' }, { name: 'user', value: 'as-file', filename: 'u.txt' }]),
      5,
      (u) => `gw:${u}`,
    );
    expect(parts.filter((p) => p.name === 'user')).toEqual([{ name: 'user', content: 'gw:first' }]);
    expect(parts).toHaveLength(2);
  });

  test('without a `user` part, the gateway\'s is added', async () => {
    const parts = await rewrite(body([file]), 3, (u) => `gw:${String(u)}`);
    expect(parts.map((p) => [p.name, p.content])).toEqual([
      ['file', file.value],
      ['user', 'gw:undefined'],
    ]);
  });

  test('a part whose name another parser could read as `user` (a second name, a name*) reaches the agent with the name the gateway read only', async () => {
    const raw = Buffer.from(
      [
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="x"; name="user"\r\n\r\nvictim\r\n`,
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="y"; name*=UTF-8''user\r\nX-Extra: 1\r\n\r\nvictim\r\n`,
        `--${BOUNDARY}--\r\n`,
      ].join(''),
    );
    const out: Buffer[] = [];
    for await (const piece of withGatewayUser(chunks(raw, 9), CONTENT_TYPE, LIMITS, () => 'gw')) out.push(Buffer.from(piece));
    const text = Buffer.concat(out).toString();
    expect(text).toBe(
      [
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="x"\r\n\r\nvictim\r\n`,
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="y"\r\n\r\nvictim\r\n`,
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="user"\r\n\r\ngw\r\n--${BOUNDARY}--\r\n`,
      ].join(''),
    );
  });

  test('a body that never closes, or a user with a line break, is the client\'s 400', async () => {
    const open = body([file]).subarray(0, -10);
    await expect(rewrite(open, 16, () => 'u')).rejects.toMatchObject({ status: 400, code: 'multipart_malformed' });
    await expect(rewrite(body([file]), 16, () => 'a\r\nb')).rejects.toBeInstanceOf(MultipartError);
  });
});
