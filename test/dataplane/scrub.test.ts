import { compileScrubber, formsOf, REDACTED } from '../../src/dataplane/scrub';

const KEY = 'sk-upstream-secret-0123456789';

/** Every form of the key an upstream might echo, each inside some surrounding text. */
function echoes(key: string): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const b64url = (s: string) => Buffer.from(s).toString('base64url');
  return {
    'exact': key,
    'upper case': key.toUpperCase(),
    'mixed case': [...key].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''),
    'URL-encoded': encodeURIComponent(key),
    'every byte percent-encoded': [...Buffer.from(key)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    'hex': Buffer.from(key).toString('hex'),
    'base64 of the key': b64(key),
    'base64 of "Bearer <key>"': b64(`Bearer ${key}`),
    'base64 of "user:<key>" (Basic auth)': b64(`user:${key}`),
    'base64 of a JSON wrapper': b64(`{"api_key":"${key}","n":1}`),
    'base64url of "Bearer <key>"': b64url(`Bearer ${key}`),
    'base64url of "xy:<key>"': b64url(`xy:${key}`),
  };
}

describe('scrubbing an upstream key', () => {
  const scrubber = compileScrubber(KEY);

  test.each(Object.entries(echoes(KEY)))('%s is scrubbed from text, buffers and streams', (_form, echoed) => {
    const text = `upstream says: ${echoed} (debug)`;
    expect(scrubber.text(text)).toContain(REDACTED);
    expect(scrubber.text(text)).not.toContain(echoed);
    expect(scrubber.buffer(Buffer.from(text)).toString()).not.toContain(echoed);
    const s = scrubber.stream();
    const streamed = Buffer.concat([s.push(Buffer.from(text)), s.flush()]).toString();
    expect(streamed).toBe(scrubber.text(text));
  });

  test('a key split across two chunks at every offset, in every form, is caught; the rest is untouched', () => {
    for (const [form, echoed] of Object.entries(echoes(KEY))) {
      const body = `data: {"choices":[{"delta":{"content":"key=${echoed}"}}]}\n\n`;
      const expected = scrubber.text(body);
      expect(expected).not.toContain(echoed);
      for (let at = 0; at <= body.length; at++) {
        const s = scrubber.stream();
        const out = Buffer.concat([s.push(Buffer.from(body.slice(0, at))), s.push(Buffer.from(body.slice(at))), s.flush()]).toString();
        if (out !== expected) throw new Error(`${form}, split at ${at}: ${out}`);
      }
    }
  });

  test('a key spread one byte per chunk is caught', () => {
    const body = `{"error":"bad key ${KEY}"}`;
    const s = scrubber.stream();
    const out = Buffer.concat([...[...body].map((c) => s.push(Buffer.from(c))), s.flush()]).toString();
    expect(out).toBe(`{"error":"bad key ${REDACTED}"}`);
  });

  test('a stream is held back only where a form could start: chunks ending in "\\n\\n" go out whole and unchanged', () => {
    const s = scrubber.stream();
    const event = Buffer.from('data: {"choices":[{"delta":{"content":"hello"}}]}\n\n');
    expect(s.push(event)).toBe(event);
    // A chunk ending in the first bytes of the key keeps exactly those back, then releases them when they turn out innocent.
    expect(s.push(Buffer.from('data: sk-up')).toString()).toBe('data: ');
    expect(s.push(Buffer.from('per\n\n')).toString()).toBe('sk-upper\n\n');
    expect(s.push(Buffer.from('tail sk-')).toString()).toBe('tail ');
    expect(s.flush().toString()).toBe('sk-');
  });

  test('no key, or one too short to scrub without redacting innocent text: everything passes as it is', () => {
    for (const none of [compileScrubber(undefined), compileScrubber('abc')]) {
      expect(none.active).toBe(false);
      const chunk = Buffer.from('abc');
      expect(none.stream().push(chunk)).toBe(chunk);
      expect(none.text('abc')).toBe('abc');
    }
  });

  test('JSON with escaped slashes (PHP json_encode, some Java serializers): a key, or its base64, with "/" written "\\/" is scrubbed', () => {
    const slashy = 'sk/proj/0123456789-abcdef';
    const s = compileScrubber(slashy);
    const escaped = (x: string) => x.replace(/\//g, '\\/');
    // Base64 of a key with '?' and '>' bytes has '/' in it.
    const b64key = 'key??>>>??>>>0123456789';
    const b64 = Buffer.from(b64key).toString('base64');
    expect(b64).toContain('/');
    for (const [slashScrubber, echoed] of [[s, escaped(slashy)], [compileScrubber(b64key), escaped(b64)]] as const) {
      const body = `{"debug":"${echoed}"}`;
      expect(slashScrubber.text(body)).not.toContain(echoed);
      expect(slashScrubber.text(body)).toContain(REDACTED);
    }
  });

  test('the forms: the key, its encodings, and the base64 runs at each of the three alignments', () => {
    const forms = formsOf(KEY);
    expect(forms).toContain(KEY);
    expect(forms).toContain(Buffer.from(KEY).toString('hex'));
    // Alignment 0: the key's own base64 up to its last character that depends on key bits alone.
    expect(forms).toContain(Buffer.from(KEY).toString('base64').slice(0, Math.floor((8 * KEY.length) / 6)));
    expect(forms.every((f, i) => i === 0 || forms[i - 1].length >= f.length)).toBe(true);
  });
});
