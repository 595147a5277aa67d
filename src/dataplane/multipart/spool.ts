import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import { join } from 'path';

/** Reads from the spool file in pieces of this size. */
const READ_SIZE = 64 * 1024;

/**
 * An append-only byte store: in memory up to `memoryThresholdBytes`, then moved to a temp file in `dir`
 * (created 0600, written as data arrives) and read back in 64 KiB pieces. `cleanup()` deletes the file;
 * it is idempotent, and the store is unusable afterwards.
 */
export class Spool {
  private memory: Buffer[] = [];
  private size = 0;
  private file: fs.FileHandle | undefined;
  private filePath: string | undefined;
  private closed = false;
  private pending: Promise<void> = Promise.resolve();

  public constructor(private readonly dir: string, private readonly memoryThresholdBytes: number) {}

  /** Bytes stored. */
  public get length(): number {
    return this.size;
  }

  /** The temp file's path, once the store has spilled to disk. */
  public get path(): string | undefined {
    return this.filePath;
  }

  /** Stores a copy of `data`. */
  public async append(data: Buffer): Promise<void> {
    if (this.closed) throw new Error('The spool was cleaned up.');
    if (data.length === 0) return;
    if (!this.file && this.size + data.length <= this.memoryThresholdBytes) {
      this.memory.push(Buffer.from(data)); // a copy: a chunk may be a view of a larger buffer
      this.size += data.length;
      return;
    }
    if (!this.file) {
      const path = join(this.dir, `aigw-multipart-${randomUUID()}.spool`);
      const file = await fs.open(path, 'wx+', 0o600);
      if (this.closed) {
        // cleanup() ran while the file was being created: do not leak it.
        await file.close().catch(() => undefined);
        await fs.rm(path, { force: true });
        throw new Error('The spool was cleaned up.');
      }
      this.file = file;
      this.filePath = path;
      const held = this.memory;
      this.memory = [];
      let at = 0;
      for (const piece of held) {
        await this.writeFully(piece, at);
        at += piece.length;
      }
    }
    await this.writeFully(data, this.size);
    this.size += data.length;
  }

  /** The stored bytes [start, end), in order. */
  public async* read(start: number, end: number): AsyncGenerator<Buffer, void> {
    if (start < 0 || end > this.size || start > end) throw new RangeError(`Cannot read [${start}, ${end}) of a ${this.size}-byte spool.`);
    if (this.closed) throw new Error('The spool was cleaned up.');
    if (this.file) {
      const file = this.file;
      for (let at = start; at < end;) {
        const piece = Buffer.allocUnsafe(Math.min(READ_SIZE, end - at));
        const { bytesRead } = await file.read(piece, 0, piece.length, at);
        if (bytesRead === 0) throw new Error(`The spool file ${this.filePath} is shorter than expected.`);
        at += bytesRead;
        yield bytesRead === piece.length ? piece : piece.subarray(0, bytesRead);
      }
      return;
    }
    let offset = 0;
    for (const piece of this.memory) {
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + piece.length);
      if (from < to) yield piece.subarray(from - offset, to - offset);
      offset += piece.length;
      if (offset >= end) break;
    }
  }

  /** Releases the memory and deletes the temp file, if any. */
  public async cleanup(): Promise<void> {
    if (this.closed) return this.pending;
    this.closed = true;
    this.memory = [];
    const file = this.file;
    const path = this.filePath;
    this.file = undefined;
    this.pending = (async () => {
      if (file) await file.close().catch(() => undefined);
      if (path) await fs.rm(path, { force: true });
    })();
    return this.pending;
  }

  private async writeFully(data: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      if (!this.file) throw new Error('The spool was cleaned up.');
      const { bytesWritten } = await this.file.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }
}
