import { completionTextChars } from '../completion-text';
import { type Usage, usageOfJson } from '../usage';

/** Largest non-streamed response body kept aside to read its usage; past it, only its tail is kept. */
const USAGE_SCAN_LIMIT = 1024 * 1024;
/** Of a larger body, the last bytes kept to find its top-level `usage` (written last by every provider). */
const USAGE_TAIL_BYTES = 64 * 1024;

/**
 * The usage of a JSON answer relayed in chunks. Up to USAGE_SCAN_LIMIT the whole body is kept and its
 * top-level `usage` read exactly; past it, only the last USAGE_TAIL_BYTES are kept, where every
 * provider writes `usage` (it is the last member of OpenAI's, Anthropic's, images' and embeddings'
 * answers), and the completion text is counted as it passes, in case there is none.
 */
export class UsageScan {
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private overflowed = false;
  private chars = 0;

  /** `countsText`: whether textChars() will be asked for; if not, no byte is scanned for text. */
  public constructor(private readonly countsText: boolean) {}

  public push(buf: Buffer): void {
    this.kept.push(buf);
    this.keptBytes += buf.length;
    if (!this.overflowed && this.keptBytes <= USAGE_SCAN_LIMIT) return;
    if (!this.overflowed) {
      this.overflowed = true;
      if (this.countsText) for (const b of this.kept) this.chars += completionTextChars(b);
    } else if (this.countsText) {
      this.chars += completionTextChars(buf);
    }
    // Keep the tail only.
    while (this.kept.length > 1 && this.keptBytes - this.kept[0].length >= USAGE_TAIL_BYTES) this.keptBytes -= this.kept.shift()!.length;
  }

  public usage(): Usage | undefined {
    const text = (this.kept.length === 1 ? this.kept[0] : Buffer.concat(this.kept)).toString('utf8');
    if (!this.overflowed) return usageOfJson(text);
    const at = text.lastIndexOf('"usage"');
    return at < 0 ? undefined : usageOfJson(`{${text.slice(at)}`);
  }

  public textChars(): number {
    if (this.overflowed || !this.countsText) return this.chars;
    let chars = 0;
    for (const b of this.kept) chars += completionTextChars(b);
    return chars;
  }
}
