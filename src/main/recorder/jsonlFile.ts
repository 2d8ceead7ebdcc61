import { open, type FileHandle } from 'node:fs/promises';

/**
 * One append-only log file of a recording. `append` only queues text (the caller is the flush
 * timer, never the tick); one write at a time goes to the kernel, so lines land whole and in
 * order, and what was queued while a write was in flight goes out in the next one. The first
 * error (disk full, folder gone…) is kept and reported once through `onError`; later appends are
 * dropped.
 */
export class JsonlFile {
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  private failed = false;
  /** Bytes handed to the kernel so far. */
  bytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private readonly onError: (err: unknown, file: JsonlFile) => void,
  ) {}

  static async open(path: string, onError: (err: unknown, file: JsonlFile) => void): Promise<JsonlFile> {
    return new JsonlFile(await open(path, 'a'), path, onError);
  }

  append(text: string): void {
    if (this.failed || text.length === 0) return;
    this.pending.push(text);
    this.writing ??= this.drain();
  }

  /** Resolves when everything appended so far is written (or the file failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.handle.close().catch(() => {});
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failed) {
        const buf = Buffer.from(this.pending.length === 1 ? this.pending[0] : this.pending.join(''), 'utf8');
        this.pending = [];
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await this.handle.write(buf, off, buf.length - off);
          off += bytesWritten;
        }
        this.bytes += buf.length;
      }
    } catch (err) {
      this.failed = true;
      this.pending = [];
      this.onError(err, this);
    } finally {
      this.writing = null;
    }
  }
}
