/**
 * A path argument as exactly one URL path segment: the heart of "no way out of the declared upstream".
 *
 * `encodeURIComponent` alone makes the value one segment for this gateway, but the upstream (or a
 * proxy in front of it) may decode again before it routes: `%2e%2e%2f` is `../` to a server that
 * decodes once, `%252e%252e%252f` to one that decodes twice, `..\` to one on Windows, `..;/` to
 * Tomcat and Spring (path parameters), and overlong UTF-8 (`%c0%af`) to old decoders. So a value is
 * refused when it, or any of its percent-decodings (repeated until nothing changes), is `.` or `..`
 * or contains `/`, `\`, `..`, NUL or an overlong encoding of `.`, `/` or `\`. Kong 3.13 and Envoy's
 * `mcp_json_rest_bridge` both shipped traversal through exactly this kind of argument.
 */

/** Deeper nesting than this is refused outright: no real value is percent-encoded 8 times, and each decoding is a pass over the value. */
const MAX_DECODINGS = 8;
const PERCENT_BYTE = /%([0-9A-Fa-f]{2})/g;
/** `.` `/` `\` as overlong two-byte UTF-8, in the one-char-per-byte view the decoding below gives. */
const OVERLONG = /\xc0[\xae\xaf]|\xc1\x9c/;

/** Why `value` cannot be one path segment, as a clause (`contains "/"`), or undefined when it can. */
export function segmentProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  let form = value;
  for (let decodings = 0; decodings <= MAX_DECODINGS; decodings++) {
    const problem = formProblem(form);
    if (problem) return decodings === 0 ? problem : `${problem} ${decodings === 1 ? 'once percent-decoded' : `after ${decodings} percent-decodings`}`;
    const next = percentDecode(form);
    if (next === form) return undefined;
    form = next;
  }
  return `is percent-encoded more than ${MAX_DECODINGS} levels deep`;
}

/** The value as the one segment it is: percent-encoded (`/`, `?`, `#`, `%`, spaces… all encoded), or undefined for text that is not valid Unicode (a lone surrogate). */
export function encodeSegment(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function formProblem(form: string): string | undefined {
  if (form === '.' || form === '..') return `is the dot-segment "${form}"`;
  if (form.includes('/')) return 'contains "/"';
  if (form.includes('\\')) return 'contains "\\"';
  if (form.includes('..')) return 'contains ".."';
  if (form.includes('\0')) return 'contains NUL';
  if (OVERLONG.test(form)) return 'contains an overlong UTF-8 encoding of ".", "/" or "\\"';
  return undefined;
}

/**
 * One percent-decoding, byte by byte into one char per byte: never throws on malformed sequences
 * (`%zz`, a cut UTF-8 sequence), and every ASCII character it yields is the one a decoder would.
 */
function percentDecode(text: string): string {
  return text.replace(PERCENT_BYTE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
