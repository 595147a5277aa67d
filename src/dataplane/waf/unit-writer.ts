/**
 * A string built one UTF-16 code unit at a time, for the normalization passes that may change every other character
 * of a value (`j\tj\t…`, `+++…`, `a,a,…`): a regular expression replace costs tens of nanoseconds per replacement,
 * a write here one, and the string is made in one copy at the end. The buffer is shared, as inspection is synchronous:
 * each pass takes it, writes, and reads its string out before the next pass takes it.
 */

/** Values up to this many code units reuse the shared buffer (the WAF's limits keep them below it); longer ones get their own. */
const SHARED_UNITS = 262_144;
let shared = new Uint16Array(65_536);
/** Whether the buffer's bytes are UTF-16LE as they lie (x86, ARM), so that Buffer can read them as a string in one copy. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class UnitWriter {
  private readonly units: Uint16Array;
  length = 0;

  /** A writer for at most `capacity` code units. */
  constructor(capacity: number) {
    if (capacity > SHARED_UNITS) {
      this.units = new Uint16Array(capacity);
    } else {
      if (shared.length < capacity) shared = new Uint16Array(SHARED_UNITS);
      this.units = shared;
    }
  }

  unit(u: number): void {
    this.units[this.length++] = u;
  }

  /** s[from, to) as it is. */
  copy(s: string, from: number, to: number): void {
    for (let i = from; i < to; i++) this.units[this.length++] = s.charCodeAt(i);
  }

  /** A code point, as two units when it is past the BMP (what String.fromCodePoint gives). */
  codePoint(cp: number): void {
    if (cp <= 0xffff) {
      this.units[this.length++] = cp;
      return;
    }
    const offset = cp - 0x10000;
    this.units[this.length++] = 0xd800 + Math.floor(offset / 0x400);
    this.units[this.length++] = 0xdc00 + (offset % 0x400);
  }

  /** The units written, as a string (unit for unit, lone surrogates included). */
  toString(): string {
    // A short string is cheaper made from its units directly than through a Buffer.
    if (this.length <= 256) return String.fromCharCode.apply(null, this.units.subarray(0, this.length) as unknown as number[]);
    if (LITTLE_ENDIAN) return Buffer.from(this.units.buffer, this.units.byteOffset, this.length * 2).toString('utf16le');
    let out = '';
    for (let i = 0; i < this.length; i += 8192) out += String.fromCharCode(...this.units.subarray(i, Math.min(this.length, i + 8192)));
    return out;
  }
}
