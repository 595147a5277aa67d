/**
 * Scrubbing an upstream's credential from what the gateway relays. An upstream (or an agent) may
 * echo the key it was sent: in an error message, a debug field, a header, a stream. Compiled once
 * per upstream at config load into two regular expressions; per chunk it costs one case-insensitive
 * scan plus a check of the chunk's last few bytes.
 *
 * Forms scrubbed, each case-insensitively (so case variants and upper/lower hex are covered):
 * - the key as it is;
 * - URL-encoded (`encodeURIComponent`) and every byte percent-encoded (`%73%6B…`);
 * - hex of its bytes;
 * - base64 and base64url of the key at each of the three byte alignments, i.e. the characters that
 *   depend on the key's bytes alone, so the key is caught inside base64 of any wrapper
 *   (`Bearer <key>`, `user:<key>`, a JSON document…). Up to 4 bits of the key at either end of such
 *   a run are in characters shared with the wrapper and are not scrubbed.
 * Each form with a `/` is also scrubbed as JSON with escaped slashes (`\/`).
 * Not scrubbed: other encodings (JSON `\u` escapes, mixed partial percent-encoding, encryption,
 * hashes, compression); a key shorter than MIN_KEY_LENGTH; derived forms shorter than MIN_FORM_LENGTH
 * (they would redact innocent text).
 */

export const REDACTED = '[redacted]';
/** Shorter keys are not scrubbed at all: they would match innocent text. */
const MIN_KEY_LENGTH = 4;
/** Shorter derived forms (base64 of a tiny key…) are left out for the same reason. */
const MIN_FORM_LENGTH = 8;

/** Scrubs one response that arrives in chunks; a key split across chunks is still caught. */
export interface ScrubStream {
  /**
   * The bytes of `chunk` (after any held back from the previous one) that are safe to send now.
   * Only a tail that could be the start of a form is held back (at most the longest form − 1
   * bytes), so a stream whose chunks end in `\n\n` is not delayed at all. Returns `chunk` itself
   * when nothing was found or held.
   */
  push(chunk: Buffer): Buffer;
  /** What is still held back, scrubbed: call once when the upstream's body ends. */
  flush(): Buffer;
}

export interface Scrubber {
  /** False when the upstream has no key (or one too short to scrub): every method is then the identity. */
  readonly active: boolean;
  /** An error message or a header value. */
  text(text: string): string;
  /** A complete body. */
  buffer(body: Buffer): Buffer;
  /** A body relayed in chunks (SSE or bytes): one ScrubStream per response. */
  stream(): ScrubStream;
}

const IDENTITY_STREAM: ScrubStream = { push: (chunk) => chunk, flush: () => EMPTY };
const EMPTY = Buffer.alloc(0);
const INACTIVE: Scrubber = { active: false, text: (t) => t, buffer: (b) => b, stream: () => IDENTITY_STREAM };

/** Compiles the scrubber for an upstream's key (config load). */
export function compileScrubber(secret: string | undefined): Scrubber {
  if (!secret || secret.length < MIN_KEY_LENGTH) return INACTIVE;
  const forms = formsOf(secret);
  // Longest first: where two forms start at the same place the longer one is redacted whole.
  const any = new RegExp(forms.map(escapeRegExp).join('|'), 'gi');
  // The longest suffix of a text that is the start of some form: `a(?:b(?:c)?)?$` per form.
  const partial = new RegExp(`(?:${forms.map(prefixesOf).join('|')})$`, 'i');
  const longest = forms[0].length;
  // Forms are matched on the latin1 view of the bytes (one char per byte); an ASCII key's forms are
  // ASCII, so a JS string can be scanned as it is.
  const ascii = forms.every((f) => /^[\x20-\x7e]*$/.test(f));

  const scrubLatin1 = (s: string): string => {
    any.lastIndex = 0;
    return any.test(s) ? s.replace(any, REDACTED) : s;
  };
  return {
    active: true,
    text: (text) => (ascii ? scrubLatin1(text) : Buffer.from(scrubLatin1(Buffer.from(text, 'utf8').toString('latin1')), 'latin1').toString('utf8')),
    buffer: (body) => {
      const s = body.toString('latin1');
      const out = scrubLatin1(s);
      return out === s ? body : Buffer.from(out, 'latin1');
    },
    stream: () => {
      let held = '';
      return {
        push: (chunk) => {
          const text = held + chunk.toString('latin1');
          // Where the last complete form ends: a held tail can only start after it.
          let lastEnd = 0;
          let found = false;
          any.lastIndex = 0;
          for (let m = any.exec(text); m; m = any.exec(text)) {
            found = true;
            lastEnd = m.index + m[0].length;
          }
          const from = Math.max(lastEnd, text.length - (longest - 1));
          const tail = partial.exec(text.slice(from));
          const keep = tail ? tail[0].length : 0;
          const hadHeld = held.length > 0;
          held = keep > 0 ? text.slice(text.length - keep) : '';
          if (!found && keep === 0 && !hadHeld) return chunk;
          const ready = text.slice(0, text.length - keep);
          return Buffer.from(found ? ready.replace(any, REDACTED) : ready, 'latin1');
        },
        flush: () => {
          // A held tail is an incomplete form: nothing to redact, but it is still only a prefix.
          const rest = held;
          held = '';
          return rest.length === 0 ? EMPTY : Buffer.from(scrubLatin1(rest), 'latin1');
        },
      };
    },
  };
}

/** Every form of the key that is scrubbed, as latin1 strings (one char per byte), longest first. */
export function formsOf(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Set<string>([bytes.toString('latin1')]);
  const derived = [encodeURIComponent(secret), [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''), bytes.toString('hex')];
  for (let offset = 0; offset < 3; offset++) {
    // The key after `offset` bytes of anything: the characters that depend on its bits alone.
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const stable = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    derived.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  for (const f of derived) if (f.length >= MIN_FORM_LENGTH) forms.add(f);
  // JSON serializers that escape slashes (PHP's json_encode, some Java ones) write `/` as `\/`.
  for (const f of [...forms]) if (f.includes('/')) forms.add(f.replace(/\//g, '\\/'));
  return [...forms].sort((a, b) => b.length - a.length);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** `abc` → `a(?:b(?:c)?)?`: any non-empty prefix of the form. */
function prefixesOf(form: string): string {
  const chars = [...form].map(escapeRegExp);
  let out = '';
  for (let i = chars.length - 1; i >= 1; i--) out = `(?:${chars[i]}${out})?`;
  return chars[0] + out;
}
